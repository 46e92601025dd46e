"""Secure aggregation at the sizes the issue sets, through the experiment runner, and the
ledger-only pricing of federated scale.

* SecAgg (Bonawitz et al.): 1,000 clients, vectors of 16, 100 trials, 10% dropouts — every
  key agreement, mask, Shamir share (t = 501) and unmasking simulated;
* SecAgg+ (Bell et al.): 10,000 clients on a ring of 28 neighbours, same vectors and trials;
* the ledger alone (``mechanism.simulate=false``) for the ``secure_aggregation_scaling`` grid
  (to 2^14 clients and 2^24 coordinates).

Each through ``run_experiment`` (validation, chunking, metrics, no figures), best of
``--repeats``; every run is checked: the server's output is the survivors' exact sum
(``unmasked`` = 1) and the ledger equals its closed form.  The budget the issue sets is
30 s per simulated configuration on the 2-core machine it was measured on.

    python benchmarks/bench_secagg.py [--trials 100] [--repeats 1]
"""

from __future__ import annotations

import argparse
import time

from simprive import run_experiment

RUNS = {
    "SecAgg, n = 1,000, d = 16": ("secure_aggregation_cost", ["mechanism=secagg", "n=1000", "scenario=vectors",
                                                               "scenario.dim=16", "mechanism.dropout=0.1"]),
    "SecAgg+, n = 10,000, d = 16": ("secure_aggregation_cost", ["mechanism=secagg_plus", "n=10000",
                                                                 "scenario=vectors", "scenario.dim=16",
                                                                 "mechanism.dropout=0.1"]),
}


def timed(name, overrides, repeats):
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        summary = run_experiment(name, overrides).summary
        best = min(best, time.perf_counter() - t)
    return best, summary.set_index("metric")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=1)
    a = ap.parse_args()
    print(f"{'run':<32} {'seconds':>8}  {'per trial':>9}  check")
    for label, (name, overrides) in RUNS.items():
        seconds, s = timed(name, [*overrides, f"trials={a.trials}"], a.repeats)
        ok = s.loc["unmasked", "value"] == 1.0 and s.loc["server_bytes", "agreement"] == "agrees"
        print(f"{label:<32} {seconds:8.2f}  {seconds / a.trials:9.3f}  {'ok' if ok else 'FAILED'}")
    seconds, s = timed("secure_aggregation_scaling", [], a.repeats)
    rows = s[s.index == "expansion"]
    ok = (rows["agreement"] == "agrees").all()
    print(f"{'ledger only, 12 configurations':<32} {seconds:8.2f}  {'':>9}  {'ok' if ok else 'FAILED'}")


if __name__ == "__main__":
    main()
