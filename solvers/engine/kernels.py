"""Numba kernels of the routing engine: cached trip segment data, generic move evaluation and application.

Representation
--------------
A solution under search is a set of *trips* stored row-wise in ``routes`` (int64, shape ``(R, L)``): row ``r``
holds ``0, v_1, ..., v_n, 0`` with ``n = rlen[r]`` visits (requests and charging stations) between the two depot
visits. Empty rows are unused trips.

For every trip the kernels cache, per position ``p``:

* forward data ``fw[r, p]`` of the prefix ``0..p`` (distance, load, a duration segment in the sense of Vidal et
  al. 2013 / PyVRP for deterministic hard windows, energy used since the last charge, battery penalty so far, and in
  the general mode the mean/variance of the departure time, the accumulated chance/horizon violation and the
  accumulated lateness cost);
* backward data ``bw[r, p]`` of the suffix ``p..end`` (distance, load, duration segment, energy to the first charge
  point and the battery penalty after it), and ``fst[r, p]``, the first charging station at or after ``p``.

A *move* rewrites at most two trips. Each rewritten trip is described by one row of an int64 ``(2, 14)`` array::

    target, pr, pe, m1r, m1a, m1b, m2r, m2a, m2b, m3r, m3a, m3b, sr, ss

meaning "prefix ``0..pe`` of trip ``pr``, then up to three middle pieces, then the suffix ``ss..end`` of trip
``sr``". A middle piece ``(r, a, b)`` is positions ``a..b`` of trip ``r`` (reversed when ``a > b``); ``r == -2``
inserts the single node ``a``; ``r == -1`` is absent. Every move kernel in the package (relocate, Or-opt, swap,
2-opt, 2-opt*, station in/out) is a generator of such rows, so one evaluation routine and one application routine
serve them all, and the property "evaluated delta == cost change after applying" is tested once for all of them.

Evaluation modes
----------------
*Fast* mode (deterministic, hard time windows): time is a duration segment with time warp, concatenated in O(1);
only a suffix containing a charging station is re-traversed up to that station (its recharge time depends on the
state of charge on arrival), as in Schneider et al. (2014). *General* mode (stochastic travel/service times or soft
windows): the prefix state is taken from the cache and the rest of the trip is re-traversed, propagating the mean and
variance of arrival times with Clark's moment matching for ``max(ready, A)``; the chance constraint
``mu_A + z_beta * sd_A <= due`` is penalised by its violation in time units.

Penalised trip cost::

    cost_per_distance * distance + lateness_cost + w_cap * max(0, load - C) + w_time * time_violation
    + w_batt * battery_violation (+ fixed_cost if the trip is not empty and fixed costs are per trip)

where time_violation is the time warp (fast mode) or the summed chance and horizon violations (general mode), and
the battery violation is, at every charge point (station or depot return), the energy used since the last charge
beyond the usable capacity ``B - min_soc`` (Schneider's P_batt).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# node table columns
N_DEM, N_READY, N_DUE, N_SERV, N_SVAR, N_ISST, N_LW = 0, 1, 2, 3, 4, 5, 6
N_COLS = 7
# scalar parameters
P_CAP, P_B, P_USABLE, P_G, P_Z, P_HOR, P_T0, P_CPD = 0, 1, 2, 3, 4, 5, 6, 7
P_FIX, P_GEN, P_SOFT, P_WCAP, P_WTIME, P_WBATT, P_ROUTEFIX, P_DURW = 8, 9, 10, 11, 12, 13, 14, 15
P_TURN = 16
N_PAR = 18
# forward cache fields
F_DIST, F_LOAD, F_DUR, F_TW, F_E, F_L, F_ES, F_BP, F_MU, F_VAR, F_TP, F_LC = range(12)
N_FW = 12
# backward cache fields
B_DIST, B_LOAD, B_DUR, B_TW, B_E, B_L, B_EF, B_BR = range(8)
N_BW = 8
# per-trip summary
R_DIST, R_LOAD, R_TP, R_BP, R_LC, R_NN, R_COST, R_DUR = range(8)
N_RI = 8
# scratch state of a trip under construction
S_LAST, S_DIST, S_LOAD, S_ES, S_BP, S_D, S_W, S_E, S_L, S_MU, S_VAR, S_TP, S_LC, S_NN = range(14)
N_S = 16
# move row layout
M_T, M_PR, M_PE, M_1R, M_1A, M_1B, M_2R, M_2A, M_2B, M_3R, M_3A, M_3B, M_SR, M_SS = range(14)
M_COLS = 14

_SQRT2 = math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


@njit(cache=True)
def expected_lateness(mu, var, due):
    """``E[(A - due)^+]`` for ``A ~ N(mu, var)`` (spec 2.4); ``max(0, mu - due)`` when ``var == 0``."""
    if var <= 0.0:
        return max(0.0, mu - due)
    sd = math.sqrt(var)
    z = (due - mu) / sd
    big_phi = 0.5 * math.erfc(-z / _SQRT2)
    small_phi = math.exp(-0.5 * z * z) * _INV_SQRT2PI
    return max(0.0, sd * small_phi + (mu - due) * (1.0 - big_phi))


@njit(cache=True)
def clark_max(e, mu, var):
    """Mean and variance of ``max(e, A)`` for ``A ~ N(mu, var)`` (Clark 1961); exact max when ``var == 0``."""
    if var <= 0.0:
        return max(e, mu), 0.0
    sd = math.sqrt(var)
    a = (mu - e) / sd
    big_phi = 0.5 * math.erfc(-a / _SQRT2)
    small_phi = math.exp(-0.5 * a * a) * _INV_SQRT2PI
    m1 = mu * big_phi + e * (1.0 - big_phi) + sd * small_phi
    m2 = (mu * mu + var) * big_phi + e * e * (1.0 - big_phi) + (mu + e) * sd * small_phi
    return m1, max(m2 - m1 * m1, 0.0)


@njit(cache=True)
def seg_concat(d1, w1, e1, l1, travel, d2, w2, e2, l2):
    """Concatenate two duration segments (duration, time warp, earliest start, latest start) joined by ``travel``."""
    delta = d1 - w1 + travel
    dwait = max(e2 - delta - l1, 0.0)
    dtw = max(e1 + delta - l2, 0.0)
    return (
        d1 + d2 + travel + dwait,
        w1 + w2 + dtw,
        max(e2 - delta, e1) - dwait,
        min(l2 - delta, l1) + dtw,
    )


@njit(cache=True)
def trip_cost(dist, load, tp, bp, lc, nn, dur, par):
    """Penalised cost of one trip from its summary values (``dur``: minimal duration, priced by P_DURW)."""
    c = par[P_CPD] * dist + par[P_DURW] * dur + lc + par[P_WCAP] * max(0.0, load - par[P_CAP]) + par[P_WTIME] * tp
    c += par[P_WBATT] * bp
    if nn > 0:
        c += par[P_DURW] * par[P_TURN]
        if par[P_ROUTEFIX] > 0.0:
            c += par[P_FIX]
    return c


@njit(cache=True)
def _start(st, par):
    """Scratch state of a trip that has just left the depot."""
    st[S_LAST] = 0.0
    st[S_DIST] = 0.0
    st[S_LOAD] = 0.0
    st[S_ES] = 0.0
    st[S_BP] = 0.0
    st[S_D] = 0.0
    st[S_W] = 0.0
    st[S_E] = par[P_T0]
    st[S_L] = par[P_HOR]
    st[S_MU] = par[P_T0]
    st[S_VAR] = 0.0
    st[S_TP] = 0.0
    st[S_LC] = 0.0
    st[S_NN] = 0.0


@njit(cache=True)
def _from_prefix(st, fw, routes, r, p):
    """Scratch state after position ``p`` of trip ``r`` (from the forward cache)."""
    st[S_LAST] = routes[r, p]
    st[S_DIST] = fw[r, p, F_DIST]
    st[S_LOAD] = fw[r, p, F_LOAD]
    st[S_ES] = fw[r, p, F_ES]
    st[S_BP] = fw[r, p, F_BP]
    st[S_D] = fw[r, p, F_DUR]
    st[S_W] = fw[r, p, F_TW]
    st[S_E] = fw[r, p, F_E]
    st[S_L] = fw[r, p, F_L]
    st[S_MU] = fw[r, p, F_MU]
    st[S_VAR] = fw[r, p, F_VAR]
    st[S_TP] = fw[r, p, F_TP]
    st[S_LC] = fw[r, p, F_LC]
    st[S_NN] = p


@njit(cache=True)
def _store_prefix(st, fw, r, p):
    """Store the scratch state as the forward cache of position ``p`` of trip ``r`` (inverse of _from_prefix)."""
    fw[r, p, F_DIST] = st[S_DIST]
    fw[r, p, F_LOAD] = st[S_LOAD]
    fw[r, p, F_ES] = st[S_ES]
    fw[r, p, F_BP] = st[S_BP]
    fw[r, p, F_DUR] = st[S_D]
    fw[r, p, F_TW] = st[S_W]
    fw[r, p, F_E] = st[S_E]
    fw[r, p, F_L] = st[S_L]
    fw[r, p, F_MU] = st[S_MU]
    fw[r, p, F_VAR] = st[S_VAR]
    fw[r, p, F_TP] = st[S_TP]
    fw[r, p, F_LC] = st[S_LC]


@njit(cache=True)
def _visit(st, j, is_end, D, T, TV, E, node, par):
    """Append node ``j`` (or the closing depot when ``is_end``) to the scratch state."""
    i = int(st[S_LAST])
    st[S_DIST] += D[i, j]
    es_arr = st[S_ES] + E[i, j]
    station = (not is_end) and node[j, N_ISST] > 0.0
    if is_end or station:
        st[S_BP] += max(0.0, es_arr - par[P_USABLE])
        st[S_ES] = 0.0
    else:
        st[S_ES] = es_arr
        st[S_LOAD] += node[j, N_DEM]
    if not is_end:
        st[S_NN] += 1.0
    # duration segment with time warp (fast mode's time model; in general mode only the duration proxy)
    if is_end:
        sd, ej, lj = 0.0, par[P_T0], par[P_HOR]
    elif station:
        sd, ej, lj = par[P_G] * es_arr, par[P_T0], par[P_HOR]
    else:
        sd, ej, lj = node[j, N_SERV], node[j, N_READY], node[j, N_DUE]
    d, w, e, l = seg_concat(st[S_D], st[S_W], st[S_E], st[S_L], T[i, j], sd, 0.0, ej, lj)
    st[S_D] = d
    st[S_W] = w
    st[S_E] = e
    st[S_L] = l
    if par[P_GEN] != 0.0:
        mu_a = st[S_MU] + T[i, j]
        var_a = st[S_VAR] + TV[i, j]
        if is_end:
            st[S_TP] += max(0.0, mu_a + par[P_Z] * math.sqrt(var_a) - par[P_HOR])
            st[S_MU] = mu_a
            st[S_VAR] = var_a
        elif station:
            st[S_MU] = mu_a + par[P_G] * es_arr
            st[S_VAR] = var_a
        else:
            if par[P_SOFT] == 0.0:
                st[S_TP] += max(0.0, mu_a + par[P_Z] * math.sqrt(var_a) - node[j, N_DUE])
            mu_s, var_s = clark_max(node[j, N_READY], mu_a, var_a)
            if par[P_SOFT] > 0.0:
                st[S_LC] += node[j, N_LW] * expected_lateness(mu_a, var_a, node[j, N_DUE])
            st[S_MU] = mu_s + node[j, N_SERV]
            st[S_VAR] = var_s + node[j, N_SVAR]
    st[S_LAST] = j


@njit(cache=True)
def _finish(st, routes, rlen, bw, fst, sr, ss, D, T, TV, E, node, par):
    """Append the suffix ``ss..end`` of trip ``sr`` (O(1) in fast mode unless a station must be re-timed)."""
    end = rlen[sr] + 1
    if par[P_GEN] == 0.0:
        f = fst[sr, ss]
        p = ss
        if f >= 0:
            while p <= f:
                _visit(st, routes[sr, p], False, D, T, TV, E, node, par)
                p += 1
        i = int(st[S_LAST])
        j = routes[sr, p]
        st[S_DIST] += D[i, j] + bw[sr, p, B_DIST]
        st[S_LOAD] += bw[sr, p, B_LOAD]
        st[S_BP] += max(0.0, st[S_ES] + E[i, j] + bw[sr, p, B_EF] - par[P_USABLE]) + bw[sr, p, B_BR]
        st[S_NN] += end - p
        d, w, e, l = seg_concat(
            st[S_D], st[S_W], st[S_E], st[S_L], T[i, j],
            bw[sr, p, B_DUR], bw[sr, p, B_TW], bw[sr, p, B_E], bw[sr, p, B_L],
        )
        st[S_D] = d
        st[S_W] = w
        st[S_E] = e
        st[S_L] = l
        st[S_LAST] = 0.0
    else:
        for p in range(ss, end):
            _visit(st, routes[sr, p], False, D, T, TV, E, node, par)
        _visit(st, 0, True, D, T, TV, E, node, par)


@njit(cache=True)
def _walk_piece(st, routes, pr, pa, pb, D, T, TV, E, node, par):
    if pr == -2:
        _visit(st, pa, False, D, T, TV, E, node, par)
    elif pr >= 0:
        if pa <= pb:
            for p in range(pa, pb + 1):
                _visit(st, routes[pr, p], False, D, T, TV, E, node, par)
        else:
            for p in range(pa, pb - 1, -1):
                _visit(st, routes[pr, p], False, D, T, TV, E, node, par)


@njit(cache=True)
def eval_row(mv, k, st, routes, rlen, fw, bw, fst, D, T, TV, E, node, par):
    """Evaluate the trip described by move row ``k``; the summary is left in ``st``; returns its cost."""
    _from_prefix(st, fw, routes, mv[k, M_PR], mv[k, M_PE])
    _walk_piece(st, routes, mv[k, M_1R], mv[k, M_1A], mv[k, M_1B], D, T, TV, E, node, par)
    _walk_piece(st, routes, mv[k, M_2R], mv[k, M_2A], mv[k, M_2B], D, T, TV, E, node, par)
    _walk_piece(st, routes, mv[k, M_3R], mv[k, M_3A], mv[k, M_3B], D, T, TV, E, node, par)
    _finish(st, routes, rlen, bw, fst, mv[k, M_SR], mv[k, M_SS], D, T, TV, E, node, par)
    tp = st[S_W] if par[P_GEN] == 0.0 else st[S_TP]
    return trip_cost(st[S_DIST], st[S_LOAD], tp, st[S_BP], st[S_LC], st[S_NN], st[S_D], par)


@njit(cache=True)
def _piece_dist(routes, fw, D, pr, pa, pb, last):
    """Distance of a middle piece plus the arc into it from ``last``; returns (distance, new last, nodes)."""
    if pr == -2:
        return D[last, pa], pa, 1
    if pr < 0:
        return 0.0, last, 0
    if pa <= pb:
        first = routes[pr, pa]
        return D[last, first] + fw[pr, pb, F_DIST] - fw[pr, pa, F_DIST], routes[pr, pb], pb - pa + 1
    d = D[last, routes[pr, pa]]
    for p in range(pa, pb, -1):
        d += D[routes[pr, p], routes[pr, p - 1]]
    return d, routes[pr, pb], pa - pb + 1


@njit(cache=True)
def lower_bound(mv, routes, rlen, fw, bw, rinfo, D, par):
    """A cheap lower bound on :func:`eval_move`: new distances and fixed costs, penalties taken as zero."""
    delta = 0.0
    for k in range(2):
        r = mv[k, M_T]
        if r < 0:
            continue
        pr = mv[k, M_PR]
        pe = mv[k, M_PE]
        last = routes[pr, pe]
        dist = fw[pr, pe, F_DIST]
        nn = pe
        for slot in range(3):
            c = M_1R + 3 * slot
            d, last, cnt = _piece_dist(routes, fw, D, mv[k, c], mv[k, c + 1], mv[k, c + 2], last)
            dist += d
            nn += cnt
        sr = mv[k, M_SR]
        ss = mv[k, M_SS]
        dist += D[last, routes[sr, ss]] + bw[sr, ss, B_DIST]
        nn += rlen[sr] + 1 - ss
        delta += par[P_CPD] * dist - rinfo[r, R_COST]
        if nn > 0:
            delta += par[P_DURW] * par[P_TURN]
            if par[P_ROUTEFIX] > 0.0:
                delta += par[P_FIX]
    return delta


@njit(cache=True)
def eval_move(mv, st, routes, rlen, fw, bw, fst, rinfo, D, T, TV, E, node, par):
    """Cost change of a move (new penalised costs of the rewritten trips minus their old costs)."""
    delta = 0.0
    for k in range(2):
        if mv[k, M_T] < 0:
            continue
        delta += eval_row(mv, k, st, routes, rlen, fw, bw, fst, D, T, TV, E, node, par)
        delta -= rinfo[mv[k, M_T], R_COST]
    return delta


@njit(cache=True)
def _copy_piece(buf, n, routes, pr, pa, pb):
    if pr == -2:
        buf[n] = pa
        n += 1
    elif pr >= 0:
        if pa <= pb:
            for p in range(pa, pb + 1):
                buf[n] = routes[pr, p]
                n += 1
        else:
            for p in range(pa, pb - 1, -1):
                buf[n] = routes[pr, p]
                n += 1
    return n


@njit(cache=True)
def build_row(mv, k, buf, routes, rlen):
    """Write the node sequence of move row ``k`` (depots included) into ``buf``; returns its length."""
    n = 0
    for p in range(mv[k, M_PE] + 1):
        buf[n] = routes[mv[k, M_PR], p]
        n += 1
    n = _copy_piece(buf, n, routes, mv[k, M_1R], mv[k, M_1A], mv[k, M_1B])
    n = _copy_piece(buf, n, routes, mv[k, M_2R], mv[k, M_2A], mv[k, M_2B])
    n = _copy_piece(buf, n, routes, mv[k, M_3R], mv[k, M_3A], mv[k, M_3B])
    sr = mv[k, M_SR]
    for p in range(mv[k, M_SS], rlen[sr] + 2):
        buf[n] = routes[sr, p]
        n += 1
    return n


@njit(cache=True)
def update_route(r, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par):
    """Recompute the forward/backward caches and the summary of trip ``r``."""
    end = rlen[r] + 1
    routes[r, 0] = 0
    routes[r, end] = 0
    gen = par[P_GEN] != 0.0
    usable = par[P_USABLE]
    # forward caches: the same per-node step (_visit) that move evaluation uses, stored after every position
    st = np.empty(N_S)
    _start(st, par)
    fw[r, 0, :] = 0.0
    _store_prefix(st, fw, r, 0)
    for p in range(1, end + 1):
        j = routes[r, p]
        is_end = p == end
        if not is_end and node[j, N_ISST] == 0.0:
            node_route[j] = r
            node_pos[j] = p
        _visit(st, j, is_end, D, T, TV, E, node, par)
        _store_prefix(st, fw, r, p)
    # backward caches
    bw[r, end, :] = 0.0
    bw[r, end, B_E] = par[P_T0]
    bw[r, end, B_L] = par[P_HOR]
    fst[r, end] = -1
    for p in range(end - 1, -1, -1):
        j = routes[r, p]
        k = routes[r, p + 1]
        station = p > 0 and node[j, N_ISST] > 0.0
        bw[r, p, B_DIST] = D[j, k] + bw[r, p + 1, B_DIST]
        bw[r, p, B_LOAD] = bw[r, p + 1, B_LOAD] + (0.0 if (station or p == 0) else node[j, N_DEM])
        if station:
            bw[r, p, B_EF] = 0.0
            bw[r, p, B_BR] = bw[r, p + 1, B_BR] + max(0.0, E[j, k] + bw[r, p + 1, B_EF] - usable)
            fst[r, p] = p
        else:
            bw[r, p, B_EF] = E[j, k] + bw[r, p + 1, B_EF]
            bw[r, p, B_BR] = bw[r, p + 1, B_BR]
            fst[r, p] = fst[r, p + 1]
        if p == 0:
            sd, ej, lj = 0.0, par[P_T0], par[P_HOR]
        elif station:
            i = routes[r, p - 1]
            sd, ej, lj = par[P_G] * (fw[r, p - 1, F_ES] + E[i, j]), par[P_T0], par[P_HOR]
        else:
            sd, ej, lj = node[j, N_SERV], node[j, N_READY], node[j, N_DUE]
        d, w, e, l = seg_concat(
            sd, 0.0, ej, lj, T[j, k],
            bw[r, p + 1, B_DUR], bw[r, p + 1, B_TW], bw[r, p + 1, B_E], bw[r, p + 1, B_L],
        )
        bw[r, p, B_DUR] = d
        bw[r, p, B_TW] = w
        bw[r, p, B_E] = e
        bw[r, p, B_L] = l
    rinfo[r, R_DIST] = fw[r, end, F_DIST]
    rinfo[r, R_LOAD] = fw[r, end, F_LOAD]
    rinfo[r, R_TP] = fw[r, end, F_TW] if not gen else fw[r, end, F_TP]
    rinfo[r, R_BP] = fw[r, end, F_BP]
    rinfo[r, R_LC] = fw[r, end, F_LC]
    rinfo[r, R_NN] = end - 1
    rinfo[r, R_DUR] = fw[r, end, F_DUR]
    rinfo[r, R_COST] = trip_cost(
        rinfo[r, R_DIST], rinfo[r, R_LOAD], rinfo[r, R_TP], rinfo[r, R_BP], rinfo[r, R_LC], end - 1,
        rinfo[r, R_DUR], par,
    )


@njit(cache=True)
def apply_move(mv, buf, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par):
    """Rewrite the trips of a move and refresh their caches."""
    n0 = 0
    n1 = 0
    if mv[0, M_T] >= 0:
        n0 = build_row(mv, 0, buf[0], routes, rlen)
    if mv[1, M_T] >= 0:
        n1 = build_row(mv, 1, buf[1], routes, rlen)
    for k in range(2):
        r = mv[k, M_T]
        if r < 0:
            continue
        n = n0 if k == 0 else n1
        for p in range(n):
            routes[r, p] = buf[k, p]
        rlen[r] = n - 2
    for k in range(2):
        r = mv[k, M_T]
        if r >= 0:
            update_route(r, routes, rlen, fw, bw, fst, rinfo, node_route, node_pos, D, T, TV, E, node, par)


@njit(cache=True)
def recost(rinfo, rlen, par):
    """Recompute every trip's penalised cost (after a change of the penalty weights)."""
    for r in range(rinfo.shape[0]):
        rinfo[r, R_COST] = trip_cost(
            rinfo[r, R_DIST], rinfo[r, R_LOAD], rinfo[r, R_TP], rinfo[r, R_BP], rinfo[r, R_LC], rlen[r],
            rinfo[r, R_DUR], par,
        )


# ---------------------------------------------------------------------------------------------- move generators
@njit(cache=True)
def _clear(mv):
    for k in range(2):
        mv[k, M_T] = -1
        mv[k, M_1R] = -1
        mv[k, M_2R] = -1
        mv[k, M_3R] = -1


@njit(cache=True)
def _row(mv, k, target, pr, pe, sr, ss):
    mv[k, M_T] = target
    mv[k, M_PR] = pr
    mv[k, M_PE] = pe
    mv[k, M_SR] = sr
    mv[k, M_SS] = ss
    mv[k, M_1R] = -1
    mv[k, M_2R] = -1
    mv[k, M_3R] = -1


@njit(cache=True)
def _piece(mv, k, slot, r, a, b):
    c = M_1R + 3 * slot
    mv[k, c] = r
    mv[k, c + 1] = a
    mv[k, c + 2] = b


@njit(cache=True)
def gen_relocate(mv, rlen, ru, pu, seg, rv, pv):
    """Move the visits at positions ``pu..pu+seg-1`` of trip ``ru`` to after position ``pv`` of trip ``rv``.

    ``seg == 1`` is relocate, ``seg in (2, 3)`` is Or-opt. Returns False for a no-op or out-of-range move.
    """
    _clear(mv)
    last = pu + seg - 1
    if pu < 1 or last > rlen[ru] or pv < 0 or pv > rlen[rv]:
        return False
    if ru != rv:
        _row(mv, 0, ru, ru, pu - 1, ru, last + 1)
        _row(mv, 1, rv, rv, pv, rv, pv + 1)
        _piece(mv, 1, 0, ru, pu, last)
        return True
    if pu - 1 <= pv <= last:
        return False
    if pv < pu:
        _row(mv, 0, ru, ru, pv, ru, last + 1)
        _piece(mv, 0, 0, ru, pu, last)
        _piece(mv, 0, 1, ru, pv + 1, pu - 1)
    else:
        _row(mv, 0, ru, ru, pu - 1, ru, pv + 1)
        _piece(mv, 0, 0, ru, last + 1, pv)
        _piece(mv, 0, 1, ru, pu, last)
    return True


@njit(cache=True)
def gen_swap(mv, rlen, ru, pu, rv, pv):
    """Exchange the visits at position ``pu`` of trip ``ru`` and ``pv`` of trip ``rv``."""
    _clear(mv)
    if pu < 1 or pv < 1 or pu > rlen[ru] or pv > rlen[rv]:
        return False
    if ru != rv:
        _row(mv, 0, ru, ru, pu - 1, ru, pu + 1)
        _piece(mv, 0, 0, rv, pv, pv)
        _row(mv, 1, rv, rv, pv - 1, rv, pv + 1)
        _piece(mv, 1, 0, ru, pu, pu)
        return True
    if pu == pv:
        return False
    a = min(pu, pv)
    b = max(pu, pv)
    _row(mv, 0, ru, ru, a - 1, ru, b + 1)
    _piece(mv, 0, 0, ru, b, b)
    if b > a + 1:
        _piece(mv, 0, 1, ru, a + 1, b - 1)
        _piece(mv, 0, 2, ru, a, a)
    else:
        _piece(mv, 0, 1, ru, a, a)
    return True


@njit(cache=True)
def gen_two_opt_star(mv, rlen, ru, pu, rv, pv):
    """2-opt* between two trips: ``ru[0..pu] + rv[pv+1..]`` and ``rv[0..pv] + ru[pu+1..]``."""
    _clear(mv)
    if ru == rv or pu < 0 or pv < 0 or pu > rlen[ru] or pv > rlen[rv]:
        return False
    if (pu == rlen[ru] and pv == rlen[rv]) or (pu == 0 and pv == 0):
        return False
    _row(mv, 0, ru, ru, pu, rv, pv + 1)
    _row(mv, 1, rv, rv, pv, ru, pu + 1)
    return True


@njit(cache=True)
def gen_two_opt(mv, rlen, r, p, q):
    """Intra-trip 2-opt: reverse the visits at positions ``p+1..q`` of trip ``r``."""
    _clear(mv)
    if p < 0 or q > rlen[r] or q <= p + 1:
        return False
    _row(mv, 0, r, r, p, r, q + 1)
    _piece(mv, 0, 0, r, q, p + 1)
    return True


@njit(cache=True)
def gen_station_insert(mv, rlen, r, p, station):
    """Insert a visit to charging station node ``station`` after position ``p`` of trip ``r``."""
    _clear(mv)
    if p < 0 or p > rlen[r]:
        return False
    _row(mv, 0, r, r, p, r, p + 1)
    _piece(mv, 0, 0, -2, station, station)
    return True


@njit(cache=True)
def gen_station_move(mv, rlen, r, p, q, station):
    """Remove the visit at position ``p`` of trip ``r`` and visit ``station`` after position ``q`` instead.

    Positions refer to the trip before the move; ``q == p`` replaces the visit in place, ``q == p - 1`` too
    (both give the same trip), so only ``q == p`` is accepted of the two.
    """
    _clear(mv)
    n = rlen[r]
    if p < 1 or p > n or q < 0 or q > n or q == p - 1:
        return False
    if q < p:
        _row(mv, 0, r, r, q, r, p + 1)
        _piece(mv, 0, 0, -2, station, station)
        if q + 1 <= p - 1:
            _piece(mv, 0, 1, r, q + 1, p - 1)
    else:
        _row(mv, 0, r, r, p - 1, r, q + 1)
        if p + 1 <= q:
            _piece(mv, 0, 0, r, p + 1, q)
            _piece(mv, 0, 1, -2, station, station)
        else:
            _piece(mv, 0, 0, -2, station, station)
    return True


@njit(cache=True)
def gen_remove(mv, rlen, r, p):
    """Remove the visit at position ``p`` of trip ``r`` (used for station removal)."""
    _clear(mv)
    if p < 1 or p > rlen[r]:
        return False
    _row(mv, 0, r, r, p - 1, r, p + 1)
    return True


@njit(cache=True)
def gen_insert_node(mv, rlen, r, p, v):
    """Insert node ``v`` (not in any trip) after position ``p`` of trip ``r``."""
    return gen_station_insert(mv, rlen, r, p, v)


@njit(cache=True)
def gen_relocate_station(mv, rlen, ru, pu, seg, rv, pv, drop, station, side):
    """Inter-trip relocate / Or-opt with the charging stops re-optimised in the same move.

    Moves the visits ``pu..pu+seg-1`` of trip ``ru`` to after position ``pv`` of trip ``rv`` (``ru != rv``) and

    * ``drop == -1`` / ``drop == 1``: also removes the visit just before / just after the segment in ``ru`` (the
      caller passes a charging station there, one that the removal may make unnecessary); ``0``: nothing;
    * ``station >= 0``: also visits charging station ``station`` right before (``side == 0``) or right after
      (``side == 1``) the moved segment in ``rv`` (the detour that repairs the battery of the receiving trip).

    With ``drop == 0`` and ``station < 0`` this is :func:`gen_relocate` between two trips. Returns False for an
    out-of-range move.
    """
    _clear(mv)
    last = pu + seg - 1
    if ru == rv or seg < 1 or pu < 1 or last > rlen[ru] or pv < 0 or pv > rlen[rv]:
        return False
    pe = pu - 1
    ss = last + 1
    if drop == -1:
        if pu < 2:
            return False
        pe = pu - 2
    elif drop == 1:
        if last + 1 > rlen[ru]:
            return False
        ss = last + 2
    elif drop != 0:
        return False
    _row(mv, 0, ru, ru, pe, ru, ss)
    _row(mv, 1, rv, rv, pv, rv, pv + 1)
    if station < 0:
        _piece(mv, 1, 0, ru, pu, last)
    elif side == 0:
        _piece(mv, 1, 0, -2, station, station)
        _piece(mv, 1, 1, ru, pu, last)
    else:
        _piece(mv, 1, 0, ru, pu, last)
        _piece(mv, 1, 1, -2, station, station)
    return True
