"""Construction, repair and perturbation operators on a :class:`~solvers.engine.state.RoutingEngine`.

* :func:`initial_solution` - requests by angle around the depot, each inserted at its cheapest penalised position
  (with large penalty weights, so a new trip opens when an insertion would break load, time/chance or battery
  limits) - spec 2.8;
* :func:`depot_insertion` - split a trip before its first load or time/chance violation (spec 2.5 P4);
* charging insertion is the station-in move of the local search (spec 2.5 P3; the cheapest station detour at the
  arc that minimises the penalised cost);
* :func:`cyclic_exchange` - Schneider's kappa-neighbourhoods (2-4 trips, segments up to 5) - spec 2.7 Alg. 3;
* :func:`remove_reinsert` - remove k random requests, reinsert each at its cheapest position;
* :func:`amr_decrease` - empty the trip (or AMR) with the least work and reinsert its requests elsewhere.
"""

from __future__ import annotations

import math

import numpy as np

from solvers.engine import kernels as K
from solvers.engine.state import RoutingEngine

#: Schneider et al. (2014), Table 1: (number of trips, maximal segment length) per shaking neighbourhood.
CYCLIC_NEIGHBOURHOODS = tuple((rho, gamma) for rho in (2, 3, 4) for gamma in (1, 2, 3, 4, 5))


def initial_solution(engine: RoutingEngine, rng: np.random.Generator, big_weight: float = 1e7) -> None:
    """Build trips by angle-ordered cheapest insertion (penalised with ``big_weight``) into ``engine``."""
    a = engine.arrays
    n = a.n_requests
    engine.load([])
    saved = engine.weights
    engine.set_weights(big_weight, big_weight, big_weight)
    fixed = engine.par[K.P_FIX]
    routefix = engine.par[K.P_ROUTEFIX]
    if not engine.fixed_cost_per_trip:
        # multi-trip: a trip costs a share of an AMR, so that trips are filled before new ones open
        engine.par[K.P_ROUTEFIX] = 1.0
        engine.par[K.P_FIX] = fixed / max(1, a.max_trips) + engine.par[K.P_CPD] * float(np.mean(a.distance[0]))
    x0, y0 = a.x[0], a.y[0]
    angle = np.arctan2(a.y[1 : n + 1] - y0, a.x[1 : n + 1] - x0)
    start = rng.uniform(-math.pi, math.pi)
    order = np.argsort((angle - start) % (2 * math.pi), kind="stable") + 1
    for v in order:
        _, r, p = engine.best_insertion(int(v), allow_empty=True)
        engine.insert(int(v), r, p)
    engine.par[K.P_FIX] = fixed
    engine.par[K.P_ROUTEFIX] = routefix
    engine.set_weights(*saved)


def depot_insertion(engine: RoutingEngine) -> int:
    """Split trips at the first load or time/chance violation (needs empty trip slots); returns the splits made."""
    splits = 0
    cap = engine.par[K.P_CAP]
    general = engine.general
    for r in range(engine.n_routes):
        while engine.rlen[r] > 1:
            n = int(engine.rlen[r])
            cut = -1
            if engine.rinfo[r, K.R_LOAD] > cap + 1e-9:
                load = engine.fw[r, 1 : n + 1, K.F_LOAD]
                over = np.flatnonzero(load > cap + 1e-9)
                cut = int(over[0]) + 1 if over.size else -1
            if cut < 0 and engine.rinfo[r, K.R_TP] > 1e-9:
                field = K.F_TP if general else K.F_TW
                viol = engine.fw[r, 1 : n + 1, field]
                bad = np.flatnonzero(viol > 1e-9)
                cut = int(bad[0]) + 1 if bad.size else -1
            if cut <= 1:
                break
            empty = engine.first_empty()
            if empty < 0:
                return splits
            trip = engine.trip(r)
            trips = engine.trips_by_slot()
            trips[r] = trip[: cut - 1]
            trips[empty] = trip[cut - 1 :]
            engine.load_slots(trips)
            splits += 1
    return splits


def cyclic_exchange(engine: RoutingEngine, kappa: int, rng: np.random.Generator, allow_empty: bool = True) -> None:
    """Shaking neighbourhood ``kappa`` (1-based): cyclically move random segments among random trips.

    With ``allow_empty`` an empty trip may take part (so shaking can open a trip).
    """
    rho, gamma = CYCLIC_NEIGHBOURHOODS[(kappa - 1) % len(CYCLIC_NEIGHBOURHOODS)]
    used = [r for r in range(engine.n_routes) if engine.rlen[r] > 0]
    empty = engine.first_empty()
    if empty >= 0 and allow_empty:
        used.append(empty)
    if len(used) < 2:
        return
    rho = min(rho, len(used))
    chosen = [int(r) for r in rng.choice(used, size=rho, replace=False)]
    trips = engine.trips_by_slot()
    segments = []
    starts = []
    for r in chosen:
        t = trips[r]
        length = int(rng.integers(0, min(gamma, len(t)) + 1))
        s = int(rng.integers(0, len(t) - length + 1)) if len(t) else 0
        segments.append(t[s : s + length])
        starts.append(s)
    new = {}
    for i, r in enumerate(chosen):
        t = trips[r]
        s, length = starts[i], len(segments[i])
        incoming = segments[i - 1]
        new[r] = t[:s] + incoming + t[s + length :]
    for r, t in new.items():
        trips[r] = t
    engine.load_slots(trips)


def remove_reinsert(engine: RoutingEngine, k: int, rng: np.random.Generator, allow_empty: bool = True) -> None:
    """Remove ``k`` random requests and reinsert each (in random order) at its cheapest penalised position."""
    n = engine.n_requests
    k = min(k, n)
    removed = [int(v) for v in rng.choice(np.arange(1, n + 1), size=k, replace=False)]
    for v in removed:
        engine.remove_request(v)
    for v in rng.permutation(removed):
        _, r, p = engine.best_insertion(int(v), allow_empty=allow_empty)
        if r < 0:
            _, r, p = engine.best_insertion(int(v), allow_empty=True)
        engine.insert(int(v), r, p)


def amr_decrease(engine: RoutingEngine, rng: np.random.Generator, groups: list[list[int]] | None = None,
                 new_trips: bool = False) -> bool:
    """Empty the trips of the AMR with the least work and reinsert its requests into the other trips.

    ``groups`` lists, per AMR, its trip slots (default: one trip per AMR). The AMR with the fewest requests (ties:
    shortest total distance, then random) is emptied; each of its requests goes to its cheapest penalised position in
    the remaining trips, or (``new_trips``, multi-trip problems) into a new trip that the trip-to-AMR assignment
    fits into the idle time of the remaining AMRs. Returns False when there is nothing to decrease.
    """
    if groups is None:
        groups = [[r] for r in range(engine.n_routes) if engine.rlen[r] > 0]
    groups = [g for g in groups if any(engine.rlen[r] > 0 for r in g)]
    if len(groups) < 2:
        return False
    work = [
        (sum(int(engine.rlen[r]) for r in g), sum(float(engine.rinfo[r, K.R_DIST]) for r in g), rng.random(), i)
        for i, g in enumerate(groups)
    ]
    victim = groups[min(work)[3]]
    requests = [v for r in victim for v in engine.trip(r) if v <= engine.n_requests]
    trips = engine.trips_by_slot()
    for r in victim:
        trips[r] = []
    engine.load_slots(trips)
    for v in rng.permutation(requests):
        _, r, p = engine.best_insertion(int(v), allow_empty=new_trips)
        if r < 0:
            _, r, p = engine.best_insertion(int(v), allow_empty=True)
        engine.insert(int(v), r, p)
    return True
