"""SimPy simulation of one AMR hospital day: AMRs execute a plan under random travel and service times.

Model (one replication, :func:`simulate`)
-----------------------------------------
- Every AMR is a SimPy process that runs its trips: leave the depot, visit the trip's nodes, return. A trip leaves at
  ``max(depot.ready, trip.earliest_start)`` (first trip) or ``max(trip.earliest_start, return + depot_turnaround +
  depot recharge)`` (later trips) -- the AMR leaves as soon as it may, there is no planned departure to wait for.
- Leg ``i -> j``: driving ``(distance / speed) (1 + eps)``, ``eps ~ N(0, cv_travel^2)`` truncated at -0.9 (redrawn);
  when floors differ the AMR drives to the elevator shaft, queues for a car (a shared ``simpy.Resource`` with
  ``SimulationConfig.elevator_cars`` cars, FIFO), waits ``Uniform[0, wait_max]`` for it, rides
  ``ride_fixed + ride_per_floor |floor difference|`` and drives on from the shaft.
- Request ``j``: service starts at ``max(arrival, ready)`` and lasts ``service (1 + eta)``, ``eta ~ N(0, cv_service^2)``
  truncated at -1. On time means ``arrival <= due``; lateness is ``max(0, start - due)``.
- An AMR never heads for a request before it is revealed: it waits where it stands (``reveal_wait``).
- Battery (finite ``battery_capacity``): energy ``energy_per_distance * distance`` per leg; a station visit queues
  for one of ``SimulationConfig.chargers_per_station`` chargers and recharges fully in ``recharge_rate * (B - soc)``;
  with ``depot_charging`` the AMR recharges fully at every depot return. Before each leg the AMR checks that it can
  reach the next node and, from a request, still some charger or the depot with at least ``min_soc_fraction * B``
  left; without depot charging it also checks, before returning, that it will have the energy for its next planned
  trip (up to that trip's first station). If not it **detours** to the charging station that adds the least energy
  and recharges there (a *plan deviation*, logged and counted). A feasible plan never triggers a detour (energy is
  deterministic and distances satisfy the triangle inequality); if no station is reachable the AMR drives on and a
  ``battery`` violation is counted for every arrival below the minimum.
- Request reveals are events: the policy (:mod:`hospital_or.simulation.policy`) is called on every reveal and
  whenever an AMR becomes idle, and may replace the uncommitted part of any AMR's plan.

Common random numbers
---------------------
A replication draws, from its own generator and in a fixed order independent of the plan, per node ``j``: the travel
noise and elevator wait of the leg *into* ``j``, of the *return* leg from ``j`` to the depot, and the service noise of
``j``. Legs into charging stations, legs out of stations to the depot and the depot-to-depot corner cases use further
draws from the same generator in event order. Two plans or policies simulated with the same generator seed therefore
see the same delay on every leg that reaches the same request, and the same service times.

Zero variance and no queueing reproduce the schedule of ``docs/semantics.md`` exactly (tested against the checker).
Two deliberate differences from the checker's Monte Carlo (E2): a later trip leaves as soon as the AMR is ready (the
checker holds it until its planned, beta-quantile departure), and an AMR recharges at every depot return (the
checker's records only show the recharge before a next trip); neither changes a single-trip plan.

Performance
-----------
A leg that needs no shared resource costs one SimPy event: travel, waiting for the window and service are summed
and the AMR sleeps until its departure (the arrival and start times are computed, not awaited). Only elevator
queues, charger queues, reveals and policy-driven waits add events. Problem data is prepared once per problem in a
:class:`SimulationModel` (plain Python lists, cheaper than NumPy scalar indexing in the event loop).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import simpy

from hospital_or.problem import Problem
from hospital_or.simulation.policy import (
    AMRView,
    Decision,
    PendingPlan,
    Policy,
    PolicyError,
    make_policy,
)
from hospital_or.solution import Solution, Trip

__all__ = [
    "EVENT_COLUMNS",
    "VISIT_COLUMNS",
    "SimulationConfig",
    "SimulationModel",
    "SimulationResult",
    "simulate",
]

_TOL = 1e-6

#: Columns of :attr:`SimulationResult.events` (the event log).
EVENT_COLUMNS = ("time", "amr", "trip", "event", "node", "value")
#: Columns of :attr:`SimulationResult.visits` (the realised schedule, one row per visit and depot return).
VISIT_COLUMNS = (
    "amr",
    "trip",
    "position",
    "node",
    "kind",
    "arrival",
    "start",
    "departure",
    "wait",
    "lateness",
    "on_time",
    "soc_arrival",
    "soc_departure",
    "queue",
    "detour",
)

# request states (planning side; "revealed" is tracked separately)
_UNASSIGNED, _PLANNED, _COMMITTED, _SERVED, _REJECTED = 0, 1, 2, 3, 4
_STATE_NAMES = ("unassigned", "planned", "committed", "served", "rejected")
# AMR status
_IDLE, _WAITING, _BUSY, _RETURNING = "idle", "waiting", "busy", "returning"


@dataclass(frozen=True)
class SimulationConfig:
    """Resources and options of a simulation run.

    Parameters
    ----------
    chargers_per_station
        Chargers at each charging station (AMRs queue FIFO); ``None`` = unlimited (no queueing).
    elevator_cars
        Cars of the elevator (one AMR per car, FIFO); ``None`` = unlimited (no elevator queueing).
    n_amrs
        AMRs in the simulation; default ``max(len(solution.amrs), fleet.max_vehicles)``. AMRs beyond the plan
        start idle at the depot (dynamic policies may use them).
    record_log
        Keep the event log (set ``False`` for speed in long replication runs).
    """

    chargers_per_station: int | None = 1
    elevator_cars: int | None = 1
    n_amrs: int | None = None
    record_log: bool = True

    def __post_init__(self) -> None:
        for name in ("chargers_per_station", "elevator_cars", "n_amrs"):
            value = getattr(self, name)
            if value is not None and int(value) < 1:
                raise ValueError(f"{name} must be at least 1 or None, got {value}")


class SimulationModel:
    """The problem data the simulator needs, prepared once (plain Python lists for fast scalar access).

    Build it once and pass it to :func:`simulate` when running many replications of the same problem.
    """

    def __init__(self, problem: Problem):
        self.problem = problem
        p = problem
        f = p.fleet
        self.n = n = p.n_requests
        self.N = N = p.n_nodes
        self.ids = list(p.node_ids)
        self.index = dict(p.node_index)
        nodes = [p.depot, *p.requests, *p.stations]
        dist = np.array(p.distance_matrix, dtype=float)
        speed = float(f.speed)
        self.dist = dist.tolist()
        self.travel_mean = np.array(p.travel_time_matrix, dtype=float).tolist()
        floor = np.array([int(x.floor) for x in nodes])
        change = floor[:, None] != floor[None, :]
        self.has_elevator = bool(p.elevator is not None and change.any())
        self.change = change.tolist()
        self.drive = (dist / speed).tolist()
        if self.has_elevator:
            e = p.elevator
            xs = np.array([float(x.x) for x in nodes])
            ys = np.array([float(x.y) for x in nodes])
            self.shaft = (np.hypot(xs - e.x, ys - e.y) / speed).tolist()
            self.ride = np.where(change, e.ride_fixed + e.ride_per_floor * np.abs(floor[:, None] - floor[None, :]), 0.0)
            self.ride = self.ride.tolist()
            self.wait_max = float(e.wait_max)
        else:
            self.shaft = [0.0] * N
            self.ride = np.zeros((N, N)).tolist()
            self.wait_max = 0.0
        self.ready = [float(p.depot.ready)] + [float(r.ready) for r in p.requests] + [0.0] * p.n_stations
        self.due = [float(p.depot.horizon)] + [float(r.due) for r in p.requests] + [math.inf] * p.n_stations
        self.service = [0.0] + [float(r.service) for r in p.requests] + [0.0] * p.n_stations
        self.demand = [0.0] + [float(r.demand) for r in p.requests] + [0.0] * p.n_stations
        self.priority = [0] + [int(r.priority) for r in p.requests] + [0] * p.n_stations
        self.reveal = [0.0] + [float(r.reveal) for r in p.requests] + [0.0] * p.n_stations
        self.stations = list(range(n + 1, N))
        self.battery = f.has_battery
        self.B = float(f.battery_capacity)
        self.min_soc = float(f.min_soc_fraction * f.battery_capacity) if f.has_battery else -math.inf
        self.g = float(f.recharge_rate)
        self.depot_charging = bool(f.depot_charging)
        if self.battery:
            energy = f.energy_per_distance * dist
            self.energy = energy.tolist()
            chargers = [0, *self.stations]
            self.reach = energy[:, chargers].min(axis=1).tolist()
        else:
            self.energy = np.zeros((N, N)).tolist()
            self.reach = [0.0] * N
        self.turnaround = float(f.depot_turnaround)
        self.capacity = float(f.capacity)
        self.depot_ready = float(p.depot.ready)
        self.horizon = float(p.depot.horizon)
        self.cv_travel = float(p.stochastic.cv_travel)
        self.cv_service = float(p.stochastic.cv_service)


@dataclass
class SimulationResult:
    """One simulated day.

    Attributes
    ----------
    kpis
        KPI name -> value (see :data:`hospital_or.simulation.kpis.KPI_NAMES`).
    visit_rows
        The realised schedule as tuples in :data:`VISIT_COLUMNS` order (see :attr:`visits`).
    event_rows
        The event log as tuples in :data:`EVENT_COLUMNS` order (empty when ``record_log`` is off).
    policy
        Name of the policy.
    """

    kpis: dict[str, float]
    visit_rows: list[tuple] = field(repr=False)
    event_rows: list[tuple] = field(repr=False)
    policy: str = "static"

    @cached_property
    def visits(self) -> pd.DataFrame:
        """The realised schedule, one row per visit and per depot return (columns :data:`VISIT_COLUMNS`)."""
        return pd.DataFrame(self.visit_rows, columns=list(VISIT_COLUMNS))

    @cached_property
    def events(self) -> pd.DataFrame:
        """The event log sorted by time (columns :data:`EVENT_COLUMNS`); ``value`` is event specific.

        Events: ``reveal``, ``reject``, ``plan_change`` (value = AMR), ``trip_start``, ``arrive`` (value = state
        of charge), ``service_start`` (value = lateness), ``service_end``, ``charge_start`` (value = queue time),
        ``charge_end``, ``detour`` (a charging detour, a plan deviation; node = the station), ``battery_low``,
        ``elevator`` (value = queue time), ``reveal_wait`` (value = waiting time), ``trip_end``.
        """
        frame = pd.DataFrame(self.event_rows, columns=list(EVENT_COLUMNS))
        return frame.sort_values("time", kind="stable").reset_index(drop=True)


class _AMR:
    __slots__ = (
        "busy",
        "distance",
        "free_at",
        "index",
        "on_trip",
        "pos",
        "ready_at",
        "rest",
        "soc",
        "status",
        "target",
        "trip",
        "trip_first",
        "trip_load",
        "trip_start",
        "trips",
        "used",
        "visited",
        "wake",
    )

    def __init__(self, index: int, ready: float, battery: float):
        self.index = index
        self.pos = 0
        self.target: int | None = None
        self.rest: list[int] = []
        self.trips: list[tuple[list[int], float]] = []
        self.on_trip = False
        self.soc = battery
        self.status = _IDLE
        self.free_at = ready
        self.ready_at = ready
        self.trip = -1  # index of the current / last trip (0-based, as in the checker's records)
        self.trip_load = 0.0
        self.trip_first = 0  # len(visited) when the current trip started
        self.trip_start = ready
        self.used = False
        self.visited: list[int] = []
        self.wake: simpy.Event | None = None
        self.busy = 0.0
        self.distance = 0.0


def _truncated(rng: np.random.Generator, cv: float, lower: float, size: int) -> np.ndarray:
    """``size`` draws of ``N(0, cv^2)`` conditioned on ``>= lower`` (redrawn); zeros when ``cv == 0``."""
    if cv <= 0.0:
        return np.zeros(size)
    x = cv * rng.standard_normal(size)
    low = x < lower
    while low.any():
        x[low] = cv * rng.standard_normal(int(low.sum()))
        low = x < lower
    return x


class _Run:
    """One replication; also the :class:`~hospital_or.simulation.policy.SimState` the policy sees."""

    def __init__(
        self,
        model: SimulationModel,
        solution: Solution,
        policy: Policy,
        rng: np.random.Generator,
        config: SimulationConfig,
    ):
        self.m = m = model
        self._problem = model.problem
        self.policy = policy
        self.rng = rng
        self.config = config
        self.env = env = simpy.Environment(initial_time=m.depot_ready)
        n_amrs = config.n_amrs or max(len(solution.amrs), m.problem.fleet.max_vehicles)
        if len(solution.amrs) > n_amrs:
            raise ValueError(f"the plan uses {len(solution.amrs)} AMRs but the simulation has only {n_amrs}")
        self.amr_list = [_AMR(k, m.depot_ready, m.B if m.battery else math.inf) for k in range(n_amrs)]
        # common random numbers: fixed-order draws per node
        N = m.N
        self.eps_in = (1.0 + _truncated(rng, m.cv_travel, -0.9, N)).tolist()
        self.eps_ret = (1.0 + _truncated(rng, m.cv_travel, -0.9, N)).tolist()
        self.svc = (np.asarray(m.service) * (1.0 + _truncated(rng, m.cv_service, -1.0, N))).tolist()
        if m.wait_max > 0:
            self.wait_in = rng.uniform(0.0, m.wait_max, N).tolist()
            self.wait_ret = rng.uniform(0.0, m.wait_max, N).tolist()
        else:
            self.wait_in = self.wait_ret = [0.0] * N
        # resources
        cars = config.elevator_cars
        self.elevator = simpy.Resource(env, cars) if (m.has_elevator and cars is not None) else None
        per = config.chargers_per_station
        self.chargers = {f: (simpy.Resource(env, per) if per is not None else None) for f in m.stations}
        # request bookkeeping
        self.state = [_UNASSIGNED] * N
        self.owner = [-1] * N
        self.revealed = [False] * N
        self.reveal_order: list[int] = []
        self.plan_rejected: frozenset[str] = frozenset(solution.rejected)
        self.events: list[tuple] = []
        self.visits: list[tuple] = []
        self.log = config.record_log
        # statistics
        self.elevator_queue = 0.0
        self.charging_queue = 0.0
        self.detours = 0
        self.battery_violations = 0
        self.capacity_violations = 0
        self.reveal_wait = 0.0
        self.overtime = 0.0
        self.makespan = m.depot_ready
        self.arrival = [math.nan] * N
        self.start = [math.nan] * N
        self._load_plan(solution)

    # ------------------------------------------------------------------ SimState protocol
    @property
    def time(self) -> float:
        return float(self.env.now)

    @property
    def problem(self) -> Problem:
        return self._problem

    @property
    def n_amrs(self) -> int:
        return len(self.amr_list)

    def amr(self, index: int) -> AMRView:
        a = self.amr_list[index]
        ids = self.m.ids
        return AMRView(
            index=a.index,
            status=a.status,
            on_trip=a.on_trip,
            position=ids[a.pos],
            target=None if a.target is None else ids[a.target],
            free_at=max(a.free_at, float(self.env.now)),
            soc=a.soc,
            trip_load=a.trip_load,
            trip=a.trip + 1,
            visited=tuple(ids[v] for v in a.visited),
            pending=PendingPlan(
                tuple(ids[v] for v in a.rest),
                tuple(Trip(tuple(ids[v] for v in visits), earliest) for visits, earliest in a.trips),
            ),
        )

    @property
    def amrs(self) -> tuple[AMRView, ...]:
        return tuple(self.amr(k) for k in range(len(self.amr_list)))

    def _request_index(self, request: str) -> int:
        j = self.m.index.get(str(request), -1)
        if not 1 <= j <= self.m.n:
            raise PolicyError(f"{request!r} is not a request of the problem")
        return j

    def request_status(self, request: str) -> str:
        j = self._request_index(request)
        s = self.state[j]
        if not self.revealed[j] and s in (_UNASSIGNED, _PLANNED):
            return "unrevealed"
        return _STATE_NAMES[s]

    def owner_of(self, request: str) -> int | None:
        k = self.owner[self._request_index(request)]
        return None if k < 0 else k

    @property
    def unassigned(self) -> tuple[str, ...]:
        ids = self.m.ids
        return tuple(ids[j] for j in self.reveal_order if self.state[j] == _UNASSIGNED)

    def policy_view(self) -> _PolicyView:
        """The read-only :class:`SimState` facade handed to the policy."""
        return _PolicyView(self)

    # ------------------------------------------------------------------ plan handling
    def _load_plan(self, solution: Solution) -> None:
        m = self.m
        for k, plan in enumerate(solution.amrs):
            a = self.amr_list[k]
            for trip in plan.trips:
                nodes = self._nodes(trip.visits, k)
                if nodes:
                    a.trips.append((nodes, float(trip.earliest_start)))
        for rid in solution.rejected:
            j = m.index.get(rid, -1)
            if not 1 <= j <= m.n:
                raise ValueError(f"rejected {rid!r} is not a request of the problem")
            if self.owner[j] >= 0:
                raise ValueError(f"request {rid} is both planned and rejected")

    def _nodes(self, visits: tuple[str, ...], k: int) -> list[int]:
        """Node indices of a pending sequence; marks requests as planned by AMR ``k`` (errors on conflicts)."""
        m = self.m
        out = []
        for v in visits:
            j = m.index.get(v, -1)
            if j <= 0:
                what = "the depot (start a new trip instead)" if j == 0 else "not a node of the problem"
                raise PolicyError(f"plan of AMR {k}: {v!r} is {what}")
            if j <= m.n:
                s = self.state[j]
                if s != _UNASSIGNED or self.owner[j] >= 0:
                    where = f" by AMR {self.owner[j]}" if self.owner[j] >= 0 else ""
                    raise PolicyError(f"plan of AMR {k}: request {v} is already {_STATE_NAMES[s]}{where}")
                self.state[j] = _PLANNED
                self.owner[j] = k
            out.append(j)
        return out

    def apply(self, decision: Decision) -> None:
        """Validate and execute a policy decision."""
        m = self.m
        now = self.env.now
        changed = []
        for k in decision.plans:
            if not 0 <= int(k) < len(self.amr_list):
                raise PolicyError(f"no AMR {k} (the simulation has {len(self.amr_list)})")
            a = self.amr_list[int(k)]
            for j in (*a.rest, *(v for visits, _ in a.trips for v in visits)):
                if j <= m.n and self.owner[j] == a.index and self.state[j] == _PLANNED:
                    self.state[j] = _UNASSIGNED
                    self.owner[j] = -1
            changed.append(a)
        for k, plan in decision.plans.items():
            a = self.amr_list[int(k)]
            if plan.rest_of_trip and (not a.on_trip or a.target == 0):
                raise PolicyError(
                    f"AMR {k} is not on a trip (or is returning to the depot): rest_of_trip must be empty"
                )
            a.rest = self._nodes(plan.rest_of_trip, a.index)
            a.trips = [(self._nodes(t.visits, a.index), float(t.earliest_start)) for t in plan.trips if t.visits]
            if a.on_trip:
                a.trip_load = sum(m.demand[v] for v in a.visited[a.trip_first :] if 1 <= v <= m.n) + sum(
                    m.demand[v] for v in a.rest if v <= m.n
                )
            if self.log:
                self.events.append((now, a.index, a.trip, "plan_change", None, float(a.index)))
        for rid in decision.reject:
            j = self._request_index(rid)
            if self.state[j] == _REJECTED:
                continue  # rejecting twice changes nothing
            if self.owner[j] >= 0 or self.state[j] != _UNASSIGNED:
                raise PolicyError(f"cannot reject request {rid}: it is {_STATE_NAMES[self.state[j]]}")
            self.state[j] = _REJECTED
            if self.log:
                self.events.append((now, -1, -1, "reject", rid, math.nan))
        for a in changed:
            if a.wake is not None and not a.wake.triggered:
                a.wake.succeed()

    # ------------------------------------------------------------------ processes
    def run(self) -> SimulationResult:
        env, m = self.env, self.m
        for a in self.amr_list:
            env.process(self._amr_process(a))
        later = []
        view = self.policy_view()
        for j in range(1, m.n + 1):
            if m.reveal[j] <= m.depot_ready:
                self._reveal(j, view)
            else:
                later.append((m.reveal[j], j))
        if later:
            later.sort()
            env.process(self._reveal_process(later, view))
        env.run()
        return SimulationResult(self._kpis(), self.visits, self.events, getattr(self.policy, "name", "policy"))

    def _reveal(self, j: int, view: _PolicyView) -> None:
        self.revealed[j] = True
        self.reveal_order.append(j)
        if self.log:
            self.events.append((self.env.now, -1, -1, "reveal", self.m.ids[j], math.nan))
        decision = self.policy.on_reveal(view, self.m.ids[j])
        if decision.plans or decision.reject:
            self.apply(decision)

    def _reveal_process(self, later: list[tuple[float, int]], view: _PolicyView):
        env = self.env
        for t, j in later:
            if t > env.now:
                yield env.timeout(t - env.now)
            self._reveal(j, view)

    def _wait(self, a: _AMR, delay: float | None):
        """Wait ``delay`` (``None`` = until woken) or until the AMR's plan changes."""
        a.wake = self.env.event()
        if delay is None:
            yield a.wake
        else:
            yield self.env.timeout(delay) | a.wake
        a.wake = None

    def _amr_process(self, a: _AMR):
        env, m = self.env, self.m
        n = m.n
        view = self.policy_view()
        while True:
            if a.on_trip:
                if a.rest:
                    j = a.rest[0]
                    if j <= n and m.reveal[j] > env.now:
                        a.status = _WAITING
                        t0 = env.now
                        yield from self._wait(a, m.reveal[j] - env.now)
                        self.reveal_wait += env.now - t0
                        if self.log:
                            self.events.append((env.now, a.index, a.trip, "reveal_wait", m.ids[j], env.now - t0))
                        continue
                    a.rest.pop(0)
                    yield from self._visit(a, j)
                else:
                    yield from self._return(a)
            elif a.trips:
                visits, earliest = a.trips[0]
                depart = max(earliest, a.ready_at)
                if depart > env.now:
                    a.status = _WAITING
                    yield from self._wait(a, depart - env.now)
                    continue
                a.trips.pop(0)
                a.on_trip = True
                a.used = True
                a.trip += 1
                a.trip_start = env.now
                a.trip_first = len(a.visited)
                a.rest = visits
                a.trip_load = load = sum(m.demand[v] for v in visits if v <= n)
                if self.log:
                    self.events.append((env.now, a.index, a.trip, "trip_start", m.ids[0], load))
            else:
                a.status = _IDLE
                a.target = None
                decision = self.policy.on_idle(view, a.index)
                if decision.plans or decision.reject:
                    self.apply(decision)
                if a.trips or a.rest:
                    continue
                yield from self._wait(a, None)

    def _noise(self, i: int, j: int) -> tuple[float, float]:
        """(1 + travel noise, elevator wait) of leg ``i -> j`` (common random numbers, see the module docstring)."""
        n = self.m.n
        if 1 <= j <= n:
            return self.eps_in[j], self.wait_in[j]
        if j == 0 and 1 <= i <= n:
            return self.eps_ret[i], self.wait_ret[i]
        m = self.m
        factor = 1.0 + float(_truncated(self.rng, m.cv_travel, -0.9, 1)[0]) if m.cv_travel > 0 else 1.0
        wait = float(self.rng.uniform(0.0, m.wait_max)) if m.wait_max > 0 else 0.0
        return factor, wait

    def _leave(self, a: _AMR, i: int, j: int) -> tuple[float, float]:
        """Book the leg ``i -> j`` (distance, energy) and return its (1 + travel noise, elevator wait)."""
        m = self.m
        a.distance += m.dist[i][j]
        if m.battery:
            a.soc -= m.energy[i][j]
        return self._noise(i, j)

    def _queues_for_elevator(self, i: int, j: int) -> bool:
        return self.elevator is not None and self.m.change[i][j]

    def _arrival(self, a: _AMR, i: int, j: int) -> float:
        """Arrival time of leg ``i -> j`` when no resource is involved (no SimPy event: the fast path)."""
        m = self.m
        factor, wait = self._leave(a, i, j)
        if m.change[i][j]:
            return self.env.now + m.drive[i][j] * factor + wait + m.ride[i][j]
        return self.env.now + m.drive[i][j] * factor

    def _ride(self, a: _AMR, i: int, j: int):
        """Leg ``i -> j`` through the shared elevator: drive to the shaft, queue for a car, ride, drive on."""
        m, env = self.m, self.env
        factor, wait = self._leave(a, i, j)
        yield env.timeout(m.shaft[i] * factor)
        asked = env.now
        with self.elevator.request() as car:
            yield car
            queue = env.now - asked
            self.elevator_queue += queue
            if self.log:
                self.events.append((env.now, a.index, a.trip, "elevator", m.ids[j], queue))
            yield env.timeout(wait + m.ride[i][j])
        return env.now + m.shaft[j] * factor

    def _needs_detour(self, a: _AMR, j: int) -> bool:
        m = self.m
        i = a.pos
        if not m.battery or (i > m.n and a.soc >= m.B - _TOL):
            return False
        need = m.energy[i][j] + (m.reach[j] if 1 <= j <= m.n else 0.0)
        return a.soc - need < m.min_soc - _TOL

    def _short_for_next_trip(self, a: _AMR) -> bool:
        """Without depot charging: would the AMR, back at the depot, lack the energy for its next planned trip
        (up to the trip's first station, or the whole trip)? A feasible plan never is."""
        m = self.m
        if m.depot_charging or not a.trips or (a.pos > m.n and a.soc >= m.B - _TOL):
            return False
        need, prev = 0.0, 0
        for v in a.trips[0][0]:
            need += m.energy[prev][v]
            if v > m.n:
                break
            prev = v
        else:
            need += m.energy[prev][0]
        return a.soc - m.energy[a.pos][0] - need < m.min_soc - _TOL

    def _detour_station(self, a: _AMR, j: int) -> int | None:
        m = self.m
        i = a.pos
        best, best_cost = None, math.inf
        for f in m.stations:
            if f == i or a.soc - m.energy[i][f] < m.min_soc - _TOL:
                continue
            cost = m.energy[i][f] + m.energy[f][j]
            if cost < best_cost:
                best, best_cost = f, cost
        return best

    def _detour(self, a: _AMR, j: int):
        """Detour to a charging station before heading for ``j`` (the battery requires it)."""
        f = self._detour_station(a, j)
        if f is None:
            if self.log:
                self.events.append((self.env.now, a.index, a.trip, "battery_low", self.m.ids[j], a.soc))
            return
        self.detours += 1
        if self.log:
            self.events.append((self.env.now, a.index, a.trip, "detour", self.m.ids[f], a.soc))
        yield from self._station(a, f, detour=True)

    def _visit(self, a: _AMR, j: int):
        m, env = self.m, self.env
        if m.battery and self._needs_detour(a, j):
            yield from self._detour(a, j)
        if j > m.n:
            yield from self._station(a, j, detour=False)
            return
        i = a.pos
        self.state[j] = _COMMITTED
        a.target = j
        a.visited.append(j)
        a.status = _BUSY
        now = env.now
        a.free_at = max(now + m.travel_mean[i][j], m.ready[j]) + m.service[j]
        if self._queues_for_elevator(i, j):
            arrival = yield from self._ride(a, i, j)
        else:
            arrival = self._arrival(a, i, j)
        soc = a.soc
        if soc < m.min_soc - _TOL:
            self.battery_violations += 1
        start = arrival if arrival > m.ready[j] else m.ready[j]
        departure = start + self.svc[j]
        lateness = start - m.due[j] if start > m.due[j] else 0.0
        on_time = arrival <= m.due[j] + _TOL
        self.arrival[j] = arrival
        self.start[j] = start
        self.visits.append(
            (
                a.index,
                a.trip,
                len(a.visited) - 1 - a.trip_first,
                m.ids[j],
                "request",
                arrival,
                start,
                departure,
                start - arrival,
                lateness,
                on_time,
                soc,
                soc,
                0.0,
                False,
            )
        )
        if self.log:
            ev = self.events
            ev.append((arrival, a.index, a.trip, "arrive", m.ids[j], soc))
            ev.append((start, a.index, a.trip, "service_start", m.ids[j], lateness))
            ev.append((departure, a.index, a.trip, "service_end", m.ids[j], math.nan))
        yield env.timeout(departure - env.now)
        self.state[j] = _SERVED
        a.pos = j
        a.target = None

    def _station(self, a: _AMR, f: int, detour: bool):
        m, env = self.m, self.env
        i = a.pos
        a.target = f
        a.visited.append(f)
        a.status = _BUSY
        a.free_at = env.now + m.travel_mean[i][f] + m.g * max(0.0, m.B - (a.soc - m.energy[i][f]))
        if self._queues_for_elevator(i, f):
            arrival = yield from self._ride(a, i, f)
        else:
            arrival = self._arrival(a, i, f)
        soc = a.soc
        if soc < m.min_soc - _TOL:
            self.battery_violations += 1
        charge = m.g * max(0.0, m.B - soc)
        charger = self.chargers[f]
        if charger is None:
            start = arrival
            yield env.timeout(arrival + charge - env.now)
        else:
            yield env.timeout(arrival - env.now)
            with charger.request() as slot:
                yield slot
                start = env.now
                yield env.timeout(charge)
        queue = start - arrival
        self.charging_queue += queue
        a.soc = m.B
        if self.log:
            self.events.append((start, a.index, a.trip, "charge_start", m.ids[f], queue))
            self.events.append((env.now, a.index, a.trip, "charge_end", m.ids[f], charge))
        self.visits.append(
            (
                a.index,
                a.trip,
                len(a.visited) - 1 - a.trip_first,
                m.ids[f],
                "station",
                arrival,
                start,
                env.now,
                queue,
                0.0,
                True,
                soc,
                a.soc,
                queue,
                detour,
            )
        )
        a.pos = f
        a.target = None

    def _return(self, a: _AMR):
        m, env = self.m, self.env
        if m.battery and (self._needs_detour(a, 0) or self._short_for_next_trip(a)):
            yield from self._detour(a, 0)
        i = a.pos
        a.target = 0
        a.visited.append(0)
        a.status = _RETURNING
        a.free_at = env.now + m.travel_mean[i][0]
        if self._queues_for_elevator(i, 0):
            end = yield from self._ride(a, i, 0)
        else:
            end = self._arrival(a, i, 0)
        soc = a.soc
        if soc < m.min_soc - _TOL:
            self.battery_violations += 1
        recharge = 0.0
        if m.battery and m.depot_charging:
            recharge = m.g * max(0.0, m.B - soc)
            a.soc = m.B
        carried = sum(m.demand[v] for v in a.visited[a.trip_first :] if 1 <= v <= m.n)
        if carried > m.capacity + _TOL:
            self.capacity_violations += 1
        a.ready_at = end + m.turnaround + recharge
        a.free_at = a.ready_at
        a.busy += end - a.trip_start + recharge
        if end > m.horizon:
            self.overtime += end - m.horizon
        if end > self.makespan:
            self.makespan = end
        self.visits.append(
            (
                a.index,
                a.trip,
                len(a.visited) - 1 - a.trip_first,
                m.ids[0],
                "depot",
                end,
                end,
                end + recharge,
                0.0,
                max(0.0, end - m.horizon),
                end <= m.horizon + _TOL,
                soc,
                a.soc,
                0.0,
                False,
            )
        )
        if self.log:
            self.events.append((end, a.index, a.trip, "trip_end", m.ids[0], soc))
        yield env.timeout(end - env.now)
        a.on_trip = False
        a.pos = 0
        a.target = None

    # ------------------------------------------------------------------ KPIs
    def _kpis(self) -> dict[str, float]:
        m = self.m
        n = m.n
        state = np.array(self.state[1 : n + 1])
        served = state == _SERVED
        arrival = np.array(self.arrival[1 : n + 1])
        start = np.array(self.start[1 : n + 1])
        due = np.array(m.due[1 : n + 1])
        priority = np.array(m.priority[1 : n + 1])
        on_time = served & (arrival <= due + _TOL)
        lateness = np.where(served, np.maximum(0.0, start - due), 0.0)
        n_served = int(served.sum())
        out: dict[str, float] = {
            "requests": float(n),
            "served": float(n_served),
            "rejected": float(np.sum(state == _REJECTED)),
            "unserved": float(n - n_served - np.sum(state == _REJECTED)),
            "service_rate": n_served / n if n else 1.0,
            "on_time_rate": float(on_time.sum() / n_served) if n_served else math.nan,
        }
        for p in (1, 2, 3):
            mask = served & (priority == p)
            out[f"on_time_rate_p{p}"] = float(on_time[mask].mean()) if mask.any() else math.nan
        out["mean_lateness"] = float(lateness[served].mean()) if n_served else 0.0
        out["max_lateness"] = float(lateness.max()) if n_served else 0.0
        used = [a for a in self.amr_list if a.used]
        day = m.horizon - m.depot_ready
        out["amrs_used"] = float(len(used))
        out["trips"] = float(sum(a.trip + 1 for a in used))
        # per-AMR sums (each in the AMR's own leg order) added exactly: independent of how the AMRs interleave
        out["distance"] = math.fsum(a.distance for a in self.amr_list)
        out["utilisation"] = float(sum(a.busy for a in used) / (len(used) * day)) if used else 0.0
        out["charging_queue_time"] = float(self.charging_queue)
        out["elevator_queue_time"] = float(self.elevator_queue)
        out["charging_detours"] = float(self.detours)
        out["battery_violations"] = float(self.battery_violations)
        out["capacity_violations"] = float(self.capacity_violations)
        out["reveal_wait_time"] = float(self.reveal_wait)
        out["overtime"] = float(self.overtime)
        out["makespan"] = float(self.makespan)
        return out


class _PolicyView:
    """The :class:`SimState` handed to policies (a thin read-only facade over the run)."""

    __slots__ = ("_run",)

    def __init__(self, run: _Run):
        self._run = run

    @property
    def time(self) -> float:
        return self._run.time

    @property
    def problem(self) -> Problem:
        return self._run.problem

    @property
    def n_amrs(self) -> int:
        return self._run.n_amrs

    def amr(self, index: int) -> AMRView:
        return self._run.amr(index)

    @property
    def amrs(self) -> tuple[AMRView, ...]:
        return self._run.amrs

    def request_status(self, request: str) -> str:
        return self._run.request_status(request)

    def owner(self, request: str) -> int | None:
        return self._run.owner_of(request)

    @property
    def unassigned(self) -> tuple[str, ...]:
        return self._run.unassigned

    @property
    def plan_rejected(self) -> frozenset[str]:
        return self._run.plan_rejected


def simulate(
    problem: Problem | SimulationModel,
    solution: Solution,
    policy: str | Policy = "static",
    *,
    rng: np.random.Generator,
    config: SimulationConfig | None = None,
) -> SimulationResult:
    """Simulate one day of ``solution`` on ``problem`` under ``policy``.

    Parameters
    ----------
    problem
        The problem, or a prepared :class:`SimulationModel` (faster for many replications).
    solution
        The plan: AMR ``k`` of the simulation starts with ``solution.amrs[k]``'s trips as its pending plan.
    policy
        A :class:`~hospital_or.simulation.policy.Policy` or a registered name (``"static"``, ``"nearest-idle"``).
    rng
        The replication's random generator (see "Common random numbers" in the module docstring).
    config
        Resources and options; default :class:`SimulationConfig`.

    Returns
    -------
    SimulationResult
        KPIs, the realised schedule and the event log.

    Raises
    ------
    PolicyError
        If the policy returns a decision that breaks the protocol.
    ValueError
        If the plan names unknown nodes, plans a request twice, or needs more AMRs than simulated.
    """
    model = problem if isinstance(problem, SimulationModel) else SimulationModel(problem)
    run = _Run(model, solution, make_policy(policy), rng, config or SimulationConfig())
    return run.run()
