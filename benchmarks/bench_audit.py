"""Time and memory of a privacy audit: Laplace at ε = 1, 10⁶ runs per world.

Runs the `audit` preset through the Python API in a fresh process and reports wall time
and peak resident memory (targets: under 5 s, under 1 GiB).

    python benchmarks/bench_audit.py [--trials 1000000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

CODE = """
import resource, time
t = time.perf_counter()
from simprive import run_experiment
s = run_experiment("audit", ["mechanism.kind=laplace", "epsilon=1.0", "adversary.known_fraction=1.0",
                                "trials={trials}"]).summary
dt = time.perf_counter() - t
lb = s.set_index("metric").loc["epsilon_lb", "value"]
print(dt, lb, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1_000_000)
    args = parser.parse_args()
    out = subprocess.run([sys.executable, "-c", CODE.format(trials=args.trials)], capture_output=True, text=True,
                         check=True)
    seconds, lb, rss = map(float, out.stdout.split())
    print(f"audit of Laplace at epsilon=1, {args.trials:,} runs per world: {seconds:.2f} s (imports included), "
          f"peak RSS {rss:,.0f} MiB, certified epsilon >= {lb:.3f}")
    print(f"{'PASS' if seconds < 5 else 'FAIL'}  under 5 s;  {'PASS' if rss < 1024 else 'FAIL'}  under 1 GiB")


if __name__ == "__main__":
    main()
