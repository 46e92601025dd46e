"""``mpc_noisy_sum``: MPC and DP together (simprive.mpc.noisy.noisy_sum) — each party adds
a share of the noise to its clamped input before the peer-to-peer sum, so only the noisy
total is ever reconstructed.  Pólya shares add up to discrete Laplace noise (pure ε-DP),
Gaussian shares to Gaussian noise ((ε, δ)-DP)."""

from __future__ import annotations

import numpy as np

from simprive import dp
from simprive.metrics import utility_metrics
from simprive.mpc.noisy import FRAC_BITS, noisy_sum
from simprive.releases.dp_mechanisms import clamped_expectations
from simprive.releases.protocol import ProtocolRelease, protocol
from simprive.releases.registry import PURE
from simprive.validation import ConfigError, check_choice, check_delta, check_epsilon

__all__ = ["NoisySum"]


@protocol("mpc_noisy_sum", ("sum",), ("numbers", "answers"), calibrated=True,
          ignores=lambda params: {} if params["noise"] == "gaussian" else {"delta": PURE})
class NoisySum(ProtocolRelease):
    sum_of_inputs = True
    clamps = True  # each party clamps its input to [lower, upper] first

    @property
    def randomiser(self):
        """The law of the total noise: the Pólya shares add up to one discrete Laplace
        (geometric) draw, the Gaussian shares to one normal draw."""
        if self.params["noise"] == "gaussian":
            return dp.Gaussian(epsilon=self.epsilon, delta=self.delta, sensitivity=self.sensitivity, analytic=True)
        return dp.Geometric(epsilon=self.epsilon, sensitivity=self.sensitivity)

    @property
    def noise_shares(self) -> str:
        """How the noise is split among the parties (each holds one share in its view)."""
        return self.params["noise"]

    @property
    def elements_per_trial(self) -> int:
        return self.n * self.n  # an n × n share table

    @classmethod
    def configure(cls, params, *, n, scenario, epsilon, delta, lower, upper):
        epsilon = check_epsilon(epsilon)
        check_choice("mechanism.noise", params["noise"], ("discrete_laplace", "gaussian"))
        if not (float(lower).is_integer() and float(upper).is_integer()):
            raise ConfigError("lower", lower, "mpc_noisy_sum needs integer lower and upper")
        return params, epsilon, check_delta(delta, positive=True) if params["noise"] == "gaussian" else 0.0

    def execute(self, data, rng):
        lo, hi = int(self.lower), int(self.upper)
        x = np.clip(data.numbers.astype(np.int64), lo, hi)
        sens = int(self.sensitivity)  # an integer: integer bounds under either neighbour relation
        run, _ = noisy_sum(x, self.epsilon, rng, noise=self.params["noise"], sensitivity=sens, delta=self.delta)
        metrics = utility_metrics(run.output, data.numbers.sum(axis=1))
        # one geometric or normal draw, plus, for Gaussian shares, each party's fixed-point
        # rounding (uniform, variance 2^-2f / 12): E|error| then has no closed form
        gaussian = self.params["noise"] == "gaussian"
        noise_var = self.randomiser.variance() + (self.n * 4.0**-FRAC_BITS / 12 if gaussian else 0.0)
        noise_abs = None if gaussian else self.randomiser.mean_abs_error()
        expected = clamped_expectations(self.scenario, self.n, lo, hi, self.query, noise_var, noise_abs)
        return run, metrics, expected

    def expected_cost(self):
        """The peer-to-peer sum's table, in 8-byte field elements."""
        msgs = 2 * self.n * (self.n - 1)
        return {"messages": msgs, "bytes": msgs * 8, "rounds": 2, "offline_bytes": 0}
