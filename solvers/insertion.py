"""Dynamic cheapest insertion after committed prefixes, on the routing engine's node-evaluation kernel.

The engine (:mod:`solvers.engine.kernels`) prices every trip as if it left the depot at the start of the day. In a
dynamic day an AMR is somewhere on a trip: its *committed* part (what it has done plus its current target) is frozen,
and only the *pending* part may change. This module evaluates an AMR's pending day as a **chain**:

- an optional rest of the current trip, starting from the committed target ``last`` at its departure time
  ``t_dep`` with the load already on the trip and the energy used since the last charge;
- then its later trips, each leaving the depot at ``max(earliest start, previous return + turnaround + depot
  recharge)`` (the rules of ``docs/semantics.md``).

Every node is appended with the engine's own scratch-state kernel (``kernels._visit`` in the general evaluation
mode: mean departure times, soft-window lateness ``w_p (S - l)^+``, horizon and battery violations), so the
dynamic decisions price a route exactly as the static search does; only the start of the scratch state differs
(a committed target at a given time instead of the depot at the start of the day).

Layout of a chain (arrays, so a decision over all AMRs is one Numba call):

- ``seq[a, :n_seq[a]]``: node indices; ``0`` closes a trip (the return to the depot). When ``in_trip[a]`` the first
  segment is the rest of the current trip, otherwise every segment is a later trip.
- ``starts[a, k]``: earliest start of the ``k``-th trip that leaves the depot inside the chain.
- An insertion of node ``v`` at position ``q < n_seq`` puts ``v`` before ``seq[q]`` (before a ``0`` = at the end of
  that trip); ``q == n_seq`` appends a new trip ``[v]`` leaving no earlier than ``new_start``.

A chain's *cost* is ``cost_per_distance * distance + lateness cost + duration_weight * busy time`` (the time the
AMR is out, see :func:`chain_eval`; ``ChainEvaluator.duration_weight``, 0 by default); its *violation* is the sum
of the load excess of every trip, the horizon (and, with hard windows, time-window) violation and the battery
violation. An insertion is feasible when it adds no violation.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from solvers.engine import kernels as K
from solvers.engine.state import node_table
from solvers.routing_arrays import RoutingArrays

__all__ = ["ChainEvaluator", "best_chain_insertions", "chain_eval", "lazy_starts"]

# output fields of chain_eval
C_COST, C_VIOL, C_END, C_DIST, C_LATE, C_BUSY = range(6)


@njit(cache=True)
def _seed(st, last, time, load, es):
    """Scratch state standing at node ``last``, leaving at ``time`` (the engine's fields, general mode)."""
    for k in range(st.shape[0]):
        st[k] = 0.0
    st[K.S_LAST] = last
    st[K.S_MU] = time
    st[K.S_LOAD] = load
    st[K.S_ES] = es


@njit(cache=True)
def chain_eval(seq, n_seq, starts, in_trip, last, t_dep, load0, es0, ins_node, ins_pos, new_start,
               D, T, TV, E, node, par, turnaround, depot_charging, st, out, duration_weight=0.0):
    """Evaluate one AMR's pending chain, optionally with ``ins_node`` inserted at ``ins_pos`` (-1: none).

    Fills ``out`` with cost, violation, time the chain ends (last return + turnaround + recharge), distance,
    lateness cost and busy time; returns the cost, ``duration_weight`` times the busy time included.

    Busy time is the sum over the chain's trips of return minus departure, waits included: the rest of the current
    trip counts from ``t_dep``, a trip from the depot from its earliest departure (``starts``, or ``new_start``
    for a new trip), so waiting for a far-off window counts as time the AMR is taken.
    """
    cap = par[K.P_CAP]
    g = par[K.P_G]
    load_excess = 0.0
    k_trip = 0
    free = t_dep
    started = in_trip
    if in_trip:
        _seed(st, last, t_dep, load0, es0)
    dist = 0.0
    late = 0.0
    tp = 0.0
    bp = 0.0
    busy = 0.0
    trip_start = t_dep
    total = n_seq + (1 if ins_pos == n_seq else 0)
    for q in range(total):
        if q == n_seq:  # a new trip at the end of the chain
            depart = max(new_start, free)
            trip_start = depart
            _seed(st, 0, depart, 0.0, 0.0)
            K._visit(st, ins_node, False, D, T, TV, E, node, par)
            x = 0
        else:
            x = seq[q]
            if not started:
                depart = max(starts[k_trip], free)
                k_trip += 1
                trip_start = depart
                _seed(st, 0, depart, 0.0, 0.0)
                started = True
            if q == ins_pos:
                K._visit(st, ins_node, False, D, T, TV, E, node, par)
        if x == 0:
            es_arr = st[K.S_ES] + E[int(st[K.S_LAST]), 0]
            K._visit(st, 0, True, D, T, TV, E, node, par)
            load_excess += max(0.0, st[K.S_LOAD] - cap)
            busy += st[K.S_MU] - trip_start
            recharge = g * es_arr if depot_charging else 0.0
            free = st[K.S_MU] + turnaround + recharge
            dist += st[K.S_DIST]
            late += st[K.S_LC]
            tp += st[K.S_TP]
            bp += st[K.S_BP]
            started = False
        else:
            K._visit(st, x, False, D, T, TV, E, node, par)
    out[C_COST] = par[K.P_CPD] * dist + late + duration_weight * busy
    out[C_VIOL] = load_excess + tp + bp
    out[C_END] = free
    out[C_DIST] = dist
    out[C_LATE] = late
    out[C_BUSY] = busy
    return out[C_COST]


@njit(cache=True)
def best_chain_insertions(v, new_start, seqs, n_seq, starts, in_trip, last, t_dep, load0, es0, allow_new,
                          D, T, TV, E, node, par, turnaround, depot_charging, tol, duration_weight=0.0):
    """Cheapest feasible insertion of ``v`` into every AMR's chain.

    Returns ``(delta, position)`` arrays over AMRs: the cost increase of the best insertion that adds no violation
    and its position (``n_seq[a]`` = a new trip at the end; only when ``allow_new[a]``); ``inf`` / ``-1`` when
    there is none.
    """
    n_amr = seqs.shape[0]
    best = np.full(n_amr, np.inf)
    pos = np.full(n_amr, -1, dtype=np.int64)
    st = np.zeros(K.N_S)
    out = np.zeros(6)
    for a in range(n_amr):
        base = chain_eval(seqs[a], n_seq[a], starts[a], in_trip[a], last[a], t_dep[a], load0[a], es0[a],
                          -1, -1, new_start, D, T, TV, E, node, par, turnaround, depot_charging, st, out,
                          duration_weight)
        base_viol = out[C_VIOL]
        top = n_seq[a] + (1 if allow_new[a] else 0)
        for q in range(top):
            c = chain_eval(seqs[a], n_seq[a], starts[a], in_trip[a], last[a], t_dep[a], load0[a], es0[a],
                           v, q, new_start, D, T, TV, E, node, par, turnaround, depot_charging, st, out,
                           duration_weight)
            if out[C_VIOL] > base_viol + tol:
                continue
            if c - base < best[a]:
                best[a] = c - base
                pos[a] = q
    return best, pos


class ChainEvaluator:
    """The arrays of one problem prepared for chain evaluation (see the module docstring).

    Parameters
    ----------
    arrays
        The problem. Evaluation uses mean travel and service times (the engine's general mode).
    duration_weight
        Price per time unit of a chain's busy time, added to its cost (0: distance and lateness only); kept as
        the attribute of the same name.
    """

    def __init__(self, arrays: RoutingArrays, duration_weight: float = 0.0):
        self.arrays = arrays
        self.D = np.ascontiguousarray(arrays.distance, dtype=np.float64)
        self.T = np.ascontiguousarray(arrays.travel_mean, dtype=np.float64)
        self.TV = np.zeros_like(self.T)
        self.E = np.ascontiguousarray(arrays.energy, dtype=np.float64)
        self.node = node_table(arrays)
        self.node[:, K.N_SVAR] = 0.0
        par = np.zeros(K.N_PAR)
        par[K.P_CAP] = arrays.capacity
        par[K.P_B] = arrays.battery_capacity
        par[K.P_USABLE] = arrays.battery_capacity - arrays.min_soc
        par[K.P_G] = arrays.recharge_rate if math.isfinite(arrays.battery_capacity) else 0.0
        par[K.P_Z] = 0.0
        par[K.P_HOR] = arrays.due[0]
        par[K.P_T0] = arrays.ready[0]
        par[K.P_CPD] = arrays.cost_per_distance
        par[K.P_GEN] = 1.0  # general mode: time is a departure time, not a duration segment
        par[K.P_SOFT] = 0.0 if arrays.hard_time_windows else 1.0
        self.par = par
        self.turnaround = float(arrays.depot_turnaround)
        self.depot_charging = bool(arrays.depot_charging and math.isfinite(arrays.battery_capacity))
        self._st = np.zeros(K.N_S)
        self._out = np.zeros(6)
        self.duration_weight = float(duration_weight)

    def evaluate(self, seq: np.ndarray, starts: np.ndarray, in_trip: bool, last: int, t_dep: float,
                 load0: float = 0.0, es0: float = 0.0, ins_node: int = -1, ins_pos: int = -1,
                 new_start: float = 0.0) -> dict[str, float]:
        """Evaluate one chain (``seq`` without padding); returns cost, violation, end, distance, lateness, busy."""
        seq = np.asarray(seq, dtype=np.int64)
        starts = np.asarray(starts, dtype=np.float64)
        if starts.size == 0:
            starts = np.zeros(1)
        chain_eval(seq, seq.size, starts, bool(in_trip), int(last), float(t_dep), float(load0), float(es0),
                   int(ins_node), int(ins_pos), float(new_start), self.D, self.T, self.TV, self.E, self.node,
                   self.par, self.turnaround, self.depot_charging, self._st, self._out, self.duration_weight)
        o = self._out
        return {"cost": float(o[C_COST]), "violation": float(o[C_VIOL]), "end": float(o[C_END]),
                "distance": float(o[C_DIST]), "lateness": float(o[C_LATE]), "busy": float(o[C_BUSY])}

    def best_insertions(self, v: int, new_start: float, seqs: np.ndarray, n_seq: np.ndarray, starts: np.ndarray,
                        in_trip: np.ndarray, last: np.ndarray, t_dep: np.ndarray, load0: np.ndarray,
                        es0: np.ndarray, allow_new: np.ndarray, tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
        """Per AMR, the cheapest feasible insertion of ``v``: ``(delta, position)`` (see
        :func:`best_chain_insertions`)."""
        return best_chain_insertions(int(v), float(new_start), seqs, n_seq, starts, in_trip, last, t_dep, load0,
                                     es0, allow_new, self.D, self.T, self.TV, self.E, self.node, self.par,
                                     self.turnaround, self.depot_charging, tol, self.duration_weight)

    def lazy_starts(self, seq: list[int] | np.ndarray, in_trip: bool, last: int, t_dep: float, load0: float = 0.0,
                    es0: float = 0.0, share: float = 1.0) -> np.ndarray:
        """Lateness-neutral departures of the chain's depot-starting trips, using ``share`` of the slack (see
        :func:`lazy_starts`)."""
        seq = np.asarray(seq, dtype=np.int64)
        return lazy_starts(seq, seq.size, bool(in_trip), int(last), float(t_dep), float(load0), float(es0), self.D,
                           self.T, self.TV, self.E, self.node, self.par, self.turnaround, self.depot_charging,
                           float(share))

    def warm_up(self) -> None:
        """Compile the kernels (so the first timed decision does not pay for it)."""
        n = self.D.shape[0]
        if n < 2:
            return
        z = np.zeros((1, 4), dtype=np.int64)
        z[0, :2] = (1, 0)
        one = np.ones(1)
        self.best_insertions(1, 0.0, z, np.array([2]), np.zeros((1, 1)), np.zeros(1, dtype=np.bool_),
                             np.zeros(1, dtype=np.int64), 0.0 * one, 0.0 * one, 0.0 * one, np.ones(1, dtype=np.bool_))
        self.lazy_starts([1, 0], False, 0, 0.0)


@njit(cache=True)
def lazy_starts(seq, n_seq, in_trip, last, t_dep, load0, es0, D, T, TV, E, node, par, turnaround, depot_charging,
                share=1.0):
    """Latest departure of every depot-starting trip of a chain that adds no lateness and no horizon excess.

    Trips leave as late as possible ("lazy dispatch"): an AMR waiting at the depot keeps its first visit open to
    insertions. Trip by trip, the departure is delayed by ``share`` times the forward time slack
    ``min_k (waits at visits 1..k + max(0, l_k - S_k))`` (and the slack to the horizon) of the trip run from the
    earliest possible departure (``share = 1``: no slack left; ``share < 1`` keeps the rest of the slack as waiting
    time on the way, room for later insertions); the next trip then starts from the delayed return. Returns one
    start per trip.
    """
    st = np.zeros(K.N_S)
    out = np.zeros(n_seq + 1)
    n_out = 0
    free = t_dep
    q = 0
    if in_trip:
        _seed(st, last, t_dep, load0, es0)
        while q < n_seq and seq[q] != 0:
            K._visit(st, seq[q], False, D, T, TV, E, node, par)
            q += 1
        es_arr = st[K.S_ES] + E[int(st[K.S_LAST]), 0]
        K._visit(st, 0, True, D, T, TV, E, node, par)
        free = st[K.S_MU] + turnaround + (par[K.P_G] * es_arr if depot_charging else 0.0)
        q += 1
    while q < n_seq:
        first = q
        # pass 1: schedule from the earliest departure, measuring the slack
        _seed(st, 0, free, 0.0, 0.0)
        waits = 0.0
        slack = np.inf
        while q < n_seq and seq[q] != 0:
            j = seq[q]
            mu_a = st[K.S_MU] + T[int(st[K.S_LAST]), j]
            if node[j, K.N_ISST] == 0.0:
                wait = max(0.0, node[j, K.N_READY] - mu_a)
                waits += wait
                s = mu_a + wait
                slack = min(slack, waits + max(0.0, node[j, K.N_DUE] - s))
            K._visit(st, j, False, D, T, TV, E, node, par)
            q += 1
        mu_back = st[K.S_MU] + T[int(st[K.S_LAST]), 0]
        slack = min(slack, waits + max(0.0, par[K.P_HOR] - mu_back))
        # only the last trip waits: delaying an earlier one would push the trips after it
        start = free + share * max(0.0, slack) if q + 1 >= n_seq else free
        out[n_out] = start
        n_out += 1
        # pass 2: the return from the delayed start
        _seed(st, 0, start, 0.0, 0.0)
        for p in range(first, q):
            K._visit(st, seq[p], False, D, T, TV, E, node, par)
        es_arr = st[K.S_ES] + E[int(st[K.S_LAST]), 0]
        K._visit(st, 0, True, D, T, TV, E, node, par)
        free = st[K.S_MU] + turnaround + (par[K.P_G] * es_arr if depot_charging else 0.0)
        q += 1
    return out[:n_out]
