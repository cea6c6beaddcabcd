"""Readers and writers for instances and solutions.

Instances: Solomon VRPTW text (:mod:`~hospital_or.io.solomon`, also the dynamic files with ``AVAIL. TIME``),
Schneider E-VRPTW text (:mod:`~hospital_or.io.evrptw`) and the package's own JSON
(:mod:`~hospital_or.io.instance_json`), each with a reader and a writer; :func:`instance_summary` describes an
instance. Solutions: VRPLIB ``.sol`` (:mod:`~hospital_or.io.vrplib_solution`) and the
JSON form of :mod:`hospital_or.solution_io`.

Every reader raises :class:`~hospital_or.exceptions.InstanceFormatError` (and only that) for malformed or
impossible input; the message names the file, the line and the problem.
"""

from __future__ import annotations

from pathlib import Path

from hospital_or.exceptions import InstanceFormatError
from hospital_or.io._common import decode
from hospital_or.io.evrptw import evrptw_losses, format_evrptw, parse_evrptw, read_evrptw, write_evrptw
from hospital_or.io.instance_json import (
    format_instance_json,
    parse_instance_json,
    read_instance_json,
    write_instance_json,
)
from hospital_or.io.solomon import format_solomon, parse_solomon, read_solomon, solomon_losses, write_solomon
from hospital_or.io.summary import format_summary, instance_summary
from hospital_or.io.vrplib_solution import (
    format_vrplib_solution,
    parse_vrplib_solution,
    read_vrplib_solution,
    write_vrplib_solution,
)
from hospital_or.problem import Problem
from hospital_or.solution import Solution

__all__ = [
    "detect_instance_format",
    "evrptw_losses",
    "format_evrptw",
    "format_instance_json",
    "format_solomon",
    "format_summary",
    "format_vrplib_solution",
    "instance_summary",
    "parse_evrptw",
    "parse_instance_json",
    "parse_solomon",
    "parse_vrplib_solution",
    "read_evrptw",
    "read_instance",
    "read_instance_json",
    "read_solomon",
    "read_solution",
    "read_vrplib_solution",
    "solomon_losses",
    "write_evrptw",
    "write_instance",
    "write_instance_json",
    "write_solomon",
    "write_solution",
    "write_vrplib_solution",
]

#: Instance formats :func:`read_instance` recognises.
INSTANCE_FORMATS = ("json", "solomon", "evrptw")


def detect_instance_format(text: str) -> str | None:
    """Guess the format of an instance from its text: ``"json"``, ``"evrptw"``, ``"solomon"`` or ``None``.

    JSON starts with ``{`` (or ``[``); an E-VRPTW file starts with the ``StringID`` header; a Solomon file has a
    ``VEHICLE`` or a ``CUSTOMER`` line among its first 40 lines.
    """
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return "json"
    first = stripped.split(None, 1)[:1]
    if first == ["StringID"]:
        return "evrptw"
    keywords = {line.strip().upper() for line in text.splitlines()[:40]}
    if "VEHICLE" in keywords or "CUSTOMER" in keywords:
        return "solomon"
    return None


def read_instance(path: str | Path, format: str | None = None) -> Problem:
    """Read an instance in any supported format.

    Parameters
    ----------
    path
        The file.
    format
        ``"json"``, ``"solomon"`` (7 or 8 columns) or ``"evrptw"``; ``None`` detects it from the content.

    Raises
    ------
    InstanceFormatError
        Unreadable file, unrecognised format, or any error of the format's reader.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InstanceFormatError(path, None, f"cannot read file: {exc.strerror or exc}") from None
    text = decode(data, path)
    kind = format or detect_instance_format(text)
    if kind == "json":
        return parse_instance_json(text, path)
    if kind == "solomon":
        return parse_solomon(text, path)
    if kind == "evrptw":
        return parse_evrptw(text, path)
    if kind is None:
        raise InstanceFormatError(
            path, None, "unrecognised instance format (expected our JSON, Solomon or E-VRPTW text)"
        )
    raise ValueError(f"unknown instance format {format!r} (choose from {', '.join(INSTANCE_FORMATS)})")


def write_instance(problem: Problem, path: str | Path, lossy: bool = False, format: str | None = None) -> None:
    """Write ``problem`` in the format given by ``format`` or by the suffix of ``path``.

    ``.json`` (``"json"``): the package's format (exact). ``.txt`` (``"solomon"``): Solomon text, with the
    ``AVAIL. TIME`` column when any request has a reveal time > 0. ``"evrptw"``: Schneider's E-VRPTW text. Content
    the text formats cannot hold raises ``ValueError`` unless ``lossy=True``.
    """
    suffix = Path(path).suffix.lower()
    kind = format or {".json": "json", ".txt": "solomon"}.get(suffix)
    if kind == "json":
        write_instance_json(problem, path)
    elif kind == "solomon":
        write_solomon(problem, path, lossy=lossy)
    elif kind == "evrptw":
        write_evrptw(problem, path, lossy=lossy)
    elif format is None:
        raise ValueError(f"{path}: unknown instance suffix {suffix!r} (use .json or .txt, or give the format)")
    else:
        raise ValueError(f"unknown instance format {format!r} (choose from {', '.join(INSTANCE_FORMATS)})")


def read_solution(path: str | Path, problem: Problem) -> Solution:
    """Read a solution for ``problem``: ``.json`` (:mod:`hospital_or.solution_io`) or VRPLIB ``.sol`` (others).

    Raises
    ------
    InstanceFormatError
        Malformed file or node tokens that are not nodes of ``problem``.
    """
    if Path(path).suffix.lower() == ".json":
        from hospital_or.solution_io import read_solution_json

        return read_solution_json(path, problem)
    return read_vrplib_solution(path, problem)


def write_solution(path: str | Path, problem: Problem, solution: Solution, cost: float | None = None) -> None:
    """Write a solution: ``.json`` with its schedule (:mod:`hospital_or.solution_io`), anything else as ``.sol``."""
    if Path(path).suffix.lower() == ".json":
        from hospital_or.solution_io import write_solution_json

        write_solution_json(path, problem, solution)
    else:
        write_vrplib_solution(path, problem, solution, cost=cost)
