"""Schneider E-VRPTW reader: all 92 files load with the documented mapping."""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from pathlib import Path

import pytest

from hospital_or.io import (
    evrptw_losses,
    format_evrptw,
    format_instance_json,
    parse_evrptw,
    parse_instance_json,
    read_evrptw,
    read_instance,
    write_instance,
)
from hospital_or.io.evrptw import EVRPTW_FIXED_COST

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def evrptw_files(shared_dir):
    large = sorted((shared_dir / "evrptw" / "large").glob("*.txt"))
    small = sorted((shared_dir / "evrptw" / "small").glob("*.txt"))
    assert (len(large), len(small)) == (56, 36)
    return large + small


def test_all_92_files_load(evrptw_files, shared_dir):
    solomon = {f.stem.lower(): read_instance(f) for f in (shared_dir / "solomon").glob("*.txt")}
    for path in evrptw_files:
        p = read_instance(path)
        lines = path.read_text().splitlines()
        rows = [line.split() for line in lines[1:] if len(line.split()) == 8]
        assert p.n_requests == sum(r[1] == "c" for r in rows)
        assert p.n_stations == sum(r[1] == "f" for r in rows)
        assert p.depot.id == "D0" and p.stations[0].id == "S0"
        assert (p.stations[0].x, p.stations[0].y) == (p.depot.x, p.depot.y)  # S0 kept, at the depot
        assert all(r.id.startswith("C") for r in p.requests) and all(s.id.startswith("S") for s in p.stations)
        f = p.fleet
        assert f.has_battery and f.energy_per_distance == 1.0 and f.speed == 1.0
        assert f.max_vehicles == p.n_requests and f.max_trips == 1
        assert (f.fixed_cost, f.cost_per_distance, f.min_soc_fraction, f.depot_charging) == (
            EVRPTW_FIXED_COST,
            1.0,
            0.0,
            False,
        )
        params = {line.split()[0]: float(line.split("/")[1]) for line in lines if line.count("/") == 2}
        assert (f.battery_capacity, f.capacity, f.recharge_rate) == (params["Q"], params["C"], params["g"])
        # the large set keeps the Solomon depot horizon and capacity (README)
        if path.parent.name == "large":
            base = solomon[path.stem.split("_")[0]]
            assert p.depot.horizon == base.depot.horizon and f.capacity == base.fleet.capacity
        # a full recharge takes about 3 mean service times (README: g*Q/(3*mean service) in [0.97, 1.03])
        mean_service = sum(r.service for r in p.requests) / p.n_requests
        assert 0.9 < f.recharge_rate * f.battery_capacity / (3 * mean_service) < 1.1


def test_known_parameters(shared_dir):
    p = read_evrptw(shared_dir / "evrptw" / "large" / "c101_21.txt")
    assert (p.fleet.battery_capacity, p.fleet.recharge_rate, p.n_stations, p.n_requests) == (79.69, 3.39, 21, 100)
    assert p.name == "c101_21"
    q = read_evrptw(shared_dir / "evrptw" / "small" / "rc108C5.txt")
    assert q.n_requests == 5


def test_bks_instances_present(shared_dir):
    with open(shared_dir / "evrptw" / "bks_small.csv") as handle:
        names = [row["instance"] for row in csv.DictReader(handle)]
    for name in names:
        assert read_evrptw(shared_dir / "evrptw" / "small" / f"{name}.txt").n_requests in (5, 10, 15)


def test_tiny_file_and_json_round_trip():
    p = read_evrptw(DATA / "tiny_evrptw.txt")
    assert p.node_ids == ("D0", "C1", "C2", "C3", "C4", "S0", "S1", "S2")
    assert p.fleet.battery_capacity == 45.0 and p.fleet.recharge_rate == 0.5
    assert math.isclose(p.distance_matrix[p.node_index["C2"], p.node_index["S1"]], math.hypot(10, 5))
    assert parse_instance_json(format_instance_json(p)) == p


def test_speed_is_read(tmp_path):
    text = (DATA / "tiny_evrptw.txt").read_text().replace("Velocity /1.0/", "Velocity /2.0/")
    (tmp_path / "v.txt").write_text(text)
    p = read_evrptw(tmp_path / "v.txt")
    assert p.fleet.speed == 2.0
    assert math.isclose(p.travel_time_matrix[0, 1], 5.0)


def test_writer_round_trips_all_92_files(evrptw_files, tmp_path):
    for path in evrptw_files:
        p = read_evrptw(path)
        text = format_evrptw(p)
        q = parse_evrptw(text, path)
        assert q == p
        assert format_evrptw(q) == text  # byte-stable
    out = tmp_path / "c101_21.txt"
    write_instance(p, out, format="evrptw")
    assert read_instance(out) == p.replace(source=str(out), name="c101_21")


def test_writer_lossy_export_of_a_hospital(tmp_path):
    h = read_instance(DATA / "tiny_hospital.json")
    with pytest.raises(ValueError, match="cannot hold"):
        format_evrptw(h)
    assert "priorities" in evrptw_losses(h) and "reveal times" in evrptw_losses(h)
    q = parse_evrptw(format_evrptw(h, lossy=True))
    assert q.node_ids == ("pharmacy", "ward-A1", "ward-A2", "lab", "icu", "charger-1", "charger-2")
    assert (q.fleet.battery_capacity, q.fleet.recharge_rate, q.fleet.speed) == (300.0, 0.25, 1.2)
    assert evrptw_losses(read_evrptw(DATA / "tiny_evrptw.txt")) == []
    with pytest.raises(ValueError, match="single token"):
        format_evrptw(h.replace(requests=[replace(h.requests[0], id="a b")], lateness_weights=None))
