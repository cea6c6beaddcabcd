"""VRPLIB ``.sol`` reader/writer: the benchmark solution files, multi-trip regrouping, tokens, round trips."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from hospital_or.exceptions import InstanceFormatError
from hospital_or.io import (
    format_vrplib_solution,
    parse_vrplib_solution,
    read_instance,
    read_solution,
    read_vrplib_solution,
    write_solution,
    write_vrplib_solution,
)
from hospital_or.solution import AMRPlan, Solution, Trip

DATA = Path(__file__).parent / "data"


def _distance(problem, solution) -> float:
    d = problem.distance_matrix
    total = 0.0
    for trip in solution.trips:
        nodes = [0, *(problem.node_index[v] for v in trip.visits), 0]
        total += float(np.sum(d[nodes[:-1], nodes[1:]]))
    return total


def test_all_benchmark_solutions_read(shared_dir):
    folder = shared_dir / "solomon"
    with open(folder / "bks_hierarchical.csv") as handle:
        bks = {row["instance"]: row for row in csv.DictReader(handle)}
    problems = {name: read_instance(folder / f"{name}.txt") for name in bks}
    for kind in ("hierarchical", "distance_dimacs"):
        files = sorted((folder / "solutions" / kind).glob("*.sol"))
        assert len(files) == 56
        for path in files:
            p = problems[path.stem]
            s = read_solution(path, p)
            served = sorted(v for t in s.trips for v in t.visits)
            assert served == sorted(r.id for r in p.requests)  # every customer once
            assert all(len(a.trips) == 1 for a in s.amrs)
            if kind == "hierarchical":
                row = bks[path.stem]
                assert s.num_vehicles == int(row["vehicles"])
                assert abs(_distance(p, s) - float(row["distance_exact"])) < 1e-4


def test_multi_trip_and_rejected_round_trip(tmp_path):
    p = read_instance(DATA / "tiny_solomon.txt")
    s = read_vrplib_solution(DATA / "tiny_multitrip.sol", p)
    assert [[t.visits for t in a.trips] for a in s.amrs] == [[("1", "5"), ("4",)], [("3", "2")]]
    out = tmp_path / "m.sol"
    write_vrplib_solution(out, p, s, cost=123.5)
    text = out.read_text()
    assert "Trips per AMR: 2 1\n" in text and text.endswith("Cost 123.5\n")
    assert read_vrplib_solution(out, p) == s
    r = Solution((AMRPlan((Trip(("1", "5", "4")),)),), rejected=("3", "2"))
    write_solution(out, p, r)
    assert read_solution(out, p) == r and "Trips per AMR" not in out.read_text()


def test_evrptw_ids_and_indices():
    p = read_instance(DATA / "tiny_evrptw.txt")
    s = read_vrplib_solution(DATA / "tiny_evrptw_indices.sol", p)
    assert [t.visits for t in s.trips] == [("C1", "S1", "C2", "S2"), ("S0", "C3", "C4")]
    by_index = format_vrplib_solution(p, s, tokens="indices")
    by_id = format_vrplib_solution(p, s)
    assert by_index.splitlines()[0] == "Route #1: 1 6 2 7" and by_id.splitlines()[0] == "Route #1: C1 S1 C2 S2"
    assert parse_vrplib_solution(by_index, p) == s == parse_vrplib_solution(by_id, p)


def test_vrplib_conventions_accepted():
    p = read_instance(DATA / "tiny_solomon.txt")
    text = "Route #1: 0 1 5 4 0\n\nroute #2:3 2\nTime: 42\nVehicles: 2\nCost: 12\n"
    s = parse_vrplib_solution(text, p)
    assert [t.visits for t in s.trips] == [("1", "5", "4"), ("3", "2")]


def test_ambiguous_index_tokens_refused():
    from hospital_or.problem import Depot, Fleet, Problem, Request

    p = Problem(
        name="amb",
        depot=Depot("d", 0, 0, 0, 100),
        requests=[Request("2", 1, 0, 1, 0, 50, 0), Request("x", 2, 0, 1, 0, 50, 0)],
        fleet=Fleet(capacity=5, max_vehicles=1),
    )
    s = Solution.from_routes([["2", "x"]])
    with pytest.raises(ValueError, match="also the id"):
        format_vrplib_solution(p, s, tokens="indices")
    assert parse_vrplib_solution(format_vrplib_solution(p, s), p) == s
    with pytest.raises(ValueError, match="tokens"):
        format_vrplib_solution(p, s, tokens="names")
    # token "2" is the id "2", not index 2 ("x")
    assert parse_vrplib_solution("Route #1: 2\nRoute #2: 2\n", p).trips[1].visits == ("2",)
    with pytest.raises(ValueError, match="not a node"):
        format_vrplib_solution(p, Solution.from_routes([["nope"]]))


def test_unknown_token_message_names_file_and_line(tmp_path):
    p = read_instance(DATA / "tiny_solomon.txt")
    path = tmp_path / "bad.sol"
    path.write_text("Route #1: 1 2\nRoute #2: 3 x9\n")
    with pytest.raises(InstanceFormatError) as info:
        read_solution(path, p)
    assert str(info.value) == f"{path}:2: unknown node 'x9' (not a node id or index)"
