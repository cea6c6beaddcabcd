"""Stopping criteria (PyVRP style): small callables ``criterion(best_cost) -> bool`` that say "stop now".

Criteria combine with :class:`MultipleCriteria` (stop when any says so). :class:`MaxRuntime` starts its clock on
the first call, so building it does not count; solvers call its ``start()`` before their construction phase so a
time limit bounds the whole run. Each criterion may also report ``fraction_done()`` (in [0, 1] or
``None`` when it cannot tell), which the simulated-annealing acceptance uses as its cooling schedule.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Protocol


class StoppingCriterion(Protocol):
    """Anything callable as ``criterion(best_cost) -> bool``."""

    def __call__(self, best_cost: float) -> bool: ...  # pragma: no cover


class MaxIterations:
    """Stop after ``max_iterations`` calls."""

    def __init__(self, max_iterations: int):
        if max_iterations < 0:
            raise ValueError("max_iterations < 0 not understood.")
        self.max_iterations = int(max_iterations)
        self._calls = 0

    def __call__(self, best_cost: float) -> bool:
        self._calls += 1
        return self._calls > self.max_iterations

    def fraction_done(self) -> float | None:
        """Share of the iterations used so far."""
        return min(1.0, self._calls / self.max_iterations) if self.max_iterations else 1.0


class MaxRuntime:
    """Stop once ``max_runtime`` seconds have passed since the first call."""

    def __init__(self, max_runtime: float):
        if max_runtime < 0:
            raise ValueError("max_runtime < 0 not understood.")
        self.max_runtime = float(max_runtime)
        self._start: float | None = None

    def start(self) -> None:
        """Start the clock now (solvers call this before their construction phase); later calls do nothing."""
        if self._start is None:
            self._start = time.perf_counter()

    def __call__(self, best_cost: float) -> bool:
        self.start()
        return time.perf_counter() - self._start >= self.max_runtime

    def fraction_done(self) -> float | None:
        """Share of the time budget used so far."""
        if self._start is None:
            return 0.0
        if self.max_runtime == 0:
            return 1.0
        return min(1.0, (time.perf_counter() - self._start) / self.max_runtime)


class NoImprovement:
    """Stop after ``max_iterations`` consecutive calls without a strictly better best cost."""

    def __init__(self, max_iterations: int):
        if max_iterations < 0:
            raise ValueError("max_iterations < 0 not understood.")
        self.max_iterations = int(max_iterations)
        self._best = math.inf
        self._since = 0

    def __call__(self, best_cost: float) -> bool:
        if best_cost < self._best:
            self._best = best_cost
            self._since = 0
        else:
            self._since += 1
        return self._since >= self.max_iterations

    def fraction_done(self) -> float | None:
        """Unknown in advance."""
        return None


class MultipleCriteria:
    """Stop as soon as any of the given criteria says so (all are called every time, to keep their state)."""

    def __init__(self, criteria: Sequence[StoppingCriterion]):
        if len(criteria) == 0:
            raise ValueError("List of criteria is empty.")
        self.criteria = list(criteria)

    def start(self) -> None:
        """Forward :meth:`MaxRuntime.start` to the criteria that have it."""
        for crit in self.criteria:
            begin = getattr(crit, "start", None)
            if begin is not None:
                begin()

    def __call__(self, best_cost: float) -> bool:
        stops = [crit(best_cost) for crit in self.criteria]
        return any(stops)

    def fraction_done(self) -> float | None:
        """The largest known fraction of the criteria (``None`` if no criterion knows)."""
        fractions = [
            f for c in self.criteria if (f := getattr(c, "fraction_done", lambda: None)()) is not None
        ]
        return max(fractions) if fractions else None


__all__ = ["MaxIterations", "MaxRuntime", "MultipleCriteria", "NoImprovement", "StoppingCriterion"]
