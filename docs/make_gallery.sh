#!/usr/bin/env bash
# Redraw the README's gallery: run every preset at its defaults and keep its PNG figures.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
for experiment in poll bounded_sum approval_vote; do
  simprive "experiment=$experiment" "hydra.run.dir=$tmp/$experiment" >/dev/null
  cp "$tmp/$experiment"/*.png docs/gallery/
done
rm -rf "$tmp"
ls docs/gallery
