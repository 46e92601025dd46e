"""A stop request (Ctrl-C, SIGTERM) that cannot be lost.

A signal handler's exception can be swallowed when it fires inside a finaliser (Python then
prints "Exception ignored" and goes on); so the request is also remembered here, and the
loops that run long (configurations, an MPyC session) check it.
"""

from __future__ import annotations

__all__ = ["check", "install", "request"]

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


def install() -> None:
    """Ctrl-C and SIGTERM request a stop.  A request raised inside a finaliser is kept by the
    flag rather than reported: Python's "Exception ignored" note for it is not printed."""
    import signal
    import sys

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, request)
    default = sys.unraisablehook

    def hook(unraisable) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            default(unraisable)

    sys.unraisablehook = hook
