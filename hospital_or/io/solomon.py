"""Solomon VRPTW text files, with or without the 8th ``AVAIL. TIME`` (reveal time) column of dynamic instances.

Layout (``../shared/instances/solomon/README.md``)::

    C101

    VEHICLE
    NUMBER     CAPACITY
      25         200

    CUSTOMER
    CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME  [AVAIL. TIME]

        0      40         50          0          0       1236          0
        1      45         68         10        912        967         90
    ...

The first table row is the depot; its DUE DATE is the end of the horizon. The dynamic files of
``../shared/instances/dvrptw_necula/`` add an ``AVAIL. TIME`` column, read into :attr:`Request.reveal`.

Why not :func:`vrplib.read_instance`? It reads the seven standard columns correctly (the tests cross-check every
value on all 56 files) but silently drops the ``AVAIL. TIME`` column, and its errors carry no line numbers, whereas
every malformed file here must raise :class:`InstanceFormatError` naming file, line and problem. So this module parses
the text itself, line by line.

Conventions: depot id = its CUST NO. (``"0"`` in every benchmark file), request ids = CUST NO. as strings, fleet
``capacity`` and ``max_vehicles`` from the file, one trip per vehicle, speed 1 (travel time = Euclidean distance),
``fixed_cost = 10000`` and ``cost_per_distance = 1`` (hierarchical objective: vehicles first, then distance), no
battery, priority 3.
"""

from __future__ import annotations

import math
from pathlib import Path

from hospital_or.exceptions import InstanceFormatError
from hospital_or.io._common import build_problem, parse_float, parse_int, read_text, shorten, split_lines
from hospital_or.problem import Depot, Fleet, Problem, Request

#: Hierarchical objective of the benchmark literature: one vehicle costs more than any route set's distance.
SOLOMON_FIXED_COST = 10000.0

_HEADER_7 = "CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME"
_HEADER_8 = _HEADER_7 + "  AVAIL. TIME"


def read_solomon(path: str | Path) -> Problem:
    """Read a Solomon (or dynamic Solomon) VRPTW file.

    Parameters
    ----------
    path
        The text file (7 columns, or 8 with ``AVAIL. TIME``).

    Returns
    -------
    Problem
        Depot = first table row, requests = the other rows in file order, ``source = str(path)``.

    Raises
    ------
    InstanceFormatError
        For any malformed content or data the :class:`Problem` validation rejects; the message names the file, the
        line and the problem.
    """
    return parse_solomon(read_text(path), path)


def parse_solomon(text: str, path: str | Path = "<string>") -> Problem:
    """Parse the text of a Solomon file (``path`` labels the messages and becomes ``Problem.source``)."""
    lines = split_lines(text)
    cursor = _Cursor(lines, path)

    name_no, name = cursor.next_nonblank("the instance name")
    name = name.strip()
    if len(name.split()) != 1:
        raise InstanceFormatError(path, name_no, f"expected the instance name, got {shorten(name)!r}")
    cursor.expect_keyword("VEHICLE")
    head_no, head = cursor.next_nonblank("the 'NUMBER CAPACITY' header")
    if head.split()[:1] != ["NUMBER"]:
        raise InstanceFormatError(path, head_no, f"expected 'NUMBER CAPACITY', got {shorten(head.strip())!r}")
    fleet_no, fleet_line = cursor.next_nonblank("the vehicle number and capacity")
    tokens = fleet_line.split()
    if len(tokens) != 2:
        raise InstanceFormatError(path, fleet_no, f"expected two values (vehicle number, capacity), got {len(tokens)}")
    number = parse_int(tokens[0], path, fleet_no, "vehicle NUMBER", minimum=1)
    capacity = parse_float(tokens[1], path, fleet_no, "vehicle CAPACITY")
    cursor.expect_keyword("CUSTOMER")
    table_no, table_head = cursor.next_nonblank("the customer table header")
    if not table_head.strip().startswith("CUST NO."):
        raise InstanceFormatError(path, table_no, f"expected the 'CUST NO. ...' header, got {shorten(table_head)!r}")
    columns = 8 if "AVAIL" in table_head.upper() else 7

    rows: list[tuple[int, list[float], str]] = []
    seen: dict[str, int] = {}
    for line_no, line in cursor.rest():
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) != columns:
            extra = " (the header has no 'AVAIL. TIME' column)" if len(tokens) == 8 else ""
            raise InstanceFormatError(
                path, line_no, f"expected {columns} values per customer row, got {len(tokens)}{extra}"
            )
        cust = str(parse_int(tokens[0], path, line_no, "CUST NO.", minimum=0))
        if cust in seen:
            raise InstanceFormatError(path, line_no, f"CUST NO. {cust} repeats line {seen[cust]}")
        seen[cust] = line_no
        names = ("XCOORD.", "YCOORD.", "DEMAND", "READY TIME", "DUE DATE", "SERVICE TIME", "AVAIL. TIME")
        values = [parse_float(t, path, line_no, col) for t, col in zip(tokens[1:], names, strict=False)]
        rows.append((line_no, values, cust))
    if not rows:
        raise InstanceFormatError(path, None, "the customer table is empty (no depot row)")

    _, dv, depot_id = rows[0]
    depot = Depot(id=depot_id, x=dv[0], y=dv[1], ready=dv[3], horizon=dv[4])
    requests = []
    for _, v, cust in rows[1:]:
        reveal = v[6] if columns == 8 else 0.0
        requests.append(
            Request(id=cust, x=v[0], y=v[1], demand=v[2], ready=v[3], due=v[4], service=v[5], reveal=reveal)
        )
    fleet = Fleet(
        capacity=capacity,
        max_vehicles=number,
        max_trips=1,
        speed=1.0,
        fixed_cost=SOLOMON_FIXED_COST,
        cost_per_distance=1.0,
    )
    line_of = {cust: line_no for line_no, _, cust in rows[1:]}
    line_of.update(fleet=fleet_no, total=fleet_no, depot=rows[0][0])
    return build_problem(
        lambda: Problem(name=name, depot=depot, requests=requests, fleet=fleet, source=str(path)),
        path,
        line_of,
    )


def write_solomon(problem: Problem, path: str | Path, lossy: bool = False) -> None:
    """Write ``problem`` as a Solomon text file (LF line endings, byte-stable).

    The ``AVAIL. TIME`` column is written if and only if some request has ``reveal > 0``. Numbers with an integer
    value are written as integers, others with Python's shortest round-trip ``repr``.

    Parameters
    ----------
    problem
        Depot and request ids should be non-negative integers (as strings) so that they fit the CUST NO. column.
    path
        Output file.
    lossy
        Solomon files cannot hold stations, batteries, floors, the stochastic model, priorities, soft windows,
        rejection costs, multi-trip fleets or costs. With ``lossy=False`` (default) such content raises
        ``ValueError`` naming what would be lost (see :func:`solomon_losses`); with ``lossy=True`` it is dropped and
        non-integer ids are renumbered (depot 0, requests 1..n in order).

    Raises
    ------
    ValueError
        Content the format cannot hold, unless ``lossy``.
    """
    Path(path).write_text(format_solomon(problem, lossy=lossy), encoding="utf-8", newline="\n")


def format_solomon(problem: Problem, lossy: bool = False) -> str:
    """The text :func:`write_solomon` writes."""
    lost = solomon_losses(problem)
    if lost and not lossy:
        raise ValueError(
            f"{problem.name}: the Solomon format cannot hold {', '.join(lost)} (use lossy=True to drop them)"
        )
    if _integer_ids(problem):
        numbers = list(problem.node_ids[: 1 + problem.n_requests])
    else:  # lossy: renumber depot 0, requests 1..n in order
        numbers = [str(k) for k in range(1 + problem.n_requests)]
    dynamic = any(r.reveal > 0 for r in problem.requests)
    d = problem.depot
    rows = [[numbers[0], d.x, d.y, 0, d.ready, d.horizon, 0] + ([0] if dynamic else [])]
    for k, r in enumerate(problem.requests, start=1):
        rows.append([numbers[k], r.x, r.y, r.demand, r.ready, r.due, r.service] + ([r.reveal] if dynamic else []))
    out = [
        problem.name.split()[0] if problem.name.split() else "unnamed",
        "",
        "VEHICLE",
        "NUMBER     CAPACITY",
        f"{problem.fleet.max_vehicles:>5d} {_num(problem.fleet.capacity):>12s}",
        "",
        "CUSTOMER",
        _HEADER_8 if dynamic else _HEADER_7,
        "",
    ]
    widths = [5, 11, 11, 11, 11, 11, 11, 11]
    for row in rows:
        out.append("".join(f" {_num(v):>{w - 1}s}" for v, w in zip(row, widths, strict=False)))
    return "\n".join(out) + "\n"


def solomon_losses(problem: Problem) -> list[str]:
    """What of ``problem`` a Solomon file cannot represent (empty when the conversion is exact)."""
    f = problem.fleet
    lost = []
    if not _integer_ids(problem):
        lost.append("node ids that are not integers (they are renumbered 0..n)")
    if problem.name.split() != [problem.name]:
        lost.append("a name that is not one word (its first word is kept)")
    if problem.stations:
        lost.append(f"{problem.n_stations} charging stations")
    if f.has_battery:
        lost.append("the battery")
    if problem.elevator is not None or any(p.floor != 0 for p in (problem.depot, *problem.requests)):
        lost.append("floors and the elevator")
    if problem.is_stochastic or problem.stochastic.cv_travel or problem.stochastic.cv_service:
        lost.append("the stochastic model")
    if any(r.priority != 3 for r in problem.requests):
        lost.append("priorities")
    if problem.lateness_weights is not None:
        lost.append("soft time windows")
    if problem.rejection_costs is not None:
        lost.append("rejection costs")
    if f.max_trips != 1 or f.speed != 1 or f.depot_turnaround or f.depot_charging or f.min_soc_fraction:
        lost.append("multi-trip/speed/depot settings")
    if f.fixed_cost != SOLOMON_FIXED_COST or f.cost_per_distance != 1:
        lost.append("fleet costs")
    return sorted(set(lost), key=lost.index)


def _integer_ids(problem: Problem) -> bool:
    """Depot and request ids are distinct non-negative integers written without leading zeros."""
    return all(
        node.isascii() and node.isdigit() and str(int(node)) == node
        for node in problem.node_ids[: 1 + problem.n_requests]
    )


def _num(value: float | int | str) -> str:
    if isinstance(value, str):
        return value
    value = float(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


class _Cursor:
    """Walks the lines of a file keeping 1-based line numbers."""

    def __init__(self, lines: list[str], path: str | Path):
        self.lines = lines
        self.path = path
        self.i = 0

    def next_nonblank(self, what: str) -> tuple[int, str]:
        while self.i < len(self.lines):
            line = self.lines[self.i]
            self.i += 1
            if line.strip():
                return self.i, line
        raise InstanceFormatError(self.path, len(self.lines) or None, f"file ends before {what}")

    def expect_keyword(self, keyword: str) -> None:
        line_no, line = self.next_nonblank(f"the {keyword} section")
        if line.strip().upper() != keyword:
            raise InstanceFormatError(self.path, line_no, f"expected {keyword!r}, got {shorten(line.strip())!r}")

    def rest(self):
        while self.i < len(self.lines):
            self.i += 1
            yield self.i, self.lines[self.i - 1]
