"""Numba local search (VND with first improvement over granular neighbourhoods) and insertion kernels."""

from __future__ import annotations

import numpy as np
from numba import njit

from solvers.engine.kernels import (
    F_DIST,
    M_1A,
    M_1B,
    M_1R,
    M_PE,
    M_SS,
    M_T,
    P_CPD,
    P_DURW,
    P_FIX,
    P_ROUTEFIX,
    P_TURN,
    P_WBATT,
    R_BP,
    R_COST,
    S_BP,
    apply_move,
    eval_move,
    eval_row,
    gen_insert_node,
    gen_relocate,
    gen_relocate_station,
    gen_remove,
    gen_station_insert,
    gen_station_move,
    gen_swap,
    gen_two_opt,
    gen_two_opt_star,
    lower_bound,
)

#: Operator switches (bit flags) of :func:`local_search`.
OP_RELOCATE = 1
OP_OROPT = 2
OP_SWAP = 4
OP_TWO_OPT = 8
OP_TWO_OPT_STAR = 16
OP_STATION = 32
OP_EMPTY = 64
OP_ALL = 127
#: Inter-trip relocate / Or-opt with the stations re-optimised in the same move (see :func:`_try_relocate_station`):
#: ``OP_STATION_DROP`` lets the losing trip drop the station next to the removed segment, ``OP_STATION_ADD`` lets the
#: receiving trip add a station next to the inserted segment. Not part of ``OP_ALL``, so that callers that pass
#: ``OP_ALL`` keep their behaviour.
OP_STATION_DROP = 128
OP_STATION_ADD = 256
OP_RELOCATE_STATION = OP_STATION_DROP | OP_STATION_ADD


@njit(cache=True)
def _try(mv, st, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par, eps):
    if lower_bound(mv, routes, rlen, fw, bw, rinfo, D, par) >= -eps:
        return False
    delta = eval_move(mv, st, routes, rlen, fw, bw, fst, rinfo, D, T, TV, E, node, par)
    if delta < -eps:
        apply_move(mv, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par)
        return True
    return False


@njit(cache=True)
def _removal_delta(mv, st, routes, rlen, fw, bw, fst, rinfo, D, T, TV, E, node, par):
    """Cost change of row 0 of an inter-trip relocate (the trip that loses the segment)."""
    return eval_row(mv, 0, st, routes, rlen, fw, bw, fst, D, T, TV, E, node, par) - rinfo[mv[0, M_T], R_COST]


@njit(cache=True)
def _insertion_bound(prev, nxt, into_empty, src, a, b, routes, fw, D, node, par):
    """Distance (and empty-trip) cost of inserting positions ``a..b`` of trip ``src`` between nodes ``prev`` and
    ``nxt``, and whether the segment holds a station. Without a station it is a lower bound of the insertion's
    cost change (penalties cannot fall when visits are added)."""
    has_station = False
    for p in range(a, b + 1):
        if node[routes[src, p], 5] > 0.0:
            has_station = True
    first = routes[src, a]
    last = routes[src, b]
    inner = fw[src, b, F_DIST] - fw[src, a, F_DIST]
    ins = par[P_CPD] * (D[prev, first] + inner + D[last, nxt] - D[prev, nxt])
    if into_empty:
        ins += par[P_DURW] * par[P_TURN]
        if par[P_ROUTEFIX] > 0.0:
            ins += par[P_FIX]
    return ins, has_station


@njit(cache=True)
def _try_insert(mv, removal, st, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos,
                D, T, TV, E, node, par, eps):
    """Inter-trip relocate with a known removal delta: prune with the insertion's distance (penalties of the
    receiving trip cannot fall when visits without a station are added), then evaluate the receiving trip only."""
    r = mv[1, M_T]
    ins, has_station = _insertion_bound(routes[r, mv[1, M_PE]], routes[r, mv[1, M_SS]], rlen[r] == 0, mv[1, M_1R],
                                        mv[1, M_1A], mv[1, M_1B], routes, fw, D, node, par)
    if not has_station and removal + ins >= -eps:
        return False
    delta = removal + eval_row(mv, 1, st, routes, rlen, fw, bw, fst, D, T, TV, E, node, par) - rinfo[r, R_COST]
    if delta < -eps:
        apply_move(mv, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par)
        return True
    return False


@njit(cache=True)
def _best_removal(mv, st, ru, pu, seg, rv, pv, allow_drop, routes, rlen, fw, bw, fst, rinfo, D, T, TV, E, node,
                  par):
    """Cheapest way to take the segment ``pu..pu+seg-1`` out of trip ``ru``: as it is, or together with the charging
    station just before or just after it. Returns ``(removal delta, drop)`` (``drop`` as in
    :func:`~solvers.engine.kernels.gen_relocate_station`)."""
    best = np.inf
    best_drop = 0
    last = pu + seg - 1
    for drop in (0, -1, 1):
        if drop != 0 and not allow_drop:
            break
        if drop == -1 and (pu < 2 or node[routes[ru, pu - 1], 5] == 0.0):
            continue
        if drop == 1 and (last + 1 > rlen[ru] or node[routes[ru, last + 1], 5] == 0.0):
            continue
        if not gen_relocate_station(mv, rlen, ru, pu, seg, rv, pv, drop, -1, 0):
            continue
        d = eval_row(mv, 0, st, routes, rlen, fw, bw, fst, D, T, TV, E, node, par) - rinfo[ru, R_COST]
        if d < best:
            best = d
            best_drop = drop
    return best, best_drop


@njit(cache=True)
def _try_relocate_station(mv, best_mv, removal, drop, ru, pu, seg, rv, pv, allow_add, near_st, st, buf, routes, rlen,
                          fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par, eps):
    """Inter-trip relocate with the stations re-optimised around the move (Schneider et al. 2014 evaluate moves
    with the charging stops adapted; here in one first-improvement step):

    * the losing trip drops an adjacent station when that is cheaper (``drop`` and ``removal`` come from
      :func:`_best_removal`);
    * when the receiving trip's battery violation grows, the move is also evaluated with a station (one of the
      ``near_st`` of the arc ends) visited right before or right after the moved segment, and the best variant is
      taken.

    Returns True when an improving variant was applied.
    """
    gen_relocate_station(mv, rlen, ru, pu, seg, rv, pv, drop, -1, 0)
    prev = routes[rv, pv]
    nxt = routes[rv, pv + 1]
    first = routes[ru, pu]
    lastn = routes[ru, pu + seg - 1]
    ins, has_station = _insertion_bound(prev, nxt, rlen[rv] == 0, ru, pu, pu + seg - 1, routes, fw, D, node, par)
    if not has_station and removal + ins >= -eps:
        return False
    delta = removal + eval_row(mv, 1, st, routes, rlen, fw, bw, fst, D, T, TV, E, node, par) - rinfo[rv, R_COST]
    if delta < -eps:
        apply_move(mv, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par)
        return True
    grown = st[S_BP] - rinfo[rv, R_BP]
    if not allow_add or grown <= 1e-9:
        return False
    # a station only adds distance and time: without the added battery violation the move must already pay
    base = delta - par[P_WBATT] * grown
    if base >= -eps:
        return False
    best = -eps
    found = False
    for side in range(2):
        for k in range(2):
            if side == 0:
                x = prev if k == 0 else first
                nb = prev
            else:
                x = lastn if k == 0 else nxt
                nb = nxt
            for s in near_st[x]:
                if s == nb or node[s, 5] == 0.0:
                    continue
                a = prev if side == 0 else lastn
                b = first if side == 0 else nxt
                if base + par[P_CPD] * (D[a, s] + D[s, b] - D[a, b]) >= best:
                    continue
                gen_relocate_station(mv, rlen, ru, pu, seg, rv, pv, drop, s, side)
                d = removal + eval_row(mv, 1, st, routes, rlen, fw, bw, fst, D, T, TV, E, node, par)
                d -= rinfo[rv, R_COST]
                if d < best:
                    best = d
                    best_mv[:, :] = mv
                    found = True
    if found:
        apply_move(best_mv, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par)
    return found


@njit(cache=True)
def _first_empty(rlen, skip):
    for r in range(rlen.shape[0]):
        if rlen[r] == 0 and r != skip:
            return r
    return -1


@njit(cache=True)
def _station_pass(stations, near_st, mv, best_mv, st, buf, routes, rlen, fw, bw, fst, rinfo, node_route,
                  node_pos, D, T, TV, E, node, par, eps, max_len, rstamp, sstamp, stamp):
    """Station moves on the trips changed since their last check (``rstamp > sstamp``).

    Station out (remove a station visit when that pays), station in (best station and arc while the battery is
    violated) and station re-position (move a station visit to its best arc within 5 positions, possibly
    switching to one of the ``near_st`` stations nearest to the arc's tail). Modified trips get ``stamp``.
    Returns the number of applied moves.
    """
    moves = 0
    for r in range(rlen.shape[0]):
        if rlen[r] == 0 or rstamp[r] <= sstamp[r]:
            continue
        before = moves
        p = 1
        while p <= rlen[r]:
            ok = node[routes[r, p], 5] > 0.0 and gen_remove(mv, rlen, r, p)
            if ok and _try(mv, st, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos,
                           D, T, TV, E, node, par, eps):
                moves += 1
                continue
            p += 1
        while rinfo[r, R_BP] > 0.0 and rlen[r] + 3 < max_len:
            best = -eps
            found = False
            for p in range(rlen[r] + 1):
                for s in stations:
                    if routes[r, p] == s or routes[r, p + 1] == s:
                        continue
                    gen_station_insert(mv, rlen, r, p, s)
                    delta = eval_move(mv, st, routes, rlen, fw, bw, fst, rinfo, D, T, TV, E, node, par)
                    if delta < best:
                        best = delta
                        best_mv[:, :] = mv
                        found = True
            if not found:
                break
            apply_move(best_mv, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos,
                       D, T, TV, E, node, par)
            moves += 1
        p = 1
        tries = 0
        while p <= rlen[r] and tries < 4 * max_len:
            tries += 1
            if node[routes[r, p], 5] == 0.0:
                p += 1
                continue
            best = -eps
            found = False
            for q in range(max(0, p - 5), min(rlen[r], p + 5) + 1):
                for s in near_st[routes[r, q]]:
                    if not gen_station_move(mv, rlen, r, p, q, s):
                        continue
                    if lower_bound(mv, routes, rlen, fw, bw, rinfo, D, par) >= best:
                        continue
                    delta = eval_move(mv, st, routes, rlen, fw, bw, fst, rinfo, D, T, TV, E, node, par)
                    if delta < best:
                        best = delta
                        best_mv[:, :] = mv
                        found = True
            if found:
                apply_move(best_mv, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos,
                           D, T, TV, E, node, par)
                moves += 1
            p += 1
        sstamp[r] = stamp
        if moves > before:
            rstamp[r] = stamp
    return moves


@njit(cache=True)
def local_search(order, neigh, stations, near_st, ops, max_seg, dirty, routes, rlen, fw, bw, fst, rinfo, node_route,
                 node_pos, D, T, TV, E, node, par, mv, best_mv, st, buf, eps, max_moves):
    """Variable neighbourhood descent (first improvement) on the penalised cost.

    For every request ``u`` (in the given ``order``) and every granular neighbour ``v`` it tries relocate and
    Or-opt of the segment starting at ``u`` after and before ``v``, swap, 2-opt* and intra-trip 2-opt, plus the
    move of ``u`` into an empty trip (``OP_EMPTY``, i.e. opening a trip); then the station pass (station out /
    station in). Or-opt segments are moved after ``v`` only. A pair is skipped when neither trip changed since
    ``u`` was last examined (the "timestamp" trick of HGS); at the start only pairs touching a ``dirty`` trip
    (changed since the last local search) are examined. Inter-trip relocates are pruned with the exact removal
    delta plus the insertion's distance. With ``OP_RELOCATE_STATION`` (and stations in the problem) inter-trip
    relocates are evaluated with the stations re-optimised around the move (:func:`_try_relocate_station`;
    ``OP_STATION_DROP`` and ``OP_STATION_ADD`` switch its two halves). Requests outside every trip
    (``node_route == -1``, e.g. in the ejection pool of :mod:`solvers.route_elimination`) are skipped.
    Returns the number of applied moves.
    """
    n_nodes = node_route.shape[0]
    n_routes = rlen.shape[0]
    rstamp = np.zeros(n_routes, dtype=np.int64)
    for r in range(n_routes):
        if dirty[r]:
            rstamp[r] = 2
    tested = np.ones(n_nodes, dtype=np.int64)
    rem = np.zeros(max_seg + 1)
    rem_u = np.full(max_seg + 1, -1, dtype=np.int64)
    rem_at = np.full(max_seg + 1, -1, dtype=np.int64)
    rem_drop = np.zeros(max_seg + 1, dtype=np.int64)
    st_drop = (ops & OP_STATION_DROP) != 0
    st_add = (ops & OP_STATION_ADD) != 0
    st_moves = (st_drop or st_add) and stations.shape[0] > 0
    sstamp = np.zeros(n_routes, dtype=np.int64)
    count = 2
    moves = 0
    max_len = routes.shape[1]
    improved = True
    while improved and moves < max_moves:
        improved = False
        for u in order:
            last_test = tested[u]
            tested[u] = count
            for v in neigh[u]:
                if v == u:
                    continue
                ru = node_route[u]
                rv = node_route[v]
                if ru < 0 or rv < 0:  # a request outside every trip (route elimination's ejection pool)
                    continue
                if rstamp[ru] <= last_test and rstamp[rv] <= last_test:
                    continue
                pu = node_pos[u]
                pv = node_pos[v]
                applied = False
                if ops & OP_RELOCATE:
                    for seg in range(1, max_seg + 1 if ops & OP_OROPT else 2):
                        if pu + seg - 1 > rlen[ru]:
                            break
                        if ru != rv and rlen[rv] + seg + 2 > max_len:
                            break
                        for after in (pv, pv - 1):
                            if after == pv - 1 and seg > 1:
                                break
                            if not gen_relocate(mv, rlen, ru, pu, seg, rv, after):
                                continue
                            if ru != rv and st_moves:
                                if rem_u[seg] != u or rem_at[seg] != count:
                                    rem[seg], rem_drop[seg] = _best_removal(
                                        mv, st, ru, pu, seg, rv, after, st_drop, routes, rlen, fw, bw, fst, rinfo,
                                        D, T, TV, E, node, par)
                                    rem_u[seg] = u
                                    rem_at[seg] = count
                                applied = _try_relocate_station(
                                    mv, best_mv, rem[seg], rem_drop[seg], ru, pu, seg, rv, after, st_add, near_st,
                                    st, buf,
                                    routes, rlen, fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par,
                                    eps)
                            elif ru != rv:
                                if rem_u[seg] != u or rem_at[seg] != count:
                                    rem[seg] = _removal_delta(mv, st, routes, rlen, fw, bw, fst, rinfo,
                                                              D, T, TV, E, node, par)
                                    rem_u[seg] = u
                                    rem_at[seg] = count
                                applied = _try_insert(mv, rem[seg], st, buf, routes, rlen, fw, bw, fst, rinfo,
                                                      node_route, node_pos, D, T, TV, E, node, par, eps)
                            else:
                                applied = _try(mv, st, buf, routes, rlen, fw, bw, fst, rinfo, node_route,
                                               node_pos, D, T, TV, E, node, par, eps)
                            if applied:
                                break
                        if applied:
                            break
                if not applied and ops & OP_SWAP:
                    ok = gen_swap(mv, rlen, ru, pu, rv, pv)
                    applied = ok and _try(mv, st, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos,
                                          D, T, TV, E, node, par, eps)
                if not applied and ru != rv and ops & OP_TWO_OPT_STAR:
                    ok = gen_two_opt_star(mv, rlen, ru, pu, rv, pv - 1)
                    applied = ok and _try(mv, st, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos,
                                          D, T, TV, E, node, par, eps)
                    if not applied:
                        ok = gen_two_opt_star(mv, rlen, ru, pu - 1, rv, pv)
                        applied = ok and _try(mv, st, buf, routes, rlen, fw, bw, fst, rinfo, node_route,
                                              node_pos, D, T, TV, E, node, par, eps)
                if not applied and ru == rv and ops & OP_TWO_OPT:
                    lo, hi = (pu, pv) if pu < pv else (pv - 1, pu - 1)
                    ok = gen_two_opt(mv, rlen, ru, lo, hi)
                    applied = ok and _try(mv, st, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos,
                                          D, T, TV, E, node, par, eps)
                if applied:
                    moves += 1
                    count += 1
                    rstamp[ru] = count
                    rstamp[rv] = count
                    improved = True
            ru = node_route[u]
            if ops & OP_EMPTY and ru >= 0 and rstamp[ru] > last_test and rlen[ru] > 1:
                re = _first_empty(rlen, ru)
                if re >= 0:
                    pu = node_pos[u]
                    if gen_relocate(mv, rlen, ru, pu, 1, re, 0) and _try(
                        mv, st, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos,
                        D, T, TV, E, node, par, eps):
                        moves += 1
                        count += 1
                        rstamp[ru] = count
                        rstamp[re] = count
                        improved = True
        if ops & OP_STATION and stations.shape[0] > 0:
            count += 1
            m = _station_pass(stations, near_st, mv, best_mv, st, buf, routes, rlen, fw, bw, fst, rinfo, node_route,
                              node_pos, D, T, TV, E, node, par, eps, max_len, rstamp, sstamp, count)
            if m > 0:
                moves += m
                count += 1
                improved = True
    return moves


@njit(cache=True)
def best_insertion(v, allow_empty, routes, rlen, fw, bw, fst, rinfo, D, T, TV, E, node, par, mv, best_mv, st):
    """Cheapest position (penalised cost) for node ``v`` in any trip; returns ``(delta, trip, position)``.

    Non-empty trips are scanned completely; with ``allow_empty`` the first empty trip is also considered.
    """
    best = np.inf
    br = -1
    bp = -1
    max_len = routes.shape[1]
    empty_seen = False
    for r in range(rlen.shape[0]):
        if rlen[r] == 0:
            if not allow_empty or empty_seen:
                continue
            empty_seen = True
        if rlen[r] + 3 > max_len:
            continue
        for p in range(rlen[r] + 1):
            gen_insert_node(mv, rlen, r, p, v)
            delta = eval_move(mv, st, routes, rlen, fw, bw, fst, rinfo, D, T, TV, E, node, par)
            if delta < best:
                best = delta
                br = r
                bp = p
    return best, br, bp


@njit(cache=True)
def insert_at(v, r, p, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par, mv, buf):
    """Insert node ``v`` after position ``p`` of trip ``r``."""
    gen_insert_node(mv, rlen, r, p, v)
    apply_move(mv, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par)


@njit(cache=True)
def remove_at(r, p, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par, mv, buf):
    """Remove the visit at position ``p`` of trip ``r``."""
    gen_remove(mv, rlen, r, p)
    apply_move(mv, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par)


@njit(cache=True)
def total_cost(rinfo, rlen):
    """Sum of the penalised trip costs."""
    c = 0.0
    for r in range(rlen.shape[0]):
        if rlen[r] > 0:
            c += rinfo[r, R_COST]
    return c
