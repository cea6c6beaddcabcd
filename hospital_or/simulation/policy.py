"""The policy protocol of the simulator: who decides what the AMRs do when requests are revealed.

The simulator (:func:`hospital_or.simulation.simulate`) calls a policy object

- ``on_reveal(state, request)`` when a request becomes known (its ``reveal`` time; requests known at the start of
  the day are revealed at time ``depot.ready``, in problem order), and
- ``on_idle(state, amr)`` when an AMR has finished everything it was given (it stands at the depot with an empty
  plan).

Both return a :class:`Decision`: new **pending plans** for some AMRs and/or requests to **reject**. A policy never
changes what an AMR is already doing. The *committed* part of an AMR's day is what it has done plus its current
target (the node it is driving to, serving, charging at, or the depot it returns to): an AMR in motion finishes its
current leg and the service at its end ("no diversion"). Everything after that is *pending* and may be replaced:

- ``PendingPlan.rest_of_trip``: the nodes the AMR visits after its current target before returning to the depot.
  Only allowed while the AMR is on a trip and its target is not the depot (an AMR heading home is committed to
  returning).
- ``PendingPlan.trips``: the later trips, each leaving the depot no earlier than ``Trip.earliest_start``.

The simulator validates every decision (known request ids, no request planned twice, nothing served, committed or
rejected is planned again, a rejected request is not planned) and raises :class:`PolicyError` otherwise. Capacity,
time windows and the battery are the policy's business: the simulator executes what it is told and records the
consequences (lateness, capacity violations, charging detours).

What a policy sees (:class:`SimState`): the current time, the problem, one :class:`AMRView` per AMR (position,
target, expected time the committed part ends, state of charge, load of the current trip, what it has visited, its
pending plan) and the status of every request. The views are built on demand, so a policy that only looks up
request status costs almost nothing per event.

Two policies ship here: :class:`StaticPolicy` (``"static"``: run the given plan; reject what it does not serve) and
:class:`NearestIdlePolicy` (``"nearest-idle"``: run the given plan; send each unplanned request to the AMR that can
reach it first among those with nothing pending, or queue it until an AMR becomes idle). Dynamic insertion policies
implement the same two methods (subclass :class:`BasePolicy` to inherit the no-op defaults) and become available
by name through :func:`register_policy`, or everywhere (Dask workers included) by their import path
``"package.module:ClassName"``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from hospital_or.exceptions import HospitalORError
from hospital_or.solution import Trip

if TYPE_CHECKING:  # pragma: no cover
    from hospital_or.problem import Problem

__all__ = [
    "POLICIES",
    "AMRView",
    "BasePolicy",
    "Decision",
    "NearestIdlePolicy",
    "PendingPlan",
    "Policy",
    "PolicyError",
    "SimState",
    "StaticPolicy",
    "make_policy",
    "register_policy",
]

#: Request status values reported by :meth:`SimState.request_status`.
REQUEST_STATUSES = ("unrevealed", "unassigned", "planned", "committed", "served", "rejected")


class PolicyError(HospitalORError, ValueError):
    """A policy returned a decision the simulator cannot execute (the message says which rule it breaks)."""


@dataclass(frozen=True)
class PendingPlan:
    """The uncommitted part of one AMR's day.

    Parameters
    ----------
    rest_of_trip
        Node ids (requests, stations) visited after the current target, before returning to the depot.
    trips
        Later trips, in the order the AMR runs them.
    """

    rest_of_trip: tuple[str, ...] = ()
    trips: tuple[Trip, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "rest_of_trip", tuple(str(v) for v in self.rest_of_trip))
        object.__setattr__(self, "trips", tuple(self.trips))

    @property
    def is_empty(self) -> bool:
        """True when nothing is pending."""
        return not self.rest_of_trip and not any(t.visits for t in self.trips)

    def requests(self) -> tuple[str, ...]:
        """All node ids of the plan in order (requests and stations)."""
        return (*self.rest_of_trip, *(v for t in self.trips for v in t.visits))


@dataclass(frozen=True)
class Decision:
    """What a policy returns.

    Parameters
    ----------
    plans
        AMR index -> its new pending plan (replaces the old one entirely); AMRs not listed keep theirs.
    reject
        Request ids to reject (denial of service). They must not remain in any plan.
    """

    plans: Mapping[int, PendingPlan] = field(default_factory=dict)
    reject: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "reject", tuple(str(r) for r in self.reject))

    @property
    def is_empty(self) -> bool:
        """True when the decision changes nothing."""
        return not self.plans and not self.reject


#: The decision that changes nothing.
NO_CHANGE = Decision()


@dataclass(frozen=True)
class AMRView:
    """A read-only snapshot of one AMR at the time of a policy call.

    Attributes
    ----------
    index
        AMR number (index into ``Solution.amrs``; AMRs beyond the plan start idle).
    status
        ``"idle"`` (at the depot, nothing pending), ``"waiting"`` (at the depot or at a node, waiting for a trip
        start or a request reveal), ``"busy"`` (on a leg, serving or charging) or ``"returning"`` (heading home).
    on_trip
        True between leaving the depot and returning.
    position
        The node it stands at or last left.
    target
        The committed node it is heading to / serving / charging at (``None`` when it is not moving).
    free_at
        Expected time at which the committed part ends (mean travel and service times; no sampled values).
    soc
        State of charge when it left ``position`` (``inf`` without batteries).
    trip_load
        Total demand of the requests of the current trip (served, committed and pending).
    trip
        Number of trips started so far (the current trip is ``trip - 1`` in the schedule and the event log).
    visited
        Every node it has reached today in order (depot returns included), plus the committed target.
    pending
        The uncommitted part of its plan.
    """

    index: int
    status: str
    on_trip: bool
    position: str
    target: str | None
    free_at: float
    soc: float
    trip_load: float
    trip: int
    visited: tuple[str, ...]
    pending: PendingPlan


class SimState(Protocol):
    """What a policy may look at (implemented by the simulator)."""

    @property
    def time(self) -> float:
        """The simulation clock."""
        ...

    @property
    def problem(self) -> Problem:
        """The problem being simulated."""
        ...

    @property
    def n_amrs(self) -> int:
        """Number of AMRs in the simulation."""
        ...

    def amr(self, index: int) -> AMRView:
        """Snapshot of one AMR."""
        ...

    @property
    def amrs(self) -> tuple[AMRView, ...]:
        """Snapshots of all AMRs."""
        ...

    def request_status(self, request: str) -> str:
        """One of :data:`REQUEST_STATUSES`."""
        ...

    def owner(self, request: str) -> int | None:
        """The AMR whose committed or pending plan holds the request, else ``None``."""
        ...

    @property
    def unassigned(self) -> tuple[str, ...]:
        """Revealed requests that are in no plan, not served and not rejected (reveal order)."""
        ...

    @property
    def plan_rejected(self) -> frozenset[str]:
        """Requests the initial plan rejects (``Solution.rejected``)."""
        ...


@runtime_checkable
class Policy(Protocol):
    """A decision rule called by the simulator (see the module docstring)."""

    name: str

    def on_reveal(self, state: SimState, request: str) -> Decision:
        """Called when ``request`` is revealed; return the plan changes (or :data:`NO_CHANGE`)."""
        ...

    def on_idle(self, state: SimState, amr: int) -> Decision:
        """Called when AMR ``amr`` has nothing committed and nothing pending."""
        ...


class BasePolicy:
    """Convenience base class: both hooks change nothing."""

    name = "base"

    def on_reveal(self, state: SimState, request: str) -> Decision:
        """Change nothing."""
        return NO_CHANGE

    def on_idle(self, state: SimState, amr: int) -> Decision:
        """Change nothing."""
        return NO_CHANGE


class StaticPolicy(BasePolicy):
    """Run the given plan unchanged; reject every revealed request the plan does not serve."""

    name = "static"

    def on_reveal(self, state: SimState, request: str) -> Decision:
        """Reject ``request`` when no AMR plans it; otherwise change nothing."""
        if state.owner(request) is None:
            return Decision(reject=(request,))
        return NO_CHANGE


class NearestIdlePolicy(BasePolicy):
    """Run the given plan; dispatch unplanned requests to the AMR that reaches them first among idle ones.

    "Idle" means an AMR with nothing pending (idle at the depot, or finishing its last committed visit). Among
    those, the AMR with the earliest expected arrival at the request gets it: appended to its current trip when it
    is still out (and the trip's load allows), otherwise as a new trip leaving now. When no AMR is idle the request
    is rejected if the problem allows rejection, else it waits in a queue served (earliest due first) by the next
    AMR that becomes idle. Requests in ``Solution.rejected`` stay rejected.
    """

    name = "nearest-idle"

    def on_reveal(self, state: SimState, request: str) -> Decision:
        """Dispatch ``request`` when it is not planned (see the class docstring)."""
        if state.owner(request) is not None:
            return NO_CHANGE
        if request in state.plan_rejected:
            return Decision(reject=(request,))
        problem = state.problem
        j = problem.node_index[request]
        demand = problem.requests[j - 1].demand
        tm = problem.travel_time_matrix
        best: tuple[float, int, PendingPlan] | None = None
        for view in state.amrs:
            if not view.pending.is_empty or view.status == "waiting":
                continue
            end = problem.depot.id if view.target is None else view.target
            extend = (
                view.on_trip
                and view.target is not None
                and view.target != problem.depot.id
                and view.trip_load + demand <= problem.fleet.capacity
            )
            if extend:
                eta = view.free_at + float(tm[problem.node_index[end], j])
                plan = PendingPlan(rest_of_trip=(request,))
            else:
                back = view.free_at
                if view.on_trip and view.target != problem.depot.id:
                    # finish the committed visit, go home, then leave on a new trip
                    back += float(tm[problem.node_index[end], 0])
                start = max(back, state.time)
                eta = start + float(tm[0, j])
                plan = PendingPlan(trips=(Trip((request,), earliest_start=state.time),))
            if best is None or eta < best[0]:
                best = (eta, view.index, plan)
        if best is not None:
            return Decision(plans={best[1]: best[2]})
        if problem.rejection_costs is not None:
            return Decision(reject=(request,))
        return NO_CHANGE  # queued: served by the next idle AMR

    def on_idle(self, state: SimState, amr: int) -> Decision:
        """Give the idle AMR the queued request with the earliest due time."""
        waiting = [r for r in state.unassigned if r not in state.plan_rejected]
        if not waiting:
            return NO_CHANGE
        problem = state.problem
        first = min(waiting, key=lambda r: (problem.request(r).due, r))
        return Decision(plans={amr: PendingPlan(trips=(Trip((first,), earliest_start=state.time),))})


#: Registered policy factories by name (the CLI and experiment grids use these names).
POLICIES: dict[str, Callable[[], Policy]] = {
    StaticPolicy.name: StaticPolicy,
    NearestIdlePolicy.name: NearestIdlePolicy,
}


def register_policy(name: str, factory: Callable[[], Policy]) -> None:
    """Make a policy available by name to :func:`make_policy`, the CLI and experiment grids (in this process).

    Worker processes of a Dask cluster only know the policies registered when they import the modules; grids that
    run elsewhere can name a policy by its import path instead (``"package.module:ClassName"``).
    """
    if not name or ":" in name:
        raise ValueError(f"invalid policy name {name!r}")
    POLICIES[name] = factory


def make_policy(policy: str | Policy) -> Policy:
    """Return ``policy`` itself or a new instance of the named policy.

    A name is either registered (:data:`POLICIES`: ``"static"``, ``"nearest-idle"``, and whatever
    :func:`register_policy` added) or an import path ``"package.module:ClassName"`` of a class (or factory) that
    takes no arguments.

    Raises
    ------
    ValueError
        If the name is unknown or cannot be imported (the message lists the registered names).
    TypeError
        If the object does not implement the :class:`Policy` protocol.
    """
    if isinstance(policy, str):
        if policy in POLICIES:
            policy = POLICIES[policy]()
        elif ":" in policy:
            module_name, _, attribute = policy.partition(":")
            try:
                factory = getattr(importlib.import_module(module_name), attribute)
            except (ImportError, AttributeError) as exc:
                raise ValueError(f"cannot import policy {policy!r}: {exc}") from None
            policy = factory()
        else:
            raise ValueError(f"unknown policy {policy!r}; known: {', '.join(sorted(POLICIES))} (or module:Class)")
    if not isinstance(policy, Policy):
        raise TypeError(f"{policy!r} does not implement the Policy protocol (name, on_reveal, on_idle)")
    return policy
