"""Progress of a long run: a line updated in place on a terminal; elsewhere (a log, CI, a
pipe) a plain line every few seconds, so a long run is never silent."""

from __future__ import annotations

import sys
import time

EVERY = 5.0  # seconds between lines when not on a terminal


class Progress:
    """A counter of configurations on stderr, with elapsed time and an estimate of what is
    left.  ``enabled``: None shows it in place on a terminal and as periodic lines elsewhere;
    True forces in-place; False silences it."""

    def __init__(self, total: int, label: str, enabled: bool | None = None, stream=None, clock=time.perf_counter):
        self.stream = stream or sys.stderr
        self.inline = self.stream.isatty() if enabled is None else enabled
        self.periodic = enabled is None and not self.inline
        self.total, self.label, self.done, self.clock = total, label, 0, clock
        self.start = self.last = clock()

    def line(self, detail: str) -> str:
        elapsed = self.clock() - self.start
        left = elapsed / self.done * (self.total - self.done) if self.done else float("nan")
        eta = f", ~{left:.0f}s left" if self.done < self.total else ""
        return f"{self.label}: {self.done}/{self.total} configurations, {elapsed:.1f}s{eta} {detail[:60]}"

    def step(self, detail: str = "") -> None:
        self.done += 1
        now = self.clock()
        if self.inline:
            self.stream.write("\r" + f"{self.line(detail):<110}")
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()
        elif self.periodic and (now - self.last >= EVERY or self.done == self.total and now - self.start >= EVERY):
            self.last = now
            self.stream.write(self.line(detail).rstrip() + "\n")
            self.stream.flush()


def counted(items, total: int, label: str, what: str, many: int = 100):
    """``items``, with progress lines while they are checked, when there are ``many`` or more:
    first a line saying what they are (e.g. "a sweep of 9,999 jobs"), then the counter, so
    the wait before the first result is never silent."""
    if total < many:
        yield from items
        return
    print(f"simprive: {what}: checking each before any starts", file=sys.stderr, flush=True)
    bar = Progress(total, label)
    for item in items:
        yield item
        bar.step()
