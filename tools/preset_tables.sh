#!/usr/bin/env bash
# Every preset's summary.csv at its defaults, into OUT: keep one set from before a refactor
# and compare it with one from after (tools/compare_tables.py); the tables must not change.
set -euo pipefail
out=$(realpath "${1:?usage: tools/preset_tables.sh OUT}")
cd "$(dirname "$0")/.."
mkdir -p "$out"
rm -f "$out"/*.csv  # never compare with a table a previous call left behind
for preset in experiments/*.yaml; do
  name=$(basename "$preset" .yaml)
  simprive "experiment=$name" "hydra.run.dir=$out/run_$name" > /dev/null
  cp "$out/run_$name/summary.csv" "$out/$name.csv"
done
