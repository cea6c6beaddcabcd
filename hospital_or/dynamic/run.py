"""One two-stage dynamic day: stage-1 tabu plan, stage-2 policy in the simulator, executed routes, hindsight gap.

:func:`run_dynamic` is the library function behind ``hospital-or dynamic``. The simulator
(:func:`hospital_or.simulation.simulate`, deterministic times) is the clock: it reveals requests, moves the AMRs and
calls the policy. The executed routes are rebuilt from its realised schedule (each trip starts at the time it
actually left the depot) and verified by the independent checker with ``respect_reveal_times=True``.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hospital_or.checker import check
from hospital_or.dynamic.model import (
    StagePlan,
    cost_components,
    dynamic_problem,
    finite_or_none,
    hindsight_generator,
    hindsight_plan,
    stage1_plan,
)
from hospital_or.dynamic.params import DynamicParams
from hospital_or.dynamic.policies import InsertionPolicy, lazy_plan, make_dynamic
from hospital_or.problem import Problem
from hospital_or.report import Report
from hospital_or.simulation import SimulationConfig, SimulationResult, simulate
from hospital_or.solution import AMRPlan, Solution, Trip

__all__ = ["DynamicResult", "executed_solution", "run_dynamic", "write_dynamic_outputs"]


@dataclass
class DynamicResult:
    """A dynamic day and its evaluation (``to_dict`` is the ``--format json`` contract)."""

    problem: Problem
    policy: str
    seed: int
    params: DynamicParams
    stage1: StagePlan
    fleet: int
    solution: Solution
    report: Report
    simulation: SimulationResult
    decisions: list
    hindsight: Solution | None = None
    hindsight_report: Report | None = None
    runtime: dict[str, float] = field(default_factory=dict)
    reopt_times: list[float] = field(default_factory=list)

    @property
    def revealed(self) -> int:
        """Requests revealed during the day (all requests of the instance)."""
        return self.problem.n_requests

    @property
    def components(self) -> dict[str, float]:
        """Spec 3.2 cost components of the executed day (``purchase = c_p M`` with ``M = m1 + s``)."""
        return cost_components(self.problem, self.report, self.fleet)

    @property
    def cost(self) -> float:
        """Total cost ``Z``."""
        return float(sum(self.components.values()))

    @property
    def hindsight_components(self) -> dict[str, float] | None:
        """Spec 3.2 components of the full-information plan with the fleet it uses (``None`` when not computed)."""
        if self.hindsight_report is None:
            return None
        return cost_components(self.problem, self.hindsight_report, self.hindsight_report.vehicles)

    @property
    def hindsight_cost(self) -> float:
        """Cost of the full-information plan with the fleet it uses (``nan`` when not computed)."""
        parts = self.hindsight_components
        return math.nan if parts is None else float(sum(parts.values()))

    def by_priority(self) -> dict[str, dict[str, float]]:
        """Per priority: served, rejected, late and on-time counts, on-time share (%), total and mean delay."""
        prio = {r.id: r.priority for r in self.problem.requests}
        out = {str(p): {"served": 0, "rejected": 0, "late": 0, "delay": 0.0} for p in (1, 2, 3)}
        for trip in self.report.schedule:
            for v in trip.visits:
                if v.kind == "request":
                    row = out[str(prio[v.node])]
                    row["served"] += 1
                    if v.lateness > 1e-6:
                        row["late"] += 1
                        row["delay"] += float(v.lateness)
        for rid in self.solution.rejected:
            out[str(prio[rid])]["rejected"] += 1
        for row in out.values():
            served = row["served"]
            row["on_time"] = served - row["late"]
            row["on_time_pct"] = 100.0 * row["on_time"] / served if served else None
            row["mean_delay"] = row["delay"] / served if served else None
        return out

    def decision_ms(self) -> dict[str, float | None]:
        """Median, 99th percentile, mean and maximum decision time in milliseconds (dynamic reveals only)."""
        times = np.array([d.seconds for d in self.decisions]) * 1000.0
        if times.size == 0:
            return {"median": None, "p99": None, "mean": None, "max": None, "count": 0}
        return {
            "median": float(np.median(times)),
            "p99": float(np.percentile(times, 99)),
            "mean": float(times.mean()),
            "max": float(times.max()),
            "count": int(times.size),
        }

    def reopt_ms(self) -> dict[str, float | None]:
        """Median, 99th percentile and count of the re-optimisation times in milliseconds (``rules+reopt``)."""
        times = np.array(self.reopt_times) * 1000.0
        if times.size == 0:
            return {"median": None, "p99": None, "count": 0}
        return {"median": float(np.median(times)), "p99": float(np.percentile(times, 99)), "count": int(times.size)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the contract of ``hospital-or dynamic --format json``)."""
        hc = self.hindsight_cost
        gap = 100.0 * (self.cost - hc) / hc if math.isfinite(hc) and hc > 0 else math.nan
        return {
            "instance": self.problem.name,
            "policy": self.policy,
            "seed": self.seed,
            "safety_stock": self.params.safety_stock,
            "reservation": list(self.params.effective_reservation()) if self.policy != "greedy" else [0, 0, 0],
            "m1": self.stage1.amrs,
            "check_fleets": list(self.stage1.check_fleets),
            "day_slack": finite_or_none(self.stage1.day_slack),
            "fleet": self.fleet,
            "revealed": self.revealed,
            "dynamic": sum(1 for r in self.problem.requests if r.reveal > self.problem.depot.ready),
            "served": int(self.report.served),
            "rejected": int(self.report.rejected),
            "service_rate": self.report.served / self.revealed if self.revealed else 1.0,
            "cost": self.cost,
            "components": self.components,
            "by_priority": self.by_priority(),
            "distance": float(self.report.distance),
            "amrs_used": int(self.report.vehicles),
            "trips": int(self.report.trips),
            "feasible": bool(self.report.feasible),
            "violations": len(self.report.violations),
            "decision_ms": self.decision_ms(),
            "reopt_ms": self.reopt_ms(),
            "stage1_seconds": self.stage1.runtime,
            "hindsight_cost": finite_or_none(hc),
            "hindsight_gap_pct": finite_or_none(gap),
            "hindsight_amrs": None if self.hindsight_report is None else int(self.hindsight_report.vehicles),
            "hindsight_components": self.hindsight_components,
            "runtime": self.runtime,
        }


def executed_solution(problem: Problem, sim: SimulationResult, n_amrs: int) -> Solution:
    """The routes the AMRs actually drove (from the realised schedule and the ``trip_start`` events)."""
    events = sim.events
    starts = {(int(r.amr), int(r.trip)): float(r.time) for r in events.itertuples() if r.event == "trip_start"}
    rejected = tuple(str(r.node) for r in events.itertuples() if r.event == "reject")
    visits = sim.visits
    amrs = []
    for a in range(n_amrs):
        rows = visits[(visits["amr"] == a) & (visits["kind"] != "depot")]
        trips = []
        for t in sorted({int(x) for x in visits.loc[visits["amr"] == a, "trip"]}):
            part = rows[rows["trip"] == t].sort_values("position")
            trips.append(Trip(tuple(str(x) for x in part["node"]), earliest_start=starts.get((a, t), 0.0)))
        amrs.append(AMRPlan(tuple(trips)))
    return Solution(tuple(amrs), rejected)


def run_dynamic(
    problem: Problem,
    policy: str | InsertionPolicy = "rules",
    *,
    seed: int,
    params: DynamicParams | None = None,
    hindsight: bool = True,
    stage1: StagePlan | None = None,
    hindsight_result: tuple[Solution, Report] | None = None,
    fleet: int | None = None,
) -> DynamicResult:
    """Run one two-stage dynamic day.

    Parameters
    ----------
    problem
        An instance with reveal times (e.g. a ``dvrptw_necula`` file or a hospital instance).
    policy
        ``"greedy"``, ``"rules"`` or a policy object.
    seed
        Seed of the run's generator (priorities of files that carry none, then the tabu searches).
    params
        Cost model and rules (defaults of :class:`DynamicParams`).
    hindsight
        Also compute the full-information plan and the gap to it.
    stage1, hindsight_result
        Reuse a stage-1 plan / hindsight plan computed for the same ``problem``, ``params`` and ``seed`` (sweeps).
    fleet
        Diagnostics only: purchase exactly this many AMRs instead of ``m1 + s`` (e.g. the hindsight fleet, an
        oracle). When it is below the prior plan's AMR count, the prior routes with the fewest requests are
        dropped and their requests are left to the policy at the start of the day.

    Returns
    -------
    DynamicResult
    """
    params = params or DynamicParams()
    rng = np.random.default_rng(seed)
    timing: dict[str, float] = {}
    model = dynamic_problem(problem, params, rng)
    tic = time.perf_counter()
    plan = stage1 if stage1 is not None else stage1_plan(model, params, rng)
    timing["stage1"] = time.perf_counter() - tic
    prior_solution = plan.solution
    spare = plan.safety_stock(params)  # s: params.safety_stock, adjusted by the morning fleet check (safety_check_rule)
    run_params = params.replace(safety_stock=spare)  # the reservation thresholds are clipped to the s bought
    if plan.time_ample(params):  # time is not short today: planned trips leave with less slack held back
        run_params = run_params.replace(departure_slack_share=params.ample_departure_share)
    if fleet is None:
        fleet = max(1, plan.amrs + spare)  # M = m1 + s (at least one AMR is purchased)
    elif fleet < len(prior_solution.amrs):
        keep = sorted(prior_solution.amrs, key=lambda a: -sum(len(t.visits) for t in a.trips))[:fleet]
        prior_solution = Solution(tuple(keep), prior_solution.rejected)
    if fleet > model.fleet.max_vehicles:
        model = model.replace(fleet=dataclasses.replace(model.fleet, max_vehicles=fleet))
    pol = (make_dynamic(policy, run_params, rng=np.random.default_rng([seed, 2])) if isinstance(policy, str)
           else policy)
    tic = time.perf_counter()
    prior = lazy_plan(model, prior_solution, run_params.departure_slack_share)
    sim = simulate(model, prior, pol, rng=np.random.default_rng(seed),
                   config=SimulationConfig(chargers_per_station=None, elevator_cars=None, n_amrs=fleet))
    timing["simulation"] = time.perf_counter() - tic
    executed = executed_solution(model, sim, fleet)
    report = check(model, executed, respect_reveal_times=True)
    hs, hs_report = None, None
    if hindsight_result is not None:
        hs, hs_report = hindsight_result
    elif hindsight:
        tic = time.perf_counter()
        hs, hs_report = hindsight_plan(model, params, hindsight_generator(seed))
        timing["hindsight"] = time.perf_counter() - tic
    return DynamicResult(model, getattr(pol, "name", str(policy)), int(seed), run_params, plan, fleet, executed, report,
                         sim, list(getattr(pol, "decisions", [])), hs, hs_report, timing,
                         list(getattr(pol, "reopt_times", [])))


def write_dynamic_outputs(result: DynamicResult, folder: str | Path) -> list[Path]:
    """Write ``routes.sol``, ``routes.json``, ``events.csv``, ``decisions.csv`` and ``summary.json`` into ``folder``."""
    from hospital_or.io import write_vrplib_solution
    from hospital_or.solution_io import write_solution_json

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "routes.sol", folder / "routes.json", folder / "events.csv", folder / "decisions.csv",
             folder / "summary.json"]
    write_vrplib_solution(paths[0], result.problem, result.solution, cost=result.cost)
    write_solution_json(paths[1], result.problem, result.solution, result.report,
                        provenance={"policy": result.policy, "seed": result.seed, **result.params.to_dict()})
    result.simulation.events.to_csv(paths[2], index=False)
    with open(paths[3], "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["time", "request", "priority", "action", "amr", "cost", "idle", "ms"])
        for d in result.decisions:
            writer.writerow([d.time, d.request, d.priority, d.action, d.amr, d.cost, d.idle, 1000 * d.seconds])
    paths[4].write_text(json.dumps(result.to_dict(), indent=1) + "\n", encoding="utf-8")
    return paths
