"""Scenarios: who holds which private inputs, drawn for all T trials at once.

Each says what its inputs are (``inputs``): ``numbers`` (one number per party), ``answers``
(one of k answers per party), ``ballots``, ``sets``, ``features`` or ``vectors``; mechanisms and attacks
ask that, not the scenario's name.

A scenario turns its config into a frozen dataclass (validating every field; the defaults
are in its YAML file, ``conf/scenario/<kind>.yaml``) and draws
a :class:`Data` batch from the *data* stream only, so every mechanism at one setting sees
the same inputs (common random numbers).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import integrate, stats

from simprive import tables
from simprive.config import parameters
from simprive.contracts import Data
from simprive.plugins import construct, is_import_path, load
from simprive.validation import ConfigError, check_choice, check_int, check_probability, check_range, check_real

__all__ = ["Approval", "Bounded", "Categorical", "Features", "Fixed", "Heavy", "Numbers", "Sets", "Table",
           "TableSets", "Vectors", "build_scenario", "clip_moments"]


@dataclass(frozen=True)
class Categorical:
    """Each of n parties holds an answer in ``{0, …, k−1}``: answer 1 with probability
    ``p``, every other answer with ``(1−p)/(k−1)``.  With k = 2, bits with prevalence p
    (the article's poll: p is the fraction who predict 1)."""

    p: float
    k: int
    kind: str = "categorical"
    inputs: ClassVar[str] = "answers"
    # a central release counts answer 1: each party adds 0 or 1, whatever lower/upper say
    fixed_range: ClassVar[tuple[float, float]] = (0.0, 1.0)
    integer: ClassVar[bool] = True

    def __post_init__(self):
        check_probability("scenario.p", self.p)
        check_int("scenario.k", self.k, minimum=2)

    @property
    def probabilities(self) -> np.ndarray:
        pr = np.full(self.k, (1 - self.p) / (self.k - 1))
        pr[1] = self.p
        return pr

    def draw(self, rng, trials: int, n: int, individual: bool = False) -> Data:
        if individual:
            values = rng.choice(self.k, size=(trials, n), p=self.probabilities).astype(np.int8)
            return Data(n, values=values, counts=count_values(values, self.k), codes=self.k > 2)
        return Data(n, counts=rng.multinomial(n, self.probabilities, size=trials))

    def mean(self) -> float:
        """Population share of answer 1."""
        return self.p

    def clip_moments(self, lower, upper):
        return 0.0, 0.0


@dataclass(frozen=True)
class Bounded:
    """Real (or integer) inputs drawn uniformly from ``[low, high]``.  The declared range
    ``[lower, upper]`` the mechanism clamps to may be narrower, which clips inputs (bias)
    — or wider, which costs noise."""

    low: float
    high: float
    integer: bool
    kind: str = "bounded"
    inputs: ClassVar[str] = "numbers"
    fixed_range: ClassVar[None] = None  # clamped to the config's declared [lower, upper]
    draws_in_blocks: ClassVar[bool] = True  # parties drawn a block at a time have the same law

    def __post_init__(self):
        check_range(self.low, self.high, ("scenario.low", "scenario.high"))
        if self.integer and not (float(self.low).is_integer() and float(self.high).is_integer()):
            raise ConfigError("scenario.low", self.low, "must be an integer when scenario.integer=true")

    @property
    def dist(self):
        if self.integer:
            return stats.randint(int(self.low), int(self.high) + 1)
        return stats.uniform(loc=self.low, scale=self.high - self.low)

    def draw(self, rng, trials: int, n: int, individual: bool = True) -> Data:
        if self.integer:
            values = rng.integers(int(self.low), int(self.high), size=(trials, n), endpoint=True)
        else:
            values = rng.uniform(self.low, self.high, size=(trials, n))
        return Data(n, values=values)

    def mean(self) -> float:
        return float(self.dist.mean())

    def clip_moments(self, lower: float, upper: float) -> tuple[float, float]:
        return clip_moments(self.dist, lower, upper)


def clip_moments(dist, lower: float, upper: float) -> tuple[float, float]:
    """Mean and variance of ``clamp(X) − X`` for one input X ~ ``dist`` (a frozen
    ``scipy.stats`` law): the clipping error, by quadrature over the clipped tails only (a
    quadrature over the whole support can miss a thin far tail)."""
    a, b = dist.support()

    spread = float(dist.std())
    spread = spread if np.isfinite(spread) and spread > 0 else 1.0

    def tail(power, point, lo, hi):
        if np.isinf(lo) or np.isinf(hi):
            # an unbounded tail: scipy's expect() splits such an integral at an interior point
            # and can miss most of it (half of a log-normal's squared tail): integrate directly,
            # in units of the law's spread from the clamp point
            side = 1.0 if np.isinf(hi) else -1.0
            return integrate.quad(lambda t: (-side * spread * t) ** power * dist.pdf(point + side * spread * t) * spread,
                                  0.0, np.inf, limit=200)[0]
        return dist.expect(lambda x: (point - x) ** power, lb=lo, ub=hi)

    def tails(power):
        below = tail(power, lower, a, lower) if lower > a else 0.0
        above = tail(power, upper, upper, b) if upper < b else 0.0
        return below + above

    m1, m2 = tails(1), tails(2)
    return float(m1), float(max(m2 - m1 * m1, 0.0))


@dataclass(frozen=True)
class Numbers:
    """A base for a scenario of one number per party drawn i.i.d. from a ``scipy.stats`` law:
    a subclass (a frozen dataclass whose fields are its config keys) sets ``kind`` and defines
    ``dist``; drawing, the mean and the clipping moments follow from it."""

    inputs: ClassVar[str] = "numbers"
    fixed_range: ClassVar[None] = None
    integer: ClassVar[bool] = False
    draws_in_blocks: ClassVar[bool] = True

    @property
    def dist(self):
        raise NotImplementedError

    def draw(self, rng, trials: int, n: int, individual: bool = True) -> Data:
        return Data(n, values=np.asarray(self.dist.rvs(size=(trials, n), random_state=rng), float))

    def mean(self) -> float:
        return float(self.dist.mean())

    def clip_moments(self, lower: float, upper: float) -> tuple[float, float]:
        return clip_moments(self.dist, lower, upper)


@dataclass(frozen=True)
class Approval:
    """Approval ballots: each of n voters approves candidate j independently with
    probability ``approval − j·margin``; candidate 0 leads in expectation by
    ``margin·n`` approvals."""

    candidates: int
    approval: float
    margin: float
    kind: str = "approval"
    inputs: ClassVar[str] = "ballots"
    fixed_range: ClassVar[tuple[float, float]] = (0.0, 1.0)  # one ballot moves a tally by ≤ 1
    integer: ClassVar[bool] = True

    def __post_init__(self):
        check_int("scenario.candidates", self.candidates, minimum=2)
        check_probability("scenario.approval", self.approval)
        margin = check_real("scenario.margin", self.margin)
        lowest = self.approval - margin * (self.candidates - 1)
        if margin < 0 or lowest < 0:
            raise ConfigError(
                "scenario.margin", self.margin,
                f"must be in [0, {self.approval / (self.candidates - 1):g}] so every approval rate is in [0, 1]",
            )

    @property
    def probabilities(self) -> np.ndarray:
        return self.approval - self.margin * np.arange(self.candidates)

    def draw(self, rng, trials: int, n: int, individual: bool = False) -> Data:
        pr = self.probabilities
        if individual:
            ballots = rng.random((trials, n, self.candidates)) < pr
            return Data(n, values=ballots, counts=ballots.sum(axis=1))
        # each candidate's tally is a sum of n independent approvals: exactly Bin(n, p_j)
        return Data(n, counts=rng.binomial(n, pr, size=(trials, self.candidates)))

    def mean(self) -> float:
        return float(self.probabilities[0])

    def clip_moments(self, lower, upper):
        return 0.0, 0.0


@dataclass(frozen=True)
class Heavy:
    """Heavy-tailed inputs such as breach losses: Pareto with P(X > x) = (scale/x)^shape
    for x ≥ scale.  ``outlier``: party 0 holds this value instead, a dominant party."""

    shape: float
    scale: float
    outlier: float | None
    kind: str = "heavy"
    inputs: ClassVar[str] = "numbers"
    fixed_range: ClassVar[None] = None
    integer: ClassVar[bool] = False
    dominance: ClassVar[bool] = True  # report how much the largest input dominates the sum

    @property
    def draws_in_blocks(self) -> bool:
        return self.outlier is None  # party 0's outlier is not a draw

    def __post_init__(self):
        for key in ("shape", "scale"):
            if check_real(f"scenario.{key}", getattr(self, key)) <= 0:
                raise ConfigError(f"scenario.{key}", getattr(self, key), "must be > 0")
        if self.outlier is not None:
            check_real("scenario.outlier", self.outlier)

    @property
    def dist(self):
        return stats.pareto(b=self.shape, scale=self.scale)

    @property
    def low(self) -> float:
        return self.scale

    @property
    def high(self) -> float:
        return float(self.outlier) if self.outlier is not None and self.outlier > self.scale else np.inf

    def draw(self, rng, trials: int, n: int, individual: bool = True) -> Data:
        values = (rng.pareto(self.shape, size=(trials, n)) + 1) * self.scale  # numpy's is Lomax: shift to Pareto I
        if self.outlier is not None:
            values[:, 0] = self.outlier
        return Data(n, values=values)

    def mean(self) -> float:
        return float(self.dist.mean())

    def clip_moments(self, lower, upper) -> tuple[float, float]:
        """Mean and variance of ``clamp(X) − X``.  Above ``upper`` in closed form: given
        X > U, X/U is Pareto(shape, 1), so E[(U − X); X > U] = −U·q/(a − 1) and
        E[(X − U)²; X > U] = 2U²·q/((a − 1)(a − 2)), q = (scale/U)^a (infinite for a ≤ 1,
        a ≤ 2); below ``lower``, a quadrature over the bounded interval."""
        a, s, d = self.shape, self.scale, self.dist
        below1 = d.expect(lambda x: lower - x, ub=lower) if lower > s else 0.0
        below2 = d.expect(lambda x: (lower - x) ** 2, ub=lower) if lower > s else 0.0
        u = max(upper, s)
        q = (s / u) ** a
        above1 = -u * q / (a - 1) if a > 1 else -np.inf
        above2 = 2 * u * u * q / ((a - 1) * (a - 2)) if a > 2 else np.inf
        if upper < s:  # everything is clipped down to upper
            above1, above2 = upper - self.mean(), np.inf if a <= 2 else float(d.expect(lambda x: (upper - x) ** 2))
        m1, m2 = below1 + above1, below2 + above2
        return float(m1), float(max(m2 - m1 * m1, 0.0)) if np.isfinite(m2) else float("inf")

    def sum_moments(self, n: int, lower, upper) -> tuple[float, float, float]:
        """The i.i.d. parties' clipping error, plus the outlier's (deterministic) one."""
        m, v = self.clip_moments(lower, upper)
        if self.outlier is None:
            return n * m, n * v, n * self.mean()
        own = float(np.clip(self.outlier, lower, upper) - self.outlier)
        return (n - 1) * m + own, (n - 1) * v, (n - 1) * self.mean() + self.outlier


@dataclass(frozen=True)
class Fixed:
    """The same public-for-the-experiment inputs in every trial, e.g. the article's four
    raises (3800, 2514, 2982, 3390): for reproducing a worked example to the digit."""

    values: tuple
    kind: str = "fixed"
    inputs: ClassVar[str] = "numbers"
    fixed_range: ClassVar[None] = None
    integer: ClassVar[bool] = True

    def __post_init__(self):
        vals = np.asarray(self.values)
        if vals.ndim != 1 or len(vals) < 1 or not np.issubdtype(vals.dtype, np.number):
            raise ConfigError("scenario.values", self.values, "must be a non-empty list of numbers")

    def draw(self, rng, trials: int, n: int, individual: bool = True) -> Data:
        if n != len(self.values):
            raise ConfigError("n", n, f"must equal the number of scenario.values ({len(self.values)})")
        return Data(n, values=np.broadcast_to(np.asarray(self.values), (trials, n)).copy())

    def mean(self) -> float:
        return float(np.mean(self.values))

    def clip_moments(self, lower, upper):
        return 0.0, 0.0


@dataclass(frozen=True)
class Sets:
    """Two parties' private sets: party 0 holds ``size_x`` items, party 1 ``size_y``,
    ``overlap`` of them shared, all distinct integers from ``[0, universe)``."""

    universe: int
    size_x: int
    size_y: int
    overlap: int
    kind: str = "sets"
    inputs: ClassVar[str] = "sets"
    fixed_range: ClassVar[None] = None
    integer: ClassVar[bool] = True

    def __post_init__(self):
        for key in ("size_x", "size_y"):
            check_int(f"scenario.{key}", getattr(self, key), minimum=1)
        overlap = check_int("scenario.overlap", self.overlap, minimum=0)
        if overlap > min(self.size_x, self.size_y):
            raise ConfigError("scenario.overlap", overlap, "must be at most min(size_x, size_y)")
        need = self.size_x + self.size_y - overlap
        check_int("scenario.universe", self.universe, minimum=need)

    def draw(self, rng, trials: int, n: int, individual: bool = True) -> Data:
        need = self.size_x + self.size_y - self.overlap
        # distinct items per trial, vectorised: a random permutation prefix when the universe
        # is small, otherwise draws with the rare duplicate rows redrawn
        if self.universe <= 4 * need:
            items = np.argsort(rng.random((trials, self.universe)), axis=1)[:, :need]
        else:
            items = _distinct_integers(rng, trials, need, self.universe)
        x = items[:, : self.size_x]
        y = np.concatenate([items[:, : self.overlap], items[:, self.size_x :]], axis=1)
        return Data(n, values=x, other={"set_y": rng.permuted(y, axis=1)})

    def mean(self) -> float:
        return float(self.overlap)

    def clip_moments(self, lower, upper):
        return 0.0, 0.0


def _distinct_integers(rng, trials: int, k: int, universe: int) -> np.ndarray:
    """``(trials, k)`` distinct integers from ``[0, universe)`` per row: whole rows with a
    duplicate are redrawn while that is likely to succeed, then only the duplicate entries
    (k²/2 ≫ universe would make a row without one vanishingly rare).  Each row's set is a
    uniform k-subset either way: the distinct values of uniform draws, given their number,
    are a uniform subset, and redrawn entries add uniform values from the rest."""
    out = rng.integers(0, universe, size=(trials, k))
    while True:
        order = np.argsort(out, axis=1, kind="stable")
        srt = np.take_along_axis(out, order, axis=1)
        repeated = np.zeros(out.shape, bool)
        repeated[:, 1:] = srt[:, 1:] == srt[:, :-1]
        if not repeated.any():
            return out
        if k * (k - 1) / (2 * universe) < 1:  # few duplicates expected: redraw those rows
            rows = repeated.any(axis=1)
            out[rows] = rng.integers(0, universe, size=(int(rows.sum()), k))
        else:  # a row without one is rare: redraw the repeated entries only
            again = np.zeros(out.shape, bool)
            np.put_along_axis(again, order, repeated, axis=1)
            out[again] = rng.integers(0, universe, size=int(again.sum()))


@dataclass(frozen=True)
class Features:
    """Private inference: a client's query of ``dimension`` features and a server's linear
    model (weights and bias), all standard normal times ``scale``."""

    dimension: int
    scale: float
    kind: str = "features"
    inputs: ClassVar[str] = "features"
    fixed_range: ClassVar[None] = None
    integer: ClassVar[bool] = False

    def __post_init__(self):
        check_int("scenario.dimension", self.dimension, minimum=1)
        if check_real("scenario.scale", self.scale) <= 0:
            raise ConfigError("scenario.scale", self.scale, "must be > 0")

    def draw(self, rng, trials: int, n: int, individual: bool = True) -> Data:
        x = rng.normal(0, self.scale, size=(trials, self.dimension))
        w = rng.normal(0, self.scale, size=(trials, self.dimension))
        b = rng.normal(0, self.scale, size=trials)
        return Data(n, values=x, other={"weights": w, "bias": b})

    def mean(self) -> float:
        return 0.0

    def clip_moments(self, lower, upper):
        return 0.0, 0.0


@dataclass(frozen=True)
class Vectors:
    """Federated updates: each party holds a vector of ``dim`` coordinates, each normal with
    mean ``mean`` and standard deviation ``scale`` (a model update, a histogram row).  A
    secure-aggregation release clips each to an L2 norm and sums them."""

    dim: int
    scale: float
    mean_value: float = 0.0
    kind: str = "vectors"
    inputs: ClassVar[str] = "vectors"
    fixed_range: ClassVar[None] = None
    integer: ClassVar[bool] = False

    def __post_init__(self):
        check_int("scenario.dim", self.dim, minimum=1)
        if check_real("scenario.scale", self.scale) < 0:
            raise ConfigError("scenario.scale", self.scale, "must be >= 0")
        check_real("scenario.mean_value", self.mean_value)

    def draw(self, rng, trials: int, n: int, individual: bool = True) -> Data:
        if not individual:  # a release that prices its ledger alone reads no inputs
            return Data(n, counts=np.zeros((trials, 0)))
        return Data(n, values=rng.normal(self.mean_value, self.scale, size=(trials, n, self.dim)))

    def mean(self) -> float:
        return float(self.mean_value)

    def clip_moments(self, lower, upper):
        return 0.0, 0.0


@dataclass(frozen=True)
class Table:
    """Each party holds one row of a real table: its value in ``column`` (numbers), or, with
    ``yes_values``, whether that value is one of ``yes_values`` (a yes/no answer).  The table is a file
    (``path``) or a public data set (``dataset``, :data:`simprive.tables.DATASETS`).

    ``sampling`` says which rows the n parties hold in each trial: ``population`` (all of
    them: n is the row count, and only the mechanism's randomness varies),
    ``with_replacement`` (n rows drawn independently: every closed form for i.i.d. inputs
    holds with the table's own distribution) or ``without_replacement`` (n distinct rows:
    the sum's clipping variance takes the finite-population correction).  The declared range
    ``[lower, upper]`` is never read from the data (bounds taken from the data would leak)."""

    path: str | None
    dataset: str | None
    column: str
    yes_values: tuple | None
    sampling: str
    kind: str = "table"
    fingerprint: str = field(init=False)  # of the rows: results on other data are never reused
    INPUTS: ClassVar[tuple[str, ...]] = ("numbers", "answers")
    k: ClassVar[int] = 2

    def __post_init__(self):
        check_choice("scenario.sampling", self.sampling, ("population", "with_replacement", "without_replacement"))
        values = tables.load_column(self.path, self.dataset, self.column)
        if self.yes_values is None:
            rows = tables.numbers(values, self.column)
        else:
            yes = [self.yes_values] if isinstance(self.yes_values, (str, int, float)) else list(self.yes_values)
            if not yes:
                raise ConfigError("scenario.yes_values", self.yes_values, "list the column's values that count as yes")
            rows = values.isin(yes).to_numpy().astype(np.int8)
        rows.setflags(write=False)  # trials index into the one copy; nothing may change it
        object.__setattr__(self, "_rows", rows)
        object.__setattr__(self, "fingerprint", tables.fingerprint(rows))

    @property
    def rows(self) -> np.ndarray:
        return self._rows  # type: ignore[attr-defined]

    @property
    def inputs(self) -> str:  # type: ignore[override]
        return "numbers" if self.yes_values is None else "answers"

    @property
    def fixed_range(self):
        return None if self.yes_values is None else (0.0, 1.0)

    @property
    def integer(self) -> bool:
        return self.yes_values is not None or bool(np.all(self.rows == np.round(self.rows)))

    @property
    def dominance(self) -> bool:
        """A real column of numbers can be dominated by one row: report how much."""
        return self.yes_values is None

    @property
    def iid(self) -> bool:
        """Whether the parties' inputs are independent draws (what most attacks' closed forms take)."""
        return self.sampling == "with_replacement"

    @property
    def draws_in_blocks(self) -> bool:
        return self.iid

    @property
    def p(self) -> float:
        """The table's share of yes answers."""
        return float(self.rows.mean())

    @property
    def probabilities(self) -> np.ndarray:
        return np.array([1 - self.p, self.p])

    @functools.cached_property
    def dist(self) -> tables.Empirical:
        return tables.Empirical(self.rows)

    def check_parties(self, n: int) -> None:
        rows = len(self.rows)
        if self.sampling == "population" and n != rows:
            raise ConfigError("n", n, f"scenario.sampling=population makes the table's {rows} rows the parties: "
                                      f"set n={rows}, or sample n rows (scenario.sampling=with_replacement)")
        if self.sampling == "without_replacement" and n > rows:
            raise ConfigError("n", n, f"scenario.sampling=without_replacement draws n distinct rows of {rows}: "
                                      f"n must be at most {rows}")

    def draw(self, rng, trials: int, n: int, individual: bool = True) -> Data:
        self.check_parties(n)
        rows, N = self.rows, len(self.rows)
        if self.yes_values is not None and not individual:  # the counts' exact law under each design
            c = int(rows.sum())
            if self.sampling == "population":
                yes = np.full(trials, c)
            elif self.sampling == "with_replacement":
                yes = rng.binomial(n, c / N, size=trials)
            else:
                yes = rng.hypergeometric(c, N - c, n, size=trials)
            return Data(n, counts=np.stack([n - yes, yes], axis=1))
        if self.sampling == "population":
            values = np.broadcast_to(rows, (trials, N))  # one table, no copy per trial
        elif self.sampling == "with_replacement":
            values = rows[rng.integers(0, N, size=(trials, n))]
        else:
            picked = (np.argsort(rng.random((trials, N)), axis=1)[:, :n] if n > N // 4
                      else _distinct_integers(rng, trials, n, N))
            values = rows[picked]
        if self.yes_values is None:
            return Data(n, values=values)
        return Data(n, values=values, counts=count_values(values, 2))

    def mean(self) -> float:
        return float(self.rows.mean())

    def clip_moments(self, lower, upper) -> tuple[float, float]:
        """Mean and variance of ``clamp(X) − X`` over the table's rows: finite sums."""
        if self.yes_values is not None:
            return 0.0, 0.0
        error = np.clip(self.rows, lower, upper) - self.rows
        return float(error.mean()), float(error.var())

    def sum_moments(self, n: int, lower, upper) -> tuple[float, float, float]:
        """The n parties' total clipping error (its mean and variance) and their total's mean,
        under the sampling design: i.i.d. rows add n variances; n distinct rows of N add
        n(N − n)/(N − 1) of them; the whole table is one fixed total."""
        m, v = self.clip_moments(lower, upper)
        N = len(self.rows)
        spread = {"population": 0.0, "with_replacement": float(n),
                  "without_replacement": n * (N - n) / (N - 1) if N > 1 else 0.0}[self.sampling]
        return n * m, spread * v, n * self.mean()

    def clipped_share(self, lower, upper) -> float:
        """The share of the table's rows the declared range clips."""
        return float(np.mean((self.rows < lower) | (self.rows > upper)))


@dataclass(frozen=True)
class TableSets:
    """Two parties' private sets from real tables: party 0 holds the distinct values of
    ``column`` in its table (``path`` or ``dataset``), party 1 those of ``other_column`` in
    ``other_path`` (the same table when null).  Every trial holds the same two sets (the
    protocols' own randomness varies); values are compared as given (1 and "1" differ)."""

    path: str | None
    dataset: str | None
    column: str
    other_path: str | None
    other_column: str
    kind: str = "table_sets"
    fingerprint: str = field(init=False)
    inputs: ClassVar[str] = "sets"
    fixed_range: ClassVar[None] = None
    integer: ClassVar[bool] = True

    def __post_init__(self):
        mine = tables.load_column(self.path, self.dataset, self.column)
        same_table = self.other_path is None
        theirs = tables.load_column(self.path if same_table else self.other_path,
                                    self.dataset if same_table else None, self.other_column)
        # items as integer codes over the union of both sets, the form the protocols take
        codes, _ = pd.factorize(pd.concat([mine, theirs], ignore_index=True))
        x, y = np.unique(codes[: len(mine)]), np.unique(codes[len(mine):])
        object.__setattr__(self, "_sets", (x, y))
        object.__setattr__(self, "fingerprint", tables.fingerprint(np.concatenate([x, [-1], y])))

    @property
    def size_x(self) -> int:
        return len(self._sets[0])  # type: ignore[attr-defined]

    @property
    def size_y(self) -> int:
        return len(self._sets[1])  # type: ignore[attr-defined]

    @property
    def overlap(self) -> int:
        return len(np.intersect1d(*self._sets))  # type: ignore[attr-defined]

    def draw(self, rng, trials: int, n: int, individual: bool = True) -> Data:
        x, y = self._sets  # type: ignore[attr-defined]
        # every party's items in a fresh order each trial, as a protocol receives them
        return Data(n, values=rng.permuted(np.broadcast_to(x, (trials, len(x))), axis=1),
                    other={"set_y": rng.permuted(np.broadcast_to(y, (trials, len(y))), axis=1)})

    def mean(self) -> float:
        return float(self.overlap)

    def clip_moments(self, lower, upper):
        return 0.0, 0.0


def count_values(values: np.ndarray, k: int) -> np.ndarray:
    """``(T, n)`` answers in ``[0, k)`` → ``(T, k)`` counts, without a loop over trials."""
    T = values.shape[0]
    flat = values.astype(np.int64) + k * np.arange(T)[:, None]
    return np.bincount(flat.ravel(), minlength=T * k).reshape(T, k)


SCENARIOS: dict[str, Any] = {"categorical": Categorical, "bounded": Bounded, "approval": Approval, "fixed": Fixed,
                              "sets": Sets, "features": Features, "vectors": Vectors, "heavy": Heavy, "table": Table,
                              "table_sets": TableSets}


def with_inputs(inputs) -> list[str]:
    """The built-in scenarios whose inputs are one of ``inputs``."""
    return [name for name, cls in SCENARIOS.items() if set(getattr(cls, "INPUTS", (cls.inputs,))) & set(inputs)]


def build_scenario(cfg: dict):
    """Scenario from its config group; ``low``/``high`` default to the declared range.  A
    ``kind`` of the form ``module:Class`` is a user's own (:mod:`simprive.plugins`)."""
    cfg = dict(cfg)
    kind = cfg.pop("kind", None)
    if is_import_path(kind):
        scenario = construct("scenario", load("scenario", kind), cfg)
        missing = [a for a in ("kind", "inputs", "draw", "mean", "clip_moments") if not hasattr(scenario, a)]
        if missing or not is_dataclass(scenario):
            raise ConfigError("scenario", kind, "must be a dataclass with kind, inputs, draw, mean and clip_moments "
                                                "(subclass simprive.scenarios.Numbers)")
        return scenario
    kind = check_choice("scenario", kind, SCENARIOS)
    cfg = parameters("scenario", kind, cfg)  # the defaults are its YAML's (conf/scenario/<kind>.yaml)
    for key in ("values", "yes_values"):
        if isinstance(cfg.get(key), list):
            cfg[key] = tuple(cfg[key])  # frozen and hashable
    return SCENARIOS[kind](**cfg)


def scenario_params(scenario) -> dict:
    return asdict(scenario)
