"""A real table at scale: a 10^6-row parquet file as the parties' inputs.

Times, in one process: reading and checking the column (``scenario=table``'s load, once
per process), then a Laplace release of the clamped sum with the whole table as the
population (n = 10^6 parties a trial) and with n = 10^4 rows drawn per trial with and
without replacement.  Throughput is inputs processed per second (trials × n over the
run's simulation time); peak memory is the process's maximum resident set.

    python benchmarks/bench_table.py [--rows 1000000]

Writes the table to ``benchmarks/results/table.csv``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_poll_sweep import write_results

from simprive import run_experiment
from simprive.scenarios import Table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory(prefix="simprive-bench-") as tmp:
        path = Path(tmp) / "incomes.parquet"
        incomes = np.round(np.random.default_rng(0).lognormal(10, 0.8, rows), 2)
        pd.DataFrame({"income": incomes, "id": np.arange(rows)}).to_parquet(path)
        start = time.perf_counter()
        Table(path=str(path), dataset=None, column="income", yes_values=None, sampling="population")
        load = time.perf_counter() - start
        print(f"load and check {rows:,} rows of {path.name} ({path.stat().st_size / 2**20:.1f} MiB): {load:.3f} s")
        out = [{"what": "load + check the column", "n": rows, "trials": 0, "seconds": round(load, 3),
                "inputs_per_s": round(rows / load)}]
        base = ["scenario=table", f"scenario.path={path}", "scenario.column=income", "lower=0", "upper=[100000.0]",
                "epsilon=[1.0]"]
        for sampling, n, trials in (("population", rows, 100), ("with_replacement", 10_000, 10_000),
                                    ("without_replacement", 10_000, 1_000)):
            res = run_experiment("bounded_sum", [*base, f"scenario.sampling={sampling}", f"n={n}", f"trials={trials}"])
            seconds = res.meta["wall_time_s"]
            rate = n * trials / seconds
            print(f"{sampling:<20} n = {n:>9,} × {trials:>6,} trials: {seconds:7.2f} s, {rate:,.0f} inputs/s")
            out.append({"what": f"bounded_sum, sampling={sampling}", "n": n, "trials": trials, "seconds": seconds,
                        "inputs_per_s": round(rate)})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")
    out.append({"what": "peak RSS (MiB)", "n": rows, "trials": 0, "seconds": 0, "inputs_per_s": round(peak)})
    write_results("table.csv", out)


if __name__ == "__main__":
    main()
