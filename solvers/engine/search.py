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
    R_BP,
    R_COST,
    apply_move,
    eval_move,
    eval_row,
    gen_insert_node,
    gen_relocate,
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
def _try_insert(mv, removal, st, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos,
                D, T, TV, E, node, par, eps):
    """Inter-trip relocate with a known removal delta: prune with the insertion's distance (penalties of the
    receiving trip cannot fall when visits without a station are added), then evaluate the receiving trip only."""
    r = mv[1, M_T]
    a = mv[1, M_1A]
    b = mv[1, M_1B]
    src = mv[1, M_1R]
    has_station = False
    for p in range(a, b + 1):
        if node[routes[src, p], 5] > 0.0:
            has_station = True
    prev = routes[r, mv[1, M_PE]]
    nxt = routes[r, mv[1, M_SS]]
    first = routes[src, a]
    last = routes[src, b]
    inner = fw[src, b, F_DIST] - fw[src, a, F_DIST]
    ins = par[P_CPD] * (D[prev, first] + inner + D[last, nxt] - D[prev, nxt])
    if rlen[r] == 0:
        ins += par[P_DURW] * par[P_TURN]
        if par[P_ROUTEFIX] > 0.0:
            ins += par[P_FIX]
    if not has_station and removal + ins >= -eps:
        return False
    delta = removal + eval_row(mv, 1, st, routes, rlen, fw, bw, fst, D, T, TV, E, node, par) - rinfo[r, R_COST]
    if delta < -eps:
        apply_move(mv, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par)
        return True
    return False


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
    delta plus the insertion's distance. Returns the number of applied moves.
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
                            if ru != rv:
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
            if ops & OP_EMPTY and rstamp[ru] > last_test and rlen[ru] > 1:
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
