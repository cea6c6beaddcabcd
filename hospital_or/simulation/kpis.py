"""Replications of the simulated day and their summary: mean and 95 % confidence interval per KPI.

Replication ``r`` of a run with seed ``s`` uses the generator ``numpy.random.Generator(PCG64(SeedSequence(s,
spawn_key=(r,))))``. Its draws depend only on ``(s, r)``, so two plans or policies replicated with the same seed see
the same random numbers in every replication (common random numbers) and their KPI differences can be compared
replication by replication.

KPIs of one replication (:data:`KPI_NAMES`)
-------------------------------------------
- ``requests``, ``served``, ``rejected`` (by the policy), ``unserved`` (neither served nor rejected at the end of the
  day), ``service_rate = served / requests``;
- ``on_time_rate`` and ``on_time_rate_p1`` .. ``_p3``: share of served requests (of that priority) whose AMR arrived
  by the due time (NaN when there is none);
- ``mean_lateness``, ``max_lateness``: lateness ``max(0, start - due)`` over served requests;
- ``amrs_used``, ``trips``, ``distance`` (including charging detours);
- ``utilisation``: time the used AMRs spend on trips and recharging at the depot, divided by
  ``used AMRs x (horizon - depot.ready)`` (above 1 when trips run past the horizon);
- ``charging_queue_time``, ``elevator_queue_time``: total time AMRs queued for a charger / an elevator car;
- ``charging_detours``: unplanned station visits forced by the battery (plan deviations); ``battery_violations``:
  arrivals below the minimum state of charge; ``capacity_violations``: trips loaded beyond the capacity;
- ``reveal_wait_time``: total time AMRs waited for a planned request to be revealed;
- ``overtime``: total time trips return after the horizon; ``makespan``: the last return to the depot.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import pandas as pd

from hospital_or.problem import Problem
from hospital_or.simulation.model import SimulationConfig, SimulationModel, SimulationResult, simulate
from hospital_or.simulation.policy import Policy, make_policy
from hospital_or.solution import Solution

__all__ = [
    "KPI_NAMES",
    "ReplicationResult",
    "replicate",
    "replication_rng",
    "summarise",
    "t_quantile",
]

#: KPIs of one replication (keys of ``SimulationResult.kpis``), in display order.
KPI_NAMES = (
    "requests",
    "served",
    "rejected",
    "unserved",
    "service_rate",
    "on_time_rate",
    "on_time_rate_p1",
    "on_time_rate_p2",
    "on_time_rate_p3",
    "mean_lateness",
    "max_lateness",
    "amrs_used",
    "trips",
    "distance",
    "utilisation",
    "charging_queue_time",
    "elevator_queue_time",
    "charging_detours",
    "battery_violations",
    "capacity_violations",
    "reveal_wait_time",
    "overtime",
    "makespan",
)

# Student t 0.975 quantiles for 1..30 degrees of freedom.
_T975 = (
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
)  # fmt: skip


def t_quantile(df: int, level: float = 0.95) -> float:
    """Two-sided Student t critical value for a ``level`` confidence interval with ``df`` degrees of freedom.

    Exact table values for ``level = 0.95`` and ``df <= 30``; otherwise the Cornish-Fisher expansion around the
    normal quantile (error below 1e-4 for ``df > 30``).
    """
    if df < 1:
        return math.nan
    if abs(level - 0.95) < 1e-12 and df <= 30:
        return _T975[df - 1]
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    g1 = (z**3 + z) / 4.0
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96.0
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384.0
    return z + g1 / df + g2 / df**2 + g3 / df**3


def replication_rng(seed: int, replication: int) -> np.random.Generator:
    """The generator of replication ``replication`` of a run seeded with ``seed`` (see the module docstring)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=(int(replication),))))


def summarise(kpis: pd.DataFrame, level: float = 0.95, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Mean, standard deviation and ``level`` confidence interval (Student t) of each KPI column.

    Parameters
    ----------
    kpis
        One row per replication.
    level
        Confidence level of the interval.
    columns
        KPI columns to summarise (default: those of :data:`KPI_NAMES` present in ``kpis``).

    Returns
    -------
    pandas.DataFrame
        Index = KPI; columns ``n, mean, sd, half_width, ci_low, ci_high``. NaN values (e.g. an on-time rate of a
        priority without requests) are left out of that KPI's statistics.
    """
    cols = [c for c in (columns or KPI_NAMES) if c in kpis.columns]
    rows = []
    for c in cols:
        x = kpis[c].to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        k = len(x)
        mean = float(x.mean()) if k else math.nan
        sd = math.nan if k == 0 else 0.0
        if k > 1 and x.min() != x.max():  # a constant column gets exactly 0 (no rounding noise)
            sd = float(x.std(ddof=1))
        half = t_quantile(k - 1, level) * sd / math.sqrt(k) if k > 1 else (0.0 if k == 1 else math.nan)
        rows.append((c, k, mean, sd, half, mean - half, mean + half))
    frame = pd.DataFrame(rows, columns=["kpi", "n", "mean", "sd", "half_width", "ci_low", "ci_high"])
    return frame.set_index("kpi")


@dataclass
class ReplicationResult:
    """KPIs of every replication (and, when kept, the per-replication results)."""

    kpis: pd.DataFrame
    seed: int
    policy: str
    results: list[SimulationResult] = field(default_factory=list, repr=False)

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """See :func:`summarise`."""
        return summarise(self.kpis, level)

    def to_dict(self, level: float = 0.95) -> dict:
        """JSON-ready: seed, policy, replications and per KPI ``mean, half_width, ci_low, ci_high``."""
        table = self.summary(level)
        out = {}
        for kpi, row in table.iterrows():
            out[str(kpi)] = {
                k: (None if isinstance(v, float) and math.isnan(v) else float(v)) for k, v in row.items() if k != "n"
            }
        return {"seed": self.seed, "policy": self.policy, "replications": len(self.kpis), "kpis": out}


def replicate(
    problem: Problem | SimulationModel,
    solution: Solution,
    policy: str | Policy = "static",
    *,
    replications: int,
    seed: int,
    config: SimulationConfig | None = None,
    first: int = 0,
    keep_results: bool = False,
) -> ReplicationResult:
    """Simulate ``replications`` independent days with common random numbers.

    Parameters
    ----------
    problem
        The problem (or a prepared :class:`SimulationModel`).
    solution
        The plan.
    policy
        Policy object or registered name. A policy *object* is shared by all replications; a name creates a
        fresh policy per replication.
    replications
        Number of replications.
    seed
        Base seed; replication ``r`` uses :func:`replication_rng(seed, r) <replication_rng>`.
    config
        Simulation options (the event log is off unless ``keep_results`` and ``config.record_log``).
    first
        Index of the first replication (to split a run into batches that together equal one run).
    keep_results
        Keep every :class:`SimulationResult` (schedule and event log).

    Returns
    -------
    ReplicationResult
        ``kpis`` has one row per replication (column ``replication`` plus the KPIs).
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    model = problem if isinstance(problem, SimulationModel) else SimulationModel(problem)
    config = config or SimulationConfig(record_log=False)
    if not keep_results and config.record_log:
        config = SimulationConfig(config.chargers_per_station, config.elevator_cars, config.n_amrs, False)
    rows, results = [], []
    name = policy if isinstance(policy, str) else getattr(policy, "name", type(policy).__name__)
    for r in range(first, first + replications):
        pol = make_policy(policy)
        result = simulate(model, solution, pol, rng=replication_rng(seed, r), config=config)
        rows.append({"replication": r, **result.kpis})
        if keep_results:
            results.append(result)
    return ReplicationResult(pd.DataFrame(rows), int(seed), str(name), results)
