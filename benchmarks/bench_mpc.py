"""Throughput of the share-level MPC simulator against the MPyC runtime, same functions.

Measured side by side in one run, every output checked against the plaintext:

* the simulator's peer-to-peer secure sum with n = 1,000 peers × 100 trials, 10⁸ field
  shares, through the experiment runner (chunked trials: memory stays bounded);
* sum and max over 999 inputs held by 3 parties (333 each; MPyC needs equal blocks), on
  MPyC (3 local processes over loopback) and on the simulator (3 computing parties:
  client–server sum, comparison tournament), on the same inputs.

Ratios are trials per second of the simulator over MPyC.  MPyC's throughput is what a run
of it delivers: trials over the wall time of the whole call (its parties' start-up
included); the ratio against MPyC's own "elapsed" report (connected → shutdown), which
leaves start-up out and so favours MPyC, is printed beside it.

    python benchmarks/bench_mpc.py [--trials 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

import numpy as np

from simprive.mpc.auction import first_price
from simprive.mpc.mpyc_bridge import plaintext, run_mpyc
from simprive.mpc.rings import PrimeField
from simprive.mpc.sum import client_server_sum

INPUTS, PARTIES = 999, 3

PEER_SUM = """
import resource, time
from simprive import run_experiment
t = time.perf_counter()
s = run_experiment("mpc_cost", ["mechanism.kind=mpc_sum", "n=1000", "trials={trials}"]).summary
dt = time.perf_counter() - t
ok = s.set_index("metric").loc["exact_match", "value"] == 1.0
print(dt, ok, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def best(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    T = args.trials

    # 1. the peer-to-peer sum, 1,000 peers: in a fresh process, to read its peak memory
    out = subprocess.run([sys.executable, "-c", PEER_SUM.format(trials=T)], capture_output=True, text=True,
                         check=True)
    dt, ok, rss = out.stdout.split()
    print(f"simulated p2p secure sum, n=1000 peers x {T} trials ({T * 1000 * 1000:.0e} shares): "
          f"{float(dt):.2f} s, {T / float(dt):,.0f} trials/s, exact={ok}, peak RSS {float(rss):,.0f} MiB")

    rng = np.random.default_rng(0)
    field = PrimeField()
    rows = []
    for function in ("sum", "max"):
        x = rng.integers(0, 1_000_000, size=(T, INPUTS))
        truth = plaintext(function, x)
        if function == "sum":
            sim = lambda: field.decode(client_server_sum(field.encode(x), field, rng, servers=PARTIES).output)  # noqa: E731
            expect = truth
        else:
            sim = lambda: first_price(x, rng, servers=PARTIES, record=False).output[:, ::-1]  # noqa: E731
            expect = truth
        sim_s, sim_out = best(sim, args.repeats)
        wall, res = best(lambda: run_mpyc(function, x, parties=PARTIES, timeout=1800), 1)
        mpyc_s = max(res.mpyc_seconds)
        same = np.array_equal(np.asarray(sim_out), expect) and np.array_equal(res.outputs, expect)
        rows.append((function, sim_s, wall, mpyc_s, same, res.total_bytes / T))

    print(f"\n{INPUTS} inputs, {PARTIES} parties, {T} trials; MPyC {res.version}")
    print(f"{'function':<9}{'simulator t/s':>15}{'MPyC t/s (wall)':>17}{'ratio':>8}{'MPyC t/s (own)':>16}"
          f"{'ratio':>8}{'identical':>11}{'MPyC bytes/trial':>18}")
    for function, sim_s, wall, mpyc_s, same, nbytes in rows:
        ratio, own = wall / sim_s, mpyc_s / sim_s
        print(f"{function:<9}{T / sim_s:>15,.0f}{T / wall:>17,.1f}{ratio:>7,.0f}x{T / mpyc_s:>16,.1f}{own:>7,.0f}x"
              f"{str(same):>11}{nbytes:>18,.0f}")
        print(f"{'PASS' if ratio >= 100 and same else 'FAIL'}  simulator >= 100x MPyC's throughput on {function}: "
              f"{ratio:,.0f}x (against MPyC's own elapsed time: {own:,.0f}x)")
    print(f"(this process's peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB)")


if __name__ == "__main__":
    main()
