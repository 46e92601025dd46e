"""``mpc_inference``: a linear (or logistic) model scored on secret-shared fixed-point
features (simprive.mpc.inference.linear_score)."""

from __future__ import annotations

import math

import numpy as np

from simprive.metrics import utility_metrics
from simprive.mpc.inference import linear_score, plaintext_score
from simprive.releases.protocol import ProtocolRelease, protocol
from simprive.validation import ConfigError, check_int

MAX_FRAC_BITS = 21

__all__ = ["Inference"]


@protocol("mpc_inference", ("linear_score",), ("features",))
class Inference(ProtocolRelease):
    integer_inputs = False  # real features, encoded in fixed point
    parties_are_n = False  # a client and a model owner

    @classmethod
    def configure(cls, params, *, n, scenario, epsilon, delta, lower, upper):
        params, _, _ = super().configure(params, n=n, scenario=scenario, epsilon=epsilon, delta=delta, lower=lower,
                                         upper=upper)
        # products carry 2f fractional bits in a 64-bit ring that keeps 2^43 of headroom:
        # beyond f = 21 no score but 0 fits
        params["frac_bits"] = check_int("mechanism.frac_bits", params["frac_bits"], minimum=1)
        if params["frac_bits"] > MAX_FRAC_BITS:
            raise ConfigError("mechanism.frac_bits", params["frac_bits"],
                              f"must be in [1, {MAX_FRAC_BITS}]: products at 2f fractional bits must fit the "
                              "64-bit ring")
        return params, math.nan, math.nan

    def execute(self, data, rng):
        x, w, b = data.values, data.other["weights"], data.other["bias"]
        f = self.params["frac_bits"]
        try:
            run = linear_score(x, w, b, rng, f=f, logistic=bool(self.params["logistic"]))
        except ConfigError as exc:  # the scores outgrow the ring at this many fractional bits
            raise ConfigError("mechanism.frac_bits", f, f"{exc.key}={exc.value!r}: {exc.allowed}; lower frac_bits") from None
        fixed = plaintext_score(x, w, b, f)
        score = np.log(run.output / (1 - run.output)) if self.params["logistic"] else run.output
        # exact up to the one unit in the last place that local truncation may cost
        match = np.abs(score - fixed) <= 2.0**-f * (1 + 1e-9)
        truth = np.einsum("ij,ij->i", x, w) + b
        metrics = {"exact_match": match.astype(float), **utility_metrics(score, truth)}
        return run, metrics, {"exact_match": 1.0}

    def expected_cost(self):
        """Five messages in three rounds: 48 bytes per feature and 8 for the bias."""
        return {"messages": 5, "rounds": 3, "bytes": 48 * self.scenario.dimension + 8}
