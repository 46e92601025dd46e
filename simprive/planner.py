"""The inverse question, ``simprive-plan``: for each candidate approach, the smallest (or
largest) value of one key at which every target holds.

A target bounds one statistic of one metric: its mean over trials, or a quantile of its
per-trial values.  Each candidate (a point of the config's grid, less the key solved for) is
searched on its own:

1. **Scan.**  The statistic at ``SCAN`` values across ``plan.range`` (geometric when the range
   spans a decade or more).  Bisection relies on the statistic being monotone in the key, so
   the scan checks it: a statistic that turns (beyond sampling error) stops that target with
   ``not monotone``, and the note names where.
2. **Solve.**  Between the two scanned values where the target starts (or stops) holding: on
   the closed form where one exists (the ``expected`` column's mean, or the exact law of the
   error for a quantile) by Brent's method for a real key and bisection for an integer one;
   otherwise by bisection on simulations, to ``plan.step``.
3. **Verify.**  Every answer is simulated at itself and one step either side: an answer whose
   own simulation misses a target beyond sampling error is refused (``refuted``).

The answer of a candidate is the intersection of its targets' feasible sets; the target whose
boundary is the answer (or that cannot be met) is the one that ``binds``.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import optimize, stats

from simprive.config import CONF_DIR, defaults, takes
from simprive.grid import expand, flatten
from simprive.identity import streams
from simprive.metrics import INDICATOR, LOWER_BOUND, Bound, Rare, Spread, kind_of
from simprive.runner import Plan, identity_row, plan, release_batch, simulate, summary_rows
from simprive.validation import ConfigError, check_choice, check_int, check_real

__all__ = ["DIRECTIONS", "STATS", "Candidate", "Evaluator", "Reading", "Solved", "Spec", "Target", "candidates",
           "check_ends", "check_plan", "check_target", "check_targets", "is_integer_key", "plan_group", "route_of",
           "sample_of", "scan_values", "search", "sentence", "solve", "verdict"]

STATS = ("mean", "quantile")
DIRECTIONS = ("smallest", "largest")
BOUNDS = ("at_most", "at_least")
SCAN = 9  # values of the key on which each target's monotonicity is checked before solving
CLOSED_SCAN = 17  # more on a closed form, where a value costs one small batch
PROBE_TRIALS = 2  # a closed form is read off this many trials (it does not depend on them)
STRICT = 1e-3  # verification: a target "misses" when the 99.9% interval lies wholly beyond it
LEVEL = 0.95  # the intervals reported


@dataclass(frozen=True)
class Target:
    """A bound on one statistic of one metric: ``metric``'s mean, or its ``q`` quantile over
    trials, at most (or at least) ``limit``."""

    metric: str
    stat: str
    q: float | None
    bound: str
    limit: float

    @property
    def label(self) -> str:
        what = "mean" if self.stat == "mean" else f"q{self.q:g}"
        return f"{self.metric} {what} {'≤' if self.bound == 'at_most' else '≥'} {self.limit:g}"

    def holds(self, value: float) -> bool:
        slack = 1e-9 * max(1.0, abs(self.limit))  # a root found to machine precision holds
        return value <= self.limit + slack if self.bound == "at_most" else value >= self.limit - slack


@dataclass(frozen=True)
class Spec:
    """A validated ``plan`` group."""

    solve: str
    low: float
    high: float
    direction: str
    targets: tuple[Target, ...]
    integer: bool
    step: float | None  # one step of the key for verification (None: 1, or 1% of a real answer)

    @property
    def measured(self) -> tuple[Target, ...]:
        """Every statistic a value is evaluated on."""
        return self.targets

    def step_at(self, value: float) -> float:
        if self.step is not None:
            return self.step
        return 1.0 if self.integer else 0.01 * abs(value) or 0.01 * (self.high - self.low)

    def cast(self, value: float):
        return int(round(value)) if self.integer else float(value)


def check_target(i: int, raw, key: str | None = None) -> Target:
    key = key or f"plan.targets.{i}"
    if not isinstance(raw, dict):
        raise ConfigError(key, raw, "must be a mapping {metric: NAME, stat: mean | quantile, q: 0.95, at_most: X}")
    unknown = sorted(set(raw) - {"metric", "stat", "q", "at_most", "at_least"})
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}", raw[unknown[0]], "unknown; known: metric, stat, q, at_most, at_least")
    metric = raw.get("metric")
    if not isinstance(metric, str) or not metric:
        raise ConfigError(f"{key}.metric", metric, "must name a metric of the summary")
    stat = check_choice(f"{key}.stat", raw.get("stat", "mean"), STATS)
    q = None
    if stat == "quantile":
        q = check_real(f"{key}.q", raw.get("q", 0.95))
        if not 0 < q < 1:
            raise ConfigError(f"{key}.q", raw.get("q"), "must be in (0, 1)")
    elif raw.get("q") is not None:
        raise ConfigError(f"{key}.q", raw["q"], "is for stat: quantile")
    given = [b for b in BOUNDS if raw.get(b) is not None]
    if len(given) != 1:
        raise ConfigError(key, raw, "needs exactly one of at_most: X or at_least: X")
    limit = check_real(f"{key}.{given[0]}", raw[given[0]])
    if not math.isfinite(limit):
        raise ConfigError(f"{key}.{given[0]}", raw[given[0]], "must be finite")
    return Target(metric, stat, q, given[0], limit)


INTEGER_AXES, REAL_AXES = ("n", "trials", "seed"), ("epsilon", "delta", "lower", "upper")


def is_integer_key(cfg: dict, key: str, value) -> bool:
    """Whether ``key`` takes integers: n, trials and seed do, ε, δ and the range do not; a
    group's key does when its default (in the group's YAML) is an integer."""
    if key in INTEGER_AXES or key in REAL_AXES:
        return key in INTEGER_AXES
    group, leaf = key.split(".", 1)
    kind = (cfg.get(group) or {}).get("kind")
    kind = kind[0] if isinstance(kind, (list, tuple)) and kind else kind
    default = defaults(group, kind).get(leaf) if isinstance(kind, str) and ":" not in kind else None
    sample = value if default is None else default
    return isinstance(sample, int) and not isinstance(sample, bool)


PLAN_KEYS = ("solve", "range", "direction", "targets", "step", "mechanisms", "budget", "population", "objectives")


def plan_group(cfg: dict) -> dict:
    """The ``plan`` group of ``cfg``, refused when it holds a key plans do not know."""
    raw = cfg.get("plan") or {}
    unknown = sorted(set(raw) - set(PLAN_KEYS))
    if unknown:
        raise ConfigError(f"plan.{unknown[0]}", raw[unknown[0]], "unknown; known: " + ", ".join(sorted(PLAN_KEYS)))
    return raw


def check_ends(where: str, given, key: str, integer: bool) -> tuple[float, float]:
    """A search range ``[low, high]`` for ``key``, finite, low < high, integers for an integer key."""
    if not isinstance(given, (list, tuple)) or len(given) != 2:
        raise ConfigError(where, given, "must be [low, high]")
    low, high = (check_real(where, v) for v in given)
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise ConfigError(where, list(given), "must be [low, high] with finite low < high")
    if integer and not (float(low).is_integer() and float(high).is_integer()):
        raise ConfigError(where, list(given), f"{key} is an integer: give integer ends")
    return low, high


def check_targets(raw: dict) -> tuple[Target, ...]:
    targets = raw.get("targets")
    if not isinstance(targets, (list, tuple)) or not targets:
        raise ConfigError("plan.targets", targets, "must be a non-empty list of targets")
    return tuple(check_target(i, t) for i, t in enumerate(targets))


def sample_of(flat: dict, key: str):
    """A key's value, or the first of its swept values."""
    value = flat[key]
    return value[0] if isinstance(value, (list, tuple)) and value else value


def check_plan(cfg: dict) -> Spec:
    """The ``plan`` group of ``cfg`` validated, or :class:`ConfigError` naming the key."""
    raw = plan_group(cfg)
    solve = raw.get("solve")
    flat = flatten(cfg)
    if solve is None:
        presets = sorted(p.stem for p in (CONF_DIR / "plan").glob("*.yaml") if p.stem != "none")
        raise ConfigError("plan.solve", None, "a plan names the key to solve for (plan.solve=n plan.range=[10,1000] "
                                              f"plan.targets=[…]), or is a preset: plan={' | '.join(presets)}")
    if not isinstance(solve, str) or solve not in flat:
        raise ConfigError("plan.solve", solve, "must name a numeric key of the config (epsilon, n, upper, trials, "
                                               "mechanism.bits, …); this config's: " + ", ".join(sorted(flat)))
    sample = sample_of(flat, solve)
    if isinstance(sample, bool) or not isinstance(sample, (int, float)):
        raise ConfigError("plan.solve", solve, f"is not numeric here ({solve}={flat[solve]!r})")
    integer = is_integer_key(cfg, solve, sample)
    low, high = check_ends("plan.range", raw.get("range"), solve, integer)
    direction = check_choice("plan.direction", raw.get("direction", "smallest"), DIRECTIONS)
    step = raw.get("step")
    if step is not None:
        step = check_int("plan.step", step) if integer else check_real("plan.step", step)
        if step <= 0 or step >= high - low:
            raise ConfigError("plan.step", step, f"must be > 0 and below the range's width {high - low:g}")
    return Spec(solve, low, high, direction, check_targets(raw), integer, step)


@dataclass
class Candidate:
    """One approach: a point of the grid, less the keys solved for."""

    point: dict
    label: str  # its swept values, e.g. "mechanism=laplace epsilon=1"
    columns: dict  # the same, as plan.csv's columns
    axes: list = field(default_factory=list)  # the keys swept to make the approaches (not solved for)
    curves: list = field(default_factory=list)  # every value evaluated: rows of plan_curves.csv


def candidates(cfg: dict, solved: dict) -> tuple[list[Candidate], list[str]]:
    """The approaches to compare: the grid of ``cfg`` with the keys solved for (``solved``:
    each at a value of its range) taken out of it; ``plan.mechanisms``, when given, replaces
    ``mechanism.kind``'s values."""
    chosen = (cfg.get("plan") or {}).get("mechanisms")
    grid = cfg
    for key, value in solved.items():
        grid = _set(grid, key, value)
    if chosen:
        grid = _set(grid, "mechanism.kind", list(chosen) if isinstance(chosen, (list, tuple)) else [chosen])
    points, axes = expand(grid)
    axes = [a for a in axes if a not in solved]
    out, seen = [], set()
    for point in points:
        columns = {"mechanism": point.get("mechanism.kind"),
                   **{a: point.get(a) for a in axes if a != "mechanism.kind"}}
        shown = ["mechanism.kind", *(a for a in axes if a != "mechanism.kind")]
        label = " ".join(f"{a.removesuffix('.kind')}={point[a]}" for a in shown if a in point)
        if label not in seen:  # points that differ only in keys their kind does not take are one
            seen.add(label)
            out.append(Candidate(point, label, columns, axes))
    return out, axes


def _set(cfg: dict, key: str, value) -> dict:
    """``cfg`` with ``key`` (dotted for a group's) set to ``value``."""
    if "." not in key:
        return {**cfg, key: value}
    group, leaf = key.split(".", 1)
    return {**cfg, group: {**(cfg.get(group) or {}), leaf: value}}


# -- evaluating one value ----------------------------------------------------------------

@dataclass(frozen=True)
class Reading:
    """A target's statistic at one value of the key: simulated (with its interval) or exact."""

    value: float
    ci_low: float
    ci_high: float
    strict_low: float  # the interval at level 1 − STRICT: what "misses" is judged on
    strict_high: float
    exact: bool


class Evaluator:
    """Each configuration simulated at most once (kept in memory and, given a store, in the
    run folder: a rerun reuses them), its closed forms read off a small batch."""

    def __init__(self, cfg: dict, spec, extra: list[str], store=None, say=None):
        # spec: a Spec, or a simprive.pareto.MultiSpec (several keys: values are mappings)
        self.cfg = cfg
        self.spec = spec
        self.extra = extra  # the summary's columns beyond the contract's (runner.extra_columns)
        self.store = store
        self.say = say or (lambda line: None)
        self._sims: dict[str, tuple[dict, list[dict]]] = {}
        self._probes: dict[str, tuple] = {}
        self.simulated = 0
        self.reused = 0
        self.rows: dict[str, list[dict]] = {}  # config hash → summary rows (for summary.csv)

    def assign(self, value) -> dict:
        """The keys a value sets: ``{solve: value}``, or a mapping of several keys as given."""
        return dict(value) if isinstance(value, dict) else {self.spec.solve: self.spec.cast(value)}

    def plan_at(self, c: Candidate, value) -> Plan:
        """The approach at ``value``; a solved mechanism key its kind does not take (another
        approach's ``mechanism.bits``) is left out, and the release ignores it."""
        keys = self.assign(value)
        kind = c.point.get("mechanism.kind")
        own = takes("mechanism", kind)
        foreign = {k for k in keys if own is not None and k.startswith("mechanism.")
                   and k.split(".", 1)[1] not in own | {"path"}}
        p = plan({**c.point, **{k: v for k, v in keys.items() if k not in foreign}})
        p.release.ignores.update(dict.fromkeys(foreign, f"{kind} does not take it"))
        return p

    def probe(self, c: Candidate, value) -> tuple[Plan, dict, dict]:
        """One small batch at ``value``: the plan, its per-trial metrics and expectations."""
        p = self.plan_at(c, value)
        if p.config_hash not in self._probes:
            rel = p.release
            small = replace(p, trials=PROBE_TRIALS)
            rngs = streams(p.seed, {**p.data_params, "trials": PROBE_TRIALS}, p.identity)
            data = rel.scenario.draw(rngs["data"], PROBE_TRIALS, rel.n, individual=rel.individual)
            self._probes[p.config_hash] = (p, *release_batch(small, data, rngs))
        return self._probes[p.config_hash]

    def reports(self, c: Candidate, value) -> set[str]:
        """The metrics the candidate reports at ``value`` (its release's and its attack's)."""
        p, metrics, _ = self.probe(c, value)
        return set(metrics) | set(getattr(p.attack, "METRICS", {}))

    def closed(self, c: Candidate, value) -> dict[Target, float | None]:
        """Each target's exact statistic at ``value``, where it has one (else None)."""
        p, metrics, expected = self.probe(c, value)
        rel = p.release
        law = rel.error_law() if hasattr(rel, "error_law") else None
        out: dict[Target, float | None] = {}
        for t in self.spec.measured:
            out[t] = None
            if t.metric not in metrics:
                continue
            e = expected.get(t.metric)
            kind = kind_of(t.metric, getattr(p.attack, "METRICS", {}))
            if t.stat == "mean" and e is not None and not isinstance(e, Bound) and kind != LOWER_BOUND:
                e = e.value if isinstance(e, (Rare, Spread)) else e
                e = np.broadcast_to(np.asarray(e, dtype=float), (PROBE_TRIALS,))
                if np.ptp(e) == 0:  # the same for any data: a closed form, not a conditional mean
                    out[t] = float(e[0])
            elif t.stat == "quantile" and law is not None and t.metric in ("error", "abs_error", "sq_error"):
                out[t] = quantile_of(law, t.metric, float(t.q))
        return out

    def simulated_at(self, c: Candidate, value) -> tuple[dict[Target, Reading | None], Plan]:
        """Each target's statistic simulated at ``value`` with the config's trials."""
        p = self.plan_at(c, value)
        h = p.config_hash
        if h not in self._sims:
            saved = self.store.load(self._key(p)) if self.store else None
            if saved is not None:
                self.reused += 1
                readings = {r["metric"]: r for r in saved if r.get("planner")}
                self.rows[h] = [r for r in saved if not r.get("planner")]
            else:
                where = " ".join(f"{k}={v}" for k, v in self.assign(value).items())
                self.say(f"{c.label}: simulating {where} ({p.trials:,} trials)")
                values, expected, checks = simulate(p)
                self.simulated += 1
                self.rows[h] = summary_rows(identity_row(self.cfg, p, self.extra), p, values, expected, checks)
                readings = {}
                for t in self.spec.measured:
                    if t.metric in values:
                        kind = kind_of(t.metric, getattr(p.attack, "METRICS", {}))
                        readings[t.label] = {"planner": True, "metric": t.label, "config_hash": h,
                                             **read(values[t.metric], t, kind)}
                if self.store:
                    self.store.save(self._key(p), [*self.rows[h], *readings.values()])
            self._sims[h] = (readings, self.rows[h])
        readings = self._sims[h][0]
        out = {}
        for t in self.spec.measured:
            r = readings.get(t.label)
            out[t] = None if r is None else Reading(r["value"], r["ci_low"], r["ci_high"], r["strict_low"],
                                                    r["strict_high"], False)
        return out, p

    def _key(self, p: Plan) -> dict:
        return {"planner": [t.label for t in self.spec.measured], "point": p.identity,
                "row": {"config_hash": p.config_hash}}


def quantile_of(law, metric: str, q: float) -> float:
    """The ``q`` quantile of one trial's ``error``, ``abs_error`` or ``sq_error`` when the
    error follows ``law`` (symmetric about 0: P(|E| ≤ x) = 2F(x) − 1)."""
    if metric == "error":
        return float(law.ppf(q))
    a = float(law.ppf((1 + q) / 2))
    return a if metric == "abs_error" else a * a


def read(values: np.ndarray, t: Target, kind: str) -> dict:
    """A target's statistic over trials with its interval at LEVEL and at 1 − STRICT: the
    mean (Clopper–Pearson for an indicator, Student's t otherwise) or the quantile (the
    distribution-free interval of order statistics)."""
    values = np.asarray(values, dtype=float)
    out = {}
    for name, level in (("ci", LEVEL), ("strict", 1 - STRICT)):
        if t.stat == "quantile":
            q = float(t.q)  # type: ignore[arg-type]  # a quantile target has q
            est = float(np.quantile(values, q))
            if np.ptp(values) == 0:
                lo = hi = est
            else:
                ci = stats.quantile_test(values, q=est, p=q).confidence_interval(level)
                lo, hi = float(ci.low), float(ci.high)
        else:
            est = float(values.mean())
            T = len(values)
            if kind == INDICATOR:
                ci = stats.binomtest(int(values.sum()), T).proportion_ci(level, method="exact")
                lo, hi = float(ci.low), float(ci.high)
            elif T > 1 and values.std() > 0:
                half = float(stats.t.ppf((1 + level) / 2, T - 1)) * values.std(ddof=1) / math.sqrt(T)
                lo, hi = est - half, est + half
            else:
                lo = hi = est
        out["value"] = est
        out[f"{name}_low"], out[f"{name}_high"] = lo, hi
    return out


def verdict(t: Target, r: Reading) -> str:
    """``meets``, ``misses`` (beyond sampling error) or ``within sampling error``."""
    if r.exact:
        return "meets" if t.holds(r.value) else "misses"
    if t.holds(r.strict_high if t.bound == "at_most" else r.strict_low):
        return "meets"
    if not t.holds(r.strict_low if t.bound == "at_most" else r.strict_high):
        return "misses"
    return "within sampling error"


# -- searching one target ----------------------------------------------------------------

@dataclass
class Solved:
    """One target's feasible set within the range: ``[lower, upper]`` (None: empty), how it
    was found, and why not when it was not."""

    target: Target
    route: str  # "closed form" | "simulation"
    lower: float | None
    upper: float | None
    status: str  # "solved", "always", "infeasible", "not monotone", "no metric"
    note: str = ""
    best: float | None = None  # infeasible: the scanned value nearest the target (simulated as evidence)


def scan_values(spec: Spec, count: int) -> list:
    lo, hi = spec.low, spec.high
    grid = np.geomspace(lo, hi, count) if lo > 0 and hi / lo >= 10 else np.linspace(lo, hi, count)
    return sorted({spec.cast(v) for v in grid} | {spec.cast(lo), spec.cast(hi)})


def monotone_break(readings: list[Reading]) -> tuple[int, int] | None:
    """The first pair of scanned values where the statistic turns against its overall trend
    (beyond sampling error), or None when it is monotone."""
    trend = np.sign(readings[-1].value - readings[0].value)
    if trend == 0:  # flat ends: any interior value away from them turns
        for i, r in enumerate(readings):
            if _apart(readings[0], r, 1) or _apart(r, readings[0], 1):
                return 0, i
        return None
    best = 0  # the index of the running extreme in the trend's direction
    for i in range(1, len(readings)):
        if _apart(readings[best], readings[i], trend):  # readings[i] is beyond sampling error behind it
            return best, i
        if (readings[i].value - readings[best].value) * trend > 0:
            best = i
    return None


def _apart(a: Reading, b: Reading, trend: float) -> bool:
    """Whether ``b`` lies behind ``a`` against the ``trend`` beyond sampling error."""
    if a.exact and b.exact:
        return (b.value - a.value) * trend < -1e-9 * max(1.0, abs(a.value), abs(b.value))
    if trend > 0:
        return b.strict_high < a.strict_low
    return b.strict_low > a.strict_high


def search(ev: Evaluator, c: Candidate, t: Target, route: str) -> Solved:
    """``t``'s feasible set for candidate ``c``: scan, check monotonicity, then solve between
    the scanned values where it starts or stops holding."""
    spec = ev.spec

    def at(value) -> Reading | None:
        if route == "closed form":
            v = ev.closed(c, value)[t]
            reading = None if v is None else Reading(v, v, v, v, v, True)
        else:
            reading = ev.simulated_at(c, value)[0][t]
        if reading is not None:
            c.curves.append({"target": t.label, spec.solve: spec.cast(value), "stat": reading.value,
                             "ci_low": reading.ci_low, "ci_high": reading.ci_high, "route": route})
        return reading

    values = scan_values(spec, CLOSED_SCAN if route == "closed form" else SCAN)
    ev.say(f"{c.label}: {t.label}: scanning {len(values)} values of {spec.solve} ({route})")
    scanned = [at(v) for v in values]
    if any(r is None for r in scanned):
        return Solved(t, route, None, None, "no metric", f"{c.label} does not report {t.metric}")
    readings = [r for r in scanned if r is not None]
    broke = monotone_break(readings)
    if broke:
        i, j = broke
        return Solved(t, route, None, None, "not monotone",
                      f"{t.metric} {_stat(t)} is not monotone in {spec.solve}: {readings[i].value:.4g} at "
                      f"{spec.solve}={values[i]}, {readings[j].value:.4g} at {values[j]} and the other way at the ends: "
                      f"bisection would rely on an order that does not hold; narrow plan.range")
    holds = [t.holds(r.value) for r in readings]
    why = ev.plan_at(c, spec.low).release.ignores.get(spec.solve)
    if why:  # the approach does not depend on the key: one value everywhere
        note = (f"mechanism={c.point.get('mechanism.kind')} ignores {spec.solve} ({why}): the {t.metric} {_stat(t)} "
                f"is {readings[0].value:.4g} whatever {spec.solve}")
        if holds[0]:
            return Solved(t, route, spec.cast(spec.low), spec.cast(spec.high), "always", note)
        return Solved(t, route, None, None, "infeasible", note, values[0])
    if all(holds):
        return Solved(t, route, spec.cast(spec.low), spec.cast(spec.high), "always")
    if not any(holds):
        best = min(range(len(values)), key=lambda i: abs(readings[i].value - t.limit))
        return Solved(t, route, None, None, "infeasible",
                      f"infeasible in [{spec.cast(spec.low)}, {spec.cast(spec.high)}]: at {spec.solve}={values[best]} "
                      f"the {t.metric} {_stat(t)} is {readings[best].value:.4g}", values[best])
    rising = holds[-1]  # holds from some value up (else: up to some value)
    i = holds.index(True) if rising else len(holds) - 1 - holds[::-1].index(True)
    fail, ok = (values[i - 1], values[i]) if rising else (values[i + 1], values[i])
    edge = refine(ev, at, t, route, fail, ok)
    return Solved(t, route, edge if rising else spec.cast(spec.low), spec.cast(spec.high) if rising else edge, "solved")


def refine(ev: Evaluator, at, t: Target, route: str, fail, ok):
    """The feasible value nearest the boundary between ``fail`` (target missed) and ``ok``
    (held): Brent's root of the closed form for a real key, else bisection (integers to 1,
    reals to ``plan.step`` or 1% of the value on simulations)."""
    spec = ev.spec
    if route == "closed form" and not spec.integer:
        root = optimize.brentq(lambda v: at(v).value - t.limit, min(fail, ok), max(fail, ok), xtol=1e-14, rtol=1e-13)
        # the root to machine precision; one ulp towards the feasible side if it misses there
        return root if t.holds(at(root).value) else float(np.nextafter(root, ok))
    while True:
        gap = abs(ok - fail)
        if spec.integer and gap <= 1 or not spec.integer and gap <= (spec.step or 0.01 * abs(ok)):
            return ok
        mid = spec.cast((fail + ok) / 2)
        if mid in (fail, ok):
            return ok
        if t.holds(at(mid).value):
            ok = mid
        else:
            fail = mid


def _stat(t: Target) -> str:
    return "mean" if t.stat == "mean" else f"{t.q:g} quantile"


# -- one candidate's answer ----------------------------------------------------------------

def route_of(ev: Evaluator, c: Candidate, t: Target) -> str:
    """``closed form`` when the target's statistic is exact at both ends of the range."""
    ends = (ev.closed(c, ev.spec.low)[t], ev.closed(c, ev.spec.high)[t])
    return "closed form" if all(v is not None for v in ends) else "simulation"


def _end(value: float | None) -> float:
    assert value is not None, "an empty feasible set has no end"
    return value


def combine(spec: Spec, solved: list[Solved]) -> tuple[float | None, Solved | None, str, float | None]:
    """The candidate's answer (None: infeasible), the target that binds, the status, and
    where to simulate when there is no answer (the evidence that there is none)."""
    for s in solved:
        if s.status in ("not monotone", "infeasible"):
            return None, s, s.status, s.best
    usable = [s for s in solved if s.status != "no metric"]
    if not usable:
        return None, None, "no metric", None
    low = max(usable, key=lambda s: _end(s.lower))
    high = min(usable, key=lambda s: _end(s.upper))
    assert low.lower is not None and high.upper is not None  # feasible sets, not empty
    if low.lower > high.upper:  # the targets pull apart: one needs more, another less
        binds = high if spec.direction == "smallest" else low
        binds.note = (f"no {spec.solve} meets both {low.target.label} (needs {spec.solve} ≥ {low.lower:.6g}) and "
                      f"{high.target.label} (needs {spec.solve} ≤ {high.upper:.6g})")
        # where the other target would put the answer, the binding one misses
        return None, binds, "conflict", low.lower if spec.direction == "smallest" else high.upper
    if spec.direction == "smallest":
        return low.lower, (low if low.lower > spec.cast(spec.low) else None), "solved", None
    return high.upper, (high if high.upper < spec.cast(spec.high) else None), "solved", None


def verify(ev: Evaluator, c: Candidate, answer, evidence=None) -> list[dict]:
    """Simulations at the answer and one step either side (inside the range), or, without an
    answer, at the value that shows there is none: each target's statistic with its
    interval, its closed form where it has one, and its verdict."""
    spec = ev.spec
    if answer is None:
        points = [] if evidence is None else [("no answer: evidence", evidence)]
    else:
        step = spec.step_at(answer)
        points = [("answer − step", answer - step), ("answer", answer), ("answer + step", answer + step)]
    rows = []
    for where, value in points:
        value = spec.cast(value)
        if not spec.cast(spec.low) <= value <= spec.cast(spec.high):
            continue
        readings, p = ev.simulated_at(c, value)
        closed = ev.closed(c, value)
        for t in spec.targets:
            r = readings[t]
            if r is None:
                continue
            rows.append({**c.columns, "target": t.label, "at": where, spec.solve: value, "stat": r.value,
                         "ci_low": r.ci_low, "ci_high": r.ci_high,
                         "expected": np.nan if closed[t] is None else closed[t], "verdict": verdict(t, r),
                         "config_hash": p.config_hash})
    return rows


def solve(cfg: dict, spec: Spec, ev: Evaluator) -> tuple[list[dict], list[dict], list[dict]]:
    """Every candidate solved and verified: plan.csv's rows (one per candidate × target),
    the verification rows and the curves (every value evaluated)."""
    found, axes = candidates(cfg, {spec.solve: spec.cast(spec.low)})
    plan_rows, checks, curves = [], [], []
    for c in found:
        solved = [search(ev, c, t, route_of(ev, c, t)) for t in spec.targets]
        answer, binding, status, evidence = combine(spec, solved)
        verified = verify(ev, c, answer, evidence)
        at_answer = {r["target"]: r for r in verified if r["at"] == "answer"}
        if any(r["verdict"] == "misses" for r in at_answer.values()):
            missed = next(r for r in at_answer.values() if r["verdict"] == "misses")
            status, answer = "refuted", None
            binding = next(s for s in solved if s.target.label == missed["target"])
            binding.note = (f"refuted: the simulation at {spec.solve}={missed[spec.solve]} gives {missed['stat']:.4g} "
                            f"[{missed['ci_low']:.4g}, {missed['ci_high']:.4g}]")
        cost = _cost(ev, c, answer)
        for s in solved:
            r = at_answer.get(s.target.label, {})
            plan_rows.append({
                **c.columns, "solve": spec.solve, "direction": spec.direction, "target": s.target.label,
                "metric": s.target.metric, "stat": s.target.stat, "q": np.nan if s.target.q is None else s.target.q,
                "bound": s.target.bound, "limit": s.target.limit, "route": s.route,
                "target_low": _cell(s.lower), "target_high": _cell(s.upper),
                "value": _cell(answer), "feasible": answer is not None, "status": status, "target_status": s.status,
                "binding": binding.target.label if binding else "plan.range",
                "binds": binding is s, "at_answer": r.get("stat", np.nan), "ci_low": r.get("ci_low", np.nan),
                "ci_high": r.get("ci_high", np.nan), "expected": r.get("expected", np.nan),
                "verdict": r.get("verdict", ""), "bytes": cost, "note": s.note,
            })
        checks += verified
        curves += [{**c.columns, **row} for row in c.curves]
    return plan_rows, checks, curves


def _cell(value):
    return np.nan if value is None else value


def _cost(ev: Evaluator, c: Candidate, answer) -> float:
    """Bytes sent at the answer, where the approach reports them (MPC's ledger)."""
    if answer is None:
        return np.nan
    p = ev.plan_at(c, answer)
    rows = ev.rows.get(p.config_hash, [])
    return next((float(r["value"]) for r in rows if r["metric"] == "bytes"), np.nan)


def sentence(spec: Spec, rows: list[dict], label: str) -> str:
    """One line per candidate: its answer and what binds, or why there is none."""
    first = rows[0]
    if first["feasible"]:
        binds = first["binding"]
        how = next(r for r in rows if r["binds"]) if any(r["binds"] for r in rows) else first
        said = f"{label}: {spec.direction} {spec.solve} = {first['value']:.6g}"
        said += f" ({binds} binds; {how['route']})" if binds != "plan.range" else " (the range's end: every target holds)"
        checks = ", ".join(f"{r['target']}: {r['at_answer']:.4g} [{r['ci_low']:.4g}, {r['ci_high']:.4g}] {r['verdict']}"
                           for r in rows)
        return f"{said}; simulated at the answer: {checks}"
    why = next((r for r in rows if r["binds"]), first)
    note = why["note"] or why["target"]
    return f"{label}: {note}" if note.startswith(first["status"]) else f"{label}: {first['status']}: {note}"


def say(line: str) -> None:
    print(f"simprive-plan: {line}", file=sys.stderr, flush=True)

