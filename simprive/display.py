"""What a reader sees instead of a config key: display names for keys, metrics and mechanisms,
and the family each mechanism belongs to (one hue per family, a shade per variant), in one
table.  A name missing here is shown as it is in the data.
"""

from __future__ import annotations

import math

__all__ = ["AS_PRIOR", "AUX", "AUX_SHARE", "FAMILIES", "FAMILY_COLOURS", "KEYS", "MECHANISMS", "METRICS", "SHARE",
           "SUPERSCRIPT", "family_of", "key_name", "level_name", "metric_name"]

KEYS = {
    "epsilon": "ε", "delta": "δ", "n": "n (parties)", "lower": "lower bound", "upper": "declared upper bound",
    "trials": "trials", "seed": "seed", "neighbours": "neighbouring datasets", "mechanism": "mechanism",
    "metric": "metric", "scenario": "scenario", "adversary": "adversary", "query": "query",
    "scenario.p": "share p of 1s", "scenario.k": "answers k", "scenario.size_x": "|X|, party 0's items",
    "scenario.size_y": "|Y|, party 1's items", "scenario.overlap": "|X ∩ Y|", "scenario.dimension": "features",
    "scenario.margin": "approval margin", "scenario.shape": "Pareto tail index", "scenario.outlier": "outlier",
    "scenario.low": "lowest input", "scenario.high": "highest input", "scenario.sampling": "rows drawn",
    "scenario.column": "column", "scenario.dataset": "data set",
    "mechanism.field": "share ring", "mechanism.spread": "share spread", "mechanism.servers": "servers",
    "mechanism.t": "Shamir degree t", "mechanism.cardinality_only": "cardinality only",
    "mechanism.frac_bits": "fractional bits", "mechanism.noise": "noise shares", "mechanism.path": "simulated as",
    "adversary.known_fraction": "share of others known", "adversary.known": "others known",
    "adversary.second_release": "second release", "adversary.colluders": "colluders",
    "adversary.sigma": "news noise σ", "adversary.releases": "releases", "adversary.prior": "party 0's prior",
    "adversary.alpha": "audit level α",
    "scenario.dim": "coordinates per client", "mechanism.bits": "modulus bits", "mechanism.dropout": "dropout rate",
    "mechanism.neighbours": "neighbours per client", "mechanism.threshold": "Shamir threshold",
    "mechanism.gamma": "quantisation step γ", "mechanism.l2_clip": "L2 clip",
}
# a key that an adversary reads as its prior (the scenario's share is what it expects of the
# target), named so where one attacks; otherwise by what it is in the data
AS_PRIOR = {"scenario.p": "prior p"}
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
# what the ``aux`` column counts, by adversary
AUX = {
    "knows_votes": "other votes the adversary knows", "knows_others": "other inputs the adversary knows",
    "auditor": "other inputs the auditor knows", "float_auditor": "other inputs the auditor knows",
    "coalition": "colluding parties", "news": "noise of the published figure (σ)",
    "repeated": "releases of the same query", "membership": "party 0's prior that an item is in Y",
}
# an ``aux`` that counts the n − 1 others, as a share of them (comparable across n)
AUX_SHARE = {
    "knows_votes": "share of the other votes the adversary knows", "knows_others": "share of the other inputs known",
    "auditor": "share of the other inputs the auditor knows", "float_auditor": "share of the other inputs known",
}
SHARE = "aux_share"  # the column figures derive for it: aux / (n − 1)
METRICS = {
    "estimate": "released estimate", "truth": "true value", "error": "error (bias)", "abs_error": "mean |error|",
    "sq_error": "mean squared error", "regret": "regret", "correct_winner": "P(right winner)",
    "exact_match": "P(exact output)", "sim_match": "P(simulator = MPyC)", "messages": "messages",
    "bytes": "bytes sent", "rounds": "rounds", "offline_bytes": "offline bytes", "sim_bytes": "simulator bytes",
    "seconds": "seconds", "mpyc_seconds": "MPyC seconds", "view_corr": "correlation of a share with its input",
    "leaked_bits": "bits leaked about the losing bids", "element_accuracy": "per-item accuracy",
    "needed_sensitivity": "largest input", "max_share": "largest party's share of the total",
    "clipped_share": "share of inputs clipped",
    "posterior_true": "posterior on the true vote", "max_posterior": "max posterior",
    "attack_correct": "P(attack right)", "exposed": "P(vote exposed)", "min_entropy_leakage": "min-entropy leakage",
    "accuracy_bound": "DP bound on accuracy", "posterior_bound": "DP bound on the posterior",
    "epsilon_lb": "certified ε (lower bound)", "epsilon_claimed": "claimed ε", "effective_epsilon": "effective ε",
    "epsilon_basic": "ε, basic composition", "epsilon_advanced": "ε, advanced composition",
    "epsilon_rdp": "ε, Rényi accountant", "epsilon_pld": "ε, PLD accountant",
    "recon_error": "reconstruction error", "recon_sq_error": "squared reconstruction error",
    "recon_exact": "P(input reconstructed)", "others_error": "error on the others' total",
    "others_sq_error": "squared error on the others' total", "bound_fraction": "width of the bound / range",
    "bound_covers": "P(bound covers the input)", "average_sq_error": "squared error of the average",
    "member_guess_accuracy": "accuracy on Y-membership",
    "client_bytes": "bytes per client", "server_bytes": "bytes through the server",
    "expansion": "client bytes / plain input bytes", "epsilon_survivors": "ε the survivors' noise gives",
    "survivors": "clients whose input is summed", "failed": "P(protocol fails)", "unmasked": "P(sum unmasked exactly)",
    "wrapped": "P(sum wraps the modulus)", "quant_sq_error": "squared rounding error",
    "noise_sq_error": "squared noise error", "epsilon_dpsniper": "DP-Sniper's published bound",
    "type2": "the auditor's test", "type2_claimed": "least the claimed ε allows", "pair_index": "searched pair",
}
MECHANISMS = {
    "exact": "exact (no noise)", "laplace": "Laplace", "geometric": "geometric (discrete Laplace)",
    "gaussian": "Gaussian", "analytic_gaussian": "analytic Gaussian", "rr": "randomized response",
    "rr_article": "coin-flip RR (ε = ln 3)", "grr": "k-ary randomized response", "exponential": "exponential mechanism",
    "noisy_max": "report noisy max", "broken_laplace_scale": "broken: Laplace scale ε",
    "broken_no_clamp": "broken: no clamping", "broken_svt": "broken: SVT without noise",
    "broken_noisy_max": "broken: noisy max value", "ignore_input": "constant release (self-check)",
    "mpc_sum": "peer-to-peer sum (MPC)", "mpyc_sum": "peer-to-peer sum (MPyC)",
    "mpc_client_server": "client–server sum (MPC)", "mpc_noisy_sum": "noisy sum (MPC + DP)",
    "mpc_tally": "exact tally (MPC)", "mpyc_tally": "exact tally (MPyC)",
    "mpc_threshold": "YES iff ≥ half (MPC)", "mpyc_threshold": "YES iff ≥ half (MPyC)",
    "mpc_first_price": "first-price auction (MPC)", "mpyc_max": "first-price auction (MPyC)",
    "mpc_second_price": "second-price auction (MPC)", "mpyc_second_price": "second-price auction (MPyC)",
    "mpc_psi": "PSI (MPC)", "dp_rr_intersection": "RR intersection (DP)", "mpc_inference": "private inference (MPC)",
    "secagg": "SecAgg (Bonawitz et al.)", "secagg_plus": "SecAgg+ (Bell et al.)",
}
# one hue per family (tab10 index: the same colour in every figure); its members take shades
# of it, in this order
FAMILY_COLOURS = {"central noise": 0, "local": 1, "selection": 4, "broken": 3, "secure sum": 9, "noisy sum": 8,
                  "tally": 2, "threshold": 5, "auction": 6, "intersection": 9, "dp intersection": 1, "inference": 4,
                  "secure aggregation": 7}
FAMILIES = {
    "central noise": ("exact", "laplace", "geometric", "gaussian", "analytic_gaussian"),
    "local": ("rr", "rr_article", "grr"),
    "selection": ("exponential", "noisy_max"),
    "broken": ("broken_laplace_scale", "broken_no_clamp", "broken_svt", "broken_noisy_max", "ignore_input"),
    "secure sum": ("mpc_sum", "mpyc_sum", "mpc_client_server"),
    "noisy sum": ("mpc_noisy_sum",),
    "tally": ("mpc_tally", "mpyc_tally"),
    "threshold": ("mpc_threshold", "mpyc_threshold"),
    "auction": ("mpc_first_price", "mpyc_max", "mpc_second_price", "mpyc_second_price"),
    "intersection": ("mpc_psi",),
    "dp intersection": ("dp_rr_intersection",),
    "inference": ("mpc_inference",),
    "secure aggregation": ("secagg", "secagg_plus"),
}


def family_of(mechanism: str) -> tuple[str, int, int]:
    """(family, index of the variant, variants in the family): a user's mechanism is a family
    of its own."""
    for family, members in FAMILIES.items():
        if mechanism in members:
            return family, members.index(mechanism), len(members)
    return mechanism, 0, 1


def key_name(key: str, adversary: str | None = None) -> str:
    """A column's name for a reader (``aux`` by what the adversary counts)."""
    if key == "aux":
        return AUX.get(adversary or "", "adversary's knowledge")
    if key == SHARE:
        return AUX_SHARE.get(adversary or "", "share of the others known")
    if key in AS_PRIOR and adversary not in (None, "none"):
        return AS_PRIOR[key]
    return KEYS.get(key, key)


def metric_name(metric: str) -> str:
    return METRICS.get(metric, metric)


def level_name(key: str, value) -> str:
    """One value of a column as a reader reads it: mechanisms and metrics by name, numbers to
    four significant digits (ln 3 as such), missing values as "n/a" (a row that does not take
    the key: exact MPC has no ε, a central mechanism no modulus)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if key in ("mechanism", "scenario", "query", "adversary") and isinstance(value, str) and ":" in value:
        return value.rpartition(":")[2].rpartition(".")[2]  # a user's component: its class, not its import path
    if key == "mechanism":
        return MECHANISMS.get(value, value)
    if key == "metric":
        return metric_name(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if math.isclose(value, math.log(3), rel_tol=1e-12):
            return "ln 3"
        if float(value).is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"  # 1,000,000 rather than 1e+06
        if 0 < abs(value) < 1e-3 and math.log10(abs(value)).is_integer():  # δ = 10⁻⁵ rather than 1e-05
            return ("-" if value < 0 else "") + "10" + str(int(math.log10(abs(value)))).translate(SUPERSCRIPT)
        return f"{value:.4g}"
    return str(value)
