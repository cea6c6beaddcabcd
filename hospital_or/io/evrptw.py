"""Schneider, Stenger & Goeke (2014) E-VRPTW instance files.

Layout (``../shared/instances/evrptw/README.md``)::

    StringID   Type       x          y          demand     ReadyTime  DueDate    ServiceTime
    D0         d          40.0       50.0       0.0        0.0        1236.0     0.0
    S0         f          40.0       50.0       0.0        0.0        1236.0     0.0
    C1         c          45.0       68.0       10.0       78.0       140.0      90.0
    ...

    Q Vehicle fuel tank capacity /79.69/
    C Vehicle load capacity /200.0/
    r fuel consumption rate /1.0/
    g inverse refueling rate /3.39/
    v average Velocity /1.0/

Mapping: ``d`` row -> depot (``ready`` = ReadyTime, ``horizon`` = DueDate), ``f`` rows -> charging stations (their
windows are the depot's, the file's values are not kept; ``S0`` at the depot is kept as a station node), ``c`` rows
-> requests in file order; ids are the StringIDs. Q -> ``battery_capacity``, C -> ``capacity``,
r -> ``energy_per_distance``, g -> ``recharge_rate`` (time per energy unit), v -> ``speed``. The fleet has one AMR
per customer (no limit in the benchmark), one trip each, ``fixed_cost = 10000``, ``cost_per_distance = 1``,
``min_soc_fraction = 0`` and no charger at the depot.

:func:`write_evrptw` writes the same layout (byte-stable; what the format cannot hold is refused unless ``lossy``).
"""

from __future__ import annotations

import re
from pathlib import Path

from hospital_or.exceptions import InstanceFormatError
from hospital_or.io._common import build_problem, parse_float, read_text, shorten, split_lines
from hospital_or.problem import Depot, Fleet, Problem, Request, Station

EVRPTW_FIXED_COST = 10000.0
_PARAMETERS = {
    "Q": "battery capacity",
    "C": "load capacity",
    "r": "energy per distance",
    "g": "recharge rate",
    "v": "speed",
}
_PARAM_LINE = re.compile(r"(\S+)\s.*/([^/]*)/\s*")
_COLUMNS = ("StringID", "Type", "x", "y", "demand", "ReadyTime", "DueDate", "ServiceTime")


def read_evrptw(path: str | Path) -> Problem:
    """Read a Schneider E-VRPTW instance file.

    Parameters
    ----------
    path
        The text file.

    Returns
    -------
    Problem
        Depot ``D0``, stations ``S*`` (file order), requests ``C*`` (file order), ``source = str(path)``.

    Raises
    ------
    InstanceFormatError
        For malformed content or data the :class:`Problem` validation rejects (file, line and problem).
    """
    return parse_evrptw(read_text(path), path)


def parse_evrptw(text: str, path: str | Path = "<string>") -> Problem:
    """Parse the text of an E-VRPTW file (``path`` labels the messages and becomes ``Problem.source``)."""
    lines = split_lines(text)
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines):
        raise InstanceFormatError(path, None, "empty file")
    header = lines[i].split()
    if header != list(_COLUMNS):
        raise InstanceFormatError(
            path, i + 1, f"expected the header '{' '.join(_COLUMNS)}', got {shorten(lines[i].strip())!r}"
        )
    depot: Depot | None = None
    depot_line = 0
    stations: list[Station] = []
    requests: list[Request] = []
    line_of: dict[str, int] = {}
    params: dict[str, tuple[float, int]] = {}
    in_table = True
    for line_no, line in enumerate(lines[i + 1 :], start=i + 2):
        tokens = line.split()
        if not tokens:
            if line_of:
                in_table = False
            continue
        if in_table and len(tokens) == 8 and "/" not in line:
            node, kind = tokens[0], tokens[1]
            if node in line_of:
                raise InstanceFormatError(path, line_no, f"StringID {node!r} repeats line {line_of[node]}")
            x, y, demand, ready, due, service = (
                parse_float(t, path, line_no, f"{node} {col}") for t, col in zip(tokens[2:], _COLUMNS[2:], strict=True)
            )
            line_of[node] = line_no
            if kind == "d":
                if depot is not None:
                    raise InstanceFormatError(path, line_no, f"second depot {node!r} (first on line {depot_line})")
                depot, depot_line = Depot(id=node, x=x, y=y, ready=ready, horizon=due), line_no
            elif kind == "f":
                stations.append(Station(id=node, x=x, y=y))
            elif kind == "c":
                requests.append(Request(id=node, x=x, y=y, demand=demand, ready=ready, due=due, service=service))
            else:
                raise InstanceFormatError(
                    path, line_no, f"node {node!r}: type {shorten(kind)!r} is not d (depot), f (station) or c"
                )
            continue
        match = _PARAM_LINE.fullmatch(line.strip())
        if not match:
            what = "node row (8 values)" if in_table else "parameter line 'KEY text /value/'"
            raise InstanceFormatError(path, line_no, f"expected a {what}, got {shorten(line.strip())!r}")
        in_table = False
        key = match.group(1)
        if key not in _PARAMETERS:
            raise InstanceFormatError(
                path, line_no, f"unknown parameter {shorten(key)!r} (expected one of {', '.join(_PARAMETERS)})"
            )
        if key in params:
            raise InstanceFormatError(path, line_no, f"parameter {key} repeats line {params[key][1]}")
        params[key] = (parse_float(match.group(2).strip(), path, line_no, f"parameter {key}"), line_no)
    if depot is None:
        raise InstanceFormatError(path, None, "no depot row (type d)")
    missing = [k for k in _PARAMETERS if k not in params]
    if missing:
        raise InstanceFormatError(
            path, None, "missing parameter(s) " + ", ".join(f"{k} ({_PARAMETERS[k]})" for k in missing)
        )
    fleet = Fleet(
        capacity=params["C"][0],
        max_vehicles=max(1, len(requests)),
        max_trips=1,
        speed=params["v"][0],
        battery_capacity=params["Q"][0],
        energy_per_distance=params["r"][0],
        recharge_rate=params["g"][0],
        min_soc_fraction=0.0,
        fixed_cost=EVRPTW_FIXED_COST,
        cost_per_distance=1.0,
        depot_charging=False,
    )
    line_of.update(fleet=params["v"][1], battery=params["Q"][1], total=params["C"][1])
    if depot.id in line_of:
        line_of["depot"] = line_of[depot.id]
    name = Path(str(path)).stem
    return build_problem(
        lambda: Problem(name=name, depot=depot, requests=requests, stations=stations, fleet=fleet, source=str(path)),
        path,
        line_of,
    )


def write_evrptw(problem: Problem, path: str | Path, lossy: bool = False) -> None:
    """Write ``problem`` as an E-VRPTW text file (LF line endings, byte-stable).

    Stations get the depot's time window; numbers are written with Python's shortest round-trip ``repr``, so
    :func:`read_evrptw` gives back the same depot, requests, stations and battery parameters. A problem read by
    :func:`read_evrptw` round-trips exactly (apart from ``source``; ``name`` is the file's stem).

    Parameters
    ----------
    problem
        Node ids must be single tokens. A problem without battery is written with ``Q`` = 1e9 (unconstrained)
        only when ``lossy``.
    path
        Output file.
    lossy
        Allow dropping what the format cannot hold (see :func:`evrptw_losses`); otherwise that raises ``ValueError``.
    """
    Path(path).write_text(format_evrptw(problem, lossy=lossy), encoding="utf-8", newline="\n")


def format_evrptw(problem: Problem, lossy: bool = False) -> str:
    """The text :func:`write_evrptw` writes."""
    for node in problem.node_ids:
        if len(node.split()) != 1 or node != node.strip() or "/" in node:
            raise ValueError(f"{problem.name}: node id {node!r} is not a single token without '/'")
    lost = evrptw_losses(problem)
    if lost and not lossy:
        raise ValueError(f"{problem.name}: the E-VRPTW format cannot hold {', '.join(lost)} (use lossy=True)")
    d, f = problem.depot, problem.fleet
    rows = [[d.id, "d", d.x, d.y, 0.0, d.ready, d.horizon, 0.0]]
    rows += [[s.id, "f", s.x, s.y, 0.0, d.ready, d.horizon, 0.0] for s in problem.stations]
    rows += [[r.id, "c", r.x, r.y, r.demand, r.ready, r.due, r.service] for r in problem.requests]
    out = ["".join(f"{c:<11s}" for c in _COLUMNS)]
    for row in rows:
        out.append(" ".join(f"{_text(v):<10s}" for v in row).rstrip())
    battery = f.battery_capacity if f.has_battery else 1e9
    energy = f.energy_per_distance if f.has_battery else 0.0
    out += [
        "",
        f"Q Vehicle fuel tank capacity /{_text(battery)}/",
        f"C Vehicle load capacity /{_text(f.capacity)}/",
        f"r fuel consumption rate /{_text(energy)}/",
        f"g inverse refueling rate /{_text(f.recharge_rate)}/",
        f"v average Velocity /{_text(f.speed)}/",
    ]
    return "\n".join(out) + "\n"


def evrptw_losses(problem: Problem) -> list[str]:
    """What of ``problem`` an E-VRPTW file cannot represent (empty when the conversion is exact)."""
    f = problem.fleet
    lost = []
    if not f.has_battery:
        lost.append("an unlimited battery (written as Q = 1e9)")
    if f.max_vehicles != max(1, problem.n_requests):
        lost.append("the fleet size (readers assume one AMR per request)")
    if problem.elevator is not None or any(p.floor != 0 for p in (problem.depot, *problem.requests, *problem.stations)):
        lost.append("floors and the elevator")
    if problem.is_stochastic or problem.stochastic.cv_travel or problem.stochastic.cv_service:
        lost.append("the stochastic model")
    if any(r.priority != 3 for r in problem.requests):
        lost.append("priorities")
    if any(r.reveal > 0 for r in problem.requests):
        lost.append("reveal times")
    if problem.lateness_weights is not None:
        lost.append("soft time windows")
    if problem.rejection_costs is not None:
        lost.append("rejection costs")
    if f.max_trips != 1 or f.depot_turnaround or f.depot_charging or f.min_soc_fraction:
        lost.append("multi-trip/depot/min-SoC settings")
    if f.fixed_cost != EVRPTW_FIXED_COST or f.cost_per_distance != 1:
        lost.append("fleet costs")
    return lost


def _text(value: float | str) -> str:
    return value if isinstance(value, str) else repr(float(value))
