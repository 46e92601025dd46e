#!/usr/bin/env bash
# Redraw the README's gallery: run every preset at its defaults and keep its PNG figures.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
for experiment in poll bounded_sum approval_vote raise_average auction private_inference set_intersection \
    mpc_plus_dp mpc_plus_dp_collusion mpc_cost mpc_cost_scaling referendum differencing breach outlier_sum \
    collusion collusion_shamir set_intersection_dp composition floating_point audit \
    referendum_anes96 bounded_sum_engel outlier_sum_fair secure_aggregation secure_aggregation_dropout \
    secure_aggregation_cost secure_aggregation_scaling audit_suite audit_tradeoff; do
  simprive "experiment=$experiment" "hydra.run.dir=$tmp/$experiment" >/dev/null
  cp "$tmp/$experiment"/*.png docs/gallery/
  # the README's preset table quotes each preset's simulation time at its defaults
  python3 -c "import json, sys; print(sys.argv[1], json.load(open(sys.argv[2]))['wall_time_s'], 's')" \
      "$experiment" "$tmp/$experiment/meta.json"
done
# the planner's figures: the poll and referendum plans, and OpenDP's example over ε and n at once
for plan in poll referendum; do
  simprive-plan "plan=$plan" "hydra.run.dir=$tmp/plan_$plan" >/dev/null 2>&1
  cp "$tmp/plan_$plan/plan.png" "docs/gallery/plan_$plan.png"
done
simprive-plan experiment=bounded_sum mechanism=laplace query=mean lower=0 'upper=[500000]' 'plan.solve=[epsilon,n]' \
    'plan.range={epsilon: [0.1, 10], n: [10, 100000]}' plan.budget=60 \
    'plan.targets=[{metric: abs_error, stat: quantile, q: 0.95, at_most: 1000}]' "hydra.run.dir=$tmp/plan_pareto" >/dev/null 2>&1
cp "$tmp/plan_pareto/pareto.png" docs/gallery/plan_pareto.png
rm -rf "$tmp"
ls docs/gallery
