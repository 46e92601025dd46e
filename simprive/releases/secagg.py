"""``secagg`` and ``secagg_plus``: secure aggregation as federated learning deploys it
(simprive.mpc.secagg), with distributed DP inside (simprive.dp.distributed).

Each client clips its input (a number to ``[lower, upper]``, a vector of ``scenario=vectors``
to L2 norm ``mechanism.l2_clip``), divides it by the step γ and rounds it at random to an
integer (unbiased), adds its share of integer noise, and sends it masked, mod 2^bits.  The
server learns the sum of the survivors' noisy vectors mod 2^bits, decoded back to ±2^(bits−1)
and times γ.  Its error is the rounding's, the noise's, and a wrap's where the noisy sum
leaves the modulus — each reported with its closed form.

The noise is calibrated to ε, δ and the clipped sum's sensitivity in the integer domain,
Δ2' = Δ2/γ + m√d (the rounding moves each coordinate by less than 1; m = 2 for replace
neighbours, 1 for add/remove, which remove a client and its rounding), over all n clients;
``epsilon_survivors`` is the ε the survivors' shares give, trial by trial.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from simprive.contracts import Outcome
from simprive.dp.distributed import KINDS as NOISES
from simprive.dp.distributed import DistributedNoise, survivor_average
from simprive.metrics import utility_metrics
from simprive.mpc.secagg import ROUNDS, check_protocol, neighbours, secure_aggregation, traffic
from simprive.releases.protocol import ProtocolRelease, log2_ceil, protocol
from simprive.releases.registry import PURE
from simprive.validation import ConfigError, check_bool, check_choice, check_delta, check_epsilon, check_int, check_real

__all__ = ["SecAgg", "SecAggPlus", "cost_closed_form", "modclip_stddevs"]

HEADROOM = 3.0  # noise standard deviations the automatic step leaves inside the modulus
MODCLIP_PROB = 1e-4  # TensorFlow Federated's default chance of a coordinate wrapping


def modclip_stddevs(prob: float = MODCLIP_PROB) -> float:
    """k with P(|N(0,1)| > k) = prob: TFF's headroom (≈ 3.89 at 1e-4)."""
    return float(math.sqrt(2) * special.erfcinv(prob))


def _ignores(params: dict) -> dict:
    if params["noise"] == "none":
        return dict.fromkeys(("epsilon", "delta", "neighbours"), "it adds no noise: the exact sum of the survivors")
    return {"delta": PURE} if params["noise"] == "polya" else {}


def cost_closed_form(n: int, k: int, *, dim: int, bits: int, key_bytes: int, share_bytes: int, rates) -> dict:
    """The expected bytes of a client that takes part in every round, and of the server, with
    each client dropping at round r with probability p_r, independently: q_r = 1 − p_r, a
    neighbour advertised keys with probability q0 and shared with q0·q1.  With no dropouts a
    client's bytes are 2(k+1)·a_K + (5k+1)·a_S + d·bits/8, the paper's 2n·a_K + (5n−4)·a_S + m·R
    at k = n − 1 (§7.1)."""
    q0, q1, q2, q3 = (1 - p for p in rates)
    masked = math.ceil(dim * bits / 8)
    keys, shares = k * q0, k * q0 * q1  # neighbours that advertised keys, that shared
    client = 2 * key_bytes * (1 + keys) + 2 * share_bytes * (keys + shares) + masked + share_bytes * (1 + shares)
    server = n * (q0 * 2 * key_bytes * (1 + keys) + q0 * q1 * 2 * share_bytes * (keys + shares)
                  + q0 * q1 * q2 * masked + q0 * q1 * q2 * q3 * share_bytes * (1 + shares))
    return {"client_bytes": client, "server_bytes": server}


@dataclass(frozen=True)
class _Plan:
    """What a configuration fixes before any work: the graph, the threshold, the modulus,
    the step, the integer-domain sensitivities and the calibrated noise."""

    k: int
    t: int
    bits: int
    gamma: float
    l1: float
    l2: float
    dim: int
    rates: tuple
    noise: DistributedNoise


@protocol("secagg", ("sum",), ("numbers", "answers", "vectors"), calibrated=True, ignores=_ignores)
@dataclass(frozen=True)
class SecAgg(ProtocolRelease):
    """Bonawitz et al.'s SecAgg: every client masks with every other (k = n − 1)."""

    sum_of_inputs = True
    clamps = True
    integer_inputs = False  # it quantises reals itself

    def __post_init__(self):
        self.plan  # every check, and the calibration, before any work  # noqa: B018

    @property
    def individual(self) -> bool:  # type: ignore[override]
        return bool(self.params["simulate"])

    @property
    def dim(self) -> int:
        return int(getattr(self.scenario, "dim", 1))

    def neighbours_of(self, n: int) -> int:
        return n - 1

    @functools.cached_property
    def plan(self) -> _Plan:
        p, n, d = self.params, self.n, self.dim
        k = self.neighbours_of(n)
        shares = n if k >= n - 1 else k + 1
        thr = p["threshold"]
        t = math.ceil(thr * shares) if isinstance(thr, float) and thr <= 1 else check_int("mechanism.threshold", thr,
                                                                                           minimum=1)
        bits = p["bits"] if p["bits"] is not None else p["input_bits"] + log2_ceil(n)
        rates = check_protocol(n, k, t, bits, p["dropout"])
        if bits < math.log2(n):
            raise ConfigError("mechanism.bits", bits, f"must be at least log2(n) = {math.log2(n):.3g}: "
                                                      f"the sum of n clients' ones wraps")
        noise_kind = p["noise"]
        if noise_kind != "none":
            kstd = modclip_stddevs()
            if 2.0 ** (2 * bits) < n * kstd**2:  # TFF's check: no room even for the noise
                raise ConfigError("mechanism.bits", bits, f"2^(2·bits) must be at least n·k² = {n * kstd**2:.4g} "
                                                          f"(k = {kstd:.3g} noise σ, TFF's headroom)")
        gamma, l1, l2, noise = self._calibrate(n, d, bits, noise_kind)
        return _Plan(k, t, bits, gamma, l1, l2, d, rates, noise)

    def _reach(self) -> float:
        """The largest |coordinate| a clipped input can have."""
        if self.scenario.inputs == "vectors":
            return float(self.params["l2_clip"])
        return max(abs(self.lower), abs(self.upper))

    def _sensitivity(self) -> float:
        """The L2 sensitivity of the clipped sum, before quantisation."""
        if self.scenario.inputs == "vectors":
            return (2.0 if self.neighbours == "replace" else 1.0) * self.params["l2_clip"]
        return float(self.sensitivity)

    def _calibrate(self, n: int, d: int, bits: int, noise_kind: str):
        """γ (given, or the step that fits n clipped inputs and HEADROOM noise σ in
        ±2^(bits−1), found by a fixed point since the noise grows as γ shrinks), the
        integer-domain sensitivities at γ, and the noise calibrated to them."""
        half, reach = 2.0 ** (bits - 1), self._reach()
        m = 2.0 if self.neighbours == "replace" else 1.0
        exact_integers = self.scenario.integer and d == 1

        def at(gamma):
            if exact_integers and gamma == 1.0:  # integers need no rounding: no inflation
                l2 = float(self._sensitivity())
            else:
                l2 = self._sensitivity() / gamma + m * math.sqrt(d)
            l1 = float(math.ceil(l2 * min(math.sqrt(d), l2)))
            if noise_kind == "none":
                return l1, l2, DistributedNoise(kind="none", n=n, scale=0.0, l1=l1, l2=l2, dim=d)
            return l1, l2, DistributedNoise.calibrate(noise_kind, n=n, epsilon=self.epsilon, delta=self.delta,
                                                      l1=l1, l2=l2, dim=d)

        gamma = self.params["gamma"]
        if gamma is not None:
            gamma = check_real("mechanism.gamma", gamma)
            if gamma <= 0:
                raise ConfigError("mechanism.gamma", gamma, "must be > 0")
        else:
            gamma = max(n * reach / half, 1e-300)
            for _ in range(4):
                if exact_integers and gamma <= 1.0:
                    gamma = 1.0
                    break
                l1, l2, noise = at(gamma)
                sigma = gamma * math.sqrt(n * noise.share_variance())
                gamma = (n * reach + HEADROOM * sigma) / half
        l1, l2, noise = at(gamma)
        return gamma, l1, l2, noise

    @property
    def elements_per_trial(self) -> int:
        if not self.params["simulate"]:
            return 1
        pl = self.plan
        m = self.n if pl.k >= self.n - 1 else pl.k + 1
        return self.n * (8 * m + 4 * pl.t + 8 * pl.dim) + 1024  # shares and coefficients, in four limbs

    @classmethod
    def configure(cls, params, *, n, scenario, epsilon, delta, lower, upper):
        check_choice("mechanism.noise", params["noise"], NOISES)
        params["simulate"] = check_bool("mechanism.simulate", params["simulate"])
        for key in ("input_bits", "key_bytes", "share_bytes"):
            params[key] = check_int(f"mechanism.{key}", params[key], minimum=1)
        if params["bits"] is not None:
            params["bits"] = check_int("mechanism.bits", params["bits"], minimum=1)
        if scenario.inputs == "vectors" and not check_real("mechanism.l2_clip", params["l2_clip"]) > 0:
            raise ConfigError("mechanism.l2_clip", params["l2_clip"], "must be > 0")
        thr = params["threshold"]
        if isinstance(thr, bool) or not isinstance(thr, (int, float)) or thr <= 0 or (isinstance(thr, float) and
                                                                                       thr > 1):
            raise ConfigError("mechanism.threshold", thr, "must be a fraction in (0, 1] of each secret's shares, "
                                                          "or an integer number of shares")
        if params["noise"] == "none":
            check_epsilon(epsilon), check_delta(delta)  # ignored, but a typo is still an error
            return params, math.nan, math.nan
        epsilon = check_epsilon(epsilon)
        delta = 0.0 if params["noise"] == "polya" else check_delta(delta, positive=True)
        return params, epsilon, delta

    # -- a run ---------------------------------------------------------------------------
    def run(self, data, rng):
        pl = self.plan
        if not self.params["simulate"]:
            metrics, expected = self._ledger_only(data.trials)
            return Outcome(metrics, expected, {})
        x = self._clipped(data)
        scaled = x / pl.gamma
        low = np.floor(scaled)
        frac = scaled - low
        q = (low + (rng.random(scaled.shape) < frac)).astype(np.int64)  # unbiased randomized rounding
        noise = pl.noise.shares(rng, q.shape)
        run = secure_aggregation(q + noise, rng, bits=pl.bits, k=pl.k, t=pl.t, dropout=self.params["dropout"],
                                 key_bytes=self.params["key_bytes"], share_bytes=self.params["share_bytes"])
        observed = {"secagg": run, "secagg_inputs": q + noise}  # what the attacks (simprive.attacks.aggregation) read
        return Outcome(*self._metrics(run, x, q, noise, frac), observed)

    def _clipped(self, data) -> np.ndarray:
        """``(T, n, d)`` clipped inputs."""
        if self.scenario.inputs == "vectors":
            v = np.asarray(data.values, float)
            norm = np.linalg.norm(v, axis=-1, keepdims=True)
            c = self.params["l2_clip"]
            return v * np.minimum(1.0, c / np.maximum(norm, 1e-300))
        return np.clip(np.asarray(data.numbers, float), self.lower, self.upper)[..., None]

    def _metrics(self, run, x, q, noise, frac):
        pl, n, d = self.plan, self.n, self.plan.dim
        u3 = run.alive[2]
        w = u3[..., None]
        survivors = u3.sum(axis=1)
        half = 1 << (pl.bits - 1)
        signed = run.output.astype(np.int64)
        signed = np.where(signed >= half, signed - (1 << pl.bits), signed)
        truth = (x * w).sum(axis=1)  # the survivors' clipped inputs
        q_sum, noise_sum = (q * w).sum(axis=1), (noise * w).sum(axis=1)
        exact = (q_sum + noise_sum) % (1 << pl.bits)
        ok = ~run.failed
        est = np.where(ok[:, None], pl.gamma * signed, np.nan)
        wrapped = np.any((q_sum + noise_sum >= half) | (q_sum + noise_sum < -half), axis=1)
        metrics = {
            "failed": run.failed.astype(float),
            "unmasked": (run.failed | np.all(run.output == exact, axis=1)).astype(float),
            "survivors": survivors.astype(float),
            "quant_sq_error": ((pl.gamma * q_sum - truth) ** 2).sum(axis=1),
            "noise_sq_error": ((pl.gamma * noise_sum) ** 2).sum(axis=1),
            "wrapped": wrapped.astype(float),
        }
        rate = float(np.prod([1 - r for r in pl.rates[:3]]))  # a client sends its masked input
        expected = {
            "unmasked": 1.0,
            "survivors": n * rate,
            "quant_sq_error": pl.gamma**2 * (frac * (1 - frac) * w).sum(axis=(1, 2)),
            "noise_sq_error": pl.gamma**2 * d * survivors * pl.noise.share_variance(),
            "wrapped": self._wrap_probability(q_sum, survivors),
        }
        if ok.all():
            sq = ((est - truth) ** 2).sum(axis=1)
            metrics["sq_error"] = sq
            expected["sq_error"] = expected["quant_sq_error"] + expected["noise_sq_error"]
            if d == 1:
                metrics.update({k: v for k, v in utility_metrics(est[:, 0], truth[:, 0]).items() if k != "sq_error"})
        expected["failed"] = self._failure_probability(rate)
        if pl.noise.kind != "none":
            eps = pl.noise.epsilon_for(survivors)
            metrics["epsilon_survivors"] = np.asarray(eps, float)
            expected["epsilon_survivors"] = self._expected_epsilon(rate)
        metrics.update(self._costs(run))
        expected.update(self._expected_costs())
        return metrics, expected

    def _wrap_probability(self, q_sum, survivors):
        """P(some coordinate of the noisy sum leaves ±2^(bits−1) | the rounded sum), where the
        survivors' noise has a law scipy knows: none (0 or 1) and Skellam (exact); None otherwise."""
        pl, half = self.plan, 2.0 ** (self.plan.bits - 1)
        if pl.noise.kind == "none":
            return np.any((q_sum >= half) | (q_sum < -half), axis=1).astype(float)
        if pl.noise.kind != "skellam":
            return None
        mu = np.broadcast_to((survivors * pl.noise.scale)[:, None], q_sum.shape)
        # coordinates further than 40σ + 40 from both edges wrap with probability below 1e-30:
        # scipy's Skellam cdf is slow there, and its answer is 1 to the last bit
        near = half - np.abs(q_sum) < 40 * np.sqrt(2 * mu) + 40
        inside = np.ones(q_sum.shape)
        if near.any():
            m, q = mu[near], q_sum[near]
            inside[near] = stats.skellam.cdf(half - 1 - q, m, m) - stats.skellam.cdf(-half - 1 - q, m, m)
        return 1.0 - np.prod(inside, axis=1)

    def _failure_probability(self, rate):
        """SecAgg fails exactly when fewer than t clients answer the unmasking round (every
        client holds a share of every secret): P(Bin(n, q0…q3) < t).  SecAgg+'s neighbourhoods
        overlap, so its failures have no closed form here (None)."""
        pl = self.plan
        if all(r == 0 for r in pl.rates):
            return 0.0
        if pl.k < self.n - 1:
            return None
        q = float(np.prod([1 - r for r in pl.rates]))
        return float(stats.binom.cdf(pl.t - 1, self.n, q))

    def _expected_epsilon(self, rate):
        """E[ε(survivors)] with survivors ~ Bin(n, q0·q1·q2) (:func:`survivor_average`)."""
        pl = self.plan
        if rate == 1.0:
            return float(pl.noise.epsilon_for(self.n))
        return survivor_average(pl.noise, self.n, rate)

    # -- what the auditor plays (simprive.attacks.audit) ------------------------------------
    discrete_output = True  # an integer sum times γ

    def play_world(self, world: int, size: int, rng) -> np.ndarray:
        """The auditor's worlds on real runs of the protocol: every client's rounded input 0,
        but client 0's first coordinate Δ = ⌊min(Δ1', Δ2')⌋ in world 1 (a neighbour within
        both integer-domain sensitivities); the server's output there, decoded."""
        pl = self.plan
        if self.plan.noise.kind == "none":
            raise ConfigError("mechanism.noise", "none", "the auditor plays noisy releases: choose dgauss, skellam "
                                                          "or polya")
        x = np.zeros((size, self.n, pl.dim), np.int64)
        x[:, 0, 0] = world * math.floor(min(pl.l1, pl.l2))
        run = secure_aggregation(x + pl.noise.shares(rng, x.shape), rng, bits=pl.bits, k=pl.k, t=pl.t,
                                 dropout=self.params["dropout"], key_bytes=self.params["key_bytes"],
                                 share_bytes=self.params["share_bytes"])
        out = run.output[:, 0].astype(np.int64)
        return np.where(out >= 1 << (pl.bits - 1), out - (1 << pl.bits), out).astype(float)

    def epsilon_bound(self) -> float:
        """The ε the noise is proven to give at the run's δ over every survivor count with
        a chance above 10⁻¹²: a mixture of (ε_s, δ) releases is (max ε_s, δ)-DP."""
        rate = float(np.prod([1 - r for r in self.plan.rates[:3]]))
        s = np.arange(1, self.n + 1)
        likely = s[stats.binom.pmf(s, self.n, rate) > 1e-12]
        return float(np.max(self.plan.noise.epsilon_for(likely)))

    def _costs(self, run) -> dict:
        """Bytes from the run's own messages: a client's are those of one that takes part in
        every round, given who else did (the mean over clients); the server's are every
        client's, which it relays."""
        pl, p = self.plan, self.params
        nbr = neighbours(self.n, pl.k)
        u1, u2 = run.alive[0], run.alive[1]
        sent, received = traffic((1, 1, 1, 1), u1[:, nbr].sum(axis=2), u2[:, nbr].sum(axis=2), dim=pl.dim,
                                 bits=pl.bits, key_bytes=p["key_bytes"], share_bytes=p["share_bytes"])
        client = (sent + received).mean(axis=1).astype(float)
        server = (run.sent + run.received).sum(axis=1).astype(float)
        return {"client_bytes": client, "server_bytes": server, "expansion": client / self._plain_bytes(),
                "bytes": 2 * server, "rounds": np.full(len(client), float(len(ROUNDS)))}

    def _plain_bytes(self) -> float:
        return self.plan.dim * self.params["input_bits"] / 8

    def _expected_costs(self) -> dict:
        pl, p = self.plan, self.params
        cost = cost_closed_form(self.n, pl.k, dim=pl.dim, bits=pl.bits, key_bytes=p["key_bytes"],
                                share_bytes=p["share_bytes"], rates=pl.rates)
        return {**cost, "expansion": cost["client_bytes"] / self._plain_bytes(), "bytes": 2 * cost["server_bytes"],
                "rounds": float(len(ROUNDS))}

    def _ledger_only(self, trials: int):
        """The ledger priced without a run: :func:`~simprive.mpc.secagg.traffic` fed each
        round's survival probabilities and expected neighbour counts (it is linear in each,
        and they are independent, so this is the expected traffic), next to the closed form."""
        pl, p = self.plan, self.params
        q = [1 - r for r in pl.rates]
        alive = tuple(float(np.prod(q[: r + 1])) for r in range(len(ROUNDS)))
        keys_from, shares_from = pl.k * q[0], pl.k * q[0] * q[1]
        one = traffic((1, 1, 1, 1), keys_from, shares_from, dim=pl.dim, bits=pl.bits, key_bytes=p["key_bytes"],
                      share_bytes=p["share_bytes"])
        sent, received = traffic(alive, keys_from, shares_from, dim=pl.dim, bits=pl.bits, key_bytes=p["key_bytes"],
                                 share_bytes=p["share_bytes"])
        client, server = float(sum(one)), float(self.n * (sent + received))
        values = {"client_bytes": client, "server_bytes": server, "expansion": client / self._plain_bytes(),
                  "bytes": 2 * server, "rounds": float(len(ROUNDS))}
        return {k: np.full(trials, v) for k, v in values.items()}, self._expected_costs()


@protocol("secagg_plus", ("sum",), ("numbers", "answers", "vectors"), calibrated=True, ignores=_ignores)
class SecAggPlus(SecAgg):
    """Bell et al.'s SecAgg+: each client masks with, and shares its secrets among, its k
    ring neighbours (``mechanism.neighbours``; null: the smallest even k ≥ 2·log2 n)."""

    def neighbours_of(self, n: int) -> int:
        k = self.params["neighbours"]
        if k is None:
            k = 2 * math.ceil(math.log2(n)) if n > 1 else 0
            k += k % 2
        k = check_int("mechanism.neighbours", k, minimum=2)
        return n - 1 if k >= n - 1 else k
