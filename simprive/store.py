"""What a run keeps in its folder (``.simprive/``) so that it can be resumed and is never
written by two runs at once.

* **Finished configurations.**  Each configuration's summary rows are saved as soon as it is
  simulated, under a key that hashes everything that decides them: the configuration's
  identity (its parameters and seed) and the versions of simprive and numpy.  Rerunning the
  same command into the same folder reuses those rows and simulates only the rest; the
  combined ``summary.csv`` is byte-identical to an uninterrupted run's.  An entry carries its
  key, its identity and a checksum, and is used only if all three hold (:class:`Store`).
  The folder is read as data, never executed: entries are JSON (no pickle, no eval).
* **A lock.**  ``lock`` holds the pid of the run writing the folder; a second run is refused
  while that process lives, and a lock left by a dead one is taken over.
"""

from __future__ import annotations

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

__all__ = ["Busy", "Store", "hold"]


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

    def save(self, identity: dict, rows: list[dict]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        key = self.key(identity)
        entry = {"key": key, "identity": identity, "rows": rows, "sha256": self._checksum(key, identity, rows)}
        path = self.folder / f"{key}.json"
        if path.is_dir() and not path.is_symlink():  # an entry's name taken by a folder: the folder is ours
            shutil.rmtree(path)
        write_atomic(path, json.dumps(entry, default=_number).encode())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def check_free(out_dir) -> None:
    """Refuse a folder another live simprive run holds (without taking it)."""
    lock = Path(out_dir) / ".simprive" / "lock"
    try:
        pid = int(lock.read_text().strip() or 0)
    except (OSError, ValueError):
        return
    if pid and pid != os.getpid() and _alive(pid):
        raise Busy("hydra.run.dir", str(out_dir), f"another simprive run (pid {pid}) is writing this folder: "
                                                  "wait for it, or choose another folder")


@contextmanager
def hold(out_dir):
    """Hold ``out_dir`` for this process while the block runs; a stale lock is taken over."""
    lock = Path(out_dir) / ".simprive" / "lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    check_free(out_dir)
    lock.write_text(str(os.getpid()))
    try:
        yield
    finally:
        try:
            if lock.read_text().strip() == str(os.getpid()):
                lock.unlink()
        except OSError:
            pass
