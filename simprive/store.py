"""What a run keeps in its folder (``.simprive/``) so that it can be resumed and is never
written by two runs at once.

* **Finished configurations.**  Each configuration's summary rows are saved as soon as it is
  simulated, under a key that hashes everything that decides them: the configuration's
  identity (its parameters and seed) and the versions of simprive and numpy.  Rerunning the
  same command into the same folder reuses those rows and simulates only the rest; the
  combined ``summary.csv`` is byte-identical to an uninterrupted run's.  An entry carries its
  key, its identity and a checksum, and is used only if all three hold (:class:`Store`).
  The folder is read as data, never executed: entries are JSON (no pickle, no eval).
* **A lock.**  The run writing the folder holds an exclusive ``flock`` on ``lock`` (which
  names its pid); a second run is refused at once, before it writes anything, and the
  kernel drops a dead run's lock with its process.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from simprive import version
from simprive.files import write_atomic
from simprive.identity import config_hash
from simprive.validation import ConfigError

__all__ = ["Busy", "Store", "acquire", "check_free", "hold", "release"]


class Busy(ConfigError):
    """The folder is another live run's."""


def _number(value):
    return value.item() if isinstance(value, np.generic) else str(value)


def _text(obj) -> str:
    """Canonical JSON (NaN as NaN, numpy scalars as numbers): what the checks compare."""
    return json.dumps(obj, sort_keys=True, default=_number)


class Store:
    """Finished configurations' rows, one JSON file each, which checks itself: an entry holds
    its own key, the identity it was computed for and a SHA-256 of both with its rows, and
    every row names that configuration.  An entry that fails any check (torn, edited, another
    configuration's file, not JSON at all) is not used: the configuration is computed again,
    and :attr:`rejected` says which entries and why."""

    def __init__(self, out_dir):
        self.folder = Path(out_dir) / ".simprive" / "configs"
        self.rejected: list[str] = []  # "<file>: <why>", for the run's one line

    @staticmethod
    def key(identity: dict) -> str:
        return config_hash({"identity": identity, "simprive": version.__version__, "numpy": np.__version__})[:24]

    @staticmethod
    def _checksum(key: str, identity, rows) -> str:
        return hashlib.sha256(_text({"key": key, "identity": identity, "rows": rows}).encode()).hexdigest()

    def load(self, identity: dict) -> list[dict] | None:
        """The rows saved for ``identity``, or None when there are none that pass the checks."""
        key = self.key(identity)
        path = self.folder / f"{key}.json"
        if not path.exists():
            return None
        try:
            entry = json.loads(path.read_bytes().decode("utf-8"))
            why = self._problem(entry, key, identity)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:  # a directory, a torn or binary file
            why = f"unreadable ({type(err).__name__})"
        if why:
            self.rejected.append(f"{path.name}: {why}")
            return None
        return entry["rows"]

    def _problem(self, entry, key: str, identity: dict) -> str | None:
        """What is wrong with an entry read for ``identity`` (None: nothing)."""
        if not isinstance(entry, dict) or set(entry) != {"key", "identity", "rows", "sha256"}:
            return "not a simprive cache entry"
        if entry["key"] != key or _text(entry["identity"]) != _text(identity):
            return "saved for another configuration"
        rows = entry["rows"]
        if entry["sha256"] != self._checksum(key, entry["identity"], rows):
            return "checksum mismatch (edited or damaged)"
        # every row repeats its configuration's columns (identity_row) and has a metric and value
        row = identity.get("row", {})
        if not isinstance(rows, list) or not rows or not all(
                isinstance(r, dict) and {"metric", "value"} <= set(r) and _text({k: r.get(k) for k in row}) == _text(row)
                for r in rows):
            return "rows of another configuration"
        return None

    def finished(self) -> bool:
        """Whether any configuration's rows are kept here (a rerun would reuse them)."""
        return self.folder.is_dir() and any(self.folder.glob("*.json"))

    def save(self, identity: dict, rows: list[dict]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        key = self.key(identity)
        entry = {"key": key, "identity": identity, "rows": rows, "sha256": self._checksum(key, identity, rows)}
        path = self.folder / f"{key}.json"
        if path.is_dir() and not path.is_symlink():  # an entry's name taken by a folder: the folder is ours
            shutil.rmtree(path)
        write_atomic(path, json.dumps(entry, default=_number).encode())


# the folders this process holds: their lock file → its open descriptor (the flock lives on
# it) and the folders taking it created, deepest first (removed again if left empty)
_HELD: dict[str, tuple[int, list[Path]]] = {}


def _lock_file(out_dir) -> Path:
    return Path(out_dir).absolute() / ".simprive" / "lock"


def _busy(out_dir, holder: str, key: str = "hydra.run.dir") -> Busy:
    who = f"pid {holder}" if holder.isdigit() else "another process"
    return Busy(key, str(out_dir), f"another simprive run ({who}) is writing this folder: "
                                              "wait for it, or choose another folder")


def _open(lock: Path) -> int:
    lock.parent.mkdir(parents=True, exist_ok=True)
    return os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)


def acquire(out_dir, key: str = "hydra.run.dir") -> bool:
    """Hold ``out_dir`` for this process: an exclusive ``flock`` on ``.simprive/lock``, taken
    at once or refused (:class:`Busy`), so of two runs started together exactly one goes on.
    The kernel drops the lock when its process dies, however it dies: a killed run's lock is
    never in the way.  Returns whether this call took it (False: this process holds it
    already).  ``key``: the setting that named the folder, for the error."""
    lock = _lock_file(out_dir)
    if str(lock) in _HELD:
        return False
    created = [p for p in (lock.parent, *lock.parent.parents) if not p.exists()]
    try:
        fd = _open(lock)
    except OSError as exc:  # not a folder one can write in (/proc, read-only, a file in the way)
        raise ConfigError(key, str(out_dir), f"cannot be written: {exc.strerror or exc}") from None
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise _busy(out_dir, holder, key) from None
        try:  # the file locked is still the folder's lock, not one its holder removed meanwhile
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
        fd = _open(lock)
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    _HELD[str(lock)] = fd, created
    return True


def release(out_dir) -> None:
    """Let ``out_dir`` go: its lock file is removed before the lock is dropped (so a run
    waiting on the old file retries on a new one), and so are ``.simprive/`` and the folders
    taking it created, where that leaves them empty: a run that failed leaves nothing."""
    lock = _lock_file(out_dir)
    fd, created = _HELD.pop(str(lock), (None, []))
    if fd is None:
        return
    try:
        lock.unlink(missing_ok=True)
        for folder in dict.fromkeys([lock.parent, *created]):
            folder.rmdir()  # only while empty
    except OSError:
        pass  # it holds the run's results or saved configurations
    finally:
        os.close(fd)


@atexit.register
def _release_all() -> None:
    """At exit, every folder this process still holds (the command line's) is let go."""
    for lock in list(_HELD):
        release(Path(lock).parent.parent)


def check_free(out_dir) -> None:
    """Refuse a folder another live simprive run holds (without taking it)."""
    lock = _lock_file(out_dir)
    if str(lock) in _HELD or not lock.exists():
        return
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        raise _busy(out_dir, os.pread(fd, 32, 0).decode(errors="replace").strip()) from None
    finally:
        os.close(fd)


@contextmanager
def hold(out_dir):
    """Hold ``out_dir`` for this process while the block runs (:func:`acquire`); a folder
    this process holds already (the command line took it before Hydra wrote) stays held."""
    took = acquire(out_dir)
    try:
        yield
    finally:
        if took:
            release(out_dir)
