"""The JSON solution form: round trip, schedule content, provenance, atomic writes, malformed files."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital_or import AMRPlan, Depot, Fleet, InstanceFormatError, Problem, Request, Solution, Station, Trip
from hospital_or.checker import check
from hospital_or.solution_io import read_solution_json, solution_from_dict, write_solution_json


@pytest.fixture
def problem():
    reqs = tuple(Request(f"r{i}", 10.0 * (i + 1), 0.0, 2.0, 0.0, 500.0, 3.0, priority=1 + i % 3) for i in range(5))
    return Problem(
        "io-case",
        Depot("D", 0, 0, 0, 1000),
        reqs,
        Fleet(
            capacity=6,
            max_vehicles=2,
            max_trips=2,
            battery_capacity=200.0,
            energy_per_distance=1.0,
            recharge_rate=0.1,
        ),
        stations=(Station("S1", 25.0, 0.0),),
        rejection_costs=(50.0, 20.0, 5.0),
    )


@pytest.fixture
def plan():
    first = AMRPlan((Trip(("r0", "S1", "r2")), Trip(("r1",), earliest_start=80.0)))
    second = AMRPlan((Trip(("r3",)),))
    return Solution((first, second), rejected=("r4",))


def test_round_trip_keeps_the_plan(tmp_path, problem, plan):
    path = write_solution_json(tmp_path / "plan.json", problem, plan, provenance={"seed": 7, "solver": "test"})
    assert read_solution_json(path, problem) == plan
    assert read_solution_json(path) == plan
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temporary file left behind
    assert path.stat().st_mode & 0o777 == 0o644


def test_file_holds_schedule_summary_and_provenance(tmp_path, problem, plan):
    from hospital_or import __version__

    report = check(problem, plan)
    path = write_solution_json(tmp_path / "plan.json", problem, plan, report, provenance={"seed": 7})
    data = json.loads(path.read_text())
    assert data["instance"] == "io-case"
    assert data["summary"]["feasible"] is report.feasible is True
    assert data["summary"]["vehicles"] == 2 and data["summary"]["trips"] == 3
    assert data["summary"]["distance"] == pytest.approx(report.distance)
    assert data["summary"]["cost"] == pytest.approx(report.cost)
    assert data["provenance"] == {"package": "hospital-or", "package_version": __version__, "seed": 7}
    trip = data["amrs"][0]["trips"][0]
    assert [v["node"] for v in trip["visits"]] == ["r0", "S1", "r2", "D"]
    assert [v["kind"] for v in trip["visits"]] == ["request", "station", "request", "depot"]
    station = trip["visits"][1]
    assert station["recharge_time"] == pytest.approx(0.1 * 25) and station["soc_departure"] == 200.0
    second_trip = data["amrs"][0]["trips"][1]
    assert second_trip["earliest_start"] == 80.0 and second_trip["start"] == 80.0  # first trip back at 68.5
    assert trip["end"] == pytest.approx(68.5)
    assert data["rejected"] == ["r4"]


def test_without_battery_soc_is_null_and_no_provenance(tmp_path, problem, plan):
    unlimited = problem.replace(fleet=Fleet(capacity=6, max_vehicles=2, max_trips=2))
    path = write_solution_json(tmp_path / "plan.json", unlimited, plan)
    data = json.loads(path.read_text())
    assert "provenance" not in data
    visit = data["amrs"][0]["trips"][0]["visits"][0]
    assert visit["soc_arrival"] is None and not any(isinstance(v, float) and math.isinf(v) for v in visit.values())


def test_unknown_nodes_survive_the_round_trip(tmp_path, problem):
    plan = Solution((AMRPlan((Trip(("r0", "ghost", "r1")),)),))
    path = write_solution_json(tmp_path / "plan.json", problem, plan)
    back = read_solution_json(path, problem)
    assert back == plan
    assert "unknown_node" in {v.kind for v in check(problem, back).violations}


def test_io_dispatch_reads_json(tmp_path, problem, plan):
    from hospital_or.io import read_solution

    path = write_solution_json(tmp_path / "plan.json", problem, plan)
    assert read_solution(path, problem) == plan


def test_overwrite_is_atomic_replacement(tmp_path, problem, plan):
    path = tmp_path / "plan.json"
    path.write_text("old")
    write_solution_json(path, problem, plan)
    assert json.loads(path.read_text())["format"] == "hospital-or-solution"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"format": "other", "amrs": []}', "format"),
        ('{"version": 99, "amrs": []}', "version"),
        ('{"amrs": {}}', "'amrs' must be a list"),
        ('{"amrs": [{"trips": [{"nodes": []}]}]}', "visits"),
        ('{"amrs": [{"trips": [{"visits": [{"node": 3.5}]}]}]}', "node"),
        ('{"amrs": [{"trips": [{"visits": [], "earliest_start": "soon"}]}]}', "earliest_start"),
        ('{"amrs": [], "rejected": "r1"}', "rejected"),
        ('{"instance": "another", "amrs": []}', "instance"),
    ],
)
def test_malformed_files_name_file_and_problem(tmp_path, problem, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InstanceFormatError) as info:
        read_solution_json(path, problem)
    assert "bad.json" in str(info.value) and message in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(InstanceFormatError, match=r"absent\.json"):
        read_solution_json(tmp_path / "absent.json")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "amrs",
                    "trips",
                    "visits",
                    "node",
                    "kind",
                    "earliest_start",
                    "rejected",
                    "format",
                    "version",
                    "instance",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=10,
)


@given(_json)
def test_fuzz_only_the_declared_exception_escapes(data):
    try:
        solution = solution_from_dict(data, "fuzz.json")
    except InstanceFormatError as exc:
        assert "fuzz.json" in str(exc)
    else:
        assert isinstance(solution, Solution)


def test_hand_written_file_with_bare_ids(tmp_path, problem):
    path = tmp_path / "hand.json"
    path.write_text('{"amrs": [{"trips": [{"visits": ["r0", "S1", 7]}]}], "rejected": ["r4"]}')
    assert read_solution_json(path, problem) == Solution((AMRPlan((Trip(("r0", "S1", "7")),)),), ("r4",))
