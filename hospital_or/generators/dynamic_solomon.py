"""Dynamic Solomon instances by OUR convention (``shared/instances/lackner/README.md``, "Generator specification").

This is **not** Lackner's (2004) rule, which could not be obtained; do not report results from these instances as
results "on the Lackner instances".

The rule, for a Solomon problem with depot 0, customers in ascending order, ready times ``e_i``, due times ``l_i``,
travel time ``t_0i`` from the depot (Euclidean distance for Solomon files) and a degree of dynamism ``dod``:

1. Eligible customers ``E = {i : e_i > 0}`` (a customer with ``e_i = 0`` must be servable from time 0: static).
2. ``k = round(dod * |E|)`` (Python's ``round``, i.e. ties to even) customers are drawn uniformly without
   replacement from ``E`` (in ascending customer order) with ``random.Random(seed)``, a fresh generator per
   (instance, dod, seed) call: ``rng.sample(E, k)``.
3. For each dynamic customer in ascending customer order, ``U = rng.random()`` from the same generator and
   ``r_i = floor(U * min(e_i, max(0, l_i - t_0i)))``. Static customers get ``r_i = 0``.
4. The result carries dod, ``k``, the realised share ``k / n`` and ``edod = (1/n) sum_i r_i / T`` in its name and
   ``source``; :func:`hospital_or.io.write_instance` writes it as a Solomon file with the 8th column ``AVAIL. TIME``.

Determinism uses the standard-library Mersenne Twister as the README prescribes (not numpy), so the same
(instance, dod, seed) gives the same reveal times on every platform and Python version >= 3.2.
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass

from hospital_or.problem import Problem

__all__ = ["DynamicSolomonStats", "dynamic_solomon_stats", "make_dynamic_solomon"]


@dataclass(frozen=True)
class DynamicSolomonStats:
    """Dynamism figures of a problem with reveal times."""

    n: int  # customers
    eligible: int  # |E|: customers with a positive ready time
    dynamic: int  # customers with a positive reveal time
    share: float  # dynamic / n (realised degree of dynamism)
    edod: float  # effective degree of dynamism (Larsen 2000)


def _customer_order(problem: Problem) -> list[int]:
    """Request positions (0-based) in ascending customer order (numeric ids when all are numeric)."""
    ids = [r.id for r in problem.requests]
    if all(i.strip().isdigit() for i in ids):
        return sorted(range(len(ids)), key=lambda k: (int(ids[k]), k))
    return list(range(len(ids)))


def dynamic_solomon_stats(problem: Problem) -> DynamicSolomonStats:
    """Degree of dynamism figures (``share`` counts reveal times > 0; ``edod`` uses the depot horizon)."""
    n = problem.n_requests
    horizon = problem.depot.horizon
    dynamic = sum(1 for r in problem.requests if r.reveal > 0)
    eligible = sum(1 for r in problem.requests if r.ready > 0)
    edod = sum(r.reveal for r in problem.requests) / (n * horizon) if n and horizon > 0 else 0.0
    return DynamicSolomonStats(n, eligible, dynamic, dynamic / n if n else 0.0, edod)


def make_dynamic_solomon(problem: Problem, dod: float, seed: int) -> Problem:
    """Make a Solomon problem dynamic by our reproducible convention (see the module docstring).

    Parameters
    ----------
    problem
        A (static or dynamic) Solomon-type problem; existing reveal times are replaced.
    dod
        Degree of dynamism in [0, 1], the share of *eligible* customers (``e_i > 0``) that become dynamic.
    seed
        Integer seed of ``random.Random``.

    Returns
    -------
    Problem
        The same problem with reveal times; its name gets the suffix ``-dod{dod}-s{seed}`` and ``source`` records
        dod, k, the realised share, edod and the seed.

    Raises
    ------
    ValueError
        If ``dod`` is outside [0, 1] or ``seed`` is not an integer.
    """
    if not 0.0 <= dod <= 1.0:
        raise ValueError(f"dod must be in [0, 1], got {dod}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    rng = random.Random(seed)
    order = _customer_order(problem)
    t0 = problem.travel_time_matrix[0]
    eligible = [k for k in order if problem.requests[k].ready > 0]
    k_dynamic = round(dod * len(eligible))
    chosen = set(rng.sample(eligible, k_dynamic))
    reveal = [0.0] * problem.n_requests
    for k in order:
        if k not in chosen:
            continue
        r = problem.requests[k]
        cap = min(r.ready, max(0.0, r.due - float(t0[k + 1])))
        reveal[k] = float(math.floor(rng.random() * cap))
    requests = tuple(dataclasses.replace(r, reveal=reveal[k]) for k, r in enumerate(problem.requests))
    n = problem.n_requests
    horizon = problem.depot.horizon
    edod = sum(reveal) / (n * horizon) if n and horizon > 0 else 0.0
    base = problem.name
    source = (
        f"make_dynamic_solomon({base}, dod={dod:g}, seed={seed}): k={k_dynamic} of |E|={len(eligible)} eligible, "
        f"share={k_dynamic / n if n else 0.0:.2f}, edod={edod:.4f} (our convention, shared/instances/lackner)"
    )
    return problem.replace(name=f"{base}-dod{dod:g}-s{seed}", requests=requests, source=source)
