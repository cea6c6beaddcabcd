"""A routing plan: AMRs -> trips -> visits (request and charging-station ids).

A :class:`Solution` stores only decisions (which AMR runs which trips, in which order, visiting which nodes). Times,
loads, states of charge and costs are *derived*: the independent checker (:mod:`hospital_or.checker`) recomputes them
from the problem. Trips start as early as possible after the previous trip of the same AMR; ``Trip.earliest_start``
delays a trip (dynamic plans dispatch trips at decision times).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hospital_or.problem import Problem


@dataclass(frozen=True)
class Trip:
    """One trip from the depot back to the depot.

    Parameters
    ----------
    visits
        Ids of the requests and charging stations in visiting order (the depot is implicit at both ends).
    earliest_start
        The trip may not leave the depot before this time.
    """

    visits: tuple[str, ...]
    earliest_start: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "visits", tuple(str(v) for v in self.visits))


@dataclass(frozen=True)
class AMRPlan:
    """The trips of one AMR, in the order it runs them."""

    trips: tuple[Trip, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "trips", tuple(self.trips))


@dataclass(frozen=True)
class Solution:
    """A plan for the whole fleet.

    Parameters
    ----------
    amrs
        One :class:`AMRPlan` per AMR that is used (plans without trips are allowed and do not count as used).
    rejected
        Ids of requests that are deliberately not served (only allowed when the problem has rejection costs).
    """

    amrs: tuple[AMRPlan, ...]
    rejected: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "amrs", tuple(self.amrs))
        object.__setattr__(self, "rejected", tuple(str(r) for r in self.rejected))

    def replace(self, **changes) -> Solution:
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_routes(cls, routes: Iterable[Sequence[str]], rejected: Iterable[str] = ()) -> Solution:
        """One AMR per route, each running a single trip (the classic VRPTW reading of a route list)."""
        return cls(tuple(AMRPlan((Trip(tuple(r)),)) for r in routes if len(r)), tuple(rejected))

    @classmethod
    def from_index_routes(
        cls, problem: Problem, amr_trips: Iterable[Iterable[Sequence[int]]], rejected: Iterable[int] = ()
    ) -> Solution:
        """Build from node indices (``problem.node_ids`` order) as produced by the solvers.

        ``amr_trips`` holds, per AMR, a list of trips, each a list of node indices without the depot.
        """
        ids = problem.node_ids
        amrs = tuple(
            AMRPlan(tuple(Trip(tuple(ids[i] for i in trip)) for trip in trips if len(trip)))
            for trips in amr_trips
        )
        return cls(tuple(a for a in amrs if a.trips), tuple(ids[i] for i in rejected))

    @property
    def trips(self) -> list[Trip]:
        """All non-empty trips, AMR by AMR."""
        return [t for a in self.amrs for t in a.trips if t.visits]

    @property
    def num_vehicles(self) -> int:
        """AMRs with at least one non-empty trip."""
        return sum(1 for a in self.amrs if any(t.visits for t in a.trips))

    @property
    def num_trips(self) -> int:
        """Non-empty trips."""
        return len(self.trips)

    def to_index_routes(self, problem: Problem) -> list[list[list[int]]]:
        """Per AMR, per trip, the node indices (``KeyError`` on unknown ids)."""
        index = problem.node_index
        return [[[index[v] for v in t.visits] for t in a.trips] for a in self.amrs]
