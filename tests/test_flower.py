"""simprive's secure aggregation (simprive.mpc.secagg) against Flower 1.42's real SecAgg+.

flwr runs in process through tests/flower_driver.py (its real server workflow and client mod,
no network).  flwr does not install next to the project's [plan] extra, so these tests run
from their own environment, .ci/flower, and skip elsewhere.

simprive is run on the graph and the dropouts flwr had: its client p is flwr's ring position
p (input ``ring[p]``), so simprive's ring u ± 1 … ± k/2 is flwr's neighbourhood, with
k = num_shares − 1 (flwr counts the client itself in num_shares), bits = 32 (flwr's modulus
2^32) and ``alive`` False for a dropped client from the round it drops in on.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

flwr = pytest.importorskip("flwr", reason="flwr is not installed here: the cross-check runs from its own venv, .ci/flower")
if flwr.__version__ != "1.42.0":
    pytest.skip(f"the facts checked are flwr 1.42.0's, not {flwr.__version__}'s", allow_module_level=True)

from flower_driver import CLIP, FIRST_NID, STAGES, run_flower  # noqa: E402

from simprive.mpc.secagg import ROUNDS, secure_aggregation, traffic  # noqa: E402

BITS = 32  # flwr's modulus_range 2^32
PK, CTXT, B_SHARE, SK_SHARE = 215, 612, 52, 324  # PEM public key, Fernet token of 2 shares, the two Shamir shares
NPY_HEADER = 128  # flwr's masked vector: int64 .npy arrays, each with its header
SEED = 4


def inputs(n: int, d: int = 4) -> np.ndarray:
    return np.random.default_rng(n).integers(-5, 6, size=(n, d))


@functools.cache
def ring(n: int, num_shares: int) -> tuple[int, ...]:
    """flwr's ring order for SEED (the shuffle comes before any message, so drops leave it alone)."""
    return tuple(run_flower(inputs(n), num_shares=num_shares, threshold=3, seed=SEED)["ring"])


def flower(n: int, num_shares: int, t: int, stage: str | None = None, positions=()) -> tuple[dict, dict]:
    """flwr's run with the clients at these ring positions dropped in ``stage``, and the drop by input index."""
    order = ring(n, num_shares)
    drop = {stage: [order[p] for p in positions]} if stage else {}
    result = run_flower(inputs(n), num_shares=num_shares, threshold=t, drop=drop, seed=SEED)
    assert tuple(result["ring"]) == order and (result["num_shares"], result["threshold"]) == (num_shares, t)
    return result, drop


def simprive_on(result: dict, x: np.ndarray, t: int, drop: dict, **prices):
    """simprive's run on flwr's ring, inputs permuted into ring order, the same dropouts."""
    order, n = result["ring"], len(x)
    alive = np.ones((len(ROUNDS), 1, n), bool)
    for stage, dropped in drop.items():
        for i in dropped:
            alive[STAGES.index(stage):, 0, order.index(i)] = False
    run = secure_aggregation(x[order][None], np.random.default_rng(SEED), bits=BITS, k=result["num_shares"] - 1, t=t,
                             alive=alive, **prices)
    for p in range(n):  # the same graph: simprive's neighbours of p are flwr's of input order[p], less itself
        assert {order[q] for q in run.neighbours[p]} | {order[p]} == set(result["neighbours"][order[p]])
    return run


def signed(v) -> np.ndarray:
    return (np.asarray(v, np.int64) + 2 ** (BITS - 1)) % 2**BITS - 2 ** (BITS - 1)


@pytest.mark.parametrize("n, num_shares, positions", [
    (5, 5, ()),  # SecAgg: num_shares = n, everyone is everyone's neighbour
    (5, 5, (2,)),
    (7, 5, (0, 3)),  # a ring, k = 4: two clients that are not neighbours
    (7, 5, (0, 1)),  # two neighbours: their pairwise mask is in neither's masked input
], ids=["secagg-no-drop", "secagg-one-drop", "ring-two-apart", "ring-two-neighbours"])
def test_flowers_unmasked_sum_is_the_survivors_sum_and_simprives(n, num_shares, positions):
    """Dropping in collect_masked_vectors (after the keys are shared): flwr's server
    recovers the survivors' exact sum, Σx = S − 8·|survivors| from its unmasked vector S
    (exact mode), and so does simprive on the same graph and dropouts."""
    x = inputs(n)
    result, drop = flower(n, num_shares, 3, "collect_masked_vectors", positions)
    survivors = sorted(set(range(n)) - set(drop.get("collect_masked_vectors", ())))
    plain = x[survivors].sum(axis=0)
    assert result["survivors"] == survivors
    assert result["factor"] == 16 * len(survivors)  # each survivor's weight factor q = T = 16
    assert np.array_equal(result["sum"], plain)
    np.testing.assert_allclose(result["aggregate"], plain / len(survivors), atol=1e-12)  # flwr's weighted mean
    assert np.all(result["unmasked"] >= 0) and np.all(result["unmasked"] <= 2 * CLIP * len(survivors))

    run = simprive_on(result, x, 3, drop)
    assert not run.failed[0]
    assert np.array_equal(signed(run.output[0]), plain)


@pytest.mark.parametrize("n", [5, 7])
def test_a_drop_in_share_keys_fails_flowers_round_but_not_simprives(n):
    """A client that answers setup but not share_keys: flwr 1.42 fails the round, simprive
    does not.  flwr's server leaves the dropped client among the sampled nodes, so in unmask
    it counts it as dead and asks its neighbours for shares of its mask key, which they
    never got (it shared nothing): they answer with a KeyError, and the server, short of
    shares, halts with no aggregate.  Bonawitz et al.'s protocol (and simprive, which
    follows it) tolerates a drop in every round: a client out of U2 has no masks in anyone's
    input, so the server needs nothing of it and outputs the others' sum."""
    x = inputs(n)
    result, drop = flower(n, 5, 3, "share_keys", (2,))
    (dead,) = drop["share_keys"]
    assert result["sum"] is None and result["aggregate"] is None
    assert "ERROR: Not enough shares to recover secret in unmask vectors stage" in result["log"]
    unmask = result["stages"]["unmask"]
    for i in result["neighbours"][dead]:
        if i != dead:
            assert unmask[i]["status"] == f"KeyError: {FIRST_NID + dead}"
    survivors = [i for i in range(n) if i != dead]
    assert result["survivors"] == survivors  # flwr did collect the others' masked inputs

    run = simprive_on(result, x, 3, drop)
    assert not run.failed[0]
    assert np.array_equal(signed(run.output[0]), x[survivors].sum(axis=0))


# -- the message pattern: 7 clients, k = 4, two clients (not neighbours) drop in collect_masked_vectors -----
@pytest.fixture(scope="module")
def pattern():
    """flwr's per-stage records by simprive client p, and simprive's ledger split by round,
    priced at flwr's encodings: a PEM public key of 215 bytes, and a ciphertext of 612 bytes
    per neighbour, which simprive prices as two shares of 306."""
    n, d = 7, 4
    x = inputs(n, d)
    result, drop = flower(n, 5, 3, "collect_masked_vectors", (0, 3))
    run = simprive_on(result, x, 3, drop, key_bytes=PK, share_bytes=CTXT // 2)
    alive = run.alive[:, 0]
    keys_from, shares_from = alive[0][run.neighbours].sum(axis=1), alive[1][run.neighbours].sum(axis=1)

    def priced(r):  # the bytes of round r alone
        return traffic([a if j == r else 0 for j, a in enumerate(alive)], keys_from, shares_from, dim=d, bits=BITS,
                       key_bytes=PK, share_bytes=CTXT // 2)

    ledger = [priced(r) for r in range(len(ROUNDS))]
    assert np.array_equal(sum(s for s, _ in ledger), run.sent[0])  # the rounds add up to simprive's ledger
    assert np.array_equal(sum(r for _, r in ledger), run.received[0])
    order = result["ring"]
    flwr_by_p = {stage: {p: recs[order[p]] for p in range(n) if order[p] in recs}
                 for stage, recs in result["stages"].items()}
    return {"run": run, "ledger": ledger, "flwr": flwr_by_p, "order": order, "d": d, "n": n,
            "keys_from": keys_from, "shares_from": shares_from}


def test_every_client_sends_the_messages_simprives_ledger_counts(pattern):
    """Per stage, what each client sends: 2 public keys; one ciphertext per neighbour that
    advertised keys (k here), each carrying its two shares (of the mask seed b and of the
    mask key); a masked vector, which in flwr has d + 1 elements: flwr puts the weight
    factor in front of the d that simprive sends; 1 + |neighbours that shared| shares in
    unmask (b of itself and of the surviving neighbours, the key of the dropped ones)."""
    run, fl, order, d = pattern["run"], pattern["flwr"], pattern["order"], pattern["d"]
    u1, u2, u3, u4 = run.alive[:, 0]
    for p in range(pattern["n"]):
        nbrs = {order[q] for q in run.neighbours[p]}
        assert fl["setup"][p]["sent"] == 2
        share_keys = fl["share_keys"][p]
        assert share_keys["sent"] == pattern["keys_from"][p] == 4 and set(share_keys["sent_to"]) == nbrs
        assert share_keys["ctxt_shares"] == [(B_SHARE, SK_SHARE)] * 4
        assert fl["collect_masked_vectors"][p]["received"] == pattern["shares_from"][p]
        if not u3[p]:
            assert fl["collect_masked_vectors"][p]["status"] == "dropped" and p not in fl["unmask"]
            continue
        assert fl["collect_masked_vectors"][p]["array_sizes"] == [1, d]
        assert fl["collect_masked_vectors"][p]["sent"] == d + 1
        unmask = fl["unmask"][p]
        assert unmask["sent"] == 1 + pattern["shares_from"][p]
        assert set(unmask["b_for"]) == {order[q] for q in [p, *run.neighbours[p]] if u3[q]}
        assert set(unmask["sk_for"]) == {order[q] for q in run.neighbours[p] if u2[q] and not u3[q]}
    assert u4.sum() == 5 and {len(fl["unmask"][p]["sk_for"]) for p in np.flatnonzero(u4)} == {1, 2}


def test_setup_and_share_keys_bytes_are_flowers_payload_at_its_encodings(pattern):
    """With simprive's traffic() priced at flwr's encodings (key_bytes = 215, share_bytes =
    306, so a ciphertext is 612 bytes), the setup and share_keys bytes each client sends are
    flwr's payload exactly (430 and 2448 bytes), and so are the ciphertext bytes it receives
    (flwr forwards them with the collect_masked_vectors message).  The public keys it
    receives are one pair more in flwr: the server sends each client its own pair back."""
    (setup, _), (share_keys, received_ctxts), _, _ = pattern["ledger"]
    (_, received_keys), fl = pattern["ledger"][0], pattern["flwr"]
    for p in range(pattern["n"]):
        assert fl["setup"][p]["sent_bytes"] == setup[p] == 2 * PK == 430
        assert fl["share_keys"][p]["sent_bytes"] == share_keys[p] == 4 * CTXT == 2448
        assert fl["collect_masked_vectors"][p]["received_bytes"] == received_ctxts[p] == 2448
        assert fl["share_keys"][p]["received_bytes"] == received_keys[p] + 2 * PK == 2150
        assert fl["share_keys"][p]["received"] == 2 * (pattern["keys_from"][p] + 1)


def test_unmask_and_masked_vector_bytes_follow_flowers_own_sizes(pattern):
    """Where the bytes differ.  Unmask: flwr's two shares differ in size, 52 bytes for the
    seed's (a 32-byte seed) and 324 for the private key's (a 306-byte PEM key), while the
    paper and simprive price every share at one size (here 306): flwr sends
    52·#b + 324·#sk bytes, simprive 306·(1 + |neighbours that shared|).  The masked vector:
    flwr sends int64 .npy arrays, the weight factor and the d elements, 2·128 + 8·(d + 1)
    bytes; simprive d elements of 32 bits, 4·d."""
    _, _, (masked, _), (unmask, _) = pattern["ledger"]
    run, fl, d = pattern["run"], pattern["flwr"], pattern["d"]
    seen = set()
    for p in np.flatnonzero(run.alive[3, 0]):
        rec = fl["unmask"][p]
        n_b, n_sk = len(rec["b_for"]), len(rec["sk_for"])
        assert rec["share_sizes"] == [B_SHARE] * n_b + [SK_SHARE] * n_sk
        assert rec["sent_bytes"] == B_SHARE * n_b + SK_SHARE * n_sk
        assert unmask[p] == CTXT // 2 * (1 + pattern["shares_from"][p]) == 1530
        seen.add((n_sk, rec["sent_bytes"]))
        assert fl["collect_masked_vectors"][p]["sent_bytes"] == 2 * NPY_HEADER + 8 * (d + 1) == 296
        assert masked[p] == BITS // 8 * d == 16
    assert seen == {(1, 532), (2, 804)}  # one or two dropped neighbours
