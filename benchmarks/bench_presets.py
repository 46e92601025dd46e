"""Every preset's default run from the command line: wall time (start-up, simulation,
figures, report) and the simulation time the run records (``wall_time_s`` in meta.json).

Each preset runs once as ``simprive experiment=NAME`` in a temporary folder, as a user
would start it; the target is at most 30 s each on this 2-core machine.  The README's
preset table quotes the simulation column.

    python benchmarks/bench_presets.py [NAME ...]

Writes the table to ``benchmarks/results/presets.csv``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_poll_sweep import simprive_command, write_results

from simprive.config import EXPERIMENTS_DIR

TARGET_S = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="presets to time (default: all)")
    names = parser.parse_args().names or sorted(p.stem for p in EXPERIMENTS_DIR.glob("*.yaml"))
    rows = []
    for name in names:
        with tempfile.TemporaryDirectory(prefix="simprive-bench-") as tmp:
            start = time.perf_counter()
            proc = subprocess.run([*simprive_command(), f"experiment={name}", f"hydra.run.dir={tmp}/run"],
                                  cwd=tmp, capture_output=True, text=True)
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                sys.exit(f"{name}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
            simulation = json.loads(Path(tmp, "run", "meta.json").read_text())["wall_time_s"]
        verdict = "PASS" if wall <= TARGET_S else "FAIL"
        rows.append({"preset": name, "wall_s": round(wall, 2), "simulation_s": simulation, "verdict": verdict})
        print(f"{verdict}  {name:<24}{wall:>8.2f} s wall, {simulation:>8.3f} s simulation  (target ≤ {TARGET_S:g} s)",
              flush=True)
    write_results("presets.csv", rows)


if __name__ == "__main__":
    main()
