"""Wall time of the article's poll sweep: 5 ε × 5 n (100 … 10^6) × 3 p, 1,000 trials each.

The same 75 configurations four ways, to see what each way of running a sweep costs:

* Python API   ``simprive.run_experiment("poll", ["trials=1000"])``: the preset's lists
               are an in-run grid, so this is one process, one Hydra composition, one
               results table.  Timed in-process (imports done first), best of ``--repeats``.
* CLI, basic   ``simprive -m experiment=poll 'epsilon=…' 'n=…' 'scenario.p=…' trials=1000``:
               a Hydra multirun of 75 jobs run one after another in one process, each
               writing its own folder, plus simprive's preflight validation of every job
               and the combined table and figures at the end.
* CLI, joblib  the same with ``hydra/launcher=joblib`` (jobs in worker processes).
* CLI, Hydra's sweeper  the same with ``hydra/sweeper=basic``: Hydra composes every job in
               full twice (to check it, then to run it), as simprive did before its own
               sweeper (``hydra_plugins/simprive_sweeper``) composed each distinct choice of
               configs once.  The "before" beside the basic row's "after".

The CLI rows are timed as a subprocess from start to exit (interpreter start-up and
imports included), in a temporary sweep directory that is deleted afterwards.  The
target is the 75-job sweep in at most 15 s on this 2-core machine.

    python benchmarks/bench_poll_sweep.py [--repeats 3] [--skip-cli]

Writes the table to ``benchmarks/results/poll_sweep.csv``.
"""

from __future__ import annotations

import argparse
import csv
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import simprive

TARGET_S = 15.0
TRIALS = 1000
CONFIGURATIONS = 5 * 5 * 3
SWEEP = ["experiment=poll", "epsilon=0.5,1.0,1.0986122886681098,2.0,4.0", "n=100,1000,10000,100000,1000000",
         "scenario.p=0.1,0.5,0.9", f"trials={TRIALS}"]
RESULTS = Path(__file__).resolve().parent / "results"


def write_results(name: str, rows: list[dict]) -> None:
    """A benchmark's table as ``benchmarks/results/NAME`` (which git ignores)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {path}")


def simprive_command() -> list[str]:
    """The ``simprive`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("simprive")
    if script.exists():
        return [str(script)]
    found = shutil.which("simprive")
    return [found] if found else [sys.executable, "-m", "simprive"]


def time_api(repeats: int) -> tuple[float, str]:
    walls, core = [], math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        res = simprive.run_experiment("poll", [f"trials={TRIALS}"])
        walls.append(time.perf_counter() - start)
        core = min(core, res.meta["wall_time_s"])
        if res.meta["configurations"] != CONFIGURATIONS:
            raise RuntimeError(f"poll preset ran {res.meta['configurations']} configurations, "
                               f"not {CONFIGURATIONS}")
    return min(walls), (f"{CONFIGURATIONS} configurations in one run; first call {walls[0]:.2f} s "
                        f"(Hydra start-up); runner.run itself {core:.3f} s")


def time_cli(extra: list[str]) -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="simprive-bench-") as tmp:
        sweep_dir = Path(tmp) / "sweep"
        cmd = [*simprive_command(), "-m", *SWEEP, *extra, f"hydra.sweep.dir={sweep_dir}"]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        wall = time.perf_counter() - start
        jobs = [p for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit()] if sweep_dir.is_dir() else []
        if proc.returncode != 0 or len(jobs) != CONFIGURATIONS or not (sweep_dir / "summary.csv").exists():
            tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode} with {len(jobs)} jobs:\n{tail}")
    return wall, f"{len(jobs)} Hydra jobs + combined summary.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timings of the Python API run; best is kept")
    parser.add_argument("--skip-cli", action="store_true", help="time the Python API only")
    args = parser.parse_args()

    print(f"poll sweep: 5 ε × 5 n × 3 p = {CONFIGURATIONS} configurations, {TRIALS} trials each")
    cases = [("Python API", lambda: time_api(args.repeats))]
    if not args.skip_cli:
        cases += [("CLI -m (basic launcher)", lambda: time_cli([])),
                  ("CLI -m (joblib launcher)", lambda: time_cli(["hydra/launcher=joblib"])),
                  ("CLI -m (Hydra's sweeper)", lambda: time_cli(["hydra/sweeper=basic"]))]
    rows = []
    for way, fn in cases:
        seconds, note = fn()
        # the target is the default way's; the other launchers and Hydra's sweeper are for comparison
        verdict = ("PASS" if seconds <= TARGET_S else "FAIL") if way in ("Python API", "CLI -m (basic launcher)") else "-"
        rows.append({"way": way, "seconds": seconds, "verdict": verdict, "note": note})
        print(f"{verdict:<6}  {way:<26}{seconds:>8.2f} s  (target ≤ {TARGET_S:g} s)  {note}")

    write_results("poll_sweep.csv", rows)


if __name__ == "__main__":
    main()
