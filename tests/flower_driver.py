"""Flower 1.42's real SecAgg+ code, driven in one process, for cross-checking simprive.mpc.secagg.

:func:`run_flower` runs one round of the real ``flwr.server.workflow.SecAggPlusWorkflow``
(server) against one real ``flwr.client.mod.secaggplus_mod`` per client (the client side),
with no network, no Ray, no gRPC and no SuperLink: a loopback ``Grid`` puts every server
message through a protobuf round trip, as on the wire, hands it to the destination client's
mod, and returns the reply the same way (the round trip matters: the server hands one
``RecordDict`` to every node and the mod pops ``stage`` from it).  A client that drops in a
stage is sent that stage's message and never answers (the workflow waits with timeout=None,
so it just gets fewer replies); a client's exception becomes an error reply, as a ClientApp
sends.

Exact-integer mode: inputs are integers in [−8, 8]; clipping range c = 8, quantization range
T = 16, max_weight = num_examples = 100, so each client's weight factor is q = T = 16, its
scaling dq = 1 and its quantization the exact shift x ↦ x + 8.  The server's unmasked vector
is then S = Σ_survivors (x + 8) mod 2^32, and Σx = S − 8·|survivors|.

Only observed, never changed: ``factor_extract`` in the workflow module (to see the unmasked
integers), the workflow module's ``random`` (its ``shuffle`` builds the ring; the stand-in
calls the real one and keeps the order), the clients' states (to decrypt the share
ciphertexts with the senders' own keys).  All of it, the global ``random``/``np.random``
states, ``TaskIdentity`` and flwr's logger, is restored after the run.

Per stage, per client (input index), ``stages[stage][i]`` counts the protocol's payload,
excluding ids and framing (flwr's encodings: PEM keys, Fernet tokens, ``.npy`` arrays):

=======================  ========================================  ==============================================
stage                    received                                  sent
=======================  ========================================  ==============================================
setup                    —                                         public keys: pk1 and pk2
share_keys               public keys, of its neighbours and its    ciphertexts, one for each neighbour, each with
                         own (``received_from``)                   a seed and a key share (``ctxt_shares``)
collect_masked_vectors   ciphertexts forwarded to it               masked elements: weight factor + d (int64 .npy)
unmask                   — (the active/dead id lists)              Shamir shares: of b for the active (``b_for``),
                                                                   of sk1 for the dropped (``sk_for``)
=======================  ========================================  ==============================================
"""

from __future__ import annotations

import logging
import random
from uuid import uuid4

import flwr.server.workflow.secure_aggregation.secaggplus_workflow as swf
import numpy as np
from flwr.app import ConfigRecord, Context, Message, RecordDict
from flwr.app.error import Error
from flwr.client.mod import secaggplus_mod
from flwr.client.mod.secure_aggregation.secaggplus_mod import SecAggPlusState
from flwr.common import Code, FitRes, Status, bytes_to_ndarray, ndarrays_to_parameters, parameters_to_ndarrays
from flwr.common.constant import SUPERLINK_NODE_ID
from flwr.common.secure_aggregation.crypto.symmetric_encryption import decrypt
from flwr.common.secure_aggregation.secaggplus_constants import RECORD_KEY_CONFIGS, RECORD_KEY_STATE
from flwr.common.secure_aggregation.secaggplus_utils import share_keys_plaintext_separate
from flwr.common.serde import message_from_proto, message_to_proto
from flwr.compat.common import recorddict_compat as compat
from flwr.proto.message_pb2 import Message as ProtoMessage
from flwr.server import ServerConfig
from flwr.server.client_manager import SimpleClientManager
from flwr.server.compat.grid_client_proxy import GridClientProxy
from flwr.server.compat.legacy_context import LegacyContext
from flwr.server.strategy import FedAvg
from flwr.server.workflow import SecAggPlusWorkflow
from flwr.server.workflow.constant import MAIN_CONFIGS_RECORD, MAIN_PARAMS_RECORD
from flwr.serverapp.grid import Grid
from flwr.supercore.task_identity import TaskIdentity

__all__ = ["CLIP", "FIRST_NID", "MODULUS", "STAGES", "run_flower"]

STAGES = ("setup", "share_keys", "collect_masked_vectors", "unmask")
CLIP, QUANT, MODULUS, WEIGHT = 8, 16, 2**32, 100  # exact mode: x ↦ x + 8, weight factor 16
RUN_ID, FIRST_NID = 1, 1000


def _wire(msg: Message) -> Message:
    """The message as the other side gets it: through protobuf and back."""
    return message_from_proto(ProtoMessage.FromString(message_to_proto(msg).SerializeToString()))


class _Client:
    """One SuperNode: its Context, and the real secaggplus_mod in front of a fit() that returns x."""

    def __init__(self, nid: int, x: np.ndarray):
        self.nid, self.x = nid, x
        self.ctx = Context(run_id=RUN_ID, node_id=nid, node_config={}, state=RecordDict(), run_config={})

    def _fit(self, msg: Message, ctx: Context) -> Message:
        res = FitRes(Status(Code.OK, ""), ndarrays_to_parameters([self.x]), WEIGHT, {})
        return Message(compat.fitres_to_recorddict(res, keep_input=True), reply_to=msg)

    def handle(self, msg: Message) -> Message:
        try:
            return secaggplus_mod(msg, self.ctx, self._fit)
        except Exception as exc:  # what a ClientApp replies
            return Message(Error(code=0, reason=f"{type(exc).__name__}: {exc}"), reply_to=msg)

    def shared_keys(self) -> dict[int, bytes]:
        """The Fernet keys it agreed with its neighbours (node id → key), from its saved state."""
        return SecAggPlusState(**self.ctx.state.config_records[RECORD_KEY_STATE]).ss2_dict


class _LoopbackGrid(Grid):
    """Synchronous in-process delivery, with dropouts, recording each stage's payload."""

    def __init__(self, clients: dict[int, _Client], drop: dict[str, set[int]]):
        self.clients, self.drop = clients, drop
        self.index = {nid: i for i, nid in enumerate(clients)}
        self.stages: dict[str, dict[int, dict]] = {s: {} for s in STAGES}

    def set_run(self, run):
        pass

    @property
    def run(self):
        raise NotImplementedError

    def create_message(self, content, message_type, dst_node_id, group_id, ttl=None):
        return Message(content, dst_node_id, message_type, ttl=ttl, group_id=group_id)

    def get_node_ids(self):
        return list(self.clients)

    def push_messages(self, messages):
        raise NotImplementedError

    def pull_messages(self, message_ids):
        raise NotImplementedError

    def send_and_receive(self, messages, *, timeout=None):
        replies = []
        for msg in messages:
            msg.metadata.__dict__.update(_message_id=str(uuid4()), _run_id=RUN_ID)
            nid, down = msg.metadata.dst_node_id, _wire(msg)
            cfg = msg.content.config_records[RECORD_KEY_CONFIGS]
            stage = cfg["stage"]
            rec = self.stages[stage][self.index[nid]] = {"status": "ok", **self._received(stage, cfg)}
            if nid in self.drop.get(stage, ()):
                rec.update(status="dropped", sent=0, sent_bytes=0)
                continue
            up = _wire(self.clients[nid].handle(down))
            if up.has_error():
                rec.update(status=up.error.reason, sent=0, sent_bytes=0)
            else:
                rec.update(self._sent(stage, up.content.config_records[RECORD_KEY_CONFIGS], self.clients[nid]))
            replies.append(up)
        return replies

    def _ids(self, nids) -> list[int]:
        return sorted(self.index[int(n)] for n in nids)

    def _received(self, stage: str, cfg: ConfigRecord) -> dict:
        if stage == "share_keys":
            owners = [k for k in cfg.keys() if k != "stage"]
            return {"received": 2 * len(owners), "received_from": self._ids(owners),
                    "received_bytes": sum(len(pk) for k in owners for pk in cfg[k])}
        if stage == "collect_masked_vectors":
            return {"received": len(cfg["ctxts"]), "received_from": self._ids(cfg["srcs"]),
                    "received_bytes": sum(map(len, cfg["ctxts"]))}
        if stage == "unmask":
            return {"received": 0, "received_bytes": 0, "active": self._ids(cfg["active_nids"]),
                    "dead": self._ids(cfg["dead_nids"])}
        return {"received": 0, "received_bytes": 0}

    def _sent(self, stage: str, cfg: ConfigRecord, client: _Client) -> dict:
        if stage == "setup":
            return {"sent": 2, "sent_bytes": len(cfg["pk1"]) + len(cfg["pk2"])}
        if stage == "share_keys":
            keys = client.shared_keys()
            plain = [share_keys_plaintext_separate(decrypt(keys[dst], c)) for dst, c in zip(cfg["dsts"], cfg["ctxts"])]
            return {"sent": len(cfg["ctxts"]), "sent_bytes": sum(map(len, cfg["ctxts"])),
                    "sent_to": self._ids(cfg["dsts"]), "ctxt_shares": [(len(b), len(sk)) for _, _, b, sk in plain]}
        if stage == "collect_masked_vectors":
            arrays = [bytes_to_ndarray(b) for b in cfg["masked_params"]]
            return {"sent": sum(a.size for a in arrays), "sent_bytes": sum(map(len, cfg["masked_params"])),
                    "array_sizes": [a.size for a in arrays]}
        # unmask: a share of b for each active neighbour (itself included), of sk1 for each dead one
        active = set(self.stages["unmask"][self.index[client.nid]]["active"])
        owners, shares = [self.index[int(o)] for o in cfg["nids"]], list(cfg["shares"])
        return {"sent": len(shares), "sent_bytes": sum(map(len, shares)), "share_sizes": [len(s) for s in shares],
                "b_for": sorted(o for o in owners if o in active), "sk_for": sorted(o for o in owners if o not in active)}


class _ShuffleSpy:
    """Stands in for ``random`` in the workflow module: its one use, ``shuffle``, builds the ring."""

    def __init__(self):
        self.order: list[int] = []

    def shuffle(self, x: list[int]) -> None:
        random.shuffle(x)
        self.order = list(x)


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname}: {record.getMessage()}")


def run_flower(inputs: np.ndarray, *, num_shares: int, threshold: int, drop: dict[str, list[int]] | None = None,
               seed: int = 0) -> dict:
    """One SecAgg+ round of flwr on ``inputs`` ``(n, d)``, integers in [−8, 8]; ``drop``: for
    a stage (:data:`STAGES`), the input indices that do not answer it; ``seed`` fixes the
    server's ring shuffle (keys and masks are fresh randomness from the OS every run).

    Returns a dict: ``sum`` Σx over the survivors (int64 ``(d,)``, from flwr's unmasked
    vector) and ``aggregate`` flwr's weighted mean (float ``(d,)``), both None if flwr
    failed; ``unmasked`` S and ``factor`` Σq as the server found them; ``survivors`` who sent
    a masked vector; ``ring``: the input indices in flwr's ring order (the neighbours of
    ``ring[p]`` are ``ring[p − h … p + h]``, h = num_shares // 2); ``neighbours``: i → the
    sorted neighbourhood flwr built, i included; ``num_shares``/``threshold`` as flwr used
    them; ``stages``: the per-stage records (module docstring); ``log``: flwr's log lines."""
    x = np.asarray(inputs)
    if x.ndim != 2 or not np.issubdtype(x.dtype, np.integer) or np.abs(x).max() > CLIP:
        raise ValueError(f"inputs must be (n, d) integers in [-{CLIP}, {CLIP}] (exact mode)")
    n, d = x.shape
    nids = [FIRST_NID + i for i in range(n)]
    clients = {nid: _Client(nid, x[i].astype(np.float64)) for i, nid in enumerate(nids)}
    grid = _LoopbackGrid(clients, {s: {nids[i] for i in idx} for s, idx in (drop or {}).items()})

    manager = SimpleClientManager()
    for nid in nids:
        manager.register(GridClientProxy(nid, grid, RUN_ID))
    strategy = FedAvg(fraction_fit=1.0, fraction_evaluate=0.0, min_fit_clients=n, min_available_clients=n,
                      fit_metrics_aggregation_fn=lambda metrics: {})
    base = Context(run_id=RUN_ID, node_id=0, node_config={}, state=RecordDict(), run_config={})
    ctx = LegacyContext(base, config=ServerConfig(num_rounds=1), strategy=strategy, client_manager=manager)
    ctx.state.config_records[MAIN_CONFIGS_RECORD] = ConfigRecord({"current_round": 1})
    ctx.state.array_records[MAIN_PARAMS_RECORD] = compat.parameters_to_arrayrecord(
        ndarrays_to_parameters([np.zeros(d)]), keep_input=True)
    workflow = SecAggPlusWorkflow(num_shares=num_shares, reconstruction_threshold=threshold, max_weight=float(WEIGHT),
                                  clipping_range=float(CLIP), quantization_range=QUANT, modulus_range=MODULUS)
    seen: dict = {}
    setup_stage = workflow.setup_stage

    def observed_setup(grid_, context, state) -> bool:
        ok = setup_stage(grid_, context, state)
        seen.update(num_shares=state.num_shares, threshold=state.threshold,
                    neighbours={grid.index[k]: grid._ids(v) for k, v in state.nid_to_neighbours.items()})
        return ok

    def observed_factor_extract(parameters):
        seen["unmasked"] = [np.asarray(p).astype(np.int64) for p in parameters]
        return factor_extract(parameters)

    workflow.setup_stage = observed_setup  # an attribute of this instance only
    factor_extract, spy, records = swf.factor_extract, _ShuffleSpy(), _Records()
    logger = logging.getLogger("flwr")
    saved = (random.getstate(), np.random.get_state(), logger.level, logger.handlers[:], swf.random,
             TaskIdentity._run_id, TaskIdentity._node_id, TaskIdentity._task_id)
    try:
        random.seed(seed)  # the server's sampling and ring shuffle
        np.random.seed(seed)  # flwr's stochastic rounding (exact here: nothing to round)
        logger.handlers = [records]
        logger.setLevel(logging.INFO)
        swf.factor_extract, swf.random = observed_factor_extract, spy
        TaskIdentity.run_id, TaskIdentity.node_id, TaskIdentity.task_id = RUN_ID, SUPERLINK_NODE_ID, 1
        workflow(grid, ctx)
    finally:
        swf.factor_extract, swf.random = factor_extract, saved[4]
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        logger.setLevel(saved[2])
        logger.handlers = saved[3]
        TaskIdentity._run_id, TaskIdentity._node_id, TaskIdentity._task_id = saved[5:]

    survivors = sorted(i for i, r in grid.stages["collect_masked_vectors"].items() if r["status"] == "ok")
    out = {"sum": None, "aggregate": None, "unmasked": None, "factor": None, "survivors": survivors,
           "ring": [grid.index[nid] for nid in spy.order], "neighbours": seen.get("neighbours"),
           "num_shares": seen.get("num_shares"), "threshold": seen.get("threshold"),
           "stages": grid.stages, "log": records.lines}
    if "unmasked" in seen:  # every secret was rebuilt: the server went on to aggregate
        (factor,), unmasked = seen["unmasked"]
        params = compat.arrayrecord_to_parameters(ctx.state.array_records[MAIN_PARAMS_RECORD], keep_input=True)
        out.update(sum=unmasked - CLIP * len(survivors), aggregate=parameters_to_ndarrays(params)[0],
                   unmasked=unmasked, factor=int(factor))
    return out
