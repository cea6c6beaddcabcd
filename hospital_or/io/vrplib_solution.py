"""Solutions in the VRPLIB ``.sol`` text form, extended for multi-trip AMRs and rejected requests.

::

    Route #1: 5 3 7 8 10
    Route #2: 13 17 18
    Route #3: 20 24
    Trips per AMR: 2 1
    Rejected: 42 43
    Cost 828.94

Each ``Route #k:`` line is one trip (depot excluded; a depot token at either end is tolerated and dropped). A token
that equals a node id is that node; otherwise an integer token is a node index in ``problem.node_ids`` order (0 =
depot, then requests, then stations). So Solomon customer numbers work as they are, and E-VRPTW routes (ids such as
``C12``, ``S3``) can be written either way.

``Trips per AMR: 2 1`` regroups the routes, in order, into AMRs (here AMR 1 runs routes 1-2, AMR 2 runs route 3);
without it each route is one AMR. ``Rejected:`` lists requests deliberately not served. ``Cost`` (or ``Cost:``) is
read and checked to be a number but not used (the checker recomputes costs). Other ``Key: value`` lines (the
metadata :func:`vrplib.write_solution` writes) are ignored. Anything else raises :class:`InstanceFormatError` with
file and line. Trip start times (``Trip.earliest_start``) are not part of this format; use the JSON solution form.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from hospital_or.exceptions import InstanceFormatError
from hospital_or.io._common import parse_float, parse_int, read_text, shorten, split_lines
from hospital_or.problem import Problem
from hospital_or.solution import AMRPlan, Solution, Trip

_ROUTE = re.compile(r"Route\s*#\s*(\S+?)\s*:(.*)", re.IGNORECASE)
_COST = re.compile(r"Cost\s*:?\s*(\S*)\s*", re.IGNORECASE)
_TRIPS = re.compile(r"Trips\s+per\s+AMR\s*:(.*)", re.IGNORECASE)
_REJECTED = re.compile(r"Rejected\s*:(.*)", re.IGNORECASE)
_META = re.compile(r"[A-Za-z][A-Za-z0-9 _-]*:\s*\S.*")
_SAFE_TOKEN = re.compile(r"[^\s#:]+")


def read_vrplib_solution(path: str | Path, problem: Problem) -> Solution:
    """Read a ``.sol`` file for ``problem``.

    Parameters
    ----------
    path
        The solution file.
    problem
        The problem the routes refer to (resolves tokens to node ids).

    Returns
    -------
    Solution
        One AMR per route, or grouped by the ``Trips per AMR`` line. Visits are not checked for feasibility or
        duplicates (that is the checker's job), only resolved to node ids.

    Raises
    ------
    InstanceFormatError
        Malformed lines, unknown node tokens, an inconsistent ``Trips per AMR`` line.
    """
    return parse_vrplib_solution(read_text(path), problem, path)


def parse_vrplib_solution(text: str, problem: Problem, path: str | Path = "<string>") -> Solution:
    """Parse the text of a ``.sol`` file (``path`` labels the messages)."""
    index = problem.node_index
    ids = problem.node_ids
    depot = problem.depot.id

    def resolve(token: str, line_no: int) -> str:
        if token in index:
            return token
        if token.isascii() and token.isdigit() and len(token) < 12 and int(token) < len(ids):
            return ids[int(token)]
        raise InstanceFormatError(path, line_no, f"unknown node {shorten(token)!r} (not a node id or index)")

    routes: list[tuple[str, ...]] = []
    numbers: dict[int, int] = {}
    trips_per_amr: list[int] | None = None
    trips_line = 0
    rejected: list[str] = []
    seen_cost = False
    for line_no, raw in enumerate(split_lines(text), start=1):
        line = raw.strip()
        if not line:
            continue
        if match := _ROUTE.fullmatch(line):
            number = parse_int(match.group(1), path, line_no, "route number", minimum=0)
            if number in numbers:
                raise InstanceFormatError(path, line_no, f"route #{number} repeats line {numbers[number]}")
            numbers[number] = line_no
            visits = [resolve(t, line_no) for t in match.group(2).split()]
            while visits and visits[0] == depot:
                visits.pop(0)
            while visits and visits[-1] == depot:
                visits.pop()
            if depot in visits:
                raise InstanceFormatError(
                    path, line_no, "the depot inside a route: write one route per trip and a 'Trips per AMR' line"
                )
            if not visits:
                raise InstanceFormatError(path, line_no, f"route #{number} is empty")
            routes.append(tuple(visits))
        elif match := _TRIPS.fullmatch(line):
            if trips_per_amr is not None:
                raise InstanceFormatError(path, line_no, f"second 'Trips per AMR' line (first on line {trips_line})")
            tokens = match.group(1).split()
            if not tokens:
                raise InstanceFormatError(path, line_no, "'Trips per AMR' lists no numbers")
            trips_per_amr = [parse_int(t, path, line_no, "trips per AMR", minimum=1) for t in tokens]
            trips_line = line_no
        elif match := _REJECTED.fullmatch(line):
            for token in match.group(1).split():
                node = resolve(token, line_no)
                if not 1 <= index[node] <= problem.n_requests:
                    raise InstanceFormatError(path, line_no, f"rejected node {node!r} is not a request")
                rejected.append(node)
        elif match := _COST.fullmatch(line):
            if seen_cost:
                raise InstanceFormatError(path, line_no, "second 'Cost' line")
            seen_cost = True
            parse_float(match.group(1), path, line_no, "Cost")
        elif _META.fullmatch(line):
            continue
        else:
            raise InstanceFormatError(
                path, line_no, f"expected 'Route #k: ...', 'Cost X' or 'Key: value', got {shorten(line)!r}"
            )
    if trips_per_amr is None:
        return Solution.from_routes(routes, rejected)
    if sum(trips_per_amr) != len(routes):
        raise InstanceFormatError(
            path,
            trips_line,
            f"'Trips per AMR' adds up to {sum(trips_per_amr)} trips but the file has {len(routes)} routes",
        )
    amrs = []
    start = 0
    for count in trips_per_amr:
        amrs.append(AMRPlan(tuple(Trip(r) for r in routes[start : start + count])))
        start += count
    return Solution(tuple(amrs), tuple(rejected))


def write_vrplib_solution(
    path: str | Path,
    problem: Problem,
    solution: Solution,
    cost: float | None = None,
    tokens: str = "auto",
) -> None:
    """Write ``solution`` as a ``.sol`` file.

    Parameters
    ----------
    path
        Output file.
    problem
        The problem (node ids and indices).
    solution
        One ``Route #k`` line per non-empty trip; a ``Trips per AMR`` line when some AMR runs more than one trip;
        a ``Rejected`` line when requests are rejected.
    cost
        Written as ``Cost X`` (Python's shortest float repr) when given.
    tokens
        ``"ids"`` (node ids), ``"indices"`` (node indices) or ``"auto"`` (ids when every id is a single token
        without ``#`` or ``:``, indices otherwise).

    Raises
    ------
    ValueError
        Ids that cannot be written unambiguously, an unknown ``tokens`` mode, or visits that are not nodes of
        ``problem``.
    """
    Path(path).write_text(format_vrplib_solution(problem, solution, cost, tokens), encoding="utf-8", newline="\n")


def format_vrplib_solution(
    problem: Problem, solution: Solution, cost: float | None = None, tokens: str = "auto"
) -> str:
    """The text :func:`write_vrplib_solution` writes."""
    ids = problem.node_ids
    index = problem.node_index
    safe = all(_SAFE_TOKEN.fullmatch(node) for node in ids)
    if tokens == "auto":
        tokens = "ids" if safe else "indices"
    if tokens == "ids":
        if not safe:
            raise ValueError("some node ids contain whitespace, '#' or ':'; write with tokens='indices'")
    elif tokens == "indices":
        for k, node in enumerate(ids):
            if str(k) in index and index[str(k)] != k:
                raise ValueError(f"index {k} of node {node!r} is also the id of another node: use tokens='ids'")
    else:
        raise ValueError(f"tokens must be 'auto', 'ids' or 'indices', got {tokens!r}")

    def token(node: str) -> str:
        if node not in index:
            raise ValueError(f"{node!r} is not a node of {problem.name}")
        return node if tokens == "ids" else str(index[node])

    lines = []
    per_amr = []
    for amr in solution.amrs:
        trips = [t for t in amr.trips if t.visits]
        if not trips:
            continue
        per_amr.append(len(trips))
        for trip in trips:
            lines.append(f"Route #{len(lines) + 1}: " + " ".join(token(v) for v in trip.visits))
    if any(k > 1 for k in per_amr):
        lines.append("Trips per AMR: " + " ".join(str(k) for k in per_amr))
    if solution.rejected:
        lines.append("Rejected: " + " ".join(token(r) for r in solution.rejected))
    if cost is not None:
        value = float(cost)
        if not math.isfinite(value):
            raise ValueError(f"cost must be finite, got {cost}")
        lines.append(f"Cost {_cost_text(value)}")
    return "\n".join(lines) + "\n"


def _cost_text(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
