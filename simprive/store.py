"""What a run keeps in its folder (``.simprive/``) so that it can be resumed and is never
written by two runs at once.

* **Finished configurations.**  Each configuration's summary rows are saved as soon as it is
  simulated, under a key that hashes everything that decides them: the configuration's
  identity (its parameters and seed) and the versions of simprive and numpy.  Rerunning the
  same command into the same folder reuses those rows and simulates only the rest; the
  combined ``summary.csv`` is byte-identical to an uninterrupted run's.
* **A lock.**  ``lock`` holds the pid of the run writing the folder; a second run is refused
  while that process lives, and a lock left by a dead one is taken over.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from simprive.identity import config_hash
from simprive.results import write_atomic
from simprive.validation import ConfigError
from simprive import version

__all__ = ["Busy", "Store", "hold"]


class Busy(ConfigError):
    """The folder is another live run's."""


def _number(value):
    return value.item() if isinstance(value, np.generic) else str(value)


class Store:
    """Finished configurations' rows, one JSON file each."""

    def __init__(self, out_dir):
        self.folder = Path(out_dir) / ".simprive" / "configs"

    @staticmethod
    def key(identity: dict) -> str:
        return config_hash({"identity": identity, "simprive": version.__version__, "numpy": np.__version__})[:24]

    def load(self, identity: dict) -> list[dict] | None:
        path = self.folder / f"{self.key(identity)}.json"
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):  # a torn file from a killed run: compute again
            return None

    def save(self, identity: dict, rows: list[dict]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.folder / f"{self.key(identity)}.json", json.dumps(rows, default=_number).encode())


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
