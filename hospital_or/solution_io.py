"""The package's JSON form of a solution: AMRs, trips, visits and the recomputed per-visit schedule.

Layout (``format = "hospital-or-solution"``, ``version = 1``)::

    {
      "format": "hospital-or-solution", "version": 1,
      "instance": "C101",
      "summary": {"feasible": true, "vehicles": 10, "trips": 10, "distance": 828.94, "cost": ...,
                  "costs": {...}, "served": 100, "rejected": 0, "violations": 0},
      "amrs": [
        {"amr": 0, "trips": [
          {"trip": 0, "earliest_start": 0.0, "start": 0.0, "end": 1236.0, "distance": 59.6, "load": 160.0,
           "visits": [{"node": "5", "kind": "request", "arrival": 15.1, "start": 15.1, ...}, ...,
                      {"node": "0", "kind": "depot", ...}]}]}],
      "rejected": [],
      "violations": [{"kind": ..., "request": ..., "detail": ..., "amr": ..., "trip": ...}],
      "provenance": {"package": "hospital-or", "package_version": "0.1.0", "seed": 1, ...}
    }

Only the decisions are read back (AMR order, trip order, visit order, ``earliest_start``, ``rejected``); the schedule
and the summary are derived data for people and plots and are recomputed by the checker. Non-finite numbers (the
state of charge without batteries) are written as ``null``. Files are written atomically (a temporary file in the
same folder, then :func:`os.replace`).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from hospital_or.exceptions import InstanceFormatError
from hospital_or.problem import Problem
from hospital_or.report import Report
from hospital_or.solution import AMRPlan, Solution, Trip

FORMAT = "hospital-or-solution"
VERSION = 1

__all__ = ["FORMAT", "VERSION", "read_solution_json", "solution_to_dict", "write_solution_json"]


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def solution_to_dict(
    problem: Problem,
    solution: Solution,
    report: Report | None = None,
    provenance: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON-ready dict that :func:`write_solution_json` writes (checks the solution when ``report`` is None)."""
    if report is None:
        from hospital_or.checker import check

        report = check(problem, solution)
    by_trip = {(t.amr, t.trip): t for t in report.schedule}
    amrs = []
    for a, plan in enumerate(solution.amrs):
        trips = []
        for t, trip in enumerate(plan.trips):
            entry: dict[str, Any] = {"trip": t, "earliest_start": float(trip.earliest_start)}
            record = by_trip.get((a, t))
            if record is not None:
                entry.update(start=record.start, end=record.end, distance=record.distance, load=record.load)
                known = {v.position: v for v in record.visits}
                visits = [
                    {k: _finite(v) for k, v in asdict(known[p]).items() if k not in ("amr", "trip")}
                    for p in sorted(known)
                ]
                # Visits the checker skipped (unknown nodes) are kept so that the plan reads back unchanged.
                scheduled = [v["node"] for v in visits if v["kind"] != "depot"]
                if scheduled != list(trip.visits):
                    visits = _merge_unknown(trip.visits, visits)
            else:
                visits = [{"node": node} for node in trip.visits]
            entry["visits"] = visits
            trips.append(entry)
        amrs.append({"amr": a, "trips": trips})
    out: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "instance": problem.name,
        "summary": {
            "feasible": bool(report.feasible),
            "vehicles": int(report.vehicles),
            "trips": int(report.trips),
            "distance": float(report.distance),
            "cost": float(report.cost),
            "costs": {k: float(v) for k, v in report.costs.items()},
            "served": int(report.served),
            "rejected": int(report.rejected),
            "violations": len(report.violations),
        },
        "amrs": amrs,
        "rejected": list(solution.rejected),
        "violations": [asdict(v) for v in report.violations],
    }
    if provenance is not None:
        from hospital_or import __version__

        out["provenance"] = {"package": "hospital-or", "package_version": __version__, **provenance}
    return out


def _merge_unknown(plan_visits: tuple[str, ...], scheduled: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Interleave plan visits the schedule lacks (unknown ids) with the scheduled ones, keeping plan order."""
    queue = [v for v in scheduled if v["kind"] != "depot"]
    closing = [v for v in scheduled if v["kind"] == "depot"]
    merged: list[dict[str, Any]] = []
    for node in plan_visits:
        if queue and queue[0]["node"] == node:
            merged.append(queue.pop(0))
        else:
            merged.append({"node": node, "kind": "unknown"})
    return merged + closing


def write_solution_json(
    path: str | Path,
    problem: Problem,
    solution: Solution,
    report: Report | None = None,
    provenance: dict[str, Any] | None = None,
) -> Path:
    """Write ``solution`` with its schedule and summary as JSON, atomically.

    Parameters
    ----------
    path
        Output file (its folder must exist).
    problem
        The problem the solution belongs to.
    solution
        The plan.
    report
        The checker's report; computed with :func:`hospital_or.checker.check` when omitted.
    provenance
        Optional facts about how the solution was made (seed, solver parameters, ...); the package name and
        version are added.

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    data = solution_to_dict(problem, solution, report, provenance)
    text = json.dumps(data, indent=1, allow_nan=False, default=_json_default) + "\n"
    # mkstemp creates the file with mode 0600: give the result the mode of the file it replaces, or 0644.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _json_default(value: Any) -> Any:
    """numpy scalars and other number-likes in provenance."""
    if hasattr(value, "item"):
        return _finite(value.item())
    if isinstance(value, (set, tuple, frozenset)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def read_solution_json(path: str | Path, problem: Problem | None = None) -> Solution:
    """Read the plan back from a file written by :func:`write_solution_json`.

    Parameters
    ----------
    path
        The JSON file.
    problem
        When given, the file's ``instance`` (if present) must name this problem.

    Returns
    -------
    Solution
        AMRs, trips (with ``earliest_start``) and visits in file order, and the rejected requests. Visit ids are
        not checked against the problem here; the checker reports unknown ids as ``unknown_node``. A visit may
        also be written as a bare id (``"visits": ["r1", "S1", "r2"]``) in hand-written files; schedule entries of
        kind ``"depot"`` (the trip's closing return) are skipped.

    Raises
    ------
    InstanceFormatError
        If the file cannot be read, is not JSON, or lacks/misshapes a field (the message names file, line where
        known, and the problem).
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceFormatError(path, None, f"cannot read solution file: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstanceFormatError(path, exc.lineno, f"not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise InstanceFormatError(path, None, "not valid JSON: nested too deeply") from None
    return solution_from_dict(data, path, problem)


def solution_from_dict(data: Any, path: str | Path = "<dict>", problem: Problem | None = None) -> Solution:
    """Build a :class:`Solution` from the dict form (see :func:`read_solution_json`)."""

    def fail(what: str) -> InstanceFormatError:
        return InstanceFormatError(path, None, what)

    if not isinstance(data, dict):
        raise fail("a solution must be a JSON object")
    if data.get("format", FORMAT) != FORMAT:
        raise fail(f"format is {data.get('format')!r}, expected {FORMAT!r}")
    version = data.get("version", VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version > VERSION or version < 1:
        raise fail(f"unsupported version {version!r} (this package reads version {VERSION})")
    instance = data.get("instance")
    if problem is not None and instance is not None and instance != problem.name:
        raise fail(f"solution is for instance {instance!r}, not {problem.name!r}")
    amrs_data = data.get("amrs")
    if not isinstance(amrs_data, list):
        raise fail("'amrs' must be a list")
    amrs = []
    for a, amr in enumerate(amrs_data):
        if not isinstance(amr, dict) or not isinstance(amr.get("trips"), list):
            raise fail(f"amrs[{a}] must be an object with a 'trips' list")
        trips = []
        for t, trip in enumerate(amr["trips"]):
            where = f"amrs[{a}].trips[{t}]"
            if not isinstance(trip, dict) or not isinstance(trip.get("visits"), list):
                raise fail(f"{where} must be an object with a 'visits' list")
            start = trip.get("earliest_start", 0.0)
            if isinstance(start, bool) or not isinstance(start, int | float) or not math.isfinite(start):
                raise fail(f"{where}.earliest_start must be a finite number, got {start!r}")
            nodes = []
            for k, visit in enumerate(trip["visits"]):
                node = visit.get("node") if isinstance(visit, dict) else visit
                if isinstance(visit, dict) and visit.get("kind") == "depot":
                    continue  # the closing depot return of the schedule
                if isinstance(node, bool) or not isinstance(node, str | int):
                    raise fail(f"{where}.visits[{k}] needs a 'node' id (string), got {node!r}")
                nodes.append(str(node))
            trips.append(Trip(tuple(nodes), float(start)))
        amrs.append(AMRPlan(tuple(trips)))
    rejected = data.get("rejected", [])
    if not isinstance(rejected, list) or not all(
        isinstance(r, str | int) and not isinstance(r, bool) for r in rejected
    ):
        raise fail("'rejected' must be a list of request ids")
    return Solution(tuple(amrs), tuple(str(r) for r in rejected))
