"""How long a reader waits for figures: the default ``simprive`` run end to end, the import
of the command line, and each figure of a multi-panel preset drawn (PNG + SVG) from its table.

    python benchmarks/bench_figures.py            # --repeats 5

Each row is the median of ``--repeats`` timings after one untimed warm-up; the end-to-end and
import rows are whole processes (``subprocess``), the figure rows one process drawing again
and again.  Targets (issue 9): a figure ≤ 1 s, the default run ≤ 3 s.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def median_of(repeats: int, measure) -> float:
    measure()  # warm-up: page cache, font cache, .pyc files
    return statistics.median(measure() for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from simprive import run_experiment
    from simprive.figures import draw_all

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows.append(("simprive (default run: poll preset, table + figure), wall",
                     median_of(args.repeats, lambda: timed([str(BIN / "simprive"), "hydra.run.dir=run"], work))))
        rows.append(("python -c 'import simprive.cli', wall",
                     median_of(args.repeats, lambda: timed([sys.executable, "-c", "import simprive.cli"], work))))
        for preset in ("poll", "audit", "outlier_sum", "referendum"):
            res = run_experiment(preset, ["trials=200"], out_dir=work / preset)
            plots = res.meta["config"]["figure"]["plots"]
            for spec in plots:
                rows.append((f"figure {spec['name']} (PNG + SVG)", median_of(
                    args.repeats, lambda spec=spec, s=res.summary: _draw(draw_all, s, spec, work))))
        shutil.rmtree(work / "figs", ignore_errors=True)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    with open(out / "figures.csv", "w", newline="") as f:
        csv.writer(f).writerows([("what", "seconds"), *((what, f"{s:.3f}") for what, s in rows)])
    width = max(len(what) for what, _ in rows)
    for what, seconds in rows:
        print(f"{what:<{width}}  {seconds:6.2f} s")


def _draw(draw_all, summary, spec, work: Path) -> float:
    (work / "figs").mkdir(exist_ok=True)
    started = time.perf_counter()
    draw_all(summary, [spec], work / "figs")
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
