"""What a protocol run costs: bytes, messages and rounds per party, and a network model.

Convention (the same for every protocol, documented in the README's cost table):

* a **message** is one transmission from one party to another within a round; sending
  to k parties is k messages (no broadcast channel);
* **bytes** are payload only: elements × element size (8 bytes for Z_2^64 and 2^61−1),
  no headers, no encryption overhead;
* a **round** is one step of communication that must finish before the next can start;
  all messages of a round travel in parallel;
* preprocessing by a trusted dealer (Beaver triples, random bits) happens before the
  protocol; its bytes are counted apart, in ``offline_bytes``, and take no round;
* costs are per protocol execution (one trial): the protocol's message pattern does not
  depend on the inputs, so every trial costs the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["NETWORKS", "Ledger", "Network"]


@dataclass(frozen=True)
class Network:
    """One-way latency (s) and per-party bandwidth (bit/s)."""

    name: str
    latency: float
    bandwidth: float

    def seconds(self, ledger: Ledger) -> float:
        """Estimated wall time: every round pays the latency; the busiest party's traffic
        pays the bandwidth."""
        busiest = float(np.max(np.maximum(ledger.bytes_sent, ledger.bytes_received), initial=0))
        return ledger.rounds * self.latency + 8 * busiest / self.bandwidth


NETWORKS = {
    "lan": Network("lan", latency=0.25e-3, bandwidth=1e9),
    "wan": Network("wan", latency=40e-3, bandwidth=100e6),
}


@dataclass
class Ledger:
    """Per-party counters for one execution of a protocol among ``parties`` parties."""

    parties: int
    rounds: int = 0
    offline_bytes: int = 0
    # per party, set in __post_init__
    bytes_sent: np.ndarray = field(init=False)
    bytes_received: np.ndarray = field(init=False)
    messages_sent: np.ndarray = field(init=False)
    messages_received: np.ndarray = field(init=False)

    def __post_init__(self):
        for name in ("bytes_sent", "bytes_received", "messages_sent", "messages_received"):
            setattr(self, name, np.zeros(self.parties, dtype=np.int64))

    def send(self, src, dst, nbytes) -> None:
        """Record messages ``src[i] → dst[i]`` of ``nbytes[i]`` bytes (arrays broadcast)."""
        src, dst, nbytes = np.broadcast_arrays(np.asarray(src), np.asarray(dst), np.asarray(nbytes, np.int64))
        if np.any(src == dst):
            raise ValueError("a party does not send messages to itself")
        np.add.at(self.messages_sent, src.ravel(), 1)
        np.add.at(self.messages_received, dst.ravel(), 1)
        np.add.at(self.bytes_sent, src.ravel(), nbytes.ravel())
        np.add.at(self.bytes_received, dst.ravel(), nbytes.ravel())

    def all_to_all(self, parties, nbytes: int) -> None:
        """Every party in ``parties`` sends ``nbytes`` to every other one: each of the k
        parties sends and receives k − 1 messages, counted at once (not message by message,
        which would take k² of memory)."""
        parties = np.unique(np.asarray(parties))
        others = len(parties) - 1
        if others > 0:
            self.messages_sent[parties] += others
            self.messages_received[parties] += others
            self.bytes_sent[parties] += others * int(nbytes)
            self.bytes_received[parties] += others * int(nbytes)

    def round(self, k: int = 1) -> None:
        self.rounds += k

    def merge(self, other: Ledger, offset: int = 0) -> None:
        """Add another sub-protocol's costs, run after this one (its rounds follow ours)."""
        idx = np.arange(other.parties) + offset
        for name in ("bytes_sent", "bytes_received", "messages_sent", "messages_received"):
            np.add.at(getattr(self, name), idx, getattr(other, name))
        self.rounds += other.rounds
        self.offline_bytes += other.offline_bytes

    @property
    def messages(self) -> int:
        return int(self.messages_sent.sum())

    @property
    def total_bytes(self) -> int:
        return int(self.bytes_sent.sum())

    def summary(self) -> dict[str, float]:
        """The cost metrics a results row carries."""
        return {
            "messages": float(self.messages),
            "bytes": float(self.total_bytes),
            "rounds": float(self.rounds),
            "offline_bytes": float(self.offline_bytes),
            "max_party_bytes": float(np.max(np.maximum(self.bytes_sent, self.bytes_received), initial=0)),
            **{f"seconds_{k}": v.seconds(self) for k, v in NETWORKS.items()},
        }
