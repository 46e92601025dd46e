"""``mpc_psi``: Diffie–Hellman private set intersection (simprive.mpc.psi.dh_psi) — party
0 learns which of its items party 1 holds (or, with ``cardinality_only``, how many)."""

from __future__ import annotations

from simprive.metrics import utility_metrics
from simprive.mpc.psi import dh_psi
from simprive.releases.protocol import ProtocolRelease, protocol

__all__ = ["PSI"]


@protocol("mpc_psi", ("intersection",), ("sets",))
class PSI(ProtocolRelease):
    parties_are_n = False  # two parties whatever n says

    @property
    def exposes_membership(self) -> bool:  # type: ignore[override]
        """Party 0 learns, item by item, whether party 1 holds it (``observed["in_set"]``)."""
        return not self.params["cardinality_only"]

    def execute(self, data, rng):
        x, y = data.values, data.other["set_y"]
        card = bool(self.params["cardinality_only"])
        run = dh_psi(x, y, rng, cardinality_only=card, element_bytes=self.params["element_bytes"])
        member = (x[:, :, None] == y[:, None, :]).any(axis=2)
        size = member.sum(axis=1)
        got = run.output if card else run.output.sum(axis=1)
        match = (got == size) if card else (run.output == member).all(axis=1)
        metrics = {"exact_match": match.astype(float), **utility_metrics(got, size)}
        expected = {"exact_match": 1.0, "truth": float(self.scenario.overlap)}
        if not card:
            metrics["element_accuracy"], expected["element_accuracy"] = (run.output == member).mean(axis=1), 1.0
        return run, metrics, expected

    def observed(self, run) -> dict:
        return {"in_set": run.output} if self.exposes_membership else {}

    def expected_cost(self):
        """Party 0 sends its k blinded items, party 1 returns them re-blinded with its own l
        items: two messages, (2k + l) group elements."""
        k, l, b = self.scenario.size_x, self.scenario.size_y, self.params["element_bytes"]
        return {"messages": 2, "rounds": 2, "bytes": (2 * k + l) * b, "offline_bytes": 0}
