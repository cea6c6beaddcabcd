"""Python wrapper around the engine kernels: one mutable set of trips with cached segment data."""

from __future__ import annotations

import math

import numpy as np

from solvers.engine import kernels as K
from solvers.engine import search as S
from solvers.routing_arrays import RoutingArrays


def node_table(arrays: RoutingArrays) -> np.ndarray:
    """The ``(N, 7)`` float64 node table the kernels read (demand, window, service, station flag, lateness weight)."""
    big_n = arrays.distance.shape[0]
    node = np.zeros((big_n, K.N_COLS))
    node[:, K.N_DEM] = arrays.demand
    node[:, K.N_READY] = arrays.ready
    node[:, K.N_DUE] = arrays.due
    node[:, K.N_SERV] = arrays.service_mean
    node[:, K.N_SVAR] = arrays.service_var
    node[1:, K.N_ISST] = np.asarray(arrays.is_station[1:], dtype=np.float64)
    node[:, K.N_LW] = np.asarray(arrays.lateness_weight)[np.asarray(arrays.priority)]
    node[0, K.N_LW] = 0.0
    return node


def is_general_mode(arrays: RoutingArrays) -> bool:
    """True when trips need the general (stochastic / soft-window) evaluation instead of duration segments."""
    return bool(arrays.stochastic) or not bool(arrays.hard_time_windows)


class RoutingEngine:
    """A set of trips under local search, with the caches of :mod:`solvers.engine.kernels`.

    Parameters
    ----------
    arrays
        The problem.
    n_routes
        Number of trip slots (default: ``min(n, max_vehicles * max_trips)``, at least 2).
    fixed_cost_per_trip
        Charge ``fixed_cost`` for every non-empty trip inside the penalised cost (the single-trip VRPTW reading;
        default: ``max_trips == 1``).
    weights
        Initial penalty weights ``(capacity, time, battery)``.
    duration_weight
        Price per time unit of a trip's minimal duration (travel, service, recharge and unavoidable waiting, mean
        times, plus the depot turnaround of a trip). Default: ``fixed_cost / day length`` in multi-trip problems
        (an AMR busy all day costs one fixed cost, so the search keeps trips short enough to pack onto few
        AMRs), 0 otherwise.
    """

    def __init__(
        self,
        arrays: RoutingArrays,
        n_routes: int | None = None,
        fixed_cost_per_trip: bool | None = None,
        weights: tuple[float, float, float] = (10.0, 10.0, 10.0),
        duration_weight: float | None = None,
    ):
        self.arrays = arrays
        n, m = arrays.n_requests, arrays.n_stations
        self.n_requests = n
        self.n_stations = m
        self.D = np.ascontiguousarray(arrays.distance, dtype=np.float64)
        self.T = np.ascontiguousarray(arrays.travel_mean, dtype=np.float64)
        self.TV = np.ascontiguousarray(arrays.travel_var, dtype=np.float64)
        self.E = np.ascontiguousarray(arrays.energy, dtype=np.float64)
        self.node = node_table(arrays)
        self.general = is_general_mode(arrays)
        if fixed_cost_per_trip is None:
            fixed_cost_per_trip = arrays.max_trips == 1
        self.fixed_cost_per_trip = bool(fixed_cost_per_trip)
        par = np.zeros(K.N_PAR)
        par[K.P_CAP] = arrays.capacity
        par[K.P_B] = arrays.battery_capacity
        par[K.P_USABLE] = arrays.battery_capacity - arrays.min_soc
        par[K.P_G] = arrays.recharge_rate if math.isfinite(arrays.battery_capacity) else 0.0
        par[K.P_Z] = arrays.z_beta
        par[K.P_HOR] = arrays.due[0]
        par[K.P_T0] = arrays.ready[0]
        par[K.P_CPD] = arrays.cost_per_distance
        par[K.P_FIX] = arrays.fixed_cost
        par[K.P_GEN] = 1.0 if self.general else 0.0
        par[K.P_SOFT] = 0.0 if arrays.hard_time_windows else 1.0
        par[K.P_ROUTEFIX] = 1.0 if self.fixed_cost_per_trip else 0.0
        if duration_weight is None:
            day = float(arrays.due[0] - arrays.ready[0])
            duration_weight = arrays.fixed_cost / day if arrays.max_trips > 1 and day > 0 else 0.0
        par[K.P_DURW] = duration_weight
        par[K.P_TURN] = arrays.depot_turnaround
        self.par = par
        self.set_weights(*weights)
        if n_routes is None:
            n_routes = min(n, arrays.max_vehicles * arrays.max_trips)
        self.n_routes = max(2, int(n_routes))
        self.max_len = n + 2 + (2 * m + 6 if m else 0)
        r, length = self.n_routes, self.max_len
        self.routes = np.zeros((r, length), dtype=np.int64)
        self.rlen = np.zeros(r, dtype=np.int64)
        self.fw = np.zeros((r, length, K.N_FW))
        self.bw = np.zeros((r, length, K.N_BW))
        self.fst = np.full((r, length), -1, dtype=np.int64)
        self.rinfo = np.zeros((r, K.N_RI))
        big_n = n + m + 1
        self.node_route = np.full(big_n, -1, dtype=np.int64)
        self.node_pos = np.full(big_n, -1, dtype=np.int64)
        self.mv = np.full((2, K.M_COLS), -1, dtype=np.int64)
        self.best_mv = np.full((2, K.M_COLS), -1, dtype=np.int64)
        self.st = np.zeros(K.N_S)
        self.buf = np.zeros((2, length), dtype=np.int64)
        self.stations = np.arange(n + 1, n + m + 1, dtype=np.int64)
        # the 4 stations nearest to every node (candidates of the station re-position move)
        if m:
            k = min(4, m)
            order = np.argsort(self.D[:, n + 1 :], axis=1, kind="stable")[:, :k]
            self.near_stations = np.ascontiguousarray(order + n + 1, dtype=np.int64)
        else:
            self.near_stations = np.zeros((n + 1, 1), dtype=np.int64)
        self.dirty = np.ones(r, dtype=np.bool_)
        for t in range(self.n_routes):
            self._update(t)

    # ------------------------------------------------------------------ low level
    def _update(self, r: int) -> None:
        self.dirty[r] = True
        K.update_route(r, self.routes, self.rlen, self.fw, self.bw, self.fst, self.rinfo, self.node_route,
                       self.node_pos, self.D, self.T, self.TV, self.E, self.node, self.par)

    def set_weights(self, w_capacity: float, w_time: float, w_battery: float) -> None:
        """Set the penalty weights and re-price every trip."""
        self.par[K.P_WCAP] = w_capacity
        self.par[K.P_WTIME] = w_time
        self.par[K.P_WBATT] = w_battery
        if hasattr(self, "rinfo"):
            K.recost(self.rinfo, self.rlen, self.par)

    @property
    def weights(self) -> tuple[float, float, float]:
        """Current penalty weights ``(capacity, time, battery)``."""
        return float(self.par[K.P_WCAP]), float(self.par[K.P_WTIME]), float(self.par[K.P_WBATT])

    # ------------------------------------------------------------------ loading and reading
    def load(self, trips: list[list[int]]) -> None:
        """Replace the trips (node indices without depots); more trips than slots raise ``ValueError``."""
        trips = [list(t) for t in trips if len(t)]
        if len(trips) > self.n_routes:
            raise ValueError(f"{len(trips)} trips but only {self.n_routes} trip slots")
        self.node_route[:] = -1
        self.node_pos[:] = -1
        self.rlen[:] = 0
        for r in range(self.n_routes):
            if r < len(trips):
                t = trips[r]
                if len(t) + 2 > self.max_len:
                    raise ValueError("trip too long for the engine's buffers")
                self.routes[r, 1 : len(t) + 1] = t
                self.rlen[r] = len(t)
            self._update(r)

    def trips(self) -> list[list[int]]:
        """The non-empty trips as lists of node indices (no depots)."""
        return [
            [int(v) for v in self.routes[r, 1 : self.rlen[r] + 1]] for r in range(self.n_routes) if self.rlen[r]
        ]

    def trip(self, r: int) -> list[int]:
        """Visits of trip slot ``r``."""
        return [int(v) for v in self.routes[r, 1 : self.rlen[r] + 1]]

    def penalised_cost(self) -> float:
        """Sum of the penalised trip costs."""
        return float(S.total_cost(self.rinfo, self.rlen))

    def recompute_cost(self) -> float:
        """Penalised cost recomputed from scratch (all caches rebuilt); for tests."""
        dirty = self.dirty.copy()
        for r in range(self.n_routes):
            self._update(r)
        self.dirty[:] = dirty
        return self.penalised_cost()

    def summary(self) -> dict[str, float]:
        """Totals over the non-empty trips: distance, load excess, time/chance violation, battery violation."""
        used = self.rlen > 0
        ri = self.rinfo[used]
        return {
            "distance": float(ri[:, K.R_DIST].sum()),
            "load_excess": float(np.maximum(ri[:, K.R_LOAD] - self.par[K.P_CAP], 0.0).sum()),
            "time_violation": float(ri[:, K.R_TP].sum()),
            "battery_violation": float(ri[:, K.R_BP].sum()),
            "lateness_cost": float(ri[:, K.R_LC].sum()),
            "trips": int(used.sum()),
        }

    def is_feasible(self, tol: float = 1e-6) -> bool:
        """No load, time/chance or battery violation in any trip (penalty terms all zero)."""
        s = self.summary()
        return s["load_excess"] <= tol and s["time_violation"] <= tol and s["battery_violation"] <= tol

    # ------------------------------------------------------------------ moves
    def evaluate(self, mv: np.ndarray) -> float:
        """Penalised cost change of a move row array (see :mod:`solvers.engine.kernels`)."""
        return float(K.eval_move(mv, self.st, self.routes, self.rlen, self.fw, self.bw, self.fst, self.rinfo,
                                 self.D, self.T, self.TV, self.E, self.node, self.par))

    def apply(self, mv: np.ndarray) -> None:
        """Apply a move row array."""
        for k in range(2):
            if mv[k, K.M_T] >= 0:
                self.dirty[mv[k, K.M_T]] = True
        K.apply_move(mv, self.buf, self.routes, self.rlen, self.fw, self.bw, self.fst, self.rinfo,
                     self.node_route, self.node_pos, self.D, self.T, self.TV, self.E, self.node, self.par)

    def local_search(self, order: np.ndarray, neighbours: np.ndarray, ops: int = S.OP_ALL, max_seg: int = 3,
                     max_moves: int = 1_000_000) -> int:
        """Run the VND local search from the trips changed since the last call; returns the applied moves."""
        dirty = self.dirty.copy()
        self.dirty[:] = False
        return int(S.local_search(
            np.asarray(order, dtype=np.int64), neighbours, self.stations, self.near_stations, ops, max_seg, dirty,
            self.routes,
            self.rlen,
            self.fw, self.bw, self.fst, self.rinfo, self.node_route, self.node_pos, self.D, self.T, self.TV,
            self.E, self.node, self.par, self.mv, self.best_mv, self.st, self.buf, 1e-7, max_moves,
        ))

    def best_insertion(self, v: int, allow_empty: bool = True) -> tuple[float, int, int]:
        """Cheapest (penalised) insertion of node ``v``: ``(delta, trip slot, position)``."""
        d, r, p = S.best_insertion(v, allow_empty, self.routes, self.rlen, self.fw, self.bw, self.fst,
                                   self.rinfo, self.D, self.T, self.TV, self.E, self.node, self.par, self.mv,
                                   self.best_mv, self.st)
        return float(d), int(r), int(p)

    def insert(self, v: int, r: int, p: int) -> None:
        """Insert node ``v`` after position ``p`` of trip slot ``r``."""
        self.dirty[r] = True
        S.insert_at(v, r, p, self.routes, self.rlen, self.fw, self.bw, self.fst, self.rinfo, self.node_route,
                    self.node_pos, self.D, self.T, self.TV, self.E, self.node, self.par, self.mv, self.buf)

    def remove(self, r: int, p: int) -> None:
        """Remove the visit at position ``p`` of trip slot ``r``."""
        self.dirty[r] = True
        S.remove_at(r, p, self.routes, self.rlen, self.fw, self.bw, self.fst, self.rinfo, self.node_route,
                    self.node_pos, self.D, self.T, self.TV, self.E, self.node, self.par, self.mv, self.buf)

    def remove_request(self, v: int) -> None:
        """Remove request ``v`` from its trip."""
        self.remove(int(self.node_route[v]), int(self.node_pos[v]))

    def first_empty(self) -> int:
        """Index of an empty trip slot, or -1."""
        empty = np.flatnonzero(self.rlen == 0)
        return int(empty[0]) if empty.size else -1

    def trips_by_slot(self) -> list[list[int]]:
        """The visits of every trip slot (empty lists for unused slots)."""
        return [self.trip(r) for r in range(self.n_routes)]

    def set_trip(self, r: int, visits: list[int]) -> None:
        """Replace the visits of trip slot ``r`` (node indices without depots)."""
        if len(visits) + 2 > self.max_len:
            raise ValueError("trip too long for the engine's buffers")
        self.routes[r, 1 : len(visits) + 1] = visits
        self.rlen[r] = len(visits)
        self._update(r)

    def snapshot(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the trip rows and lengths, for :meth:`restore` (cheaper than :meth:`trips_by_slot`)."""
        return self.routes.copy(), self.rlen.copy()

    def restore(self, snap: tuple[np.ndarray, np.ndarray]) -> None:
        """Return to a :meth:`snapshot`, rebuilding only the trip slots whose rows differ."""
        routes, rlen = snap
        changed = (rlen != self.rlen) | np.any(routes != self.routes, axis=1)
        for r in np.flatnonzero(changed):
            self.routes[r] = routes[r]
            self.rlen[r] = rlen[r]
            self._update(int(r))

    def load_slots(self, trips: list[list[int]]) -> None:
        """Load trips slot by slot (``len(trips) == n_routes``), rebuilding only slots that changed."""
        for r, t in enumerate(trips):
            if len(t) == self.rlen[r] and all(self.routes[r, 1 : len(t) + 1] == t):
                continue
            self.set_trip(r, t)
