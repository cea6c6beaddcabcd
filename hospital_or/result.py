"""What :func:`hospital_or.solve.solve` returns: the best solution, the search statistics and provenance."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hospital_or.solution import Solution

#: Columns of :class:`Statistics`, in CSV order (booleans are written as 0/1).
STAT_FIELDS = (
    "iteration",
    "runtime",
    "current_cost",
    "current_feasible",
    "candidate_cost",
    "candidate_feasible",
    "best_cost",
    "best_feasible",
    "vehicles",
    "w_capacity",
    "w_time",
    "w_battery",
)
_BOOL_FIELDS = {"current_feasible", "candidate_feasible", "best_feasible"}
_INT_FIELDS = {"iteration", "vehicles"}


@dataclass
class Statistics:
    """Per-iteration search history: current, candidate and best cost with their feasibility, and the weights.

    Costs are penalised costs ``F`` under the weights of that iteration, except ``best_cost``, the true cost of the
    best feasible plan so far (``inf`` while there is none).
    """

    data: dict[str, list] = field(default_factory=lambda: {k: [] for k in STAT_FIELDS})

    def __len__(self) -> int:
        return len(self.data["iteration"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Statistics):
            return NotImplemented
        keys = [k for k in STAT_FIELDS if k != "runtime"]
        return all(self.data[k] == other.data[k] for k in keys)

    @classmethod
    def from_history(cls, history: dict[str, list]) -> Statistics:
        """Wrap the history dict of :func:`solvers.vns.vns`."""
        data = {k: list(history.get(k, [])) for k in STAT_FIELDS}
        return cls(data)

    def to_csv(self, path: str | Path) -> None:
        """Write one row per iteration (header = :data:`STAT_FIELDS`)."""
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(STAT_FIELDS)
            for i in range(len(self)):
                row = []
                for k in STAT_FIELDS:
                    v = self.data[k][i]
                    row.append(int(v) if k in _BOOL_FIELDS else v)
                writer.writerow(row)

    @classmethod
    def from_csv(cls, path: str | Path) -> Statistics:
        """Read a file written by :meth:`to_csv`."""
        data: dict[str, list] = {k: [] for k in STAT_FIELDS}
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for k in STAT_FIELDS:
                    v = row[k]
                    if k in _BOOL_FIELDS:
                        data[k].append(bool(int(v)))
                    elif k in _INT_FIELDS:
                        data[k].append(int(v))
                    else:
                        data[k].append(float(v))
        return cls(data)

    def to_frame(self):
        """The statistics as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.data)


@dataclass
class Result:
    """The outcome of a solver run.

    Attributes
    ----------
    best
        The best feasible solution found, or ``None``.
    stats
        Per-iteration :class:`Statistics`.
    num_iterations
        Iterations run.
    runtime
        Wall time in seconds.
    seed, algorithm, params, version
        Provenance: the seed, the algorithm name, the parameters used (a dict) and the package version.
    cost, distance, vehicles, trips
        Of the best solution as the solver evaluated it (``inf``/0 without a solution); the independent checker
        recomputes them (:func:`hospital_or.checker.check`).
    moves
        Local-search moves applied in total.
    """

    best: Solution | None
    stats: Statistics
    num_iterations: int
    runtime: float
    seed: int
    algorithm: str
    params: dict[str, Any]
    version: str
    cost: float = math.inf
    distance: float = 0.0
    vehicles: int = 0
    trips: int = 0
    moves: int = 0

    def is_feasible(self) -> bool:
        """True when a feasible solution was found."""
        return self.best is not None

    def summary(self) -> str:
        """A short human-readable report (``INFEASIBLE`` instead of a cost when there is no solution)."""
        cost = f"{self.cost:.2f}" if self.best is not None else "INFEASIBLE"
        lines = [
            "Solution results",
            "================",
            f"    # AMRs: {self.vehicles}",
            f"   # trips: {self.trips}",
            f"  distance: {self.distance:.2f}",
            f"      cost: {cost}",
            f"# iterations: {self.num_iterations}",
            f"  run-time: {self.runtime:.2f} seconds",
            f"      seed: {self.seed}",
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()
