"""No orphans: a run killed by SIGTERM or SIGKILL leaves no MPyC party running and no work
folder behind (the parties die with their parent; a watchman removes the folder)."""

import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from helpers import BIN


def parties_of(pid: int) -> list[int]:
    """Processes working in run ``pid``'s MPyC folder (its name carries the pid)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if f"simprive_mpyc_{pid}_" in (proc / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_run_leaves_no_party_and_no_work_folder(sig, tmp_path):
    proc = subprocess.Popen([str(BIN / "simprive"), "experiment=mpc_cost", f"hydra.run.dir={tmp_path / 'run'}"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not parties_of(proc.pid) and time.time() < deadline:
        time.sleep(0.05)
    assert parties_of(proc.pid), "no MPyC party started"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    time.sleep(5)
    assert parties_of(proc.pid) == [], err
    assert list(Path(tempfile.gettempdir()).glob(f"simprive_mpyc_{proc.pid}_*")) == [], err
    if sig == signal.SIGTERM:
        assert proc.returncode == 130 and "Traceback" not in err, (proc.returncode, err)


def test_a_stop_raised_inside_a_finaliser_is_kept_not_printed():
    code = """
from simprive import interrupt
interrupt.install()
class Finaliser:
    def __del__(self):
        interrupt.request()
Finaliser()
try:
    interrupt.check()
except KeyboardInterrupt:
    print("stopped")
"""
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "stopped" and out.stderr == ""
