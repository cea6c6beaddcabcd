"""Back-ends for :class:`solvers.mip.linear.LinearModel`: PuLP (CBC, HiGHS) and OR-Tools (SCIP).

Every back-end returns a :class:`BackendResult` built from the solver's *own* status and dual bound, never from a
wrapper's summary (PuLP maps a HiGHS time limit to "Optimal"). ``proven_optimal`` is set only when the solver says
optimal **and** the incumbent meets the bound within the tolerance.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from solvers.mip.linear import LinearModel

BACKENDS = ("pulp-cbc", "pulp-highs", "ortools")

#: Absolute optimality tolerance handed to the solvers and used to accept a proof.
ABS_GAP = 1e-6
#: Relative optimality tolerance (the hierarchical objective 10000 * vehicles + distance needs a tiny one).
REL_GAP = 1e-9


@dataclass
class BackendResult:
    """What a back-end reports.

    Attributes
    ----------
    status
        ``optimal``, ``feasible``, ``infeasible``, ``time_limit`` or ``no_solution``.
    objective
        Objective of the incumbent (``nan`` without one).
    bound
        Best proven lower bound (``nan`` if the solver gives none).
    values
        Column values of the incumbent (``None`` without one).
    runtime_s
        Wall-clock time spent in the solver.
    solver_status
        The solver's own status text.
    """

    status: str
    objective: float
    bound: float
    values: list[float] | None
    runtime_s: float
    solver_status: str

    @property
    def gap(self) -> float:
        """Relative gap ``(objective - bound) / |objective|`` (``nan`` if either is missing)."""
        if self.values is None or not math.isfinite(self.bound) or not math.isfinite(self.objective):
            return math.nan
        return max(0.0, self.objective - self.bound) / max(1e-9, abs(self.objective))


def proven(objective: float, bound: float) -> bool:
    """True if ``bound`` closes the gap to ``objective`` within :data:`ABS_GAP` / :data:`REL_GAP`."""
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return False
    return objective - bound <= max(ABS_GAP, REL_GAP * abs(objective)) + 1e-9


def _classify(has_solution: bool, solver_optimal: bool, objective: float, bound: float, hit_limit: bool) -> str:
    if has_solution:
        if solver_optimal and proven(objective, bound):
            return "optimal"
        return "time_limit" if hit_limit else "feasible"
    return "time_limit" if hit_limit else "no_solution"


def solve(
    model: LinearModel,
    backend: str,
    time_limit: float,
    warm_start: dict[int, float] | None = None,
    threads: int = 1,
    verbose: bool = False,
) -> BackendResult:
    """Solve ``model`` with ``backend`` (one of :data:`BACKENDS`) within ``time_limit`` seconds.

    Parameters
    ----------
    model
        The MIP.
    backend
        ``pulp-cbc``, ``pulp-highs`` or ``ortools``.
    time_limit
        Wall-clock limit handed to the solver.
    warm_start
        Column index -> value of a known solution (a hint; CBC and SCIP use it, HiGHS gets it via ``setSolution``).
    threads
        Solver threads.
    verbose
        Show the solver log.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown MIP back-end {backend!r}; choose one of {', '.join(BACKENDS)}")
    with _quiet_stdout(not verbose):
        if backend == "pulp-cbc":
            return _solve_pulp(model, "cbc", time_limit, warm_start, threads, verbose)
        if backend == "pulp-highs":
            return _solve_pulp(model, "highs", time_limit, warm_start, threads, verbose)
        return _solve_ortools(model, time_limit, warm_start, threads, verbose)


@contextlib.contextmanager
def _quiet_stdout(active: bool) -> Iterator[None]:
    """Silence file descriptor 1 while a solver runs (native banners would spoil JSON on stdout)."""
    if not active:
        yield
        return
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # pragma: no cover - no real stdout (embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.close(devnull)
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


# ---------------------------------------------------------------------------------------------------------- PuLP
def _pulp_problem(model: LinearModel):
    import pulp

    prob = pulp.LpProblem("routing", pulp.LpMinimize)
    cols = []
    for i, v in enumerate(model.variables):
        lb = None if v.lb == -math.inf else v.lb
        ub = None if v.ub == math.inf else v.ub
        cat = pulp.LpInteger if v.integer else pulp.LpContinuous
        cols.append(prob.add_variable(f"c{i}", lowBound=lb, upBound=ub, cat=cat))
    prob += pulp.lpSum(c * cols[i] for i, c in model.objective.items()) + model.objective_constant
    used = set(model.objective)
    for row in model.rows:
        used.update(row.coefs)
    for i, col in enumerate(cols):
        if i not in used:  # a column in no row: give it one (MPS files drop bounds of absent columns)
            v = model.variables[i]
            prob += (col >= (v.lb if v.lb > -math.inf else -1e30)), f"free{i}"
    for k, row in enumerate(model.rows):
        expr = pulp.lpSum(c * cols[i] for i, c in row.coefs.items())
        if row.lb == row.ub:
            prob += (expr == row.lb), f"r{k}"
        else:
            if row.lb > -math.inf:
                prob += (expr >= row.lb), f"r{k}l"
            if row.ub < math.inf:
                prob += (expr <= row.ub), f"r{k}u"
    return prob, cols


def _solve_pulp(model, which, time_limit, warm_start, threads, verbose) -> BackendResult:
    import pulp

    prob, cols = _pulp_problem(model)
    if warm_start:
        for i, val in warm_start.items():
            cols[i].setInitialValue(val)
    start = time.perf_counter()
    if which == "cbc":
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "cbc.log")
            try:
                prob.solve(_cbc(verbose, time_limit, threads, bool(warm_start), log))
            except pulp.PulpSolverError:
                if not warm_start:
                    raise
                # the bundled CBC 2.10.3 can crash while reading a MIP start: solve again without it
                prob.solve(_cbc(verbose, max(1.0, time_limit - (time.perf_counter() - start)), threads, False, log))
            runtime = time.perf_counter() - start
            text = Path(log).read_text() if os.path.exists(log) else ""
        return _cbc_result(prob, cols, model, text, runtime)
    solver = _HiGHSWithStart(
        msg=verbose, timeLimit=float(time_limit), gapRel=REL_GAP, gapAbs=ABS_GAP, threads=threads
    )
    if warm_start:
        solver.start = {cols[i].name: float(v) for i, v in warm_start.items()}
    prob.solve(solver)
    runtime = time.perf_counter() - start
    return _highs_result(prob, cols, model, runtime)


def _cbc(verbose: bool, time_limit: float, threads: int, warm: bool, log: str):
    import pulp

    with warnings.catch_warnings():  # PuLP 3.x deprecates the bundled-CBC class name, not the solver
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(
            msg=verbose,
            timeLimit=max(1, math.ceil(time_limit)),
            gapRel=REL_GAP,
            gapAbs=ABS_GAP,
            threads=threads,
            warmStart=warm,
            logPath=log,
            keepFiles=False,
        )


def _make_highs_class():
    import pulp

    class HiGHSWithStart(pulp.HiGHS):
        """PuLP's HiGHS interface plus a (partial) MIP start passed to ``Highs.setSolution`` before the run."""

        start: dict[str, float] | None = None

        def callSolver(self, lp):
            if self.start:
                import numpy as np

                index = [v.index for v in lp.variables() if v.name in self.start]
                value = [self.start[v.name] for v in lp.variables() if v.name in self.start]
                lp.solverModel.setSolution(len(index), np.array(index, dtype=np.int32), np.array(value))
            lp.solverModel.run()

    return HiGHSWithStart


def _HiGHSWithStart(**kwargs):
    return _make_highs_class()(**kwargs)


def _cbc_result(prob, cols, model, log: str, runtime: float) -> BackendResult:
    # CBC's own final summary: "Result - Optimal solution found" / "Stopped on time" / "Problem proven infeasible".
    m = re.search(r"^Result - (.+)$", log, flags=re.MULTILINE)
    summary = m.group(1).strip() if m else ""
    lower = summary.lower()
    hit_limit = "stopped on time" in lower or "stopped on iterations" in lower
    infeasible = "infeasible" in lower
    values = [c.varValue for c in cols]
    has_solution = (not infeasible) and all(v is not None for v in values) and _feasible(model, values)
    objective = model.objective_value(values) if has_solution else math.nan
    solver_optimal = lower.startswith("optimal solution found")
    # CBC prints "Lower bound:" in its summary only when it stops early; "Optimal solution found" means it closed
    # the gap to within the allowable gaps we set (ABS_GAP / REL_GAP), so its bound is the objective it prints.
    bound = math.nan
    final_bound = re.findall(r"Lower bound:\s+(-?[\d.eE+-]+)", log)
    final_obj = re.findall(r"Objective value:\s+(-?[\d.eE+-]+)", log)
    progress = re.findall(r"best possible\s+(-?[\d.eE+-]+)", log)
    if final_bound:
        bound = float(final_bound[-1]) + model.objective_constant
    elif solver_optimal and final_obj:
        bound = float(final_obj[-1]) + model.objective_constant
    elif progress:
        bound = float(progress[-1]) + model.objective_constant
    if infeasible:
        return BackendResult("infeasible", math.nan, math.nan, None, runtime, summary)
    status = _classify(has_solution, solver_optimal, objective, bound, hit_limit)
    return BackendResult(status, objective, bound, values if has_solution else None, runtime, summary or "no log")


def _highs_result(prob, cols, model, runtime: float) -> BackendResult:
    import highspy

    h = prob.solverModel
    status = h.getModelStatus()
    info = h.getInfo()
    text = h.modelStatusToString(status)
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return BackendResult("infeasible", math.nan, math.nan, None, runtime, text)
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    values = [c.varValue for c in cols] if has_solution else None
    if values is not None and not _feasible(model, values):
        has_solution, values = False, None
    objective = model.objective_value(values) if values is not None else math.nan
    bound = float(info.mip_dual_bound) + model.objective_constant  # PuLP passes no offset to HiGHS
    if not math.isfinite(bound):
        bound = math.nan
    hit_limit = status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kIterationLimit)
    solver_optimal = status == highspy.HighsModelStatus.kOptimal
    return BackendResult(_classify(has_solution, solver_optimal, objective, bound, hit_limit), objective, bound,
                         values, runtime, text)


# ---------------------------------------------------------------------------------------------------------- OR-Tools
def _solve_ortools(model, time_limit, warm_start, threads, verbose) -> BackendResult:
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:  # pragma: no cover - depends on the OR-Tools build
        raise RuntimeError("OR-Tools was built without SCIP")
    if verbose:
        solver.EnableOutput()
    inf = solver.infinity()
    cols = []
    for i, v in enumerate(model.variables):
        lb = -inf if v.lb == -math.inf else v.lb
        ub = inf if v.ub == math.inf else v.ub
        cols.append(solver.IntVar(lb, ub, f"c{i}") if v.integer else solver.NumVar(lb, ub, f"c{i}"))
    for k, row in enumerate(model.rows):
        ct = solver.Constraint(-inf if row.lb == -math.inf else row.lb, inf if row.ub == math.inf else row.ub, f"r{k}")
        for i, c in row.coefs.items():
            ct.SetCoefficient(cols[i], c)
    obj = solver.Objective()
    for i, c in model.objective.items():
        obj.SetCoefficient(cols[i], c)
    obj.SetOffset(model.objective_constant)
    obj.SetMinimization()
    solver.SetTimeLimit(max(1, int(time_limit * 1000)))
    solver.SetNumThreads(threads)
    solver.SetSolverSpecificParametersAsString(
        f"limits/gap = {REL_GAP:.12g}\nlimits/absgap = {ABS_GAP:.12g}\n"
    )
    if warm_start:
        solver.SetHint([cols[i] for i in warm_start], [float(v) for v in warm_start.values()])
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, REL_GAP)
    start = time.perf_counter()
    code = solver.Solve(params)
    runtime = time.perf_counter() - start
    names = {
        pywraplp.Solver.OPTIMAL: "OPTIMAL",
        pywraplp.Solver.FEASIBLE: "FEASIBLE",
        pywraplp.Solver.INFEASIBLE: "INFEASIBLE",
        pywraplp.Solver.UNBOUNDED: "UNBOUNDED",
        pywraplp.Solver.ABNORMAL: "ABNORMAL",
        pywraplp.Solver.NOT_SOLVED: "NOT_SOLVED",
    }
    text = names.get(code, str(code))
    if code == pywraplp.Solver.INFEASIBLE:
        return BackendResult("infeasible", math.nan, math.nan, None, runtime, text)
    has_solution = code in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE)
    values = [c.solution_value() for c in cols] if has_solution else None
    if values is not None and not _feasible(model, values):
        has_solution, values = False, None
    objective = model.objective_value(values) if values is not None else math.nan
    bound = obj.BestBound() if has_solution or code == pywraplp.Solver.NOT_SOLVED else math.nan
    bound = float(bound) if bound is not None and math.isfinite(bound) else math.nan
    hit_limit = code in (pywraplp.Solver.FEASIBLE, pywraplp.Solver.NOT_SOLVED) and runtime >= 0.95 * time_limit
    solver_optimal = code == pywraplp.Solver.OPTIMAL
    return BackendResult(_classify(has_solution, solver_optimal, objective, bound, hit_limit), objective, bound,
                         values, runtime, text)


def _feasible(model: LinearModel, values: list[float], tol: float = 1e-5) -> bool:
    """Check a column vector against bounds, integrality and rows (guards against wrappers' stale values)."""
    for v, x in zip(model.variables, values, strict=True):
        if x is None or x < v.lb - tol or x > v.ub + tol:
            return False
        if v.integer and abs(x - round(x)) > tol:
            return False
    for row in model.rows:
        s = sum(c * values[i] for i, c in row.coefs.items())
        scale = tol * max(1.0, sum(abs(c) for c in row.coefs.values()))
        if s < row.lb - scale or s > row.ub + scale:
            return False
    return True
