"""A stop request (Ctrl-C, SIGTERM) that cannot be lost, and processes that stop with the run.

A signal handler's exception can be swallowed when it fires inside a finaliser (Python then
prints "Exception ignored" and goes on); so the request is also remembered here, and the
loops that run long (configurations, an MPyC session) check it.  A run killed outright
(SIGKILL) runs no handler at all: the processes it started (MPyC's parties, a launcher's
workers) ask Linux to kill them when it dies (:func:`die_with_parent`).
"""

from __future__ import annotations

import os

__all__ = ["check", "die_with_parent", "install", "mark_main", "request", "worker_dies_with_main"]

MAIN_PID = "SIMPRIVE_MAIN_PID"  # the run's main process and its machine, for the workers it starts
MAIN_HOST = "SIMPRIVE_MAIN_HOST"

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


def die_with_parent(sig: int = 9) -> None:
    """Linux: this process gets ``sig`` (SIGKILL) when the process that started it dies,
    however it dies; elsewhere, nothing."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, sig)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def mark_main() -> None:
    """This process runs the command: the worker processes a launcher starts die with it."""
    import socket

    os.environ[MAIN_PID], os.environ[MAIN_HOST] = str(os.getpid()), socket.gethostname()


def worker_dies_with_main() -> bool:
    """In a process the run's main process started, directly (the joblib launcher's workers)
    or through others (submitit_local's jobs, a local Ray's workers): die with it, however it
    dies — a killed sweep's workers must not go on writing jobs.  False if it is already
    gone (the job must not run).  A job in the main process itself (the basic launcher) or on
    another machine (a cluster's) is left alone."""
    import socket

    main = os.environ.get(MAIN_PID, "")
    if (not main.isdigit() or int(main) == os.getpid() or os.environ.get(MAIN_HOST) != socket.gethostname()
            or not os.path.isdir("/proc/self")):  # processes are followed through Linux's /proc
        return True
    if not _alive(int(main)):
        return False
    if os.getppid() == int(main):
        die_with_parent()
        return os.getppid() == int(main)  # not if it died before the request was made
    if int(main) in _ancestors() and not _watching:
        _watch(int(main))
    return True


_watching = False


def _ancestors() -> list[int]:
    """This process's parent, its parent, … (Linux's /proc; elsewhere none)."""
    found, pid = [], os.getpid()
    while pid > 1:
        try:
            pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
        found.append(pid)
    return found


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (not exited, not a zombie waiting to be reaped)."""
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def _watch(main: int) -> None:
    """A thread that ends this process once ``main`` is gone: Linux's parent-death signal
    only follows the direct parent, and between them stand processes of the launcher's."""
    import threading
    import time

    global _watching
    _watching = True

    def watch() -> None:
        while _alive(main):
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="simprive-main-watch", daemon=True).start()
