"""Sequencing methods on ADDS instances: thin wrappers that convert an instance and call :mod:`solvers.sequencing`.

Methods
-------
``ip``
    Rolling two-order-window 0-1 IP (spec section 5) with ``n_plan`` sampled sorting-time scenarios (SAA), drawn
    independently of any evaluation paths. Every line has the same sorting-time law, so the scenarios are indexed by
    sequence *position* (the sorting time of whichever bin comes k-th); with one I/O point the sorting time only
    adds a constant and the model reduces to the shortest-path special case.
``ip-line``
    The same model with the scenarios indexed by line (the spec's ``S^s_j`` taken literally). With i.i.d. sorting
    times a finite sample makes some lines "look" slower than others, which the model can exploit although it is
    noise; the position-indexed ``ip`` has no such spurious information and far fewer nonzeros. On the benchmark
    (30 instances x 3 levels) the two gave the same picking time within the confidence interval and the
    position-indexed model solved its windows 3-4 times faster. Kept for comparison and for laws that differ by drug.
``ip-mean``
    The deterministic-equivalent window IP (one scenario at the mean sorting time).
``dp``
    Exact Held-Karp DP per order minimising robot travel from the committed history (myopic).
``greedy``
    Nearest-neighbour retrieval.
``random``
    Uniform random permutation of the lines inside each order.
``fcfs``
    Lines as listed in each prescription.
"""

from __future__ import annotations

import numpy as np

from hospital_or.adds.model import Instance, Layout
from solvers.sequencing import (
    RollingStats,
    cycle_times,
    dp_sequence,
    fcfs_sequence,
    greedy_sequence,
    random_sequence,
    rolling_ip,
)

METHODS = ("ip", "ip-line", "ip-mean", "dp", "greedy", "random", "fcfs")


def plan_scenarios(instance: Instance, k: int, rng: np.random.Generator) -> np.ndarray:
    """``(k, M)`` planning scenarios of the sorting time of every line."""
    return instance.sorting.sample(rng, (k, instance.n_lines))


def sequence_instance(
    instance: Instance,
    layout: Layout,
    method: str,
    rng: np.random.Generator | None = None,
    *,
    n_plan: int = 8,
    planning: np.ndarray | None = None,
    window_orders: int = 2,
    eps: float = 0.01,
    solver: str = "highs",
    time_limit: float | None = None,
    stats: RollingStats | None = None,
    travel_eps: float = 0.0,
) -> np.ndarray:
    """Retrieval sequence (global line indices) of an instance with one of :data:`METHODS`.

    Parameters
    ----------
    instance, layout
        The system.
    method
        One of :data:`METHODS`.
    rng
        Random generator for ``random`` and for the planning scenarios of ``ip``/``ip-line`` (default: seed 0).
    n_plan
        Number of planning scenarios.
    planning
        Explicit ``(K, M)`` planning scenarios (overrides ``n_plan``); columns are positions for ``ip``, lines
        for ``ip-line``.
    window_orders, eps, solver, time_limit
        Window length in orders, tie-break weight, MILP solver (``highs`` or ``cbc``), time limit per window (s).
    stats
        Receives per-window solve times of ``ip``/``ip-mean``.
    travel_eps
        Robot-travel tie-break weight of the IP objective (0 = the spec's objective).

    Raises
    ------
    InvalidProblemError
        If the instance does not fit the layout (two I/O points and a drug shared by consecutive orders).
    ValueError
        On an unknown method.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    instance.check_layout(layout)
    rng = rng if rng is not None else np.random.default_rng(0)
    arr = instance.to_arrays(layout)
    cyc = cycle_times(arr)
    if method == "fcfs":
        return fcfs_sequence(arr)
    if method == "random":
        return random_sequence(arr, rng)
    if method == "greedy":
        return greedy_sequence(arr, cyc)
    if method == "dp":
        return dp_sequence(arr, cyc)
    if method == "ip-mean":
        scen = np.full((1, instance.n_lines), instance.sorting.mean)
    elif planning is not None:
        scen = np.atleast_2d(np.asarray(planning, dtype=float))
    else:
        scen = plan_scenarios(instance, n_plan, rng)
    by = "line" if method == "ip-line" else "position"
    return rolling_ip(
        arr, cyc, scen, window_orders, eps, solver, time_limit, stats, travel_eps=travel_eps, scenarios_by=by
    )
