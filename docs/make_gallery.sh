#!/usr/bin/env bash
# Redraw the README's gallery: run every preset at its defaults and keep its PNG figures.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
for experiment in poll bounded_sum approval_vote raise_average auction private_inference set_intersection \
    mpc_plus_dp mpc_plus_dp_collusion mpc_cost mpc_cost_scaling referendum differencing breach outlier_sum \
    collusion collusion_shamir set_intersection_dp composition floating_point audit \
    referendum_anes96 bounded_sum_engel outlier_sum_fair; do
  simprive "experiment=$experiment" "hydra.run.dir=$tmp/$experiment" >/dev/null
  cp "$tmp/$experiment"/*.png docs/gallery/
  # the README's preset table quotes each preset's simulation time at its defaults
  python3 -c "import json, sys; print(sys.argv[1], json.load(open(sys.argv[2]))['wall_time_s'], 's')" \
      "$experiment" "$tmp/$experiment/meta.json"
done
rm -rf "$tmp"
ls docs/gallery
