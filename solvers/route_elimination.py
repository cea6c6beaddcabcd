"""Route elimination for single-trip problems (Nagata & Braysy 2009), on the shared routing engine.

One *route-elimination attempt* removes a trip from a feasible solution, puts its requests into an ejection pool
(EP) and empties the pool while keeping every trip feasible::

    remove a random trip; EP <- its requests; p[v] <- 1 for every request
    while EP is not empty:
        v <- pop(EP)                                   # last in, first out
        feasible insertion of v (cheapest in distance; with a charging station next to v when the battery needs
            one), else
        squeeze: cheapest penalised insertion, then the penalised local search (no trip may open); kept only if
            the result is feasible, else
        p[v] += 1; insertion-ejection: insert v and eject up to k requests of the same trip so that the trip
            becomes feasible, minimising p[ejected] (sum), then distance; the ejected requests join EP;
            perturbation: random feasible relocate / swap / 2-opt / 2-opt* moves

On success the solution has one trip fewer and is feasible; on failure (budget exhausted) the caller restores the
solution from before the attempt. Every evaluation goes through the engine kernels (:mod:`solvers.engine.kernels`):
the feasibility of a rewritten trip is the violation part of :func:`~solvers.engine.kernels.eval_row`.
Charging stations: feasible insertion also tries a station visit right before or after the request; the squeeze
uses the engine's station moves (station in/out/re-position); insertion-ejection may also drop up to two station
visits of the trip (``eject_stations``), and an attempt stuck for ``attempt_pops`` pops starts again on another
trip.

Reference: Y. Nagata, O. Braysy (2009), "A powerful route minimization heuristic for the vehicle routing problem
with time windows", Operations Research Letters 37(5):333-338.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from solvers.engine import kernels as K
from solvers.engine.kernels import (
    M_T,
    P_CAP,
    P_G,
    P_GEN,
    P_HOR,
    P_T0,
    P_USABLE,
    R_DIST,
    S_BP,
    S_D,
    S_DIST,
    S_E,
    S_ES,
    S_L,
    S_LAST,
    S_LOAD,
    S_TP,
    S_W,
    _piece,
    _row,
    _start,
    _visit,
    apply_move,
    eval_row,
    gen_insert_node,
    gen_relocate,
    gen_swap,
    gen_two_opt,
    gen_two_opt_star,
    seg_concat,
)
from solvers.engine.search import OP_ALL, OP_EMPTY
from solvers.engine.state import RoutingEngine

_TOL = 1e-9


@njit(cache=True)
def _violation(st, par):
    """Load excess + time violation + battery violation of the trip summarised in ``st``."""
    tp = st[S_W] if par[P_GEN] == 0.0 else st[S_TP]
    return max(0.0, st[S_LOAD] - par[P_CAP]) + tp + st[S_BP]


@njit(cache=True)
def move_violation(mv, st, routes, rlen, fw, bw, fst, D, T, TV, E, node, par):
    """Summed violation of the trips a move rewrites (0: the move keeps them feasible)."""
    v = 0.0
    for k in range(2):
        if mv[k, M_T] >= 0:
            eval_row(mv, k, st, routes, rlen, fw, bw, fst, D, T, TV, E, node, par)
            v += _violation(st, par)
    return v


@njit(cache=True)
def best_feasible_insertion(v, near_st, use_stations, routes, rlen, fw, bw, fst, rinfo, D, T, TV, E, node, par,
                            mv, best_mv, st):
    """Cheapest (in distance) insertion of request ``v`` into a non-empty trip that leaves the trip feasible.

    With ``use_stations`` an insertion whose load is fine but whose time or battery is violated is also tried
    with a visit to one of the stations ``near_st[v]`` right before or right after ``v``. The best move is left
    in ``best_mv``; returns its distance increase (``inf`` when there is no feasible insertion).
    """
    best = np.inf
    max_len = routes.shape[1]
    for r in range(rlen.shape[0]):
        if rlen[r] == 0 or rlen[r] + 4 > max_len:
            continue
        for p in range(rlen[r] + 1):
            a = routes[r, p]
            b = routes[r, p + 1]
            add = D[a, v] + D[v, b] - D[a, b]
            if add >= best:
                continue
            gen_insert_node(mv, rlen, r, p, v)
            eval_row(mv, 0, st, routes, rlen, fw, bw, fst, D, T, TV, E, node, par)
            if _violation(st, par) <= _TOL:
                best = st[S_DIST] - rinfo[r, R_DIST]
                best_mv[:, :] = mv
                continue
            if not use_stations or st[S_LOAD] > par[P_CAP] + _TOL:
                continue
            for s in near_st[v]:
                if s == a or s == b:  # noqa: SIM109 (scalar comparisons compile to plain code under Numba)
                    continue
                for side in range(2):
                    lb = D[a, s] + D[s, v] + D[v, b] if side == 0 else D[a, v] + D[v, s] + D[s, b]
                    lb -= D[a, b]
                    if lb >= best:
                        continue
                    _row(mv, 0, r, r, p, r, p + 1)
                    _piece(mv, 0, 0, -2, s if side == 0 else v, 0)
                    _piece(mv, 0, 1, -2, v if side == 0 else s, 0)
                    eval_row(mv, 0, st, routes, rlen, fw, bw, fst, D, T, TV, E, node, par)
                    if _violation(st, par) <= _TOL:
                        best = st[S_DIST] - rinfo[r, R_DIST]
                        best_mv[:, :] = mv
    return best


@njit(cache=True)
def _partial_violation(st, par):
    """Time and battery violation of a partial trip (both only grow when visits are appended)."""
    tp = st[S_W] if par[P_GEN] == 0.0 else st[S_TP]
    return tp + st[S_BP]


@njit(cache=True)
def _finish_seq(pre, st, seq, a, m, D, T, TV, E, node, par, early=False):
    """Violation and distance of the trip whose state after its first visits is ``pre``, then ``seq[a:m]``.

    With ``early`` the walk gives up (``inf, inf``) at the first time or battery violation: both only grow when
    visits are appended, so feasibility is decided exactly as by the full walk, and most ejection sets tried by the
    insertion-ejection fail early (r105_21: 18 -> 14 ms per call). ``st`` is then left partial.
    """
    st[:] = pre
    for i in range(a, m):
        _visit(st, seq[i], False, D, T, TV, E, node, par)
        if early and _partial_violation(st, par) > _TOL:
            return np.inf, np.inf
    _visit(st, 0, True, D, T, TV, E, node, par)
    return _violation(st, par), st[S_DIST]


# columns of the suffix table of :func:`_suffix_table` (one row per position of the rewritten trip, and the end)
_X_DIST, _X_LOAD, _X_EF, _X_BR, _X_TT, _X_AD, _X_AW, _X_AE, _X_AL, _X_FD, _X_FW, _X_FE, _X_FL, _X_CP = range(14)
_N_X = 14


@njit(cache=True)
def _suffix_table(seq, m, tab, D, T, E, node, par):
    """Suffix data of the trip ``0, seq[:m], 0`` for O(1) feasibility checks in fast mode (see :func:`_suffix_check`).

    Row ``j`` (``0 <= j <= m``; ``m`` is the closing depot) describes the suffix ``seq[j:m]``: its distance (from
    ``seq[j]``, arcs inside only) and load; ``_X_CP`` the position ``c`` of its first charge point (a station, or
    ``m``); the duration segment ``_X_A*`` of the visits ``j .. c-1`` (empty when ``j == c``), the travel time
    ``_X_TT`` from ``seq[c-1]`` to the charge point and the energy ``_X_EF`` from ``seq[j]`` to it; ``_X_BR`` the
    battery violation of the legs that leave the stations at or after ``j``; and the duration segment ``_X_F*`` of the
    visits ``j .. m`` with the charging times of the stations fixed as in the whole trip. Only the charge point
    ``c`` depends on the visits before ``j`` (its charging time is proportional to the energy on arrival); every
    later station charges the same energy as in the whole trip, because the suffix is kept as it is.
    """
    usable = par[P_USABLE]
    g = par[P_G]
    # forward: energy on arrival at every station since the previous charge point (whole trip)
    es = 0.0
    last = 0
    for j in range(m):
        x = seq[j]
        es += E[last, x]
        if node[x, K.N_ISST] > 0.0:
            tab[j, _X_EF] = es  # scratch: the station's charging energy, overwritten below
            es = 0.0
        last = x
    t0 = par[P_T0]
    hor = par[P_HOR]
    tab[m, _X_DIST] = 0.0
    tab[m, _X_LOAD] = 0.0
    tab[m, _X_EF] = 0.0
    tab[m, _X_BR] = 0.0
    tab[m, _X_TT] = 0.0
    tab[m, _X_CP] = m
    tab[m, _X_FD] = 0.0
    tab[m, _X_FW] = 0.0
    tab[m, _X_FE] = t0
    tab[m, _X_FL] = hor
    for j in range(m - 1, -1, -1):
        x = seq[j]
        y = seq[j + 1] if j + 1 < m else 0
        station = node[x, K.N_ISST] > 0.0
        tab[j, _X_DIST] = D[x, y] + tab[j + 1, _X_DIST]
        if station:
            sd, ej, lj = g * tab[j, _X_EF], t0, hor
            tab[j, _X_LOAD] = tab[j + 1, _X_LOAD]
            leg = E[x, y] + (tab[j + 1, _X_EF] if tab[j + 1, _X_CP] > j + 1 else 0.0)
            tab[j, _X_BR] = tab[j + 1, _X_BR] + max(0.0, leg - usable)
            tab[j, _X_CP] = j
            tab[j, _X_EF] = 0.0
            tab[j, _X_TT] = 0.0
        else:
            sd, ej, lj = node[x, K.N_SERV], node[x, K.N_READY], node[x, K.N_DUE]
            tab[j, _X_LOAD] = tab[j + 1, _X_LOAD] + node[x, K.N_DEM]
            tab[j, _X_BR] = tab[j + 1, _X_BR]
            c = int(tab[j + 1, _X_CP])
            tab[j, _X_CP] = c
            if c == j + 1:  # the next visit is the charge point
                tab[j, _X_EF] = E[x, y]
                tab[j, _X_TT] = T[x, y]
                tab[j, _X_AD] = sd
                tab[j, _X_AW] = 0.0
                tab[j, _X_AE] = ej
                tab[j, _X_AL] = lj
            else:
                tab[j, _X_EF] = E[x, y] + tab[j + 1, _X_EF]
                tab[j, _X_TT] = tab[j + 1, _X_TT]
                d, w, e, l = seg_concat(sd, 0.0, ej, lj, T[x, y], tab[j + 1, _X_AD], tab[j + 1, _X_AW],
                                        tab[j + 1, _X_AE], tab[j + 1, _X_AL])
                tab[j, _X_AD] = d
                tab[j, _X_AW] = w
                tab[j, _X_AE] = e
                tab[j, _X_AL] = l
        d, w, e, l = seg_concat(sd, 0.0, ej, lj, T[x, y], tab[j + 1, _X_FD], tab[j + 1, _X_FW], tab[j + 1, _X_FE],
                                tab[j + 1, _X_FL])
        tab[j, _X_FD] = d
        tab[j, _X_FW] = w
        tab[j, _X_FE] = e
        tab[j, _X_FL] = l


@njit(cache=True)
def _suffix_check(pre, j, seq, m, tab, D, T, E, par):
    """Violation and distance of the trip whose state after its first visits is ``pre``, then ``seq[j:m]``.

    O(1) from the table of :func:`_suffix_table` (fast mode: deterministic, hard time windows); equal to
    :func:`_finish_seq` up to rounding.
    """
    x = int(pre[S_LAST])
    nj = seq[j] if j < m else 0
    c = int(tab[j, _X_CP])
    nc = seq[c] if c < m else 0
    load = pre[S_LOAD] + tab[j, _X_LOAD]
    dist = pre[S_DIST] + D[x, nj] + tab[j, _X_DIST]
    d, w, e, l = pre[S_D], pre[S_W], pre[S_E], pre[S_L]
    if j < c:
        es_arr = pre[S_ES] + E[x, nj] + tab[j, _X_EF]
        d, w, e, l = seg_concat(d, w, e, l, T[x, nj], tab[j, _X_AD], tab[j, _X_AW], tab[j, _X_AE], tab[j, _X_AL])
        travel = tab[j, _X_TT]
    else:
        es_arr = pre[S_ES] + E[x, nc]
        travel = T[x, nc]
    bp = pre[S_BP] + max(0.0, es_arr - par[P_USABLE]) + tab[c, _X_BR]
    if c < m:  # a station: its charging time depends on the energy on arrival, then the rest as in the table
        d, w, e, l = seg_concat(d, w, e, l, travel, par[P_G] * es_arr, 0.0, par[P_T0], par[P_HOR])
        y = seq[c + 1] if c + 1 < m else 0
        d, w, e, l = seg_concat(d, w, e, l, T[nc, y], tab[c + 1, _X_FD], tab[c + 1, _X_FW], tab[c + 1, _X_FE],
                                tab[c + 1, _X_FL])
    else:
        d, w, e, l = seg_concat(d, w, e, l, travel, 0.0, 0.0, par[P_T0], par[P_HOR])
    return max(0.0, load - par[P_CAP]) + w + bp, dist


#: Most charging-station visits one insertion-ejection may drop (besides the ``k_max`` <= 3 requests).
MAX_STATION_EJECTIONS = 2
#: Length of the ``out`` array of :func:`best_insertion_ejection`: ejected nodes, then their positions.
MAX_EJECTED = 3 + MAX_STATION_EJECTIONS
OUT_LEN = 2 * MAX_EJECTED


@njit(cache=True)
def best_insertion_ejection(v, k_max, pen, stations, max_st_ej, metric, routes, rlen, rinfo, D, T, TV, E, node, par,
                            st, seq, out):
    """Insert request ``v`` into a trip and eject at most ``k_max`` (<= 3) other requests so the trip is feasible.

    Minimises the summed ejection counters ``pen`` of the ejected requests, then the distance increase of the
    trip. Every insertion is also tried with a visit to one of ``stations`` (the charging stations nearest to
    ``v``; empty: none) right before or right after ``v``. Besides the requests, up to ``max_st_ej``
    (<= :data:`MAX_STATION_EJECTIONS`) charging-station visits of the trip may be ejected, for free (counter 0): a
    trip whose charging stop blocks a request can then free it (the trip is re-timed without the stop and must
    stay feasible; charging comes back later through an insertion with a station next to a request). The ejection
    sets are enumerated depth first in the order of the trip with every prefix state cached, and a prefix whose
    time or battery is already violated ends its branch; a branch whose counter sum cannot reach the best one
    stops too. In fast mode (deterministic times, hard windows) the rest of the trip after an ejected position is
    checked in O(1) from a suffix table built once per insertion variant (:func:`_suffix_table`,
    :func:`_suffix_check`; r105_21: 3.9 -> 2.5 ms per call), otherwise it is walked visit by visit until the first
    violation. With ``metric`` (distances and travel times satisfy the triangle inequality and energy is
    proportional to distance, see :func:`is_metric`) two more cuts keep the result unchanged: an ejection set
    that only ties on the counters is skipped when the distance of its kept prefix plus the way home already
    reaches the best distance, and the station variants of a position are skipped when ``v`` inserted there
    without a station leaves the battery feasible and the trip has no station visit to eject (a station next to
    ``v`` then only adds time, distance and charging).

    The station added next to ``v`` is never ejected (that set is the insertion without the station).

    Parameters
    ----------
    out
        Int64 array of length :data:`OUT_LEN`; receives the ejected nodes (requests and stations, ``-1`` padded)
        in ``out[:MAX_EJECTED]`` and their positions in the trip after the insertion (visits only, without the
        depots; ``v`` and the added station included) in ``out[MAX_EJECTED:]``.

    Returns
    -------
    tuple
        ``(psum, trip, position, station, side)``: ``trip == -1`` when nothing was found, ``station == -1`` when no
        station is added; ``v`` (with the station) goes between visits ``position`` and ``position + 1``.
    """
    best_ps = np.inf
    best_d = np.inf
    best_r = -1
    best_p = -1
    best_s = -1
    best_side = 0
    best_n = 0
    out[:] = -1
    depth = min(k_max, 3) + min(max_st_ej, MAX_STATION_EJECTIONS)
    base = np.empty((depth, st.shape[0]))
    cur = np.empty(depth, dtype=np.int64)  # position ejected at each level
    lo = np.empty(depth, dtype=np.int64)  # first position of each level
    psum = np.empty(depth)  # summed counters of the levels above
    nreq = np.empty(depth, dtype=np.int64)  # requests ejected by the levels above
    nst = np.empty(depth, dtype=np.int64)  # stations ejected by the levels above
    best_pos = np.empty(depth, dtype=np.int64)
    fast = par[P_GEN] == 0.0  # O(1) suffix checks from a table per rewritten trip
    tab = np.empty((seq.shape[0] + 1, _N_X))
    n_var = 1 + 2 * stations.shape[0]
    pmin = np.inf  # smallest counter of a request other than v
    for j in range(1, node.shape[0]):
        if j != v and node[j, K.N_ISST] == 0.0 and pen[j] < pmin:
            pmin = pen[j]
    plain_ok = False
    for r in range(rlen.shape[0]):
        n = rlen[r]
        if n == 0 or n + 4 > routes.shape[1]:
            continue
        trip_st = False
        for q in range(1, n + 1):
            if node[routes[r, q], K.N_ISST] > 0.0:
                trip_st = True
        for pvar in range((n + 1) * n_var):
            p = pvar // n_var
            var = pvar % n_var
            s = -1 if var == 0 else stations[(var - 1) // 2]
            side = (var - 1) % 2
            if s >= 0 and (s == routes[r, p] or s == routes[r, p + 1]):
                continue
            if s >= 0 and plain_ok and (max_st_ej == 0 or not trip_st):
                continue
            m = 0
            for q in range(1, p + 1):
                seq[m] = routes[r, q]
                m += 1
            if s >= 0 and side == 0:
                seq[m] = s
                m += 1
            pos_v = m
            pos_s = -1 if s < 0 else (m - 1 if side == 0 else m + 1)  # the added station stays
            seq[m] = v
            m += 1
            if s >= 0 and side == 1:
                seq[m] = s
                m += 1
            for q in range(p + 1, n + 1):
                seq[m] = routes[r, q]
                m += 1
            d0 = -rinfo[r, R_DIST]
            if fast:
                _suffix_table(seq, m, tab, D, T, E, node, par)
            if metric and var == 0 and stations.shape[0] > 0:
                _start(base[0], par)
                _finish_seq(base[0], st, seq, 0, m, D, T, TV, E, node, par)
                plain_ok = st[S_BP] <= _TOL
            # depth-first enumeration of the ejection sets (positions increasing); base[d] is the trip state
            # before position cur[d] with the positions cur[:d] left out
            d = 0
            _start(base[0], par)
            lo[0] = 0
            cur[0] = -1
            psum[0] = 0.0
            nreq[0] = 0
            nst[0] = 0
            while d >= 0:
                i = cur[d] + 1
                if i >= m:
                    d -= 1
                    continue
                if i > lo[d]:
                    _visit(base[d], seq[i - 1], False, D, T, TV, E, node, par)
                    if _partial_violation(base[d], par) > _TOL:
                        d -= 1  # the visits kept before position i are already infeasible
                        continue
                cur[d] = i
                if i == pos_v or i == pos_s:  # noqa: SIM109 (scalar comparisons compile to plain code under Numba)
                    continue
                x = seq[i]
                is_st = node[x, K.N_ISST] > 0.0
                if is_st:
                    if nst[d] >= max_st_ej:
                        continue
                    ps = psum[d]
                else:
                    if nreq[d] >= k_max:
                        continue
                    ps = psum[d] + pen[x]
                if ps > best_ps:
                    continue
                if metric and ps == best_ps and base[d, S_DIST] + D[int(base[d, K.S_LAST]), 0] + d0 >= best_d:
                    continue  # a tie on the counters that cannot be shorter, nor can any superset
                if fast:
                    viol, dist = _suffix_check(base[d], i + 1, seq, m, tab, D, T, E, par)
                else:
                    viol, dist = _finish_seq(base[d], st, seq, i + 1, m, D, T, TV, E, node, par, True)
                if viol <= _TOL and (ps < best_ps or dist + d0 < best_d):
                    best_ps, best_d, best_r, best_p, best_s, best_side = ps, dist + d0, r, p, s, side
                    best_n = d + 1
                    best_pos[: d + 1] = cur[: d + 1]
                    for e in range(d + 1):
                        out[e] = seq[cur[e]]
                    for e in range(d + 1, MAX_EJECTED):
                        out[e] = -1
                more_req = nreq[d] + (0 if is_st else 1) < k_max and ps + pmin <= best_ps
                more_st = nst[d] + (1 if is_st else 0) < max_st_ej
                if d + 1 < depth and i + 1 < m and (more_req or more_st):
                    d += 1
                    base[d, :] = base[d - 1]
                    lo[d] = i + 1
                    cur[d] = i
                    psum[d] = ps
                    nreq[d] = nreq[d - 1] + (0 if is_st else 1)
                    nst[d] = nst[d - 1] + (1 if is_st else 0)
    for e in range(MAX_EJECTED):
        out[MAX_EJECTED + e] = best_pos[e] if e < best_n else -1
    return best_ps, best_r, best_p, best_s, best_side


@njit(cache=True)
def is_metric(D, T, E, tol=1e-9):
    """True when distances ``D`` and travel times ``T`` satisfy the triangle inequality and the energy ``E`` is a
    non-negative multiple of ``D``.

    The exact cuts of :func:`best_insertion_ejection` rely on this: leaving visits out never lengthens a trip,
    its duration nor its energy between two charges, and a detour never shortens one.
    """
    n = D.shape[0]
    ratio = -1.0
    for i in range(n):
        for j in range(n):
            if D[i, j] > tol:
                q = E[i, j] / D[i, j]
                if ratio < 0.0:
                    ratio = q
                elif abs(q - ratio) > tol * max(1.0, ratio):
                    return False
            elif E[i, j] > tol:
                return False
    for i in range(n):
        for k in range(n):
            dik = D[i, k]
            for j in range(n):
                if D[i, j] > dik + D[k, j] + tol or T[i, j] > T[i, k] + T[k, j] + tol:
                    return False
    return True


@njit(cache=True)
def perturb(draws, in_pool, n_req, neigh, mv, st, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos,
            D, T, TV, E, node, par):
    """Random feasible moves (relocate, swap, 2-opt / 2-opt*) between granular neighbours; returns the moves applied.

    ``draws`` is an ``(I, 3)`` array of uniform numbers from the caller's generator (request, neighbour, move
    type); requests in the pool (``in_pool``) are left alone. A move is applied only when every trip it rewrites
    stays feasible.
    """
    moves = 0
    max_len = routes.shape[1]
    n_neigh = neigh.shape[1]
    for it in range(draws.shape[0]):
        u = 1 + min(n_req - 1, int(draws[it, 0] * n_req))
        v = neigh[u, min(n_neigh - 1, int(draws[it, 1] * n_neigh))]
        if in_pool[u] or in_pool[v] or u == v:
            continue
        ru = node_route[u]
        rv = node_route[v]
        pu = node_pos[u]
        pv = node_pos[v]
        kind = int(draws[it, 2] * 3.0)
        if kind == 0:
            if ru != rv and rlen[rv] + 3 > max_len:
                continue
            ok = gen_relocate(mv, rlen, ru, pu, 1, rv, pv)
        elif kind == 1:
            ok = gen_swap(mv, rlen, ru, pu, rv, pv)
        elif ru == rv:
            lo, hi = (pu, pv) if pu < pv else (pv - 1, pu - 1)
            ok = gen_two_opt(mv, rlen, ru, lo, hi)
        else:
            ok = gen_two_opt_star(mv, rlen, ru, pu, rv, pv - 1)
        if not ok:
            continue
        if move_violation(mv, st, routes, rlen, fw, bw, fst, D, T, TV, E, node, par) > _TOL:
            continue
        apply_move(mv, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par)
        moves += 1
    return moves


@njit(cache=True)
def drop_idle_stations(routes, rlen, node, D, changed):
    """Remove station visits that cannot matter: a station visited right after the depot or a station at the same
    place (the same station again, or a station at the depot). Sets ``changed[r]`` for the rewritten
    trips; returns how many.

    Such a visit adds no distance and recharges nothing (the battery is full already), so removing it cannot make
    a trip infeasible.
    """
    count = 0
    for r in range(rlen.shape[0]):
        n = rlen[r]
        m = 0
        for p in range(1, n + 1):
            v = routes[r, p]
            prev = routes[r, m]
            if node[v, K.N_ISST] > 0.0 and (m == 0 or node[prev, K.N_ISST] > 0.0) and D[prev, v] <= 0.0:
                continue
            m += 1
            routes[r, m] = v
        if m != n:
            rlen[r] = m
            changed[r] = True
            count += 1
    return count


#: Cap on the moves of one squeeze descent, per request of the problem.
SQUEEZE_MOVES_PER_REQUEST = 10


@dataclass
class EliminationStats:
    """Counters of :func:`eliminate_routes`."""

    attempts: int = 0
    removed: int = 0
    pops: int = 0
    feasible_insertions: int = 0
    squeezes: int = 0
    ejections: int = 0
    station_ejections: int = 0
    restarts: int = 0


class RouteEliminator:
    """Route-elimination attempts on a :class:`~solvers.engine.state.RoutingEngine` (single-trip problems).

    Parameters
    ----------
    engine
        The engine holding a feasible solution.
    neighbours
        Granular neighbour lists (:func:`solvers.engine.neighbours.granular_neighbours`).
    rng
        The only source of randomness.
    k_max
        Most requests ejected per insertion-ejection (1-3).
    perturb_moves
        Random moves tried by one perturbation.
    squeeze_weight
        Penalty weight (capacity, time, battery) of the squeeze's penalised insertion and local search.
    max_segment
        Longest Or-opt segment of the squeeze's local search.
    eject_stations
        Insertion-ejection may also drop up to :data:`MAX_STATION_EJECTIONS` charging-station visits of the trip
        (for free), so that a trip whose charging stop blocks the request can take it. Only matters when the
        problem has stations.
    attempt_pops
        When positive and the problem has stations: after this many pops of one attempt with the pool not empty,
        the attempt restores the solution and starts again on another random trip (``0``: never).
    pop_order
        ``"lifo"`` (Nagata & Braysy: the last request in leaves first) or ``"penalty"`` (the request with the
        largest ejection counter leaves first; ties: the last in).
    """

    def __init__(self, engine: RoutingEngine, neighbours: np.ndarray, rng: np.random.Generator, k_max: int = 3,
                 perturb_moves: int = 100, squeeze_weight: float = 1e4, max_segment: int = 3,
                 eject_stations: bool = True, attempt_pops: int = 0, pop_order: str = "lifo"):
        if not 1 <= k_max <= 3:
            raise ValueError("k_max must be 1, 2 or 3.")
        if attempt_pops < 0:
            raise ValueError("attempt_pops must be >= 0.")
        if pop_order not in ("lifo", "penalty"):
            raise ValueError(f"pop_order {pop_order!r} not understood (lifo or penalty).")
        self.eng = engine
        self.neigh = neighbours
        self.rng = rng
        self.k_max = int(k_max)
        self.perturb_moves = int(perturb_moves)
        self.squeeze_weight = float(squeeze_weight)
        self.max_segment = int(max_segment)
        big_n = engine.node.shape[0]
        self.in_pool = np.zeros(big_n, dtype=np.bool_)
        self.pen = np.ones(big_n)
        self.seq = np.zeros(engine.max_len, dtype=np.int64)
        self.out = np.full(OUT_LEN, -1, dtype=np.int64)
        self.use_stations = engine.n_stations > 0
        self.max_station_ejections = MAX_STATION_EJECTIONS if eject_stations and self.use_stations else 0
        self.attempt_pops = int(attempt_pops) if self.use_stations else 0
        self.pop_order = pop_order
        self.metric = bool(is_metric(engine.D, engine.T, engine.E))
        self.station_variants = 2
        self.no_stations = np.zeros(0, dtype=np.int64)
        self.stats = EliminationStats()

    # ------------------------------------------------------------------ pieces
    def _take_out(self, v: int) -> None:
        eng = self.eng
        eng.remove_request(v)
        eng.node_route[v] = -1
        eng.node_pos[v] = -1
        self.in_pool[v] = True

    def _feasible_insert(self, v: int) -> bool:
        eng = self.eng
        d = best_feasible_insertion(v, eng.near_stations, self.use_stations, eng.routes, eng.rlen, eng.fw, eng.bw,
                                    eng.fst, eng.rinfo, eng.D, eng.T, eng.TV, eng.E, eng.node, eng.par, eng.mv,
                                    eng.best_mv, eng.st)
        if not math.isfinite(d):
            return False
        eng.apply(eng.best_mv.copy())
        return True

    def _squeeze(self, v: int) -> bool:
        eng = self.eng
        saved = eng.snapshot()
        weights = eng.weights
        w = self.squeeze_weight
        eng.set_weights(w, w, w)
        ok = False
        _, r, p = eng.best_insertion(v, allow_empty=False)
        if r >= 0:
            eng.insert(v, r, p)
            self.in_pool[v] = False
            # every other trip is feasible: the descent starts from trip r only (Nagata & Braysy's squeeze works
            # on the infeasible trip); with the distance term off, a move between two feasible trips cannot lower
            # a violation (r105_21: 2.2 -> 1.6 ms per squeeze)
            eng.dirty[:] = False
            eng.dirty[r] = True
            order = np.flatnonzero(~self.in_pool[1 : eng.n_requests + 1]) + 1
            order = self.rng.permutation(order)
            # the repair minimises the violations only (Nagata & Braysy's squeeze): without the distance term the
            # descent stops as soon as no move reduces a violation
            cpd = float(eng.par[K.P_CPD])
            eng.par[K.P_CPD] = 0.0
            eng.set_weights(w, w, w)
            # a move cap: without the distance term near-zero penalty deltas (chance constraints) can cycle
            eng.local_search(order, self.neigh, OP_ALL & ~OP_EMPTY, self.max_segment,
                             max_moves=SQUEEZE_MOVES_PER_REQUEST * eng.n_requests)
            eng.par[K.P_CPD] = cpd
            ok = eng.is_feasible()
            if not ok:
                self.in_pool[v] = True
                self._restore(saved)
        eng.set_weights(*weights)
        return ok

    def _restore(self, snap: tuple[np.ndarray, np.ndarray]) -> None:
        eng = self.eng
        eng.restore(snap)
        for v in np.flatnonzero(self.in_pool):
            eng.node_route[v] = -1
            eng.node_pos[v] = -1

    def _insert_eject(self, v: int) -> list[int]:
        """Insertion-ejection; returns the ejected requests ([] and ``v`` still out when nothing fits)."""
        eng = self.eng
        stations = eng.near_stations[v, : self.station_variants] if self.use_stations else self.no_stations
        _, r, p, s, side = best_insertion_ejection(
            v, self.k_max, self.pen, stations, self.max_station_ejections, self.metric, eng.routes, eng.rlen,
            eng.rinfo, eng.D, eng.T, eng.TV, eng.E, eng.node, eng.par, eng.st, self.seq, self.out)
        if r < 0:
            return []
        trip = eng.trip(r)
        middle = [v] if s < 0 else ([int(s), v] if side == 0 else [v, int(s)])
        trip = trip[:p] + middle + trip[p:]
        # positions, not nodes: a station may be visited twice in one trip and only one visit may be dropped
        gone = {int(i) for i in self.out[MAX_EJECTED:] if i >= 0}
        ejected = [x for i, x in enumerate(trip) if i in gone and x <= eng.n_requests]
        self.stats.station_ejections += len(gone) - len(ejected)
        trip = [x for i, x in enumerate(trip) if i not in gone]
        eng.set_trip(r, trip)
        self.in_pool[v] = False
        for x in ejected:
            self.in_pool[x] = True
            eng.node_route[x] = -1
            eng.node_pos[x] = -1
        self._drop_idle_stations()
        return ejected

    def _drop_idle_stations(self) -> None:
        eng = self.eng
        if not self.use_stations:
            return
        changed = np.zeros(eng.n_routes, dtype=np.bool_)
        if drop_idle_stations(eng.routes, eng.rlen, eng.node, eng.D, changed):
            for r in np.flatnonzero(changed):
                eng._update(int(r))

    def _perturb(self) -> None:
        eng = self.eng
        if self.perturb_moves <= 0:
            return
        draws = self.rng.random((self.perturb_moves, 3))
        perturb(draws, self.in_pool, eng.n_requests, self.neigh, eng.mv, eng.st, eng.buf, eng.routes, eng.rlen,
                eng.fw, eng.bw, eng.fst, eng.rinfo, eng.node_route, eng.node_pos, eng.D, eng.T, eng.TV, eng.E,
                eng.node, eng.par)
        self._drop_idle_stations()

    # ------------------------------------------------------------------ one attempt
    def _start_attempt(self, saved: list[list[int]], avoid: int) -> tuple[int, list[int]]:
        """Empty a random used trip of ``saved`` (not slot ``avoid`` if another exists); returns it and the pool."""
        eng = self.eng
        used = [r for r, t in enumerate(saved) if t and r != avoid]
        if not used:
            used = [avoid]
        victim = int(self.rng.choice(used))
        pool = [x for x in saved[victim] if x <= eng.n_requests]
        slots = [list(t) for t in saved]
        slots[victim] = []
        eng.load_slots(slots)
        self.in_pool[:] = False
        for x in pool:
            self.in_pool[x] = True
            eng.node_route[x] = -1
            eng.node_pos[x] = -1
        self.rng.shuffle(pool)
        self.pen[:] = 1.0
        return victim, pool

    def _pop(self, pool: list[int]) -> int:
        """Next request out of the pool (see ``pop_order``)."""
        if self.pop_order == "lifo":
            return pool.pop()
        k = max(range(len(pool)), key=lambda i: (self.pen[pool[i]], i))
        return pool.pop(k)

    def _step(self, pool: list[int], perturb: bool = True) -> None:
        """One pop: feasible insertion, else squeeze, else insertion-ejection (then the perturbation)."""
        self.stats.pops += 1
        v = self._pop(pool)
        if self._feasible_insert(v):
            self.in_pool[v] = False
            self.stats.feasible_insertions += 1
            return
        if self._squeeze(v):
            self.stats.squeezes += 1
            return
        self.pen[v] += 1.0
        ejected = self._insert_eject(v)
        if self.in_pool[v]:
            pool.insert(0, v)
        else:
            self.stats.ejections += 1
            pool.extend(ejected)
        if perturb:
            self._perturb()

    def reinsert(self, requests: list[int], max_pops: int) -> bool:
        """Take ``requests`` out of their trips and put them back with the pool machinery (no trip may open).

        A large-neighbourhood step that keeps the fleet: feasible insertion, squeeze and insertion-ejection as in
        an elimination attempt, without the random perturbation (the step should change the solution only where
        the requests went). True when every request is back and all trips are feasible; otherwise the solution is
        restored and False is returned.
        """
        eng = self.eng
        if not eng.is_feasible():
            return False
        snap = eng.snapshot()
        self.pen[:] = 1.0
        pool = []
        for x in requests:
            if eng.node_route[x] >= 0:
                self._take_out(int(x))
                pool.append(int(x))
        self.rng.shuffle(pool)
        for _ in range(max_pops):
            if not pool:
                break
            self._step(pool, perturb=False)
        ok = not pool and eng.is_feasible()
        self.in_pool[:] = False
        if not ok:
            eng.restore(snap)
            return False
        self._drop_station_only_trips()
        return True

    def _drop_station_only_trips(self) -> None:
        """A trip left with charging stations only is no trip: empty its slot."""
        eng = self.eng
        slots = eng.trips_by_slot()
        if any(t and max(t) > eng.n_requests and min(t) > eng.n_requests for t in slots):
            eng.load_slots([t if any(x <= eng.n_requests for x in t) else [] for t in slots])

    def delete_route(self, done: Callable[[], bool], max_pops: int | None = None) -> bool:
        """Try to remove one trip; True on success (one trip fewer, all feasible), else the solution is restored.

        ``done()`` is polled before every pool pop; ``max_pops`` caps the pops of this call. With
        ``attempt_pops`` the call restarts from the saved solution on another trip after that many pops.
        """
        eng = self.eng
        used = np.flatnonzero(eng.rlen > 0)
        if used.size < 2 or not eng.is_feasible():
            return False
        self.stats.attempts += 1
        saved = eng.trips_by_slot()
        victim, pool = self._start_attempt(saved, -1)
        pops = 0
        attempt_pops = 0
        while pool:
            if done() or (max_pops is not None and pops >= max_pops):
                self.in_pool[:] = False
                eng.load_slots(saved)
                eng.dirty[:] = True
                return False
            if 0 < self.attempt_pops <= attempt_pops:
                self.stats.restarts += 1
                victim, pool = self._start_attempt(saved, victim)
                attempt_pops = 0
            pops += 1
            attempt_pops += 1
            self._step(pool)
        self.in_pool[:] = False
        if not eng.is_feasible():  # defensive: every step keeps the trips feasible
            eng.load_slots(saved)
            eng.dirty[:] = True
            return False
        self._drop_station_only_trips()
        eng.dirty[:] = True
        self.stats.removed += 1
        return True


def fleet_lower_bound(engine: RoutingEngine) -> int:
    """Capacity bound on the number of trips: ``ceil(total demand / capacity)`` (at least 1)."""
    a = engine.arrays
    demand = float(np.sum(engine.node[1 : a.n_requests + 1, K.N_DEM]))
    cap = float(a.capacity)
    if not math.isfinite(cap) or cap <= 0:
        return 1
    return max(1, math.ceil(demand / cap - 1e-9))
