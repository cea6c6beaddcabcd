"""The rolling two-order-window 0-1 integer program with sorting-time scenarios (spec section 5), in PuLP.

Window ``W = B_o ∪ B_{o+1}`` with positions ``1..n`` (order blocks kept). Variables: ``z[j, k]`` binary (line ``j``
at window position ``k``); ``u[i, j, k] >= 0`` (line ``i`` at position ``k - g`` and ``j`` at ``k``; ``g = 1`` with
one I/O point, ``2`` with two), linked to ``z`` by assignment equalities (``sum_i u[i,j,k] = z[j,k]``,
``sum_j u[i,j,k] = z[i,k-g]``), which for binary ``z`` force ``u`` to the product ``z[i,k-g] z[j,k]`` and give a
tighter relaxation than the textbook ``u >= z + z - 1``; ``D[k]`` the cycle time of the robot cycle that delivers
position ``k``; ready/finish times ``R[s,k]``, ``F[s,k] >= 0`` per planning scenario ``s``:

* 1-I/O: ``R[s,k] >= F[s,k-1] + D[k]``; ``F[s,k] >= R[s,k] + S[s, line at k]``;
* 2-I/O: ``R[s,k] >= F[s,k-2] + D[k]``; ``R[s,k] >= R[s,k-1] + t(X(k-1), X(k)) + D[k]``;
  ``F[s,k] >= R[s,k] + S``; ``F[s,k] >= F[s,k-1] + walk + S``.

The objective ``(1/K) sum_s (F[s,n] + eps F[s,n_o]) + travel_eps sum_k D[k]`` (window makespan, tie-break on the
current order; the optional robot-travel tie-break ``travel_eps`` is our addition, 0 by default as in the spec).
Minimisation makes every ``max`` of the section-4 recursion tight, so for a fixed sequence the optimum equals the
recursion. Positions before the window are the committed history (constants). With one I/O point the makespan is
linear in the sorting times, so the scenarios are replaced by their mean without changing the optimum or its value.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pulp

from solvers.sequencing.arrays import CycleTimes, SequencingArrays, io_of_position, timing_recursion

SOLVERS = ("highs", "cbc")


@dataclass
class WindowResult:
    """Solution of one window model."""

    sequence: list[int]  # lines of the whole window in optimal order
    objective: float  # (1/K) sum_s (F[s,n] + eps F[s,n_o]) at the optimum
    solve_seconds: float  # solver wall time (PuLP hand-over + HiGHS/CBC)
    build_seconds: float  # model construction wall time
    status: str
    solve_cpu_seconds: float = 0.0  # CPU time of this process during the solve (robust to machine load)


@dataclass
class RollingStats:
    """Per-window statistics of a rolling run."""

    solve_seconds: list[float] = field(default_factory=list)
    solve_cpu_seconds: list[float] = field(default_factory=list)
    build_seconds: list[float] = field(default_factory=list)
    window_sizes: list[int] = field(default_factory=list)


_BANNER_SILENCED = False


def _silence_highs_banner() -> None:
    """Create one HiGHS object with the C-level stdout sent to /dev/null.

    HiGHS prints a copyright banner on stdout the first time a ``Highs`` object is created in a process, which
    would corrupt machine-readable output (``--format json``); later objects are quiet.
    """
    global _BANNER_SILENCED
    if _BANNER_SILENCED:
        return
    _BANNER_SILENCED = True
    try:
        import highspy
    except ImportError:  # pragma: no cover - PuLP reports the missing solver itself
        return
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # pragma: no cover - no file descriptor 1
        highspy.Highs()
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        highspy.Highs()
        with contextlib.suppress(Exception):
            ctypes.CDLL(None).fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


#: HiGHS options used by default (one thread: the windows are tiny and experiments run instances in parallel).
HIGHS_OPTIONS: dict[str, object] = {"threads": 1}


def _var(prob: pulp.LpProblem, name: str, cat: str = "Continuous") -> pulp.LpVariable:
    """A variable ``>= 0`` (binary when ``cat="Binary"``), attached to ``prob`` where PuLP supports it."""
    low = 0 if cat == "Continuous" else None
    if hasattr(prob, "add_variable"):  # PuLP >= 3.3
        return prob.add_variable(name, lowBound=low, cat=cat)
    return pulp.LpVariable(name, lowBound=low, cat=cat)


def _make_solver(solver: str, time_limit: float | None, options: dict | None = None):
    if solver == "highs":
        _silence_highs_banner()
        kwargs = {"msg": False, **HIGHS_OPTIONS, **(options or {})}
        if time_limit is not None:
            kwargs["timeLimit"] = time_limit
        return pulp.HiGHS(**kwargs)
    if solver == "cbc":
        with warnings.catch_warnings():  # PuLP 3.3 announces the bundled CBC's removal in 4.0
            warnings.simplefilter("ignore", DeprecationWarning)
            return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1, **(options or {}))
    raise ValueError(f"unknown MILP solver {solver!r}; choose from {SOLVERS}")


def solve_window(
    arr: SequencingArrays,
    cyc: CycleTimes,
    blocks: Sequence[Sequence[int]],
    history: Sequence[int],
    hist_ready: np.ndarray,
    hist_finish: np.ndarray,
    sorting: np.ndarray,
    eps: float = 0.01,
    solver: str = "highs",
    time_limit: float | None = None,
    fixed: Sequence[int] | None = None,
    solver_options: dict | None = None,
    travel_eps: float = 0.0,
    position_sorting: np.ndarray | None = None,
) -> WindowResult:
    """Solve the window 0-1 model for the order blocks ``blocks`` after the committed ``history``.

    Parameters
    ----------
    arr, cyc
        Problem arrays and cycle times.
    blocks
        Line indices of the window's orders (current order first).
    history
        Committed lines (global positions ``1..m``).
    hist_ready, hist_finish
        ``(K, >= m)`` ready/finish times of the history under the planning scenarios (only the last two columns
        of the first ``m`` are used).
    sorting
        ``(K, M)`` planning scenarios of the sorting time of every line.
    eps
        Weight of the current order's completion in the objective (tie-break).
    solver, time_limit
        ``"highs"`` (highspy through PuLP) or ``"cbc"``; optional time limit in seconds.
    fixed
        Optional window sequence to impose (used to check the model against the recursion).
    solver_options
        Extra solver options (HiGHS option names, or PuLP CBC keyword arguments).
    travel_eps
        Weight of the window's total robot cycle time in the objective (a tie-break among sequences with equal
        makespan; 0 = the spec's objective).
    position_sorting
        ``(K, n)`` scenarios indexed by window *position* instead of by line: the sorting time of whatever line
        is placed at position ``k`` (valid when every line has the same sorting-time law). ``sorting`` is then
        ignored for the window.

    Returns
    -------
    WindowResult
    """
    t0 = time.perf_counter()
    sorting = np.atleast_2d(np.asarray(sorting, dtype=float))
    blocks = [[int(j) for j in b] for b in blocks if len(b)]
    two = arr.n_io == 2
    g = 2 if two else 1
    m = len(history)
    if position_sorting is not None:
        position_sorting = np.atleast_2d(np.asarray(position_sorting, dtype=float))
        if position_sorting.shape[0] != np.asarray(hist_finish).shape[0]:
            raise ValueError("position_sorting and the history need the same number of scenarios")
    if not two:  # makespan is linear in S: the mean scenario gives the same optimum and value
        sorting = sorting.mean(axis=0, keepdims=True)
        if position_sorting is not None:
            position_sorting = position_sorting.mean(axis=0, keepdims=True)
        hist_ready = np.asarray(hist_ready, dtype=float).mean(axis=0, keepdims=True)
        hist_finish = np.asarray(hist_finish, dtype=float).mean(axis=0, keepdims=True)
    n_scen = sorting.shape[0] if position_sorting is None else position_sorting.shape[0]
    elig: list[list[int]] = []  # eligible lines per window position (index k-1)
    for b in blocks:
        elig.extend([b] * len(b))
    n = len(elig)
    n_cur = len(blocks[0])
    prob = pulp.LpProblem("adds_window", pulp.LpMinimize)
    z = {(j, k): _var(prob, f"z_{j}_{k}", cat="Binary") for k in range(1, n + 1) for j in elig[k - 1]}
    for b_start, b in _block_ranges(blocks):
        for j in b:
            prob += pulp.lpSum(z[j, k] for k in range(b_start, b_start + len(b))) == 1, f"line_{j}"
    for k in range(1, n + 1):
        prob += pulp.lpSum(z[j, k] for j in elig[k - 1]) == 1, f"pos_{k}"
    if fixed is not None:
        if sorted(fixed) != sorted(j for b in blocks for j in b):
            raise ValueError("fixed window sequence must list the window's lines")
        for k, j in enumerate(fixed, start=1):
            prob += z[int(j), k] == 1, f"fix_{k}"

    def hist_line(k: int) -> int:  # line at window position k <= 0
        return int(history[m + k - 1])

    # cycle time D[k] of the cycle delivering position k
    d_expr: dict[int, pulp.LpAffineExpression] = {}
    for k in range(1, n + 1):
        p = m + k
        x = io_of_position(p, arr.n_io)
        if p == 1:
            d_expr[k] = pulp.lpSum(float(cyc.first[j]) * z[j, k] for j in elig[k - 1])
        elif two and p == 2:
            d_expr[k] = pulp.lpSum(float(cyc.second[j]) * z[j, k] for j in elig[k - 1])
        elif k - g <= 0:
            i = hist_line(k - g)
            d_expr[k] = pulp.lpSum(float(cyc.dc[x, i, j]) * z[j, k] for j in elig[k - 1])
        else:
            u = {
                (i, j): _var(prob, f"u_{i}_{j}_{k}")
                for i in elig[k - g - 1]
                for j in elig[k - 1]
                if i != j
            }
            for j in elig[k - 1]:
                prob += pulp.lpSum(u[i, j] for i in elig[k - g - 1] if i != j) == z[j, k], f"uin_{j}_{k}"
            for i in elig[k - g - 1]:
                prob += pulp.lpSum(u[i, j] for j in elig[k - 1] if i != j) == z[i, k - g], f"uout_{i}_{k}"
            d_expr[k] = pulp.lpSum(float(cyc.dc[x, i, j]) * var for (i, j), var in u.items())
    dvar = {k: _var(prob, f"D_{k}") for k in range(1, n + 1)}
    for k in range(1, n + 1):
        prob += dvar[k] == d_expr[k], f"cycle_{k}"

    ready = {(s, k): _var(prob, f"R_{s}_{k}") for s in range(n_scen) for k in range(1, n + 1)}
    finish = {(s, k): _var(prob, f"F_{s}_{k}") for s in range(n_scen) for k in range(1, n + 1)}

    def fin(s: int, k: int):
        return finish[s, k] if k >= 1 else float(hist_finish[s, m + k - 1])

    def rdy(s: int, k: int):
        return ready[s, k] if k >= 1 else float(hist_ready[s, m + k - 1])

    for s in range(n_scen):
        for k in range(1, n + 1):
            p = m + k
            if position_sorting is None:
                sort_k = pulp.lpSum(float(sorting[s, j]) * z[j, k] for j in elig[k - 1])
            else:
                sort_k = float(position_sorting[s, k - 1])
            if p == 1:
                prob += ready[s, k] >= dvar[k], f"r_{s}_{k}"
            elif not two:
                prob += ready[s, k] >= fin(s, k - 1) + dvar[k], f"r_{s}_{k}"
            elif p == 2:
                prob += ready[s, k] >= rdy(s, k - 1) + dvar[k], f"r_{s}_{k}"
            else:
                move = float(cyc.move[io_of_position(p - 1, 2), io_of_position(p, 2)])
                prob += ready[s, k] >= fin(s, k - 2) + dvar[k], f"rf_{s}_{k}"
                prob += ready[s, k] >= rdy(s, k - 1) + move + dvar[k], f"rr_{s}_{k}"
            prob += finish[s, k] >= ready[s, k] + sort_k, f"f_{s}_{k}"
            if two and p >= 2:
                prob += finish[s, k] >= fin(s, k - 1) + float(arr.walk) + sort_k, f"fw_{s}_{k}"
    prob += (1.0 / n_scen) * pulp.lpSum(finish[s, n] + eps * finish[s, n_cur] for s in range(n_scen)) + float(
        travel_eps
    ) * pulp.lpSum(dvar.values())
    t1 = time.perf_counter()
    c1 = time.process_time()
    status = prob.solve(_make_solver(solver, time_limit, solver_options))
    c2 = time.process_time()
    t2 = time.perf_counter()
    status_name = pulp.LpStatus[status]
    if any(var.value() is None for var in z.values()):
        raise RuntimeError(f"window model returned no solution (status {status_name})")
    seq = []
    for k in range(1, n + 1):
        seq.append(max(elig[k - 1], key=lambda j, k=k: z[j, k].value() or 0.0))
    return WindowResult(seq, float(pulp.value(prob.objective)), t2 - t1, t1 - t0, status_name, c2 - c1)


def _block_ranges(blocks: Sequence[Sequence[int]]):
    start = 1
    for b in blocks:
        yield start, b
        start += len(b)


def rolling_ip(
    arr: SequencingArrays,
    cyc: CycleTimes,
    sorting: np.ndarray,
    window_orders: int = 2,
    eps: float = 0.01,
    solver: str = "highs",
    time_limit: float | None = None,
    stats: RollingStats | None = None,
    solver_options: dict | None = None,
    travel_eps: float = 0.0,
    scenarios_by: str = "line",
) -> np.ndarray:
    """Rolling-horizon sequencing: solve the window of ``window_orders`` orders, commit the first, move on.

    Parameters
    ----------
    arr, cyc
        Problem arrays and cycle times.
    sorting
        ``(K, M)`` planning scenarios of the sorting times (``K = 1`` with the mean times gives the
        deterministic-equivalent model). With ``scenarios_by="line"`` column ``j`` is the sorting time of line
        ``j`` (the spec's ``S^s_j``); with ``"position"`` column ``p`` is the sorting time of the bin at global
        position ``p + 1``, whichever line it is (valid when all lines share one sorting-time law; it removes the
        spurious line-to-line differences of a finite sample and the ``S z`` products from the model).
    window_orders, eps, solver, time_limit, solver_options, travel_eps
        Window length in orders, tie-break weight, MILP solver, per-window time limit (the best solution found is
        used when it is reached), extra solver options and the robot-travel tie-break weight
        (see :func:`solve_window`).
    stats
        Optional :class:`RollingStats` that receives the solve times.

    Returns
    -------
    numpy.ndarray
        The full order-blocked sequence of line indices.
    """
    if scenarios_by not in ("line", "position"):
        raise ValueError("scenarios_by must be 'line' or 'position'")
    sorting = np.atleast_2d(np.asarray(sorting, dtype=float))
    k_scen = sorting.shape[0]
    by_position = scenarios_by == "position"
    line_sorting = np.zeros_like(sorting) if by_position else sorting  # history times, indexed by line
    ready = np.zeros((k_scen, arr.n_lines))
    finish = np.zeros((k_scen, arr.n_lines))
    seq: list[int] = []
    for o in range(arr.n_orders):
        lines = arr.order_lines(o)
        blocks = [arr.order_lines(q) for q in range(o, min(arr.n_orders, o + window_orders))]
        if len(lines) == 1:  # nothing to decide for this order (the next one is re-optimised later)
            part = [int(lines[0])]
        else:
            n_win = sum(len(b) for b in blocks)
            res = solve_window(
                arr,
                cyc,
                blocks,
                seq,
                ready,
                finish,
                sorting,
                eps,
                solver,
                time_limit,
                solver_options=solver_options,
                travel_eps=travel_eps,
                position_sorting=sorting[:, len(seq) : len(seq) + n_win] if by_position else None,
            )
            part = res.sequence[: len(lines)]
            if stats is not None:
                stats.solve_seconds.append(res.solve_seconds)
                stats.solve_cpu_seconds.append(res.solve_cpu_seconds)
                stats.build_seconds.append(res.build_seconds)
                stats.window_sizes.append(sum(len(b) for b in blocks))
        start = len(seq)
        seq.extend(part)
        if by_position:
            line_sorting[:, part] = sorting[:, start : start + len(part)]
        timing_recursion(arr, cyc, seq, line_sorting, out=(ready, finish), start=start)
    return np.asarray(seq, dtype=np.int64)
