"""The package's own instance format: JSON that round-trips a :class:`~hospital_or.problem.Problem` exactly.

Layout (``version`` 1)::

    {
     "depot": {"floor": 0, "horizon": 1236.0, "id": "0", "ready": 0.0, "x": 40.0, "y": 50.0},
     "elevator": null,
     "fleet": {"battery_capacity": "inf", "capacity": 200.0, ...},
     "format": "hospital_or.instance",
     "lateness_weights": null,
     "name": "C101",
     "rejection_costs": null,
     "requests": [
      {"demand": 10.0, "due": 967.0, "floor": 0, "id": "1", "priority": 3, "ready": 912.0, ...},
      ...
     ],
     "source": "...",
     "stations": [],
     "stochastic": {"beta": 0.95, "cv_service": 0.0, "cv_travel": 0.0},
     "version": 1
    }

Keys are the field names of the dataclasses in :mod:`hospital_or.problem`, sorted; one request or station per line.
Floats are written with Python's shortest round-trip ``repr`` (so ``float(text) == value`` exactly) and always with
a decimal point or exponent; non-finite floats (an infinite battery) as the strings ``"inf"``, ``"-inf"``, ``"nan"``.
Integers (priority, floor, fleet size, trips) are JSON integers, ``depot_charging`` is a boolean. The same problem
always gives the same bytes (LF line endings, final newline), so seeded generators produce byte-identical files.

Reading is strict: every value must have its field's type; unknown keys and missing keys raise
:class:`InstanceFormatError` naming the key and the line of the object (a field that has a default in the dataclass,
such as ``floor`` or ``reveal``, may be omitted). Duplicate keys and non-standard constants (``NaN``) are errors.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import json.decoder
import json.scanner
import math
import re
from pathlib import Path
from typing import Any

from hospital_or.exceptions import InstanceFormatError
from hospital_or.io._common import MAX_INT, build_problem, read_text, shorten
from hospital_or.problem import Depot, Elevator, Fleet, Problem, Request, Station, StochasticModel

FORMAT = "hospital_or.instance"
VERSION = 1

_RECORDS = {"depot": Depot, "fleet": Fleet, "stochastic": StochasticModel, "elevator": Elevator}
_LISTS = {"requests": Request, "stations": Station}
_TRIPLES = ("lateness_weights", "rejection_costs")
_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


# ---------------------------------------------------------------------------------------------------- writing
def write_instance_json(problem: Problem, path: str | Path) -> None:
    """Write ``problem`` in the package's JSON format (deterministic bytes).

    Parameters
    ----------
    problem
        Any valid problem.
    path
        Output file (conventionally ``*.json``).
    """
    Path(path).write_text(format_instance_json(problem), encoding="utf-8", newline="\n")


def format_instance_json(problem: Problem) -> str:
    """The text :func:`write_instance_json` writes."""
    top: dict[str, str] = {
        "format": _dump(FORMAT),
        "version": _dump(VERSION),
        "name": _dump(str(problem.name)),
        "source": _dump(str(problem.source)),
    }
    for key in _RECORDS:
        value = getattr(problem, key)
        top[key] = "null" if value is None else _dump(_record(value))
    for key in _LISTS:
        items = [_dump(_record(item)) for item in getattr(problem, key)]
        top[key] = "[\n  " + ",\n  ".join(items) + "\n ]" if items else "[]"
    for key in _TRIPLES:
        value = getattr(problem, key)
        top[key] = "null" if value is None else _dump([_float_out(v) for v in value])
    unknown = {f.name for f in dataclasses.fields(Problem)} - set(top)
    if unknown:  # a field added to Problem that this writer does not know yet: refuse rather than lose it
        raise ValueError(f"write_instance_json does not know the Problem field(s) {sorted(unknown)}")
    body = ",\n".join(f" {json.dumps(k)}: {top[k]}" for k in sorted(top))
    return "{\n" + body + "\n}\n"


def _record(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        kind = _kind(f)
        if kind == "float":
            out[f.name] = _float_out(value)
        elif kind == "int":
            out[f.name] = int(value)
        elif kind == "bool":
            out[f.name] = bool(value)
        elif kind == "str":
            out[f.name] = str(value)
        else:
            out[f.name] = value
    return out


def _float_out(value: Any) -> float | str:
    value = float(value)
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def _kind(f: dataclasses.Field) -> str:
    t = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    return t if t in ("float", "int", "bool", "str") else "other"


# ---------------------------------------------------------------------------------------------------- reading
def read_instance_json(path: str | Path) -> Problem:
    """Read a problem written by :func:`write_instance_json` (or by hand in the same format).

    Raises
    ------
    InstanceFormatError
        Invalid JSON, wrong format tag or version, unknown or missing keys, values of the wrong type, or data the
        :class:`Problem` validation rejects; the message names the file, the line and the key.
    """
    return parse_instance_json(read_text(path), path)


class _BadConstant:
    """A non-standard JSON constant (``NaN``, ``Infinity``) kept as a marker so the error can name its key."""

    def __init__(self, name: str):
        self.name = name


class _Obj(dict):
    """A JSON object that remembers the line where it starts."""

    line: int | None = None


def _loads_located(text: str, path: str | Path) -> Any:
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def line_at(pos: int) -> int:
        return bisect.bisect_left(newlines, pos) + 1

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        start = s_and_end[1] - 1
        pairs, end = json.decoder.JSONObject(s_and_end, strict, scan_once, None, list, memo)
        obj = _Obj()
        obj.line = line_at(start)
        for key, value in pairs:
            if key in obj:
                raise InstanceFormatError(path, obj.line, f"key {shorten(key)!r} appears twice in one object")
            obj[key] = value
        return obj, end

    decoder = json.JSONDecoder(parse_constant=_BadConstant)
    decoder.parse_object = parse_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    try:
        return decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise InstanceFormatError(path, exc.lineno, f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise InstanceFormatError(path, None, "invalid JSON: nested too deeply") from None
    except ValueError as exc:
        if isinstance(exc, InstanceFormatError):
            raise
        raise InstanceFormatError(path, None, f"invalid JSON: {shorten(str(exc), 80)}") from None


def parse_instance_json(text: str, path: str | Path = "<string>") -> Problem:
    """Parse the text of a JSON instance (``path`` labels the messages)."""
    data = _loads_located(text, path)
    if not isinstance(data, _Obj):
        raise InstanceFormatError(path, 1, "expected a JSON object at the top level")
    line = data.line
    if data.get("format") != FORMAT:
        got = shorten(repr(data.get("format")))
        raise InstanceFormatError(path, line, f"key 'format' must be {FORMAT!r}, got {got}")
    if type(data.get("version")) is not int or data.get("version") != VERSION:
        raise InstanceFormatError(
            path,
            line,
            f"unsupported version {shorten(repr(data.get('version')))} (this reader knows version {VERSION})",
        )
    problem_fields = {f.name: f for f in dataclasses.fields(Problem)}
    known = set(problem_fields) | {"format", "version"}
    _check_keys(data, known, {"format", "version", "name", "depot", "requests", "fleet"}, "the instance", path)

    kwargs: dict[str, Any] = {}
    for key in ("name", "source"):
        if key in data:
            if type(data[key]) is not str:
                raise InstanceFormatError(path, _key_line(text, key) or line, f"key {key!r} must be a string")
            kwargs[key] = data[key]
    for key, cls in _RECORDS.items():
        if key not in data:
            continue
        if data[key] is None and key == "elevator":
            kwargs[key] = None
        else:
            kwargs[key] = _read_record(data[key], cls, key, path, _key_line(text, key) or line)
    line_of: dict[str, int] = {}
    for key, cls in _LISTS.items():
        if key not in data:
            continue
        items = data[key]
        if not isinstance(items, list):
            raise InstanceFormatError(path, _key_line(text, key) or line, f"key {key!r} must be a list")
        records = []
        for k, item in enumerate(items):
            record = _read_record(item, cls, f"{key}[{k}]", path, line)
            if isinstance(item, _Obj) and item.line is not None:
                line_of.setdefault(record.id, item.line)
            records.append(record)
        kwargs[key] = tuple(records)
    for key in _RECORDS:
        if isinstance(data.get(key), _Obj):
            line_of.setdefault(key, data[key].line)
    for key in (*_TRIPLES, "total"):
        line_of.setdefault(key, _key_line(text, "fleet" if key == "total" else key) or line)
    for key in _TRIPLES:
        if key not in data or data[key] is None:
            continue
        value = data[key]
        if not isinstance(value, list):
            where = _key_line(text, key) or line
            raise InstanceFormatError(path, where, f"key {key!r} must be null or a list of three numbers")
        kwargs[key] = tuple(_float_in(v, key, path, _key_line(text, key) or line) for v in value)
    return build_problem(lambda: Problem(**kwargs), path, line_of)


def _check_keys(obj: _Obj, known: set[str], required: set[str], what: str, path: str | Path) -> None:
    unknown = sorted(set(obj) - known)
    if unknown:
        raise InstanceFormatError(path, obj.line, f"unknown key {shorten(unknown[0])!r} in {what}")
    missing = sorted(required - set(obj))
    if missing:
        raise InstanceFormatError(path, obj.line, f"missing key {missing[0]!r} in {what}")


def _read_record(obj: Any, cls: type, what: str, path: str | Path, parent_line: int | None) -> Any:
    if not isinstance(obj, _Obj):
        raise InstanceFormatError(path, parent_line, f"{what} must be a JSON object")
    fields = dataclasses.fields(cls)
    required = {f.name for f in fields if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    _check_keys(obj, {f.name for f in fields}, required, what, path)
    values: dict[str, Any] = {}
    for f in fields:
        if f.name not in obj:
            continue
        value = obj[f.name]
        kind = _kind(f)
        where = f"{what}.{f.name}"
        if isinstance(value, _BadConstant):
            raise InstanceFormatError(path, obj.line, f"{where}: non-standard JSON constant {value.name}")
        if kind == "float":
            values[f.name] = _float_in(value, where, path, obj.line)
        elif kind == "int":
            if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_INT:
                raise InstanceFormatError(path, obj.line, f"{where} must be an integer, got {_show(value)}")
            values[f.name] = value
        elif kind == "bool":
            if not isinstance(value, bool):
                raise InstanceFormatError(path, obj.line, f"{where} must be true or false, got {_show(value)}")
            values[f.name] = value
        elif kind == "str":
            if type(value) is not str:
                raise InstanceFormatError(path, obj.line, f"{where} must be a string, got {_show(value)}")
            values[f.name] = value
        else:
            values[f.name] = value
    return cls(**values)


def _float_in(value: Any, where: str, path: str | Path, line: int | None) -> float:
    if isinstance(value, str) and value in _NONFINITE:
        return _NONFINITE[value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InstanceFormatError(path, line, f"{where} must be a number, got {_show(value)}")
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise InstanceFormatError(path, line, f"{where}: {shorten(str(value))} is out of range")
    if isinstance(value, float) and not math.isfinite(value):  # 1e400 in the text; write "inf" for infinity
        raise InstanceFormatError(path, line, f"{where}: number out of range")
    return float(value)


def _key_line(text: str, key: str) -> int | None:
    """Line of the first ``"key":`` at the start of a line (top-level keys in the writer's layout)."""
    match = re.search(rf'^\s*"{re.escape(key)}"\s*:', text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _show(value: Any) -> str:
    if isinstance(value, _BadConstant):
        return value.name
    if isinstance(value, _Obj):
        return "an object"
    try:
        return shorten(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        return "a list with non-standard constants"
