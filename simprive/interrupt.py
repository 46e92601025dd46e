"""A stop request (Ctrl-C, SIGTERM) that cannot be lost.

A signal handler's exception can be swallowed when it fires inside a finaliser (Python then
prints "Exception ignored" and goes on); so the request is also remembered here, and the
loops that run long (configurations, an MPyC session) check it.
"""

from __future__ import annotations

__all__ = ["check", "request"]

_requested = False


def request(signum=None, frame=None) -> None:
    """Ask the run to stop (a signal handler): raises KeyboardInterrupt, and remembers it."""
    global _requested
    _requested = True
    raise KeyboardInterrupt


def check() -> None:
    """Raise KeyboardInterrupt if a stop was requested."""
    if _requested:
        raise KeyboardInterrupt
