"""One MPyC party computing sum / tally / threshold / max / second_price over T trials.

Run one process per party, e.g. three local parties on loopback::

    python -m simprive.mpc.mpyc_programs.program --function max --inputs-file in.json \\
        --result-file 'out_{pid}.json' -P 127.0.0.1:20000 -P 127.0.0.1:20001 -P 127.0.0.1:20002 -I 0
    # ... and the same with -I 1 and -I 2

or let MPyC start the other parties itself with ``-M 3`` (it then discards their output).

Our own flags (``--function``, ``--inputs-file``, ``--result-file``, ``--options``) are
parsed with ``parse_known_args`` and deliberately *left* in ``sys.argv``: MPyC parses
``sys.argv`` with ``parse_known_args`` too (ignoring ours; none of our names is a prefix
of an MPyC flag, and ``--output-file`` is MPyC's, hence ``--result-file``), and with
``-M m`` and no ``-I`` it re-launches the raw ``sys.argv`` for parties 1..m-1, which
must still carry our flags.

Inputs file (JSON)::

    {"inputs": [[party 0's value per trial], [party 1's ...], ...], "trials": T,
     "bit_length": 32, "k": 4}

Party ``i`` reads only ``inputs[i]`` (its own private values) and feeds them into the
computation with ``mpc.input``; ``bit_length`` (secure-integer size) and ``k`` (number
of tally options) are public parameters every party must agree on.  All T trials run
vectorised (MPyC secure numpy arrays) in a single MPyC session.

Outputs per trial (every party learns them; each writes its copy):

=============  ========================================================
sum            Σ_i x_i
tally          per-option counts, shape (k,); party i votes option x_i
threshold      1 if 2·Σ_i x_i ≥ m else 0 (x_i ∈ {0, 1})
max            (max_i x_i, argmax_i x_i), first index on ties
second_price   (argmax_i x_i, second-highest x_i), first index on ties
=============  ========================================================

With ``--result-file PATH`` every party writes ``PATH.format(pid=i)`` (JSON: outputs,
bytes it sent to each peer just before shutdown, MPyC version); without it party 0
prints one line ``SIMPRIVE_MPYC_RESULT <json>`` on stdout.  MPyC itself logs
``Stop MPyC -- elapsed time: H:MM:SS.fff|bytes sent: N`` at shutdown (INFO level, on
stdout).  Only the standard library, numpy and mpyc are imported here.
"""

import argparse
import functools
import json
import operator
import os
import sys

FUNCTIONS = ("sum", "tally", "threshold", "max", "second_price")
RESULT_MARKER = "SIMPRIVE_MPYC_RESULT "
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _own_args():
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--function", required=True, choices=FUNCTIONS)
    parser.add_argument("--inputs-file", required=True)
    parser.add_argument("--result-file", default=None,
                        help="output path; '{pid}' is replaced by the party index")
    parser.add_argument("--options", type=int, default=None, help="number of tally options k")
    return parser.parse_known_args(sys.argv[1:])[0]


ARGS = _own_args() if __name__ == "__main__" else None

import numpy as np  # noqa: E402
from mpyc.runtime import mpc  # noqa: E402  (parses MPyC's flags from sys.argv)


def _bind_loopback_only():
    """MPyC 0.11 listens with ``loop.create_server(factory, port=p)``, i.e. on every
    interface; when all parties are local, bind the listening socket to 127.0.0.1."""
    if not all(p.host in LOOPBACK for p in mpc.parties):
        return
    loop = mpc._loop
    create_server = loop.create_server

    def loopback_create_server(factory, host=None, port=None, **kwargs):
        return create_server(factory, host or "127.0.0.1", port, **kwargs)

    try:
        loop.create_server = loopback_create_server
    except (AttributeError, TypeError):  # e.g. a C-implemented loop; keep MPyC's default
        pass


def _int_lists(a):
    return np.vectorize(int, otypes=[object])(np.asarray(a, dtype=object)).tolist()


def _tournament(xs, secint, trials, second):
    """Vectorised knockout over the parties' bids: for each trial (index, max[, second]).

    Depth ⌈log2 m⌉ comparison layers.  The right half wins a match only when strictly
    larger, so ties go to the lowest index (like ``numpy.argmax`` and ``mpc.argmax``).
    """
    def smax(a, b):
        return mpc.if_else(a < b, b, a)

    def play(lo, hi):
        if hi - lo == 1:
            return secint.array(np.full(trials, lo, dtype=np.int64)), xs[lo], None
        mid = (lo + hi) // 2
        li, l1, l2 = play(lo, mid)
        ri, r1, r2 = play(mid, hi)
        c = l1 < r1  # right wins
        idx = mpc.if_else(c, ri, li)
        top = mpc.if_else(c, r1, l1)
        runner_up = None
        if second:  # second = max(loser's best, winner's second)
            right_wins = l1 if r2 is None else smax(l1, r2)
            left_wins = r1 if l2 is None else smax(r1, l2)
            runner_up = mpc.if_else(c, right_wins, left_wins)
        return idx, top, runner_up

    return play(0, len(xs))


def _check_own_inputs(function, mine, m, k, bit_length):
    if function == "tally" and not np.all((0 <= mine) & (mine < k)):
        raise ValueError(f"party {mpc.pid}: tally votes must be option indexes 0..{k - 1}")
    if function == "threshold" and not np.all((mine == 0) | (mine == 1)):
        raise ValueError(f"party {mpc.pid}: threshold votes must be 0 or 1")
    bound = 2 ** (bit_length - 1)
    if mine.size and int(np.max(np.abs(mine))) * max(m, 2) >= bound:
        raise ValueError(f"party {mpc.pid}: inputs too large for {bit_length}-bit secure integers "
                         f"with {m} parties")


async def compute(function, mine, m, trials, k, bit_length):
    """``mine``: this party's ``(T, c)`` inputs; all n = m·c inputs enter in party order."""
    secint = mpc.SecInt(bit_length)
    n = m * mine.shape[1]
    if function == "tally":  # a party adds up its own ballots locally: (T, k) counts
        onehot = np.zeros((trials, k), dtype=np.int64)
        for col in mine.T:
            onehot[np.arange(trials), col] += 1
        xs = mpc.input(secint.array(onehot))
    elif mine.shape[1] == 1:
        xs = mpc.input(secint.array(mine[:, 0]))  # one secure (T,) array per party
    else:
        xs = [x[:, j] for x in mpc.input(secint.array(mine)) for j in range(mine.shape[1])]
    m = n  # every input is one contestant / voter from here on
    if function in ("sum", "tally"):
        out = functools.reduce(operator.add, xs)
    elif function == "threshold":
        out = 2 * functools.reduce(operator.add, xs) >= m
    elif function == "max":
        idx, top, _ = _tournament(xs, secint, trials, second=False)
        out = mpc.np_stack([top, idx], axis=1)
    else:  # second_price
        if m < 2:
            raise ValueError("second_price needs at least 2 parties")
        idx, _, runner_up = _tournament(xs, secint, trials, second=True)
        out = mpc.np_stack([idx, runner_up], axis=1)
    return await mpc.output(out)


def _bytes_sent_to():
    """Bytes this party sent to each peer so far (MPyC's own counters), or None."""
    try:
        return [int(p.protocol.nbytes_sent) if p.pid != mpc.pid else 0 for p in mpc.parties]
    except AttributeError:
        return None


async def main(args):
    with open(args.inputs_file) as f:
        spec = json.load(f)
    m = len(mpc.parties)
    trials = int(spec["trials"])
    if len(spec["inputs"]) != m:
        raise ValueError(f"inputs file has {len(spec['inputs'])} parties, MPyC runs {m}")
    per_party = int(spec.get("per_party", 1))
    mine = np.asarray(spec["inputs"][mpc.pid], dtype=np.int64).reshape(trials, per_party)  # own values only
    k = args.options if args.options is not None else spec.get("k")
    if args.function == "tally" and not k:
        raise ValueError("tally needs the number of options: --options k")
    bit_length = int(spec.get("bit_length", 32))
    _check_own_inputs(args.function, mine, m * per_party, k, bit_length)

    _bind_loopback_only()
    await mpc.start()
    outputs = await compute(args.function, mine, m, trials, k, bit_length)
    sent_to = _bytes_sent_to()
    await mpc.shutdown()  # logs "Stop MPyC -- elapsed time: ...|bytes sent: N"

    result = {"pid": mpc.pid, "parties": m, "function": args.function, "trials": trials,
              "outputs": _int_lists(outputs), "bytes_sent_to": sent_to,
              "mpyc_version": mpc.version}
    if args.result_file:
        path = args.result_file.format(pid=mpc.pid)
        with open(path + ".tmp", "w") as f:
            json.dump(result, f)
        os.replace(path + ".tmp", path)
    elif mpc.pid == 0:
        print(RESULT_MARKER + json.dumps(result), flush=True)


if __name__ == "__main__":
    mpc.run(main(ARGS))
