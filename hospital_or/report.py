"""What the independent checker returns: feasibility, violations, the recomputed schedule and the costs.

The field names below are a contract: ``Report.to_dict()`` is what ``hospital-or validate --format json`` prints
(keys ``feasible``, ``vehicles``, ``trips``, ``distance``, ``cost``, ``costs``, ``violations``, ...), and the plots and
JSON solution writer read :class:`VisitRecord`/:class:`TripRecord`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Violation kinds the checker reports.
VIOLATION_KINDS = (
    "unknown_node",  # a visit names no request or station of the problem
    "missing",  # a request is neither served nor rejected
    "duplicate",  # a request is served more than once (or served and rejected)
    "rejection_not_allowed",  # a request is rejected but the problem has no rejection costs
    "capacity",  # a trip's load exceeds the capacity
    "time_window",  # service starts after the due time (hard windows, deterministic problems)
    "chance",  # on-time probability below beta (stochastic problems, analytic approximation)
    "horizon",  # a trip returns after the end of the day
    "battery",  # state of charge falls below the minimum
    "max_trips",  # an AMR runs more trips than allowed
    "fleet_size",  # more AMRs are used than available
    "reveal",  # an AMR leaves for a request before the request is revealed (dynamic plans)
)


@dataclass(frozen=True)
class Violation:
    """One violated constraint."""

    kind: str
    request: str | None
    detail: str
    amr: int | None = None
    trip: int | None = None


@dataclass(frozen=True)
class VisitRecord:
    """The recomputed schedule of one visit (expected values in stochastic problems).

    ``kind`` is ``"request"``, ``"station"`` or ``"depot"`` (the closing return of the trip). ``load`` is the load on
    board when arriving; ``soc_arrival``/``soc_departure`` the state of charge (``inf`` without batteries).
    ``arrival_sd`` and ``on_time_probability`` are the analytic (normal, Clark) values; 0 and 1/0 when deterministic.
    """

    amr: int
    trip: int
    position: int
    node: str
    kind: str
    arrival: float
    start: float
    wait: float
    departure: float
    load: float
    soc_arrival: float
    soc_departure: float
    recharge_time: float
    lateness: float
    arrival_sd: float = 0.0
    on_time_probability: float = 1.0


@dataclass(frozen=True)
class TripRecord:
    """One trip: when it leaves and returns, how far it goes, what it carries."""

    amr: int
    trip: int
    start: float
    end: float
    distance: float
    load: float
    visits: tuple[VisitRecord, ...]


@dataclass
class Report:
    """The checker's verdict on a solution."""

    feasible: bool
    vehicles: int
    trips: int
    distance: float
    cost: float
    costs: dict[str, float]
    violations: list[Violation]
    schedule: list[TripRecord]
    served: int = 0
    rejected: int = 0
    on_time_analytic: dict[str, float] = field(default_factory=dict)
    on_time_monte_carlo: dict[str, float] | None = None
    monte_carlo_samples: int = 0
    monte_carlo_seed: int | None = None

    def to_dict(self, schedule: bool = False) -> dict[str, Any]:
        """A JSON-ready dict (the ``validate --format json`` contract); ``schedule=True`` adds every visit."""
        out: dict[str, Any] = {
            "feasible": bool(self.feasible),
            "vehicles": int(self.vehicles),
            "trips": int(self.trips),
            "distance": float(self.distance),
            "cost": float(self.cost),
            "costs": {k: float(v) for k, v in self.costs.items()},
            "served": int(self.served),
            "rejected": int(self.rejected),
            "violations": [asdict(v) for v in self.violations],
        }
        if self.on_time_analytic:
            values = list(self.on_time_analytic.values())
            out["on_time_analytic_min"] = float(min(values))
            out["on_time_analytic_mean"] = float(sum(values) / len(values))
        if self.on_time_monte_carlo is not None:
            values = list(self.on_time_monte_carlo.values())
            out["on_time_monte_carlo_min"] = float(min(values)) if values else 1.0
            out["on_time_monte_carlo_mean"] = float(sum(values) / len(values)) if values else 1.0
            out["monte_carlo_samples"] = self.monte_carlo_samples
            out["monte_carlo_seed"] = self.monte_carlo_seed
        if schedule:
            out["schedule"] = [asdict(v) for t in self.schedule for v in t.visits]
        return out

    def schedule_frame(self):
        """The schedule as a pandas DataFrame, one row per visit (including trip-closing depot returns)."""
        import pandas as pd

        return pd.DataFrame([asdict(v) for t in self.schedule for v in t.visits])
