"""Experiment grids: instances x strategies (plan + policy) x parameters, each cell replicated R times.

A grid is a TOML file::

    name = "example"
    seed = 2026              # base seed of the whole grid
    replications = 20        # per cell

    [[instances]]
    name = "day60"
    synthetic = { n_requests = 60, n_amrs = 6, seed = 1, floors = 3 }   # hospital_or.simulation.synthetic_day

    [[instances]]
    name = "C101"
    path = "shared:solomon/C101.txt"   # "shared:" = the benchmark folder; other paths are relative to the TOML

    [[strategies]]
    name = "nn-static"
    plan = "nearest-neighbour"         # or "one-trip-per-request", "vns", "vns:<iterations>" (VNS solver, default
                                       # 100 iterations, seed 1), or a solution file (relative to the TOML)
    policy = "static"                  # a registered policy name or "package.module:ClassName"
    known_only = false                 # plan only the requests known at the start (others go to the policy)
    parameters = { beta = 0.8 }        # optional: parameters of this strategy only (single values)

    [parameters]                       # every combination is one parameter set (lists; scalars are one value)
    cv_travel = [0.1, 0.3]
    chargers_per_station = [1, 2]

Parameters: ``cv_travel``, ``cv_service``, ``beta`` (stochastic model), ``max_vehicles`` (fleet size),
``chargers_per_station``, ``elevator_cars`` (simulation resources; 0 = unlimited) and ``n_amrs`` (AMRs simulated).

Seeds: a cell's seed depends on the grid seed, the instance and the parameter set, **not** on the strategy, so
every strategy of the same instance and parameters is simulated with the same random numbers (common random
numbers across strategies).
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from hospital_or.paths import shared_instances_dir
from hospital_or.problem import Problem, StochasticModel
from hospital_or.simulation.model import SimulationConfig
from hospital_or.simulation.policy import make_policy
from hospital_or.simulation.scenarios import nearest_neighbour_plan, one_trip_per_request, synthetic_day
from hospital_or.solution import Solution

__all__ = [
    "PARAMETERS",
    "PLAN_BUILDERS",
    "CellSpec",
    "GridError",
    "GridSpec",
    "InstanceSpec",
    "StrategySpec",
    "apply_parameters",
    "build_plan",
    "load_grid",
    "parse_grid",
    "vns_plan",
]

#: Parameters a grid may vary, with their types.
PARAMETERS: dict[str, type] = {
    "cv_travel": float,
    "cv_service": float,
    "beta": float,
    "max_vehicles": int,
    "chargers_per_station": int,
    "elevator_cars": int,
    "n_amrs": int,
}

#: Plan constructors usable as ``plan = "<name>"``.
PLAN_BUILDERS = {
    "nearest-neighbour": nearest_neighbour_plan,
    "one-trip-per-request": one_trip_per_request,
}

_SYNTHETIC_KEYS = {
    "n_requests",
    "n_amrs",
    "seed",
    "floors",
    "n_stations",
    "cv_travel",
    "cv_service",
    "dynamism",
    "battery",
}


class GridError(ValueError):
    """A grid file is malformed (the message names the entry)."""


@dataclass(frozen=True)
class InstanceSpec:
    """Where a grid instance comes from: a file (``path``, absolute) or ``synthetic_day`` arguments."""

    name: str
    path: str | None = None
    synthetic: tuple[tuple[str, Any], ...] | None = None

    def load(self) -> Problem:
        """Build / read the problem (cached per process)."""
        return _load_instance(self)


@dataclass(frozen=True)
class StrategySpec:
    """A plan source and a policy.

    ``known_only`` plans only the requests known at the start of the day; ``parameters`` (same names as the grid
    parameters, one value each) apply to this strategy only, on top of the cell's parameter set -- e.g. the
    ``beta`` a VNS plans for.
    """

    name: str
    plan: str
    policy: str = "static"
    known_only: bool = False
    parameters: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class CellSpec:
    """One cell of the grid: everything a worker needs to run it (picklable, no open files)."""

    cell_id: str
    instance: InstanceSpec
    strategy: StrategySpec
    parameters: tuple[tuple[str, Any], ...]
    parameter_set: int
    seed: int
    replications: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (for the manifest)."""
        out = asdict(self)
        out["parameters"] = dict(self.parameters)
        if self.instance.synthetic is not None:
            out["instance"]["synthetic"] = dict(self.instance.synthetic)
        return out


@dataclass(frozen=True)
class GridSpec:
    """A resolved grid (see the module docstring)."""

    name: str
    seed: int
    replications: int
    instances: tuple[InstanceSpec, ...]
    strategies: tuple[StrategySpec, ...]
    parameters: dict[str, tuple] = field(default_factory=dict)

    def parameter_sets(self) -> list[dict[str, Any]]:
        """Every combination of the parameter values (sorted keys; one empty set when nothing varies)."""
        keys = sorted(self.parameters)
        return [
            dict(zip(keys, values, strict=True)) for values in itertools.product(*(self.parameters[k] for k in keys))
        ]

    def cells(self) -> list[CellSpec]:
        """All cells, instance-major, then parameter set, then strategy."""
        out = []
        for i, inst in enumerate(self.instances):
            for p, params in enumerate(self.parameter_sets()):
                seed = int(np.random.SeedSequence([self.seed, i, p]).generate_state(1, np.uint64)[0] >> np.uint64(1))
                for strat in self.strategies:
                    cell_id = _slug(f"{inst.name}__{strat.name}__p{p:03d}")
                    out.append(
                        CellSpec(cell_id, inst, strat, tuple(sorted(params.items())), p, seed, self.replications)
                    )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready resolved grid."""
        return {
            "name": self.name,
            "seed": self.seed,
            "replications": self.replications,
            "instances": [
                {"name": i.name, "path": i.path, "synthetic": dict(i.synthetic) if i.synthetic else None}
                for i in self.instances
            ],
            "strategies": [{**asdict(s), "parameters": dict(s.parameters)} for s in self.strategies],
            "parameters": {k: list(v) for k, v in self.parameters.items()},
        }


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text)


def load_grid(path: str | Path) -> GridSpec:
    """Read and validate a grid TOML file (relative paths are resolved against its folder).

    Raises
    ------
    GridError
        For unknown keys, policies, plans or parameters, or missing entries (the message names them).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise GridError(f"{path}: invalid TOML: {exc}") from None
    return parse_grid(data, base=path.resolve().parent, label=str(path))


def parse_grid(data: dict[str, Any], base: Path | None = None, label: str = "<grid>") -> GridSpec:
    """Validate a grid given as a dict (the parsed TOML); see :func:`load_grid`."""
    base = base or Path.cwd()
    unknown = set(data) - {"name", "seed", "replications", "instances", "strategies", "parameters"}
    if unknown:
        raise GridError(f"{label}: unknown top-level keys {sorted(unknown)}")
    for key in ("seed", "replications", "instances", "strategies"):
        if key not in data:
            raise GridError(f"{label}: missing {key!r}")
    seed, reps = data["seed"], data["replications"]
    if not isinstance(seed, int) or seed < 0 or not isinstance(reps, int) or reps < 1:
        raise GridError(f"{label}: seed must be an integer >= 0 and replications an integer >= 1")
    instances = []
    for k, entry in enumerate(data["instances"]):
        name = str(entry.get("name", f"instance{k}"))
        if ("path" in entry) == ("synthetic" in entry):
            raise GridError(f"{label}: instance {name!r} needs exactly one of 'path' or 'synthetic'")
        if "path" in entry:
            instances.append(InstanceSpec(name, path=_resolve(str(entry["path"]), base)))
        else:
            syn = dict(entry["synthetic"])
            bad = set(syn) - _SYNTHETIC_KEYS
            if bad:
                raise GridError(f"{label}: instance {name!r}: unknown synthetic keys {sorted(bad)}")
            instances.append(InstanceSpec(name, synthetic=tuple(sorted(syn.items()))))
    strategies = []
    for k, entry in enumerate(data["strategies"]):
        name = str(entry.get("name", f"strategy{k}"))
        policy = str(entry.get("policy", "static"))
        try:
            make_policy(policy)
        except (ValueError, TypeError) as exc:
            raise GridError(f"{label}: strategy {name!r}: {exc}") from None
        plan = str(entry.get("plan", "nearest-neighbour"))
        if plan.startswith("vns:") and not plan[4:].isdigit():
            raise GridError(f"{label}: strategy {name!r}: plan {plan!r}: write vns:<iterations>")
        if _builder(plan) is None:
            plan = _resolve(plan, base)
        own = {}
        for key, value in dict(entry.get("parameters", {})).items():
            if key not in PARAMETERS or isinstance(value, list):
                known = sorted(PARAMETERS)
                raise GridError(f"{label}: strategy {name!r}: parameter {key!r} must be one of {known}, one value")
            own[key] = PARAMETERS[key](value)
        unknown = set(entry) - {"name", "plan", "policy", "known_only", "parameters"}
        if unknown:
            raise GridError(f"{label}: strategy {name!r}: unknown keys {sorted(unknown)}")
        strategies.append(
            StrategySpec(name, plan, policy, bool(entry.get("known_only", False)), tuple(sorted(own.items())))
        )
    if len({s.name for s in strategies}) != len(strategies) or len({i.name for i in instances}) != len(instances):
        raise GridError(f"{label}: instance and strategy names must be unique")
    parameters = {}
    for key, values in dict(data.get("parameters", {})).items():
        if key not in PARAMETERS:
            raise GridError(f"{label}: unknown parameter {key!r}; known: {sorted(PARAMETERS)}")
        values = values if isinstance(values, list) else [values]
        if not values:
            raise GridError(f"{label}: parameter {key!r} has no values")
        parameters[key] = tuple(PARAMETERS[key](v) for v in values)
    return GridSpec(str(data.get("name", "grid")), seed, reps, tuple(instances), tuple(strategies), parameters)


def _resolve(path: str, base: Path) -> str:
    if path.startswith("shared:"):
        return str(shared_instances_dir() / path[len("shared:") :])
    p = Path(path)
    return str(p if p.is_absolute() else (base / p).resolve())


@lru_cache(maxsize=16)
def _load_instance(spec: InstanceSpec) -> Problem:
    if spec.path is not None:
        from hospital_or.io import read_instance

        return read_instance(spec.path)
    args = dict(spec.synthetic or ())
    seed = int(args.pop("seed", 0))
    return synthetic_day(rng=np.random.default_rng(seed), name=spec.name, **args)


def apply_parameters(problem: Problem, parameters: dict[str, Any]) -> tuple[Problem, SimulationConfig]:
    """The problem and simulation options of one parameter set (0 chargers/cars = unlimited)."""
    s = problem.stochastic
    stochastic = StochasticModel(
        cv_travel=parameters.get("cv_travel", s.cv_travel),
        cv_service=parameters.get("cv_service", s.cv_service),
        beta=parameters.get("beta", s.beta),
    )
    changes: dict[str, Any] = {}
    if stochastic != s:
        changes["stochastic"] = stochastic
    if "max_vehicles" in parameters:
        from dataclasses import replace

        changes["fleet"] = replace(problem.fleet, max_vehicles=parameters["max_vehicles"])
    if changes:
        problem = problem.replace(**changes)
    chargers = parameters.get("chargers_per_station", 1)
    cars = parameters.get("elevator_cars", 1)
    config = SimulationConfig(
        chargers_per_station=chargers or None,
        elevator_cars=cars or None,
        n_amrs=parameters.get("n_amrs"),
        record_log=False,
    )
    return problem, config


def vns_plan(problem: Problem, iterations: int = 100, seed: int = 1) -> Solution:
    """A plan from the VNS solver (:func:`hospital_or.solve.solve`, ``MaxIterations(iterations)``, fixed seed).

    Raises
    ------
    NoFeasibleSolutionError
        If the VNS finds no feasible plan.
    """
    from hospital_or.exceptions import NoFeasibleSolutionError
    from hospital_or.solve import solve
    from solvers.stop import MaxIterations

    result = solve(problem, MaxIterations(int(iterations)), seed=seed)
    if result.best is None:
        raise NoFeasibleSolutionError(f"{problem.name}: VNS found no feasible plan in {iterations} iterations")
    return result.best


def _builder(plan: str):
    """The plan constructor of a strategy's ``plan`` string, or ``None`` for a solution file."""
    if plan in PLAN_BUILDERS:
        return PLAN_BUILDERS[plan]
    name, _, arg = plan.partition(":")
    if name == "vns":
        iterations = int(arg) if arg else 100
        return lambda problem: vns_plan(problem, iterations)
    return None


def build_plan(problem: Problem, plan: str, known_only: bool = False) -> Solution:
    """The plan of a strategy: a builder (``"nearest-neighbour"``, ``"one-trip-per-request"``, ``"vns"`` or
    ``"vns:<iterations>"``) or a solution file.

    The problem passed in already carries the cell's parameters (e.g. ``beta``), so a VNS plan is optimised for
    them. With ``known_only`` a builder plans only the requests revealed at the start of the day; the others are
    left to the policy.
    """
    builder = _builder(plan)
    if builder is not None:
        if known_only:
            known = tuple(r for r in problem.requests if r.reveal <= problem.depot.ready)
            if not known:
                return Solution(())
            return builder(problem.replace(requests=known))
        return builder(problem)
    from hospital_or.io import read_solution

    return read_solution(plan, problem)
