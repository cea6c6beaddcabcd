"""Helpers shared by the readers: decoding, line-aware number parsing, turning validation errors into format errors.

Every reader in :mod:`hospital_or.io` raises :class:`~hospital_or.exceptions.InstanceFormatError` and nothing else
for bad input. Data that parses but describes an impossible problem (the :class:`~hospital_or.problem.Problem`
constructor raises :class:`~hospital_or.exceptions.InvalidProblemError`) is converted into an
``InstanceFormatError`` that names the file and, when the finding names one request, that request's line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import numpy as np

from hospital_or.exceptions import InstanceFormatError, InvalidProblemError

T = TypeVar("T")

#: A plain ASCII decimal number (``float()`` alone also accepts ``1_0``, ``nan``, ``inf`` and non-ASCII digits).
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
#: Integers beyond this magnitude are rejected (fleet sizes and ids; keeps float arithmetic exact).
MAX_INT = 2**53
#: Longest number token accepted (avoids pathological conversions).
_MAX_TOKEN = 64


def read_text(path: str | Path) -> str:
    """Read a text file as UTF-8 (BOM allowed), raising :class:`InstanceFormatError` on I/O or decoding problems."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InstanceFormatError(path, None, f"cannot read file: {exc.strerror or exc}") from None
    return decode(data, path)


def decode(data: bytes, path: str | Path) -> str:
    """Decode UTF-8 bytes; a decoding error names the line of the first bad byte."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InstanceFormatError(path, line, "not UTF-8 text") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InstanceFormatError(path, line, "binary data (NUL byte) in a text file")
    return text


def split_lines(text: str) -> list[str]:
    """Lines of ``text`` split at CRLF, LF or CR only (line ``k`` of the file is ``lines[k - 1]``).

    Unlike :meth:`str.splitlines` this does not break at form feeds or Unicode separators, so line numbers agree
    with editors and with the JSON decoder.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def parse_float(token: str, path: str | Path, line: int, what: str) -> float:
    """A finite decimal number, or :class:`InstanceFormatError` naming ``what``."""
    if len(token) > _MAX_TOKEN or not _NUMBER.fullmatch(token):
        raise InstanceFormatError(path, line, f"{what}: {shorten(token)!r} is not a number")
    value = float(token)
    if not math.isfinite(value):
        raise InstanceFormatError(path, line, f"{what}: {shorten(token)!r} is out of range")
    return value


def parse_int(token: str, path: str | Path, line: int, what: str, minimum: int | None = None) -> int:
    """An integer (``12`` or ``12.0``) within ``[minimum, 2**53]``, or :class:`InstanceFormatError`."""
    if len(token) <= _MAX_TOKEN and _INTEGER.fullmatch(token):
        value = int(token)
    else:
        number = parse_float(token, path, line, what)
        if not number.is_integer():
            raise InstanceFormatError(path, line, f"{what}: {shorten(token)!r} is not an integer")
        value = int(number)
    if abs(value) > MAX_INT:
        raise InstanceFormatError(path, line, f"{what}: {shorten(token)!r} is out of range")
    if minimum is not None and value < minimum:
        raise InstanceFormatError(path, line, f"{what}: {value} is below {minimum}")
    return value


def shorten(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters (for error messages)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def build_problem(factory: Callable[[], T], path: str | Path, line_of: Mapping[str, int] | None = None) -> T:
    """Call ``factory`` (usually ``lambda: Problem(...)``) and convert ``InvalidProblemError`` to a format error.

    Parameters
    ----------
    factory
        Builds the object; may raise :class:`InvalidProblemError`.
    path
        The file, for the message.
    line_of
        Map from request/node id to its line, plus optional entries for the first word of other findings
        (``"fleet"``, ``"depot"``, ``"battery"``, ``"total"``, ...); the line of the first finding that names a known
        key is reported.
    """
    try:
        # absurd but finite values (1e308, speed 1e-320) overflow to inf in the matrices; the validation then names
        # the requests concerned, so numpy's overflow warnings add nothing here
        with np.errstate(over="ignore", invalid="ignore"):
            return factory()
    except InvalidProblemError as exc:
        line = None
        if line_of:
            for issue in exc.issues:
                match = re.match(r"(?:request|node id) '?([^':\s]+)'?", issue)
                key = match.group(1) if match else issue.split(":")[0].split(" ")[0]
                if key in line_of:
                    line = line_of[key]
                    break
        shown = "; ".join(exc.issues[:3]).replace("\r", "\\r").replace("\n", "\\n")  # one line, even for odd ids
        more = f" (and {len(exc.issues) - 3} more)" if len(exc.issues) > 3 else ""
        raise InstanceFormatError(path, line, f"invalid problem: {shown}{more}") from None
