"""A solver-independent linear model (variables, rows, objective) that the back-ends translate.

The routing models are formulated once into a :class:`LinearModel`; :mod:`solvers.mip.backends` hands it to PuLP
(CBC or HiGHS) or to OR-Tools (SCIP through the linear-solver API).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Variable:
    """One column: bounds and integrality."""

    name: str
    lb: float
    ub: float
    integer: bool = False


@dataclass
class Row:
    """One constraint ``lb <= sum(coef * x) <= ub`` (use ``-inf``/``inf`` for one-sided rows)."""

    name: str
    coefs: dict[int, float]
    lb: float
    ub: float


@dataclass
class LinearModel:
    """A minimisation MIP: columns, rows, a linear objective with a constant."""

    variables: list[Variable] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    objective: dict[int, float] = field(default_factory=dict)
    objective_constant: float = 0.0

    def add_var(self, name: str, lb: float, ub: float, integer: bool = False, cost: float = 0.0) -> int:
        """Add a column and return its index."""
        self.variables.append(Variable(name, float(lb), float(ub), integer))
        index = len(self.variables) - 1
        if cost:
            self.objective[index] = float(cost)
        return index

    def add_row(self, name: str, coefs: dict[int, float], lb: float = -float("inf"), ub: float = float("inf")) -> None:
        """Add a row ``lb <= coefs . x <= ub`` (zero coefficients are dropped)."""
        clean = {int(k): float(v) for k, v in coefs.items() if v != 0.0}
        if any(not math.isfinite(v) for v in clean.values()) or math.isnan(lb) or math.isnan(ub):
            raise ValueError(f"row {name}: coefficients and bounds must be numbers")
        self.rows.append(Row(name, clean, float(lb), float(ub)))

    @property
    def n_integer(self) -> int:
        """Number of integer columns."""
        return sum(1 for v in self.variables if v.integer)

    def objective_value(self, values: list[float]) -> float:
        """Objective of a column vector."""
        return self.objective_constant + sum(c * values[i] for i, c in self.objective.items())
