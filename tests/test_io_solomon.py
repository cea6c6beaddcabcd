"""Solomon and dynamic Solomon readers/writers: every benchmark file loads, values agree with vrplib, round trips."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import vrplib

from hospital_or.io import format_solomon, parse_solomon, read_instance, read_solomon, solomon_losses, write_solomon
from hospital_or.io.solomon import SOLOMON_FIXED_COST

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def solomon_files(shared_dir):
    files = sorted((shared_dir / "solomon").glob("*.txt"))
    assert len(files) == 56
    return files


@pytest.fixture(scope="module")
def dynamic_files(shared_dir):
    files = sorted((shared_dir / "dvrptw_necula").glob("*.txt"))
    assert len(files) == 616
    return files


def test_all_56_solomon_files_load_and_match_vrplib(solomon_files):
    for path in solomon_files:
        p = read_instance(path)
        ref = vrplib.read_instance(path, instance_format="solomon", compute_edge_weights=False)
        assert p.name == ref["name"] == path.stem
        assert p.n_requests == 100 and p.n_stations == 0
        assert p.depot.id == "0" and p.node_ids[1:] == tuple(str(k) for k in range(1, 101))
        assert p.fleet.max_vehicles == ref["vehicles"] and p.fleet.capacity == ref["capacity"]
        assert (p.fleet.fixed_cost, p.fleet.cost_per_distance, p.fleet.max_trips) == (SOLOMON_FIXED_COST, 1.0, 1)
        assert not p.fleet.has_battery and p.fleet.speed == 1.0
        nodes = [p.depot, *p.requests]
        np.testing.assert_array_equal([[n.x, n.y] for n in nodes], ref["node_coord"])
        np.testing.assert_array_equal([r.demand for r in p.requests], ref["demand"][1:])
        np.testing.assert_array_equal([[r.ready, r.due] for r in p.requests], ref["time_window"][1:])
        np.testing.assert_array_equal([r.service for r in p.requests], ref["service_time"][1:])
        assert (p.depot.ready, p.depot.horizon) == tuple(ref["time_window"][0])
        assert all(r.reveal == 0 and r.priority == 3 for r in p.requests)
        assert p.source == str(path)


def test_all_616_dynamic_files_load(dynamic_files, shared_dir):
    static = {f.stem.lower(): read_solomon(f) for f in (shared_dir / "solomon").glob("*.txt")}
    shares = {}
    for path in dynamic_files:
        p = read_instance(path)
        base = static[path.stem.split("-")[0]]
        # columns 1-7 identical to the static file; reveal < ready for every dynamic request (README)
        assert p.replace(source="", name="x", requests=[replace(r, reveal=0.0) for r in p.requests]) == base.replace(
            source="", name="x"
        )
        assert all(r.reveal == 0 or r.reveal < r.ready for r in p.requests)
        shares[path.stem] = sum(r.reveal > 0 for r in p.requests)
    # c101 has 8 / 48 / 90 dynamic customers at 0.1 / 0.5 / 1.0 (README) and none at 0.0
    assert (shares["c101-0.0"], shares["c101-0.1"], shares["c101-0.5"], shares["c101-1.0"]) == (0, 8, 48, 90)


def test_dynamic_reveal_column_values(shared_dir):
    p = read_solomon(shared_dir / "dvrptw_necula" / "c101-0.5.txt")
    assert p.request("1").reveal == 0 and p.request("2").reveal == 334 and p.request("4").reveal == 537


def test_round_trip_all_solomon_and_byte_stable(solomon_files, tmp_path):
    for path in solomon_files:
        p = read_solomon(path)
        out = tmp_path / f"{path.stem}.txt"
        write_solomon(p, out)
        q = read_solomon(out)
        assert q == p.replace(source=str(out))
        assert out.read_text() == format_solomon(q)  # byte-stable: writing the re-read problem gives the same bytes
        assert "AVAIL" not in out.read_text()
    # vrplib reads what we write
    ref = vrplib.read_instance(out, instance_format="solomon", compute_edge_weights=False)
    np.testing.assert_array_equal(ref["time_window"][1:], [[r.ready, r.due] for r in q.requests])
    assert (ref["vehicles"], ref["capacity"]) == (q.fleet.max_vehicles, q.fleet.capacity)


def test_dynamic_round_trip_keeps_reveal_column(shared_dir, tmp_path):
    p = read_solomon(shared_dir / "dvrptw_necula" / "r201-0.7.txt")
    out = tmp_path / "d.txt"
    write_solomon(p, out)
    assert "AVAIL. TIME" in out.read_text().splitlines()[7]
    assert read_solomon(out) == p.replace(source=str(out))
    # a static problem written from the dynamic level 0.0 has no reveal column
    p0 = read_solomon(shared_dir / "dvrptw_necula" / "r201-0.0.txt")
    assert "AVAIL" not in format_solomon(p0)


def test_tiny_file_values():
    p = read_solomon(DATA / "tiny_solomon.txt")
    assert p.name == "TINY5" and p.fleet.max_vehicles == 3 and p.fleet.capacity == 50
    assert p.request("5").x == 62.5 and p.request("5").service == 5
    assert math.isclose(p.distance_matrix[0, 1], 10.0)
    d = read_solomon(DATA / "tiny_dynamic.txt")
    assert [r.reveal for r in d.requests] == [0, 0, 60, 30, 150]


def test_non_integer_values_round_trip_exactly():
    text = format_solomon(
        parse_solomon(
            "T\nVEHICLE\nNUMBER CAPACITY\n2 10.25\nCUSTOMER\nCUST NO. X\n"
            "0 0 0 0 0 100 0\n7 1.1 0.30000000000000004 2.5 0 90 1e-3\n"
        )
    )
    p = parse_solomon(text)
    assert p.request("7").y == 0.30000000000000004 and p.request("7").service == 0.001 and p.fleet.capacity == 10.25


def test_crlf_and_tabs_are_accepted():
    text = (DATA / "tiny_solomon.txt").read_text()
    a = parse_solomon(text, "a")
    b = parse_solomon(text.replace("\n", "\r\n").replace("      ", "\t"), "a")
    assert a == b


def test_lossy_export_is_explicit():
    from hospital_or.io import read_instance_json

    h = read_instance_json(DATA / "tiny_hospital.json")
    losses = solomon_losses(h)
    assert any("stations" in x for x in losses) and any("priorities" in x for x in losses)
    with pytest.raises(ValueError, match="cannot hold"):
        format_solomon(h)
    p = parse_solomon(format_solomon(h, lossy=True))
    assert p.node_ids == ("0", "1", "2", "3", "4")
    assert [(r.x, r.y, r.ready, r.due, r.reveal) for r in p.requests] == [
        (r.x, r.y, r.ready, r.due, r.reveal) for r in h.requests
    ]
    assert solomon_losses(read_solomon(DATA / "tiny_solomon.txt")) == []
