"""The package's JSON instance format: exact round trips, deterministic bytes, strict reading."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital_or.exceptions import InstanceFormatError
from hospital_or.io import (
    format_instance_json,
    parse_instance_json,
    read_instance,
    read_instance_json,
    write_instance,
    write_instance_json,
)
from hospital_or.problem import Depot, Elevator, Fleet, Problem, Request, Station, StochasticModel

DATA = Path(__file__).parent / "data"


def test_tiny_hospital_round_trip_is_exact(tmp_path):
    p = read_instance_json(DATA / "tiny_hospital.json")
    assert p.elevator == Elevator(20.0, 0.0, 1.5, 0.5, 3.0)
    assert p.stochastic == StochasticModel(0.2, 0.3, 0.9)
    assert p.lateness_weights == (10.0, 3.0, 1.0) and p.rejection_costs == (1000.0, 300.0, 100.0)
    assert p.fleet.max_trips == 3 and p.fleet.depot_charging is True
    assert [r.priority for r in p.requests] == [1, 2, 3, 1] and p.request("icu").floor == 2
    out = tmp_path / "h.json"
    write_instance_json(p, out)
    assert out.read_bytes() == (DATA / "tiny_hospital.json").read_bytes()
    assert read_instance_json(out) == p


def test_infinite_battery_round_trip():
    p = read_instance(DATA / "tiny_solomon.txt")
    text = format_instance_json(p)
    assert json.loads(text)["fleet"]["battery_capacity"] == "inf"
    q = parse_instance_json(text)
    assert q == p and math.isinf(q.fleet.battery_capacity)


def test_deterministic_bytes_and_types():
    p = read_instance(DATA / "tiny_dynamic.txt")
    text = format_instance_json(p)
    assert text == format_instance_json(parse_instance_json(text))
    assert text.endswith("}\n") and "\r" not in text
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert data["format"] == "hospital_or.instance" and data["version"] == 1
    assert isinstance(data["requests"][0]["priority"], int) and isinstance(data["requests"][0]["x"], float)
    assert len(text.splitlines()) == 15 + p.n_requests  # one request per line


def test_write_instance_by_suffix(tmp_path):
    p = read_instance(DATA / "tiny_solomon.txt")
    write_instance(p, tmp_path / "a.json")
    write_instance(p, tmp_path / "a.txt")
    assert read_instance(tmp_path / "a.json") == p
    assert read_instance(tmp_path / "a.txt") == p.replace(source=str(tmp_path / "a.txt"))
    with pytest.raises(ValueError, match="suffix"):
        write_instance(p, tmp_path / "a.xml")


def test_optional_fields_may_be_omitted():
    text = json.dumps(
        {
            "format": "hospital_or.instance",
            "version": 1,
            "name": "minimal",
            "depot": {"id": "d", "x": 0, "y": 0, "ready": 0, "horizon": 100},
            "fleet": {"capacity": 10, "max_vehicles": 1},
            "requests": [{"id": "r", "x": 3, "y": 4, "demand": 1, "ready": 0, "due": 50, "service": 1}],
        }
    )
    p = parse_instance_json(text)
    assert p.requests[0].priority == 3 and p.stations == () and p.elevator is None and p.source == ""
    assert not p.fleet.has_battery


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ('"id": "lab"', '"id": 5', 12, "requests[2].id must be a string"),
        ('"max_trips": 3', '"max_trips": 3.0', 4, "fleet.max_trips must be an integer"),
        ('"depot_charging": true', '"depot_charging": 1', 4, "fleet.depot_charging must be true or false"),
        ('"name": "tiny-hospital"', '"name": null', 7, "'name' must be a string"),
        ('"stations": [', '"stations": {"a": 1}, "x": [', 1, "unknown key 'x'"),
        ('"beta": 0.9', '"beta": 1.5', 20, "beta in (0, 1)"),
        ('"x": 20.0, "y": 0.0', '"x": 20.0, "y": 0.0, "z": 1', 3, "unknown key 'z' in elevator"),
        ('"lateness_weights": [10.0, 3.0, 1.0]', '"lateness_weights": [10.0, 3.0]', 6, "three non-negative"),
        ('"x": 5.0, "y": 30.0', '"x": 1e400, "y": 30.0', 13, "out of range"),
    ],
)
def test_strict_reading_names_key_and_line(old, new, line, message):
    text = (DATA / "tiny_hospital.json").read_text()
    assert old in text
    with pytest.raises(InstanceFormatError) as info:
        parse_instance_json(text.replace(old, new, 1), "t.json")
    assert info.value.line == line and message in info.value.problem and str(info.value).startswith("t.json:")


_num = st.floats(min_value=0, max_value=50, allow_nan=False, allow_infinity=False)


@st.composite
def problems(draw) -> Problem:
    n = draw(st.integers(0, 6))
    floors = draw(st.booleans())
    ids = draw(st.lists(st.text(min_size=1, max_size=6), min_size=n + 3, max_size=n + 3, unique=True))
    requests = []
    for k in range(n):
        ready = draw(_num)
        requests.append(
            Request(
                id=ids[k + 1],
                x=draw(_num),
                y=draw(_num),
                demand=draw(st.floats(0, 5)),
                ready=ready,
                due=ready + 500 + draw(_num),
                service=draw(_num),
                priority=draw(st.integers(1, 3)),
                reveal=draw(st.floats(0, ready)) if ready > 0 else 0.0,
                floor=draw(st.integers(0, 3)) if floors else 0,
            )
        )
    stations = [Station(ids[n + 1], draw(_num), draw(_num)), Station(ids[n + 2], draw(_num), draw(_num))]
    battery = draw(st.sampled_from([math.inf, 1000.0, 1e4 / 3]))
    return Problem(
        name=draw(st.text(max_size=8)),
        depot=Depot(ids[0], draw(_num), draw(_num), 0.0, 1000.0 + draw(_num)),
        requests=requests,
        stations=stations if draw(st.booleans()) else (),
        fleet=Fleet(
            capacity=30.0 + draw(_num),
            max_vehicles=draw(st.integers(1, 9)),
            max_trips=draw(st.integers(1, 4)),
            speed=draw(st.floats(0.5, 3)),
            battery_capacity=battery,
            energy_per_distance=draw(st.floats(0, 1)),
            recharge_rate=draw(st.floats(0, 1)),
            min_soc_fraction=draw(st.floats(0, 0.5)),
            fixed_cost=draw(_num),
            cost_per_distance=draw(_num),
            depot_turnaround=draw(_num),
            depot_charging=draw(st.booleans()),
        ),
        stochastic=StochasticModel(draw(st.floats(0, 1)), draw(st.floats(0, 1)), draw(st.floats(0.5, 0.99))),
        elevator=Elevator(draw(_num), draw(_num), draw(_num), draw(_num), draw(_num)) if floors else None,
        lateness_weights=tuple(draw(_num) for _ in range(3)) if draw(st.booleans()) else None,
        rejection_costs=tuple(draw(_num) for _ in range(3)) if draw(st.booleans()) else None,
        source=draw(st.text(max_size=10)),
    )


@given(problems())
def test_random_problems_round_trip_exactly(problem):
    text = format_instance_json(problem)
    again = parse_instance_json(text)
    assert again == problem
    assert format_instance_json(again) == text


def test_committed_instances_are_canonical():
    """Every instance JSON under ``instances/`` re-serialises to the same bytes (seeded generators rely on it)."""
    from hospital_or.paths import PACKAGE_INSTANCES

    files = [f for f in sorted(PACKAGE_INSTANCES.rglob("*.json")) if '"hospital_or.instance"' in f.read_text()]
    for path in files:
        text = path.read_text()
        assert format_instance_json(parse_instance_json(text, path)) == text, path
