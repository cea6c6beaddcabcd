"""The immutable AMR routing problem.

A :class:`Problem` holds a depot, the medical requests, the charging stations, an optional elevator (for buildings
with floors), the AMR fleet and the stochastic model. It is validated on construction and never changes; derive a
changed copy with :meth:`Problem.replace`. :meth:`Problem.to_arrays` converts it into the plain arrays of
:class:`solvers.routing_arrays.RoutingArrays` that the solvers consume.

Semantics (the contract the independent checker and the solvers implement separately) are written down in
``docs/semantics.md``.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from statistics import NormalDist

import numpy as np

from hospital_or.exceptions import InvalidProblemError, ScalingWarning
from solvers.routing_arrays import RoutingArrays

_LARGE = 1e12


@dataclass(frozen=True)
class Depot:
    """Where every trip starts and ends.

    Parameters
    ----------
    id
        Name of the depot node.
    x, y
        Coordinates (same units as every other location).
    ready
        Start of the working day (earliest departure).
    horizon
        End of the working day: every trip must be back by then.
    floor
        Floor of the depot (buildings with an elevator).
    """

    id: str
    x: float
    y: float
    ready: float
    horizon: float
    floor: int = 0


@dataclass(frozen=True)
class Request:
    """A medical request served by one visit of an AMR.

    Parameters
    ----------
    id
        Unique name.
    x, y, floor
        Location.
    demand
        Load the request takes on the AMR (load units).
    ready, due
        Time window for the **start** of service.
    service
        Mean service time.
    priority
        1 (urgent, STAT) to 3 (routine).
    reveal
        Time at which the request becomes known (0 = known at the start of the day).
    """

    id: str
    x: float
    y: float
    demand: float
    ready: float
    due: float
    service: float
    priority: int = 3
    reveal: float = 0.0
    floor: int = 0


@dataclass(frozen=True)
class Station:
    """A charging station (a full recharge takes ``recharge_rate * (battery_capacity - soc)``)."""

    id: str
    x: float
    y: float
    floor: int = 0


@dataclass(frozen=True)
class Elevator:
    """One elevator shaft at (x, y) connecting all floors.

    A trip between two floors goes in-plane to the shaft, rides, and goes in-plane to the target. The ride takes
    ``ride_fixed + ride_per_floor * |floor difference|`` plus a random wait ``Uniform[0, wait_max]``.
    """

    x: float
    y: float
    ride_fixed: float = 0.0
    ride_per_floor: float = 0.0
    wait_max: float = 0.0


@dataclass(frozen=True)
class Fleet:
    """The homogeneous AMR fleet.

    Parameters
    ----------
    capacity
        Load capacity per trip.
    max_vehicles
        Number of AMRs available (fleet size limit).
    max_trips
        Maximum number of trips per AMR per day (1 = classic VRPTW).
    speed
        Distance units per time unit.
    battery_capacity
        Energy units; ``math.inf`` switches batteries off.
    energy_per_distance
        Energy used per distance unit (Schneider's r).
    recharge_rate
        Time per energy unit recharged (Schneider's g).
    min_soc_fraction
        Minimum state of charge as a share of the battery capacity.
    fixed_cost
        Daily (amortised purchase) cost per AMR used.
    cost_per_distance
        Transport cost per distance unit.
    depot_turnaround
        Time spent at the depot between two trips of one AMR.
    depot_charging
        The depot has a charger: an AMR recharges fully there between trips.
    """

    capacity: float
    max_vehicles: int
    max_trips: int = 1
    speed: float = 1.0
    battery_capacity: float = math.inf
    energy_per_distance: float = 0.0
    recharge_rate: float = 0.0
    min_soc_fraction: float = 0.0
    fixed_cost: float = 0.0
    cost_per_distance: float = 1.0
    depot_turnaround: float = 0.0
    depot_charging: bool = False

    @property
    def has_battery(self) -> bool:
        """True when the battery constrains routes."""
        return math.isfinite(self.battery_capacity)


@dataclass(frozen=True)
class StochasticModel:
    """Travel and service time uncertainty and the chance constraint.

    Travel time on an arc is ``(distance / speed) * (1 + eps)`` with ``eps ~ N(0, cv_travel**2)`` truncated at -0.9,
    plus the elevator ride and wait when floors differ; service time is ``N(service, (cv_service * service)**2)``
    truncated at 0. Every request must start on time with probability at least ``beta``
    (``mean + z_beta * sd <= due`` in the analytic normal approximation).
    """

    cv_travel: float = 0.0
    cv_service: float = 0.0
    beta: float = 0.95


@dataclass(frozen=True)
class Problem:
    """An AMR routing problem (immutable, validated).

    Parameters
    ----------
    name
        Instance name.
    depot, requests, stations, fleet
        See the component classes.
    stochastic
        Uncertainty model; the default has no uncertainty.
    elevator
        Elevator of a building with floors, or ``None`` (all locations on one plane).
    lateness_weights
        ``None`` for hard time windows; otherwise soft windows with a cost per time unit of lateness for priority
        1, 2, 3 (Paper B).
    rejection_costs
        ``None`` when every request must be served; otherwise the denial-of-service loss for priority 1, 2, 3.
    source
        Where the problem came from (file name, generator call); provenance only.

    Raises
    ------
    InvalidProblemError
        If the data is inconsistent; the message names the requests concerned and why.
    """

    name: str
    depot: Depot
    requests: tuple[Request, ...]
    fleet: Fleet
    stations: tuple[Station, ...] = ()
    stochastic: StochasticModel = field(default_factory=StochasticModel)
    elevator: Elevator | None = None
    lateness_weights: tuple[float, float, float] | None = None
    rejection_costs: tuple[float, float, float] | None = None
    source: str = ""

    def __post_init__(self) -> None:
        # Accept any iterable for the collections but store tuples (immutability, hashing, equality).
        object.__setattr__(self, "requests", tuple(self.requests))
        object.__setattr__(self, "stations", tuple(self.stations))
        if self.lateness_weights is not None:
            object.__setattr__(self, "lateness_weights", tuple(float(w) for w in self.lateness_weights))
        if self.rejection_costs is not None:
            object.__setattr__(self, "rejection_costs", tuple(float(c) for c in self.rejection_costs))
        issues = self._structural_issues()
        if not issues:
            issues = self._service_issues()
        if issues:
            raise InvalidProblemError(issues)

    # ------------------------------------------------------------------ basic views
    def replace(self, **changes) -> Problem:
        """Return a validated copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    @property
    def n_requests(self) -> int:
        """Number of requests."""
        return len(self.requests)

    @property
    def n_stations(self) -> int:
        """Number of charging stations."""
        return len(self.stations)

    @property
    def n_nodes(self) -> int:
        """Depot + requests + stations."""
        return 1 + len(self.requests) + len(self.stations)

    @property
    def is_stochastic(self) -> bool:
        """True when travel or service times are random."""
        s = self.stochastic
        wait = self.elevator is not None and self.elevator.wait_max > 0 and self._has_floors
        return s.cv_travel > 0 or s.cv_service > 0 or wait

    @property
    def hard_time_windows(self) -> bool:
        """True when lateness is a violation rather than a cost."""
        return self.lateness_weights is None

    @property
    def z_beta(self) -> float:
        """Standard normal quantile of ``beta`` (0 for deterministic problems)."""
        return NormalDist().inv_cdf(self.stochastic.beta) if self.is_stochastic else 0.0

    @cached_property
    def node_ids(self) -> tuple[str, ...]:
        """Node names in array order: depot, requests, stations."""
        return (self.depot.id, *(r.id for r in self.requests), *(s.id for s in self.stations))

    @cached_property
    def node_index(self) -> dict[str, int]:
        """Map from node name to array index."""
        return {node: i for i, node in enumerate(self.node_ids)}

    def request(self, request_id: str) -> Request:
        """The request with this id."""
        index = self.node_index[request_id]
        if not 1 <= index <= self.n_requests:
            raise KeyError(f"{request_id!r} is not a request")
        return self.requests[index - 1]

    @property
    def _has_floors(self) -> bool:
        floors = {self.depot.floor, *(r.floor for r in self.requests), *(s.floor for s in self.stations)}
        return len(floors) > 1

    # ------------------------------------------------------------------ matrices
    def _nodes(self) -> list[Depot | Request | Station]:
        return [self.depot, *self.requests, *self.stations]

    @cached_property
    def _geometry(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(distance, deterministic time add-on, time add-on variance) matrices."""
        nodes = self._nodes()
        x = np.array([float(p.x) for p in nodes])
        y = np.array([float(p.y) for p in nodes])
        floor = np.array([int(p.floor) for p in nodes])
        direct = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
        extra_mean = np.zeros_like(direct)
        extra_var = np.zeros_like(direct)
        if self.elevator is not None:
            e = self.elevator
            to_shaft = np.hypot(x - e.x, y - e.y)
            via = to_shaft[:, None] + to_shaft[None, :]
            dfloor = np.abs(floor[:, None] - floor[None, :])
            change = dfloor > 0
            direct = np.where(change, via, direct)
            ride = e.ride_fixed + e.ride_per_floor * dfloor
            extra_mean = np.where(change, ride + e.wait_max / 2.0, 0.0)
            extra_var = np.where(change, e.wait_max**2 / 12.0, 0.0)
        return direct, extra_mean, extra_var

    @property
    def distance_matrix(self) -> np.ndarray:
        """Distances between all nodes (read-only view), array order of :attr:`node_ids`."""
        d = self._geometry[0].view()
        d.flags.writeable = False
        return d

    @cached_property
    def travel_time_matrix(self) -> np.ndarray:
        """Expected travel times (driving + elevator ride + mean elevator wait)."""
        d, extra_mean, _ = self._geometry
        t = d / self.fleet.speed + extra_mean
        t.flags.writeable = False
        return t

    @cached_property
    def travel_variance_matrix(self) -> np.ndarray:
        """Variance of the travel times."""
        d, _, extra_var = self._geometry
        v = (self.stochastic.cv_travel * d / self.fleet.speed) ** 2 + extra_var
        v.flags.writeable = False
        return v

    # ------------------------------------------------------------------ arrays
    def to_arrays(self) -> RoutingArrays:
        """Convert to the solvers' array form (float64, unscaled; see :mod:`solvers.routing_arrays`).

        Warns
        -----
        ScalingWarning
            If any value exceeds 1e12 in magnitude (float64 would lose 1e-4 resolution).
        """
        n, m = self.n_requests, self.n_stations
        nodes = self._nodes()
        f = self.fleet
        big_n = self.n_nodes
        demand = np.zeros(big_n)
        ready = np.zeros(big_n)
        due = np.zeros(big_n)
        service = np.zeros(big_n)
        priority = np.zeros(big_n, dtype=np.int64)
        reveal = np.zeros(big_n)
        is_station = np.zeros(big_n, dtype=np.bool_)
        ready[0], due[0] = self.depot.ready, self.depot.horizon
        for i, r in enumerate(self.requests, start=1):
            demand[i], ready[i], due[i], service[i] = r.demand, r.ready, r.due, r.service
            priority[i], reveal[i] = r.priority, r.reveal
        for k in range(m):
            i = 1 + n + k
            ready[i], due[i] = self.depot.ready, self.depot.horizon
            is_station[i] = True
        is_station[0] = f.depot_charging
        lateness = np.zeros(4)
        if self.lateness_weights is not None:
            lateness[1:] = self.lateness_weights
        rejection = np.full(4, math.inf)
        if self.rejection_costs is not None:
            rejection[1:] = self.rejection_costs
        distance = np.array(self._geometry[0], dtype=np.float64)
        arrays = RoutingArrays(
            n_requests=n,
            n_stations=m,
            x=np.array([float(p.x) for p in nodes]),
            y=np.array([float(p.y) for p in nodes]),
            distance=distance,
            travel_mean=np.array(self.travel_time_matrix, dtype=np.float64),
            travel_var=np.array(self.travel_variance_matrix, dtype=np.float64),
            energy=f.energy_per_distance * distance if f.has_battery else np.zeros_like(distance),
            demand=demand,
            ready=ready,
            due=due,
            service_mean=service,
            service_var=(self.stochastic.cv_service * service) ** 2,
            priority=priority,
            reveal=reveal,
            is_station=is_station,
            capacity=float(f.capacity),
            battery_capacity=float(f.battery_capacity),
            min_soc=float(f.min_soc_fraction * f.battery_capacity) if f.has_battery else 0.0,
            recharge_rate=float(f.recharge_rate),
            depot_charging=bool(f.depot_charging),
            depot_turnaround=float(f.depot_turnaround),
            max_trips=int(f.max_trips),
            max_vehicles=int(f.max_vehicles),
            fixed_cost=float(f.fixed_cost),
            cost_per_distance=float(f.cost_per_distance),
            lateness_weight=lateness,
            rejection_cost=rejection,
            hard_time_windows=self.hard_time_windows,
            beta=float(self.stochastic.beta),
            z_beta=float(self.z_beta),
            stochastic=self.is_stochastic,
        )
        biggest = max(float(np.max(np.abs(a))) for a in (distance, due, demand, arrays.travel_mean))
        if biggest > _LARGE:
            warnings.warn(
                f"{self.name}: values up to {biggest:.3g} exceed 1e12; float64 loses resolution",
                ScalingWarning,
                stacklevel=2,
            )
        return arrays

    # ------------------------------------------------------------------ validation
    def _structural_issues(self) -> list[str]:
        issues: list[str] = []
        f, s, d = self.fleet, self.stochastic, self.depot
        ids = [d.id, *(r.id for r in self.requests), *(st.id for st in self.stations)]
        seen: set[str] = set()
        for node in ids:
            if node in seen:
                issues.append(f"node id {node!r} is used more than once")
            seen.add(node)
        numbers = [d.x, d.y, d.ready, d.horizon]
        for r in self.requests:
            numbers += [r.x, r.y, r.demand, r.ready, r.due, r.service, r.reveal]
        if not all(math.isfinite(float(v)) for v in numbers):
            issues.append("coordinates, demands and times must be finite numbers")
            return issues
        if d.horizon <= d.ready:
            issues.append(f"depot {d.id}: horizon {d.horizon} is not after the start of the day {d.ready}")
        if not f.capacity > 0:
            issues.append(f"fleet: capacity must be positive, got {f.capacity}")
        if f.max_vehicles < 1 or f.max_trips < 1:
            issues.append("fleet: max_vehicles and max_trips must be at least 1")
        if not f.speed > 0:
            issues.append(f"fleet: speed must be positive, got {f.speed}")
        if not f.battery_capacity > 0:
            issues.append(f"fleet: battery capacity must be positive, got {f.battery_capacity}")
        if f.has_battery and (f.energy_per_distance < 0 or f.recharge_rate < 0):
            issues.append("fleet: energy_per_distance and recharge_rate must be >= 0")
        if not 0 <= f.min_soc_fraction < 1:
            issues.append(f"fleet: min_soc_fraction must be in [0, 1), got {f.min_soc_fraction}")
        if f.fixed_cost < 0 or f.cost_per_distance < 0 or f.depot_turnaround < 0:
            issues.append("fleet: costs and depot turnaround must be >= 0")
        if s.cv_travel < 0 or s.cv_service < 0 or not 0 < s.beta < 1:
            issues.append("stochastic model: cv must be >= 0 and beta in (0, 1)")
        if self.elevator is not None and min(
            self.elevator.ride_fixed, self.elevator.ride_per_floor, self.elevator.wait_max
        ) < 0:
            issues.append("elevator: times must be >= 0")
        if self.elevator is None and self._has_floors:
            issues.append("locations are on several floors but the problem has no elevator")
        for name, weights in (("lateness_weights", self.lateness_weights), ("rejection_costs", self.rejection_costs)):
            if weights is not None and (len(weights) != 3 or min(weights) < 0):
                issues.append(f"{name} must be three non-negative numbers (priority 1, 2, 3)")
        for r in self.requests:
            who = f"request {r.id}"
            if r.due < r.ready:
                issues.append(f"{who}: due time {r.due:g} is before ready time {r.ready:g}")
            if r.demand < 0 or r.service < 0:
                issues.append(f"{who}: demand and service time must be >= 0")
            if r.demand > f.capacity:
                issues.append(f"{who}: demand {r.demand:g} exceeds the AMR capacity {f.capacity:g}")
            if r.priority not in (1, 2, 3):
                issues.append(f"{who}: priority must be 1, 2 or 3, got {r.priority}")
            if r.reveal < 0 or r.reveal > r.due:
                issues.append(f"{who}: reveal time {r.reveal:g} is outside [0, due={r.due:g}]")
        return issues

    def earliest_arrival_and_return(self, node: int, ready: float, service: float) -> tuple[float, float]:
        """Earliest arrival at ``node`` (array index) leaving the depot at the start of the day, and the earliest
        return to the depot after a service of ``service`` that starts no earlier than ``ready``."""
        t = self.travel_time_matrix
        arrive = self.depot.ready + t[0, node]
        return arrive, max(arrive, ready) + service + t[node, 0]

    def _service_issues(self) -> list[str]:
        """Requests that no AMR can serve (window, horizon or battery), given valid structure."""
        issues: list[str] = []
        d0 = self.depot
        n = self.n_requests
        for i, r in enumerate(self.requests, start=1):
            arrive, back = self.earliest_arrival_and_return(i, r.ready, r.service)
            if arrive > r.due + 1e-9:
                issues.append(
                    f"request {r.id}: unreachable in its window (earliest arrival {arrive:.2f} > due {r.due:g})"
                )
                continue
            if back > d0.horizon + 1e-9:
                issues.append(
                    f"request {r.id}: an AMR serving it cannot be back by the horizon ({back:.2f} > {d0.horizon:g})"
                )
        total = sum(r.demand for r in self.requests)
        limit = self.fleet.capacity * self.fleet.max_vehicles * self.fleet.max_trips
        if total > limit + 1e-9:
            issues.append(f"total demand {total:g} exceeds what the fleet can carry ({limit:g})")
        if self.fleet.has_battery and n:
            issues += self._battery_issues()
        return issues

    def _battery_issues(self) -> list[str]:
        f = self.fleet
        usable = f.battery_capacity * (1.0 - f.min_soc_fraction)
        energy = f.energy_per_distance * self._geometry[0]
        n = self.n_requests
        chargers = [0, *range(1 + n, self.n_nodes)]  # the depot starts every AMR full
        reach_from_depot = _closure(0, chargers, energy, usable, forward=True)
        reach_depot = _closure(0, chargers, energy, usable, forward=False)
        issues: list[str] = []
        if self.stations and not any(
            energy[0, c] <= usable + 1e-9 for c in chargers[1:]
        ) and not f.depot_charging:
            issues.append("battery too small to reach any charging station from the depot")
        for i, r in enumerate(self.requests, start=1):
            into = min(energy[a, i] for a in reach_from_depot)
            out = min(energy[i, b] for b in reach_depot)
            if into + out > usable + 1e-9:
                issues.append(
                    f"request {r.id}: battery too small ({into + out:.2f} energy needed between chargers, "
                    f"{usable:.2f} usable)"
                )
        return issues


def _closure(start: int, chargers: Iterable[int], energy: np.ndarray, usable: float, forward: bool) -> list[int]:
    """Chargers reachable from ``start`` (forward) or that can reach it (backward) through charger hops."""
    chargers = list(chargers)
    found = {start}
    frontier = [start]
    while frontier:
        a = frontier.pop()
        for b in chargers:
            if b in found:
                continue
            e = energy[a, b] if forward else energy[b, a]
            if e <= usable + 1e-9:
                found.add(b)
                frontier.append(b)
    return sorted(found)
