"""Progress on a terminal; silence everywhere else."""

from __future__ import annotations

import sys
import time


class Progress:
    """A one-line counter on stderr, shown only when stderr is a terminal."""

    def __init__(self, total: int, label: str, enabled: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total, self.label, self.done, self.start = total, label, 0, time.perf_counter()

    def step(self, detail: str = "") -> None:
        self.done += 1
        if self.enabled:
            elapsed = time.perf_counter() - self.start
            self.stream.write(f"\r{self.label}: {self.done}/{self.total} ({elapsed:.1f}s) {detail[:60]:<60}")
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()
