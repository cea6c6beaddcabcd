"""Fuzzing every reader: random bytes, random lines and mutations of good files.

Only :class:`InstanceFormatError` may escape a reader. Whatever a reader accepts must be a valid problem that
round-trips through the JSON format.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital_or.exceptions import InstanceFormatError
from hospital_or.io import (
    format_instance_json,
    parse_evrptw,
    parse_instance_json,
    parse_solomon,
    parse_vrplib_solution,
    read_evrptw,
    read_instance,
    read_instance_json,
    read_solomon,
    read_vrplib_solution,
)
from hospital_or.problem import Problem

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

DATA = Path(__file__).parent / "data"
GOOD = {
    "solomon": (DATA / "tiny_solomon.txt").read_text(),
    "dynamic": (DATA / "tiny_dynamic.txt").read_text(),
    "evrptw": (DATA / "tiny_evrptw.txt").read_text(),
    "json": (DATA / "tiny_hospital.json").read_text(),
    "sol": (DATA / "tiny_multitrip.sol").read_text(),
    "evrptw_sol": (DATA / "tiny_evrptw_indices.sol").read_text(),
}
SOLOMON = parse_solomon(GOOD["solomon"])
EVRPTW = parse_evrptw(GOOD["evrptw"])

TEXT_PARSERS = {
    "solomon": parse_solomon,
    "dynamic": parse_solomon,
    "evrptw": parse_evrptw,
    "json": parse_instance_json,
    "sol": lambda text: parse_vrplib_solution(text, SOLOMON),
    "evrptw_sol": lambda text: parse_vrplib_solution(text, EVRPTW),
}
FILE_READERS = [
    read_solomon,
    read_evrptw,
    read_instance_json,
    read_instance,
    lambda path: read_vrplib_solution(path, SOLOMON),
    lambda path: read_vrplib_solution(path, EVRPTW),
]

TOKENS = st.sampled_from(
    ["", " ", "0", "-1", "1", "2.5", "1e308", "-1e308", "1e999", "nan", "inf", "x", "C1", "S0", "D0", "99999999999",
     "{", "}", "[", "]", '"', ":", ",", "/", "#", "null", "true", "NaN", "\t", "\n", "Route #1:", "Cost", "VEHICLE",
     "CUSTOMER", "AVAIL. TIME", "\u00e9", "\x00", "0x10", "1_0", "\u0661"]
)  # fmt: skip


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def _accepts_or_format_error(parse, data):
    try:
        result = parse(data)
    except InstanceFormatError as exc:
        assert "\n" not in str(exc)
        return
    if isinstance(result, Problem):
        assert parse_instance_json(format_instance_json(result)) == result


@st.composite
def mutated(draw):
    kind = draw(st.sampled_from(sorted(GOOD)))
    lines = GOOD[kind].split("\n")
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "token", "insert", "truncate", "split"]))
        i = draw(st.integers(0, len(lines) - 1)) if lines else 0
        if not lines:
            lines = [draw(TOKENS)]
        elif op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "token":
            parts = lines[i].split(" ")
            k = draw(st.integers(0, len(parts) - 1))
            parts[k] = draw(TOKENS)
            lines[i] = " ".join(parts)
        elif op == "insert":
            lines.insert(i, " ".join(draw(st.lists(TOKENS, max_size=9))))
        elif op == "truncate":
            cut = draw(st.integers(0, len(lines[i])))
            lines = [*lines[:i], lines[i][:cut]]
        else:
            cut = draw(st.integers(0, len(lines[i])))
            lines[i : i + 1] = [lines[i][:cut], lines[i][cut:]]
    return kind, "\n".join(lines)


@given(mutated())
def test_mutated_good_files(case):
    kind, text = case
    _accepts_or_format_error(TEXT_PARSERS[kind], text)


@given(mutated(), st.sampled_from(sorted(TEXT_PARSERS)))
def test_mutated_files_fed_to_the_wrong_parser(case, parser):
    _accepts_or_format_error(TEXT_PARSERS[parser], case[1])


@given(
    st.lists(st.lists(TOKENS, max_size=10).map(" ".join), max_size=20).map("\n".join),
    st.sampled_from(sorted(TEXT_PARSERS)),
)
def test_random_token_lines(text, parser):
    _accepts_or_format_error(TEXT_PARSERS[parser], text)


@given(st.text(max_size=300), st.sampled_from(sorted(TEXT_PARSERS)))
def test_random_text(text, parser):
    _accepts_or_format_error(TEXT_PARSERS[parser], text)


@given(st.binary(max_size=400), st.integers(0, len(FILE_READERS) - 1))
def test_random_bytes_through_files(scratch, data, reader):
    path = scratch / "fuzz.bin"
    path.write_bytes(data)
    _accepts_or_format_error(FILE_READERS[reader], path)


@given(mutated(), st.integers(0, len(FILE_READERS) - 1), st.binary(max_size=4))
def test_mutated_bytes_through_files(scratch, case, reader, junk):
    data = case[1].encode()
    path = scratch / "fuzz.txt"
    path.write_bytes(data[: len(data) // 2] + junk + data[len(data) // 2 :])
    _accepts_or_format_error(FILE_READERS[reader], path)


def test_deep_json_nesting_is_a_format_error():
    _accepts_or_format_error(parse_instance_json, "[" * 100000 + "]" * 100000)
    _accepts_or_format_error(parse_instance_json, '{"a":' * 50000 + "1" + "}" * 50000)


def test_missing_file_is_a_format_error(scratch):
    for reader in FILE_READERS:
        with pytest.raises(InstanceFormatError, match="cannot read file"):
            reader(scratch / "does-not-exist.txt")
