"""Unified tabu search (Cordeau, Laporte and Mercier 2001) on the shared routing engine (spec 3.3, stage 1).

::

    S <- construction + VND;  S* <- S
    for it = 1 .. max_iterations (or until no improvement for max_no_improve / a time limit):
        among relocate, swap 1-1, 2-opt* (between trips) and Or-opt / relocate / 2-opt (inside a trip) over the
        granular neighbours of every request, take the move with the least
            delta + [delta > 0] * lambda * f(S) * sqrt(n m) * sum rho(i, k) / it      (continuous diversification)
        that is not tabu, or is tabu but leads to a penalised cost below the best feasible cost (aspiration)
        apply it; every request i that left trip k gets the attribute (i, k) tabu for U[tenure] iterations
        and rho(i, k') += 1 for the trip k' it entered
        station in/out (the engine's station pass) when the battery is violated
        weights of the capacity, time and battery violations x (1 + delta) if violated, / (1 + delta) otherwise
        S* <- S when S is feasible and cheaper
        every fleet_interval non-improving iterations: empty the shortest trip (reinsert its requests)

Moves are the engine's move rows (:mod:`solvers.engine.kernels`), evaluated by ``eval_move`` and applied by
``apply_move``; the penalised cost is the engine's (distance, soft-window lateness with per-priority weights,
capacity / time / battery penalties, a fixed cost per trip when ``max_trips == 1``). Multi-trip plans are packed onto
AMRs by :func:`solvers.engine.assignment.assign_trips` and evaluated exactly by :func:`solvers.vns.evaluate_plan`.
Everything random comes from one seeded ``numpy.random.Generator``; with an iteration limit a run is reproducible.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numba import njit

from solvers.engine import kernels as K
from solvers.engine.assignment import TripSimulator
from solvers.engine.neighbours import granular_neighbours
from solvers.engine.operators import depot_insertion, initial_solution
from solvers.engine.search import OP_ALL, OP_STATION
from solvers.engine.state import RoutingEngine
from solvers.params_file import TomlParams
from solvers.routing_arrays import RoutingArrays
from solvers.vns import PlanEvaluation, evaluate_plan

__all__ = ["TabuParams", "TabuResult", "move_attributes", "scan_neighbourhood", "tabu_search"]


@dataclass
class TabuParams(TomlParams, section="tabu"):
    """Parameters of the tabu search (defaults: spec 3.3, Cordeau et al. 2001, Schneider et al. 2014).

    Parameters
    ----------
    granular
        Length of the granular neighbour lists (20).
    tenure_min, tenure_max
        Tabu tenure drawn uniformly from ``[tenure_min, tenure_max]`` for every new attribute (15, 30).
    diversification
        lambda of the continuous diversification (0.015).
    penalty_factor
        delta of the penalty weight update (0.5: weights are multiplied or divided by 1.5 per iteration).
    penalty_init, penalty_min, penalty_max
        Initial value and bounds of the weights (10, 0.01, 1e6).
    max_iterations
        Iteration limit (5000).
    max_no_improve
        Stop after this many iterations without a new best (1000).
    fleet_interval
        Try to empty the shortest trip after this many non-improving iterations (500).
    time_limit
        Seconds (``None``: no limit).
    """

    granular: int = 20
    tenure_min: int = 15
    tenure_max: int = 30
    diversification: float = 0.015
    penalty_factor: float = 0.5
    penalty_init: float = 10.0
    penalty_min: float = 0.01
    penalty_max: float = 1e6
    max_iterations: int = 5000
    max_no_improve: int = 1000
    fleet_interval: int = 500
    time_limit: float | None = None

    def __post_init__(self) -> None:
        if self.granular < 1 or not 1 <= self.tenure_min <= self.tenure_max:
            raise ValueError("need granular >= 1 and 1 <= tenure_min <= tenure_max")
        if self.diversification < 0 or self.penalty_factor <= 0:
            raise ValueError("need diversification >= 0 and penalty_factor > 0")
        if not 0 < self.penalty_min <= self.penalty_init <= self.penalty_max:
            raise ValueError("need 0 < penalty_min <= penalty_init <= penalty_max")
        if self.max_iterations < 0 or self.max_no_improve < 1 or self.fleet_interval < 1:
            raise ValueError("need max_iterations >= 0, max_no_improve >= 1 and fleet_interval >= 1")
        if self.time_limit is not None and self.time_limit <= 0:
            raise ValueError("time_limit must be positive")


@dataclass
class TabuResult:
    """What :func:`tabu_search` returns."""

    best: PlanEvaluation | None
    iterations: int
    runtime: float
    history: dict[str, list]


# ---------------------------------------------------------------------------------------------- Numba scan
@njit(cache=True)
def _moved(mv, k, routes, out, n_out):
    """Append to ``out`` the nodes that row ``k`` takes from a trip other than its target; returns the count."""
    r = mv[k, K.M_T]
    for slot in range(3):
        c = K.M_1R + 3 * slot
        pr = mv[k, c]
        if pr >= 0 and pr != r:
            a = mv[k, c + 1]
            b = mv[k, c + 2]
            lo = min(a, b)
            hi = max(a, b)
            for p in range(lo, hi + 1):
                out[n_out] = routes[pr, p]
                n_out += 1
        elif pr == -2:
            out[n_out] = mv[k, c + 1]
            n_out += 1
    sr = mv[k, K.M_SR]
    if sr != r:
        # the suffix of another trip up to (not including) its closing depot: the first node represents it
        ss = mv[k, K.M_SS]
        end = 0
        while routes[sr, ss + end] != 0:
            end += 1
        for p in range(ss, ss + end):
            out[n_out] = routes[sr, p]
            n_out += 1
    return n_out


@njit(cache=True)
def move_attributes(mv, routes, buf):
    """The (node, trip entered) attributes of a move: ``buf[:, 0]`` nodes, ``buf[:, 1]`` trips; returns count.

    Stations are included (their attributes are simply never tabu in practice, they carry no request).
    """
    nodes = np.empty(buf.shape[0], dtype=np.int64)
    count = 0
    for k in range(2):
        if mv[k, K.M_T] < 0:
            continue
        start = count
        count = _moved(mv, k, routes, nodes, count)
        for i in range(start, count):
            buf[i, 0] = nodes[i]
            buf[i, 1] = mv[k, K.M_T]
    return count


@njit(cache=True)
def _score(mv, it, cur, best_cost, tabu, freq, div, routes, rlen, fw, bw, fst, rinfo, D, T, TV, E, node, par,
           st, attr, best_score):
    """Admissible score of a move (inf when tabu without aspiration or not better than ``best_score``)."""
    lb = K.lower_bound(mv, routes, rlen, fw, bw, rinfo, D, par)
    if lb >= best_score:
        return np.inf, 0.0
    delta = K.eval_move(mv, st, routes, rlen, fw, bw, fst, rinfo, D, T, TV, E, node, par)
    if delta >= best_score:
        return np.inf, delta
    n_attr = move_attributes(mv, routes, attr)
    is_tabu = False
    rho = 0.0
    for i in range(n_attr):
        v = attr[i, 0]
        r = attr[i, 1]
        if tabu[v, r] > it:
            is_tabu = True
        rho += freq[v, r]
    if is_tabu and not cur + delta < best_cost - 1e-9:
        return np.inf, delta
    score = delta
    if delta > 0.0:
        score += div * rho
    return score, delta



@njit(cache=True)
def _consider(mv, it, cur, best_cost, tabu, freq, div, routes, rlen, fw, bw, fst, rinfo, D, T, TV, E, node, par,
              st, attr, best_score, best_delta, best_mv):
    """Score move ``mv`` and keep it in ``best_mv`` when it beats ``best_score``; returns the new best score and
    delta."""
    s, d = _score(mv, it, cur, best_cost, tabu, freq, div, routes, rlen, fw, bw, fst, rinfo, D, T, TV, E, node, par,
                  st, attr, best_score)
    if s < best_score:
        best_mv[:, :] = mv
        return s, d
    return best_score, best_delta


@njit(cache=True)
def scan_neighbourhood(neigh, n_req, it, cur, best_cost, tabu, freq, div, routes, rlen, fw, bw, fst, rinfo,
                       node_route, D, T, TV, E, node, par, mv, best_mv, st, attr, node_pos, max_seg):
    """Best admissible move over relocate / Or-opt, swap, 2-opt* and 2-opt on granular neighbours.

    The chosen move is left in ``best_mv``; returns ``(score, delta)`` (``inf`` when no move is admissible).
    """
    best_score = np.inf
    best_delta = np.inf
    max_len = routes.shape[1]
    n_routes = rlen.shape[0]
    empty = -1
    for r in range(n_routes):
        if rlen[r] == 0:
            empty = r
            break
    for u in range(1, n_req + 1):
        ru = node_route[u]
        if ru < 0:
            continue
        pu = node_pos[u]
        for v in neigh[u]:
            if v == u:
                continue
            rv = node_route[v]
            if rv < 0:
                continue
            pv = node_pos[v]
            for seg in range(1, max_seg + 1):
                if pu + seg - 1 > rlen[ru]:
                    break
                if ru != rv and (seg > 1 or rlen[rv] + seg + 2 > max_len):
                    break  # between trips: single relocate; Or-opt only inside a trip (intensification)
                for pos in (pv, pv - 1):
                    if K.gen_relocate(mv, rlen, ru, pu, seg, rv, pos):
                        best_score, best_delta = _consider(
                            mv, it, cur, best_cost, tabu, freq, div, routes, rlen, fw, bw, fst, rinfo,
                            D, T, TV, E, node, par, st, attr, best_score, best_delta, best_mv)
            if ru != rv and u < v and K.gen_swap(mv, rlen, ru, pu, rv, pv):
                best_score, best_delta = _consider(
                    mv, it, cur, best_cost, tabu, freq, div, routes, rlen, fw, bw, fst, rinfo,
                    D, T, TV, E, node, par, st, attr, best_score, best_delta, best_mv)
            if ru != rv:
                for a_pos, b_pos in ((pu, pv - 1), (pu - 1, pv)):
                    if K.gen_two_opt_star(mv, rlen, ru, a_pos, rv, b_pos):
                        best_score, best_delta = _consider(
                            mv, it, cur, best_cost, tabu, freq, div, routes, rlen, fw, bw, fst, rinfo,
                            D, T, TV, E, node, par, st, attr, best_score, best_delta, best_mv)
            else:
                lo = pu if pu < pv else pv - 1
                hi = pv if pu < pv else pu - 1
                if K.gen_two_opt(mv, rlen, ru, lo, hi):
                    best_score, best_delta = _consider(
                        mv, it, cur, best_cost, tabu, freq, div, routes, rlen, fw, bw, fst, rinfo,
                        D, T, TV, E, node, par, st, attr, best_score, best_delta, best_mv)
        if empty >= 0 and empty != ru and rlen[ru] > 1 and K.gen_relocate(mv, rlen, ru, pu, 1, empty, 0):
            best_score, best_delta = _consider(
                mv, it, cur, best_cost, tabu, freq, div, routes, rlen, fw, bw, fst, rinfo,
                D, T, TV, E, node, par, st, attr, best_score, best_delta, best_mv)
    return best_score, best_delta


# ---------------------------------------------------------------------------------------------- driver
class _Tabu:
    def __init__(self, arrays: RoutingArrays, params: TabuParams, rng: np.random.Generator):
        self.arrays = arrays
        self.params = params
        self.rng = rng
        p0 = params.penalty_init
        self.engine = RoutingEngine(arrays, weights=(p0, p0, p0))
        eng = self.engine
        self.sim = TripSimulator(arrays, eng.node)
        self.neigh = granular_neighbours(arrays, params.granular)
        self.multi = arrays.max_trips > 1
        big_n = eng.node_route.shape[0]
        self.tabu = np.zeros((big_n, eng.n_routes), dtype=np.int64)
        self.freq = np.zeros((big_n, eng.n_routes))
        self.attr = np.zeros((2 * eng.max_len + 4, 2), dtype=np.int64)

    def scan(self, it: int, cur: float, best_cost: float) -> tuple[float, float]:
        eng = self.engine
        n = eng.n_requests
        m = max(1, int((eng.rlen > 0).sum()))
        div = self.params.diversification * abs(cur) * math.sqrt(n * m) / max(1, it)
        return scan_neighbourhood(
            self.neigh, n, it, cur, best_cost, self.tabu, self.freq, div, eng.routes, eng.rlen, eng.fw, eng.bw,
            eng.fst, eng.rinfo, eng.node_route, eng.D, eng.T, eng.TV, eng.E, eng.node, eng.par, eng.mv,
            eng.best_mv, eng.st, self.attr, eng.node_pos, 3,
        )

    def apply_best(self, it: int) -> None:
        eng = self.engine
        mv = eng.best_mv
        before = eng.node_route.copy()
        count = move_attributes(mv, eng.routes, self.attr)
        eng.apply(mv.copy())
        lo, hi = self.params.tenure_min, self.params.tenure_max
        for i in range(count):
            v, r_new = int(self.attr[i, 0]), int(self.attr[i, 1])
            r_old = int(before[v])
            if r_old >= 0 and r_old != r_new:
                self.tabu[v, r_old] = it + int(self.rng.integers(lo, hi + 1))
            self.freq[v, r_new] += 1.0

    def update_penalties(self) -> None:
        p = self.params
        s = self.engine.summary()
        w = list(self.engine.weights)
        f = 1.0 + p.penalty_factor
        for i, key in enumerate(("load_excess", "time_violation", "battery_violation")):
            w[i] = w[i] * f if s[key] > 1e-9 else w[i] / f
            w[i] = min(p.penalty_max, max(p.penalty_min, w[i]))
        self.engine.set_weights(*w)

    def true_cost(self) -> float:
        """Cost of the current trips when feasible (fixed cost per trip or per AMR), else inf."""
        eng = self.engine
        if not eng.is_feasible():
            return math.inf
        if not self.multi:
            s = eng.summary()
            return (self.arrays.fixed_cost * s["trips"] + self.arrays.cost_per_distance * s["distance"]
                    + s["lateness_cost"])
        ev = evaluate_plan(eng.trips(), self.sim)
        return ev.cost if ev.feasible else math.inf

    def fleet_reduction(self) -> None:
        """Empty the trip with the fewest visits and reinsert its requests at their cheapest positions."""
        eng = self.engine
        used = np.flatnonzero(eng.rlen > 0)
        if used.size < 2:
            return
        r = int(used[np.argmin(eng.rlen[used])])
        nodes = [v for v in eng.trip(r) if v <= eng.n_requests]
        while eng.rlen[r] > 0:
            eng.remove(r, 1)
        for v in nodes:
            _, rr, pp = eng.best_insertion(v, allow_empty=False)
            if rr < 0:
                _, rr, pp = eng.best_insertion(v, allow_empty=True)
            eng.insert(v, rr, pp)


def tabu_search(
    arrays: RoutingArrays,
    rng: np.random.Generator,
    params: TabuParams | None = None,
    initial: list[list[int]] | None = None,
    stop=None,
) -> TabuResult:
    """Run the tabu search (see the module docstring).

    Parameters
    ----------
    arrays
        The problem (soft windows use the per-priority lateness weights of ``arrays.lateness_weight``).
    rng
        The only source of randomness (tenures, construction).
    params
        Defaults of :class:`TabuParams`.
    initial
        Optional initial trips (node indices without depots) instead of the construction.
    stop
        Optional stopping criterion of :mod:`solvers.stop`, called once per iteration with the best feasible cost
        (in addition to the limits of ``params``).

    Returns
    -------
    TabuResult
        The best feasible plan (``None`` when none was found), iterations, runtime and per-iteration history with
        the keys of :func:`solvers.vns.vns` (``iteration``, ``runtime``, ``current_cost``, ``current_feasible``,
        ``candidate_cost``, ``candidate_feasible``, ``best_cost``, ``best_feasible``, ``vehicles``, ``w_capacity``,
        ``w_time``, ``w_battery``); the candidate is the solution after the iteration's move.
    """
    params = params or TabuParams()
    t0 = time.perf_counter()
    history: dict[str, list] = {key: [] for key in (
        "iteration", "runtime", "current_cost", "current_feasible", "candidate_cost", "candidate_feasible",
        "best_cost", "best_feasible", "vehicles", "w_capacity", "w_time", "w_battery")}
    begin = getattr(stop, "start", None)
    if begin is not None:
        begin()
    if arrays.n_requests == 0:
        return TabuResult(PlanEvaluation([], True, 0.0, 0.0, 0, 0), 0, 0.0, history)
    search = _Tabu(arrays, params, rng)
    eng = search.engine
    if initial is not None:
        eng.load([list(t) for t in initial])
    else:
        initial_solution(eng, rng)
    order = rng.permutation(np.arange(1, eng.n_requests + 1))
    weights = eng.weights
    eng.set_weights(*(max(w, 1e4) for w in weights))
    eng.local_search(order, search.neigh, OP_ALL, 3)
    if search.multi and depot_insertion(eng):
        eng.local_search(order, search.neigh, OP_ALL, 3)
    best_trips = eng.trips()
    best_cost = search.true_cost()
    eng.set_weights(*weights)
    no_improve = 0
    it = 0
    while it < params.max_iterations and no_improve < params.max_no_improve:
        if params.time_limit is not None and time.perf_counter() - t0 > params.time_limit:
            break
        if stop is not None and stop(best_cost):
            break
        it += 1
        cur = eng.penalised_cost()
        cur_feasible = eng.is_feasible()
        score, _delta = search.scan(it, cur, best_cost)
        if not math.isfinite(score):
            break
        search.apply_best(it)
        if eng.n_stations and eng.summary()["battery_violation"] > 1e-9:
            # station in/out: the engine's station pass repairs the battery of the changed trips
            eng.local_search(order, search.neigh, OP_STATION, 1)
        search.update_penalties()
        cost = search.true_cost()
        if cost < best_cost - 1e-9:
            best_cost = cost
            best_trips = eng.trips()
            no_improve = 0
        else:
            no_improve += 1
            if no_improve % params.fleet_interval == 0:
                search.fleet_reduction()
                cost = search.true_cost()
                if cost < best_cost - 1e-9:
                    best_cost, best_trips = cost, eng.trips()
        w = eng.weights
        for key, value in (("iteration", it), ("runtime", time.perf_counter() - t0), ("current_cost", cur),
                           ("current_feasible", cur_feasible), ("candidate_cost", eng.penalised_cost()),
                           ("candidate_feasible", math.isfinite(cost)), ("best_cost", best_cost),
                           ("best_feasible", math.isfinite(best_cost)), ("vehicles", int((eng.rlen > 0).sum())),
                           ("w_capacity", w[0]), ("w_time", w[1]), ("w_battery", w[2])):
            history[key].append(value)
    best = None
    if math.isfinite(best_cost):
        best = evaluate_plan(best_trips, search.sim)
    return TabuResult(best, it, time.perf_counter() - t0, history)
