"""Run the same computations as the simulator on the real MPyC runtime, with measured bytes.

MPyC (https://github.com/lschoe/mpyc, PyPI ``mpyc``) is a pure-Python framework for
secure multiparty computation: every party is an operating-system process running the
same script, parties talk over TCP, and secret values are secure integers
(``mpc.SecInt(l)``) manipulated with ordinary Python operators, which MPyC turns into
protocol messages on an asyncio event loop.

Threat model, MPyC defaults (we change none of them): Shamir secret sharing over a prime
field, threshold ``t = (m - 1) // 2`` (``-T`` overrides, ``0 <= t < m/2``), hence an honest
majority; passive (semi-honest) security only -- a party that deviates from the protocol
is not detected; pseudorandom secret sharing (PRSS, keys exchanged when connections are
made; ``--no-prss`` replaces it with interactive sharing); plain TCP without SSL
(``--ssl`` would need certificates in ``.config/``).  Comparisons (``x < y``) are
statistically secure with security parameter ``k = 30`` (``-K``).  With ``m = 1`` nothing
is sent.

:func:`run_mpyc` starts the m parties as separate local processes over loopback
(``127.0.0.1``, fresh ports per call), each running
:mod:`simprive.mpc.mpyc_programs.program` on its own column of a ``(T, m)`` input array, all
T trials in one MPyC session, and returns the outputs (which must match
:func:`plaintext` exactly) with each party's byte count.

Byte counts are MPyC's own report, logged by every party at shutdown as
``Stop MPyC -- elapsed time: H:MM:SS.fff|bytes sent: N``: the bytes that party wrote to
all peers in protocol messages (payload plus a 12-byte header per message), excluding
the connection handshake (party id and PRSS keys), the final shutdown barrier and
TCP/IP overhead.  ``bytes_matrix`` splits them per destination, from the same counters
read just before shutdown.  MPyC reports no round count.  The elapsed time MPyC logs
runs from "all parties connected" to shutdown; ``seconds`` is our wall time including
process start-up (roughly 0.5–1 s per call).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from simprive import interrupt
from simprive.mpc.mpyc_programs import PROGRAM

__all__ = ["FUNCTIONS", "MPyCResult", "plaintext", "run_mpyc"]

FUNCTIONS = ("sum", "tally", "threshold", "max", "second_price")

STOP_LINE = re.compile(
    r"Stop MPyC -- elapsed time: (?:(\d+) days?, )?(\d+):(\d+):(\d+(?:\.\d*)?)\|bytes sent: (\d+)")

# flags the bridge sets itself
_RESERVED = {"-M", "-I", "--index", "-P", "-C", "--config", "-B", "--base-port",
             "--output-windows", "--output-file", "-V", "--VERSION", "-H", "--HELP", "-h", "--help"}
_PORT_RANGE = (10_000, 32_000)  # below Linux's ephemeral range (32768-60999)
_PORT_ATTEMPTS = 3


@dataclass(frozen=True, eq=False)
class MPyCResult:
    """Outputs and costs of one MPyC session (all T trials).

    ``outputs``: ``(T,)`` for sum/threshold, ``(T, k)`` for tally, ``(T, 2)`` as
    (max, argmax) for max and (winner, second-highest bid) for second_price.
    ``bytes_sent``: per party, from MPyC's shutdown log line.  ``seconds``: wall time of
    the whole call (process start-up included).  ``mpyc_seconds``: MPyC's own elapsed time
    per party (connected → shutdown).  ``bytes_matrix[i, j]``: bytes party i sent to j.
    """

    outputs: np.ndarray
    bytes_sent: list[int]
    seconds: float
    parties: int
    version: str
    function: str = ""
    trials: int = 0
    mpyc_seconds: list[float] = field(default_factory=list)
    bytes_matrix: np.ndarray | None = None
    command: list[str] = field(default_factory=list)  # party 0's command line

    @property
    def total_bytes(self) -> int:
        return int(sum(self.bytes_sent))


def _as_inputs(inputs) -> np.ndarray:
    x = np.asarray(inputs)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"inputs must be a non-empty (trials, parties) array, got shape {x.shape}")
    if x.dtype.kind not in "biu":
        raise TypeError(f"inputs must be integers, got dtype {x.dtype}")
    return x.astype(np.int64)


def _tally_k(options: dict | None) -> int:
    k = (options or {}).get("k")
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError("tally needs options={'k': number of options >= 1}")
    return int(k)


def _check(function: str, x: np.ndarray, options: dict | None) -> None:
    if function not in FUNCTIONS:
        raise ValueError(f"function must be one of {FUNCTIONS}, got {function!r}")
    if function == "tally":
        k = _tally_k(options)
        if np.any((x < 0) | (x >= k)):
            raise ValueError(f"tally inputs must be option indexes 0..{k - 1}")
    if function == "threshold" and np.any((x != 0) & (x != 1)):
        raise ValueError("threshold inputs must be 0/1 votes")
    if function == "second_price" and x.shape[1] < 2:
        raise ValueError("second_price needs at least 2 parties")


def plaintext(function: str, inputs, options: dict | None = None) -> np.ndarray:
    """What :func:`run_mpyc` must output, computed in the clear (same shapes, ties → first index)."""
    x = _as_inputs(inputs)
    _check(function, x, options)
    T, m = x.shape
    if function == "sum":
        return x.sum(axis=1)
    if function == "tally":
        return (x[:, :, None] == np.arange(_tally_k(options))).sum(axis=1)
    if function == "threshold":
        return (2 * x.sum(axis=1) >= m).astype(np.int64)
    winner = x.argmax(axis=1)
    if function == "max":
        return np.stack([x.max(axis=1), winner], axis=1)
    return np.stack([winner, np.sort(x, axis=1)[:, -2]], axis=1)


def _bit_length(x: np.ndarray) -> int:
    """Secure-integer size holding every input, the sum of m and the difference of two."""
    return max(32, (int(np.abs(x).max()) * max(x.shape[1], 2)).bit_length() + 2)


def _free_base_port(m: int) -> int:
    """A base b with ports b..b+m-1 bindable on 127.0.0.1 right now (racy, hence retries)."""
    rng = random.SystemRandom()
    for _ in range(200):
        base = rng.randrange(_PORT_RANGE[0], _PORT_RANGE[1] - m)
        socks = []
        try:
            for port in range(base, base + m):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no {m} consecutive free ports on 127.0.0.1")


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


def _stop_line(text: str) -> tuple[float, int] | None:
    found = STOP_LINE.findall(text)
    if not found:
        return None
    days, h, mnt, s, nbytes = found[-1]
    return int(days or 0) * 86400 + int(h) * 3600 + int(mnt) * 60 + float(s), int(nbytes)


# a watchman for a session's work folder: removes it once the process that started it closes
# its end of the watchman's stdin, or dies (the pipe closes either way).  It leaves the run's
# process tree (a second fork, a session of its own): a launcher that stops a worker by
# killing its whole tree with SIGKILL, as joblib's loky does, would kill it before it could act.
_GUARD = """
import os, shutil, sys, time
if os.fork():
    os._exit(0)
os.setsid()
print("ready", flush=True)
sys.stdin.buffer.read()
for _ in range(200):  # parties killed with the run may write for a moment after it died
    shutil.rmtree(sys.argv[1], ignore_errors=True)
    if not os.path.exists(sys.argv[1]):
        break
    time.sleep(0.05)
"""


@contextlib.contextmanager
def _workdir():
    """A fresh work folder for one session, removed at the end; a watchman removes it if this
    process dies.  The watchman starts before the folder exists and stops after it is gone,
    so no moment of the folder's life is unwatched."""
    folder = Path(tempfile.gettempdir()) / f"simprive_mpyc_{os.getpid()}_{os.urandom(4).hex()}"
    guard = _guard(str(folder))
    try:
        folder.mkdir()
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        guard.close()  # the watchman finds nothing left to remove, and ends


def _guard(folder: str):
    """Start the watchman of ``folder`` and wait until it listens: the write end of its stdin,
    which this process alone holds, is returned (close it to end the watchman)."""
    guard = subprocess.Popen([sys.executable, "-I", "-S", "-c", _GUARD, folder], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert guard.stdin is not None and guard.stdout is not None
    guard.stdout.readline()  # from the watchman itself, once its first process has forked it and exited
    guard.stdout.close()
    guard.wait()
    return guard.stdin


def _sweep_stale_workdirs() -> None:
    """Remove the work folders of runs that were killed before they could (named by pid)."""
    for folder in Path(tempfile.gettempdir()).glob("simprive_mpyc_*"):
        pid = folder.name.split("_")[2] if folder.name.count("_") >= 3 else ""
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                shutil.rmtree(folder, ignore_errors=True)
            except PermissionError:
                pass


def _kill(procs) -> None:
    for p in procs:
        if p.poll() is None:
            p.kill()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass


def _launch(cmds, workdir: Path, attempt: int, deadline: float):
    """Start one process per party; wait for all.  Returns None on success, else
    (party, exit code, retry-able?) of the first failure; raises on timeout."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs, files = [], []
    try:
        for i in reversed(range(len(cmds))):  # listeners (parties > 0) first
            out = open(workdir / f"party{i}.{attempt}.out", "w")
            err = open(workdir / f"party{i}.{attempt}.err", "w")
            files += [out, err]
            procs.append((i, subprocess.Popen(cmds[i], stdout=out, stderr=err, cwd=workdir, env=env,
                                              stdin=subprocess.DEVNULL, preexec_fn=interrupt.die_with_parent)))
        procs.sort()
        while True:
            codes = [p.poll() for _, p in procs]
            bad = [(i, c) for i, c in enumerate(codes) if c not in (None, 0)]
            if bad:
                i, code = bad[0]
                text = (workdir / f"party{i}.{attempt}.err").read_text(errors="replace").lower()
                in_use = "address already in use" in text or "errno 98" in text
                return i, code, in_use
            if all(c == 0 for c in codes):
                return None
            if time.monotonic() > deadline:
                raise TimeoutError
            interrupt.check()
            time.sleep(0.01)
    finally:
        _kill([p for _, p in procs])
        for f in files:
            f.close()


def run_mpyc(function: str, inputs, *, options: dict | None = None, timeout: float = 120,
             mpyc_args: tuple[str, ...] | list[str] = (), parties: int | None = None) -> MPyCResult:
    """Run ``function`` on MPyC with T = ``inputs.shape[0]`` trials of n = ``inputs.shape[1]``
    inputs, held by ``parties`` local processes (default n: one input each; otherwise n
    must be a multiple of ``parties`` and process i holds the i-th block of n/parties).

    ``inputs[t, i]`` is input i's private value in trial t (for ``tally`` an option index,
    with ``options={"k": k}``; for ``threshold`` a 0/1 vote).  ``mpyc_args``: extra MPyC
    flags, e.g. ``("--no-prss",)`` or ``("-T", "0")``; the bridge sets ``-M/-I/-P`` itself.
    Raises RuntimeError (with the failing party's output tail) if a party fails or the
    session exceeds ``timeout`` seconds.
    """
    x = _as_inputs(inputs)
    _check(function, x, options)
    reserved = _RESERVED.intersection(mpyc_args)
    if reserved:
        raise ValueError(f"mpyc_args may not contain {sorted(reserved)}: the bridge sets them")
    T, n = x.shape
    m = parties or n
    if m < 1 or n % m:
        raise ValueError(f"{n} inputs cannot be split evenly among {m} parties")
    started = time.monotonic()
    deadline = started + timeout
    _sweep_stale_workdirs()
    with _workdir() as workdir:
        blocks = x.reshape(T, m, n // m).transpose(1, 0, 2)  # party, trial, own inputs
        spec = {"inputs": blocks.tolist(), "trials": T, "per_party": n // m, "bit_length": _bit_length(x)}
        own = ["--function", function, "--inputs-file", str(workdir / "inputs.json"),
               "--result-file", str(workdir / "result_{pid}.json")]
        if function == "tally":
            spec["k"] = _tally_k(options)
            own += ["--options", str(spec["k"])]
        (workdir / "inputs.json").write_text(json.dumps(spec))
        base = [sys.executable, str(PROGRAM), *own]
        log = ["--log-level", "info", *mpyc_args]

        for attempt in range(_PORT_ATTEMPTS):
            if m == 1:
                cmds = [base + ["-M", "1", *log]]
            else:
                port = _free_base_port(m)
                peers = [a for j in range(m) for a in ("-P", f"127.0.0.1:{port + j}")]
                cmds = [base + peers + ["-I", str(i), *log] for i in range(m)]
            try:
                failure = _launch(cmds, workdir, attempt, deadline)
            except TimeoutError:
                tails = "\n".join(f"--- party {i} ---\n{_tail(workdir / f'party{i}.{attempt}.out', 8)}\n"
                                  f"{_tail(workdir / f'party{i}.{attempt}.err', 8)}" for i in range(m))
                raise RuntimeError(f"MPyC {function} with {m} parties timed out after {timeout:g} s\n"
                                   f"{tails}") from None
            if failure is None:
                break
            party, code, port_clash = failure
            if not (port_clash and attempt + 1 < _PORT_ATTEMPTS):
                raise RuntimeError(
                    f"MPyC party {party} of {m} exited with code {code} running {function}\n"
                    f"command: {' '.join(cmds[party])}\n"
                    f"--- stderr tail ---\n{_tail(workdir / f'party{party}.{attempt}.err')}\n"
                    f"--- stdout tail ---\n{_tail(workdir / f'party{party}.{attempt}.out', 8)}")

        results, bytes_sent, elapsed = [], [], []
        for i in range(m):
            path = workdir / f"result_{i}.json"
            if not path.exists():
                raise RuntimeError(f"MPyC party {i} exited cleanly but wrote no result\n"
                                   f"{_tail(workdir / f'party{i}.{attempt}.out')}")
            results.append(json.loads(path.read_text()))
            stop = _stop_line((workdir / f"party{i}.{attempt}.out").read_text(errors="replace"))
            if stop is None:  # logging disabled via mpyc_args: fall back to the counters
                elapsed.append(float("nan"))
                bytes_sent.append(int(sum(results[i]["bytes_sent_to"] or [0])))
            else:
                elapsed.append(stop[0])
                bytes_sent.append(stop[1])
        seconds = time.monotonic() - started

    if any(r["outputs"] != results[0]["outputs"] for r in results):
        raise RuntimeError(f"MPyC parties disagree on the outputs of {function}")
    try:
        outputs = np.asarray(results[0]["outputs"], dtype=np.int64)
    except OverflowError:  # pragma: no cover  (outputs beyond int64)
        outputs = np.asarray(results[0]["outputs"], dtype=object)
    matrix = None
    if all(r["bytes_sent_to"] is not None for r in results):
        matrix = np.asarray([r["bytes_sent_to"] for r in results], dtype=np.int64)
    version = results[0].get("mpyc_version") or metadata.version("mpyc")
    return MPyCResult(outputs=outputs, bytes_sent=bytes_sent, seconds=seconds, parties=m,
                      version=version, function=function, trials=T, mpyc_seconds=elapsed,
                      bytes_matrix=matrix, command=cmds[0])
