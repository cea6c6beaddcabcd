"""The corpus of malformed files (``tests/data/bad``, one per failure mode): one clean error each.

Each file must raise exactly :class:`InstanceFormatError` naming the file, the expected line and the problem; through
the CLI it must give exit code 1 and one line on stderr.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hospital_or.cli import main
from hospital_or.exceptions import InstanceFormatError
from hospital_or.io import read_instance, read_solution

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"

# file, expected line (None = the whole file), words the message must contain
CORPUS = [
    ("dynamic_missing_reveal.txt", 13, "expected 8 values per customer row, got 7"),
    ("dynamic_reveal_after_due.txt", 15, "request 5: reveal time 300 is outside"),
    ("evrptw_bad_header.txt", 1, "expected the header"),
    ("evrptw_bad_parameter_value.txt", 11, "parameter Q: 'forty' is not a number"),
    ("evrptw_battery_too_small.txt", 7, "request C2: battery too small"),
    ("evrptw_duplicate_node.txt", 9, "StringID 'C3' repeats line 8"),
    ("evrptw_duplicate_parameter.txt", 16, "parameter Q repeats line 11"),
    ("evrptw_missing_parameter.txt", None, "missing parameter(s) g (recharge rate)"),
    ("evrptw_negative_speed.txt", 15, "speed must be positive"),
    ("evrptw_no_depot.txt", None, "no depot row"),
    ("evrptw_short_row.txt", 8, "expected a node row (8 values)"),
    ("evrptw_sol_unknown_station.sol", 1, "unknown node 'S7'"),
    ("evrptw_two_depots.txt", 5, "second depot 'D1'"),
    ("evrptw_unknown_parameter.txt", 15, "unknown parameter 'w'"),
    ("evrptw_unknown_type.txt", 4, "type 'x' is not d (depot), f (station) or c"),
    ("json_bool_as_integer.json", 11, "requests[1].priority must be an integer, got true"),
    ("json_duplicate_key.json", 12, "key 'x' appears twice"),
    ("json_duplicate_request_id.json", 12, "node id 'lab' is used more than once"),
    ("json_lateness_not_list.json", 6, "'lateness_weights' must be null or a list"),
    ("json_missing_key.json", 13, "missing key 'due' in requests[3]"),
    ("json_missing_top_key.json", 1, "unknown key 'fleet_'"),
    ("json_nan_constant.json", 12, "requests[2].x: non-standard JSON constant NaN"),
    ("json_priority_out_of_range.json", 11, "request ward-A2: priority must be 1, 2 or 3"),
    ("json_syntax_error.json", 22, "invalid JSON"),
    ("json_top_level_list.json", 1, "expected a JSON object at the top level"),
    ("json_unknown_key.json", 12, "unknown key 'colour' in requests[2]"),
    ("json_unsupported_version.json", 1, "unsupported version 2"),
    ("json_wrong_format_tag.json", 1, "'format' must be 'hospital_or.instance'"),
    ("json_wrong_type.json", 12, "requests[2].demand must be a number"),
    ("sol_bad_cost.sol", 3, "Cost: 'abc' is not a number"),
    ("sol_depot_inside_route.sol", 1, "the depot inside a route"),
    ("sol_duplicate_route_number.sol", 2, "route #1 repeats line 1"),
    ("sol_empty_route.sol", 2, "route #2 is empty"),
    ("sol_malformed_line.sol", 2, "expected 'Route #k: ...'"),
    ("sol_rejected_depot.sol", 3, "rejected node '0' is not a request"),
    ("sol_trips_mismatch.sol", 3, "'Trips per AMR' adds up to 3 trips but the file has 2 routes"),
    ("sol_unknown_node.sol", 2, "unknown node '17'"),
    ("sol_zero_trips.sol", 3, "trips per AMR: 0 is below 1"),
    ("solomon_demand_over_capacity.txt", 12, "request 2: demand 80 exceeds the AMR capacity 50"),
    ("solomon_due_before_ready.txt", 15, "request 5: due time 160 is before ready time 200"),
    ("solomon_duplicate_customer.txt", 14, "CUST NO. 3 repeats line 13"),
    ("solomon_eight_columns_without_header.txt", 11, "got 8 (the header has no 'AVAIL. TIME' column)"),
    ("solomon_empty.txt", None, "unrecognised instance format"),
    ("solomon_fleet_number_fraction.txt", 5, "vehicle NUMBER: '2.5' is not an integer"),
    ("solomon_fleet_one_value.txt", 5, "expected two values (vehicle number, capacity)"),
    ("solomon_huge_value.txt", 15, "XCOORD.: '1e999' is out of range"),
    ("solomon_missing_table_header.txt", 9, "expected the 'CUST NO. ...' header"),
    ("solomon_missing_vehicle.txt", 3, "expected 'VEHICLE'"),
    ("solomon_nan_value.txt", 15, "XCOORD.: 'nan' is not a number"),
    ("solomon_no_rows.txt", None, "the customer table is empty"),
    ("solomon_not_utf8.txt", 15, "not UTF-8 text"),
    ("solomon_short_row.txt", 13, "expected 7 values per customer row, got 6"),
    ("solomon_text_in_number.txt", 11, "DEMAND: 'ten' is not a number"),
    ("solomon_trailing_garbage.txt", 16, "expected 7 values per customer row, got 3"),
    ("solomon_unreachable_window.txt", 12, "request 2: unreachable in its window"),
    ("solomon_zero_capacity.txt", 5, "capacity must be positive"),
]


def _read(path: Path):
    if path.suffix == ".sol":
        problem = read_instance(DATA / ("tiny_evrptw.txt" if path.name.startswith("evrptw") else "tiny_solomon.txt"))
        return read_solution(path, problem)
    return read_instance(path)


def test_corpus_and_manifest_agree():
    assert sorted(p.name for p in BAD.iterdir()) == sorted(name for name, _, _ in CORPUS)


@pytest.mark.parametrize(("name", "line", "words"), CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_file_gives_one_clean_error(name, line, words):
    path = BAD / name
    with pytest.raises(InstanceFormatError) as info:
        _read(path)
    err = info.value
    assert type(err) is InstanceFormatError
    assert err.line == line and words in err.problem
    where = f"{path}:{line}" if line is not None else str(path)
    assert str(err).startswith(f"{where}: ") and "\n" not in str(err)


@pytest.mark.parametrize("name", [c[0] for c in CORPUS if not c[0].endswith(".sol")])
def test_cli_show_reports_one_line_and_exit_1(name, capsys):
    code = main(["instances", "show", str(BAD / name)])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("hospital-or: error: ") and name in lines[0]
