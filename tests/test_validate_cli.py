"""``hospital-or validate`` and the checker on the Solomon BKS routes (the issue's "done means"), plus corruptions."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from hospital_or import AMRPlan, Depot, Fleet, Problem, Request, Solution, StochasticModel, Trip
from hospital_or.checker import check
from hospital_or.cli import main
from hospital_or.io import read_instance, read_solution
from hospital_or.solution_io import write_solution_json

pytestmark = pytest.mark.needs_shared


def _bks(shared_dir: Path) -> dict[str, dict[str, str]]:
    with open(shared_dir / "solomon" / "bks_hierarchical.csv", newline="") as handle:
        return {row["instance"]: row for row in csv.DictReader(handle)}


def _paths(shared_dir: Path, name: str) -> tuple[Path, Path]:
    folder = shared_dir / "solomon"
    return folder / f"{name}.txt", folder / "solutions" / "hierarchical" / f"{name}.sol"


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _write_sol(path: Path, routes: list[list[str]]) -> Path:
    lines = [f"Route #{k}: {' '.join(r)}" for k, r in enumerate(routes, start=1)]
    path.write_text("\n".join(lines) + "\nCost 0\n")
    return path


def test_all_56_hierarchical_bks_are_feasible_with_their_vehicles_and_distance(shared_dir):
    bks = _bks(shared_dir)
    assert len(bks) == 56
    for name, row in bks.items():
        instance, sol = _paths(shared_dir, name)
        problem = read_instance(instance)
        report = check(problem, read_solution(sol, problem))
        assert report.feasible, (name, report.violations[:3])
        assert report.vehicles == int(row["vehicles"]), name
        assert report.distance == pytest.approx(float(row["distance"]), abs=0.01), name
        assert report.distance == pytest.approx(float(row["distance_exact"]), abs=1e-5), name
        assert report.served == 100 and report.trips == report.vehicles


@pytest.mark.parametrize("name", ["C101", "R201", "RC105"])
def test_cli_json_prints_feasible_vehicles_and_distance(shared_dir, capsys, name):
    row = _bks(shared_dir)[name]
    instance, sol = _paths(shared_dir, name)
    code, out, _ = _run(capsys, "validate", instance, sol, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["feasible"] is True and data["violations"] == []
    assert data["vehicles"] == int(row["vehicles"])
    assert data["distance"] == pytest.approx(float(row["distance"]), abs=0.01)
    assert data["cost"] == pytest.approx(10000 * data["vehicles"] + data["distance"])


def test_cli_table(shared_dir, capsys):
    instance, sol = _paths(shared_dir, "C101")
    code, out, _ = _run(capsys, "validate", instance, sol)
    assert code == 0
    assert "feasible" in out and "828.94" in out and "10" in out


@pytest.fixture
def c101(shared_dir):
    instance, sol = _paths(shared_dir, "C101")
    problem = read_instance(instance)
    routes = [list(t.visits) for t in read_solution(sol, problem).trips]
    return instance, problem, routes


def _violations(capsys, instance, sol) -> tuple[int, list[tuple[str, str | None]]]:
    code, out, _ = _run(capsys, "validate", instance, sol, "--format", "json")
    return code, [(v["kind"], v["request"]) for v in json.loads(out)["violations"]]


def test_swap_across_a_time_window(c101, tmp_path, capsys):
    instance, problem, routes = c101
    assert routes[0][-2:] == ["1", "75"]
    routes[0][-2:] = ["75", "1"]  # request 1 (window [912, 967]) now starts after 75 is served
    code, found = _violations(capsys, instance, _write_sol(tmp_path / "swap.sol", routes))
    assert code == 3
    assert found == [("time_window", "1")]
    start = next(
        v.start for t in check(problem, Solution.from_routes(routes)).schedule for v in t.visits if v.node == "1"
    )
    assert start > problem.request("1").due


def test_dropped_visit(c101, tmp_path, capsys):
    instance, _, routes = c101
    dropped = routes[3].pop(2)
    code, found = _violations(capsys, instance, _write_sol(tmp_path / "drop.sol", routes))
    assert code == 3
    assert found == [("missing", dropped)]


def test_overloaded_trip(c101, tmp_path, capsys):
    instance, problem, routes = c101
    full = max(range(len(routes)), key=lambda k: sum(problem.request(c).demand for c in routes[k]))
    assert sum(problem.request(c).demand for c in routes[full]) == problem.fleet.capacity
    # move one customer of another route into the full one, where time windows stay satisfied
    for k, route in enumerate(routes):
        if k == full:
            continue
        for customer in route:
            for position in range(len(routes[full]) + 1):
                trial = [list(r) for r in routes]
                trial[k].remove(customer)
                trial[full].insert(position, customer)
                if [v.kind for v in check(problem, Solution.from_routes(trial)).violations] == ["capacity"]:
                    code, found = _violations(capsys, instance, _write_sol(tmp_path / "over.sol", trial))
                    assert code == 3
                    assert found == [("capacity", None)]
                    return
    pytest.fail("no single move overloads the full route without breaking a time window")


def test_cli_table_lists_violations(c101, tmp_path, capsys):
    instance, _, routes = c101
    routes[3].pop(2)
    code, out, _ = _run(capsys, "validate", instance, _write_sol(tmp_path / "drop.sol", routes))
    assert code == 3
    assert "INFEASIBLE" in out and "missing" in out


def test_cli_input_errors_are_one_line(shared_dir, tmp_path, capsys):
    instance, _ = _paths(shared_dir, "C101")
    bad = tmp_path / "bad.sol"
    bad.write_text("Route #1: 1 2 banana\n")
    code, out, err = _run(capsys, "validate", instance, bad)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "bad.sol" in err
    code, _, err = _run(capsys, "validate", instance, tmp_path / "absent.sol")
    assert code == 1 and len(err.strip().splitlines()) == 1
    code, _, _ = _run(capsys, "validate", instance)
    assert code == 2
    code, _, _ = _run(capsys, "validate", instance, bad, "--monte-carlo", "-5")
    assert code == 2


def test_cli_on_our_json_formats_with_monte_carlo(tmp_path, capsys):
    """Instance and solution in the package's JSON formats; a stochastic multi-trip plan."""
    from hospital_or.io import write_instance

    reqs = tuple(Request(f"r{i}", 10.0 * (i + 1), 0.0, 1.0, 0.0, 60.0 + 20 * i, 2.0) for i in range(4))
    problem = Problem(
        "tiny-stochastic",
        Depot("D", 0, 0, 0, 1000),
        reqs,
        Fleet(capacity=3, max_vehicles=1, max_trips=2, depot_turnaround=5),
        stochastic=StochasticModel(cv_travel=0.2, cv_service=0.2),
    )
    plan = Solution((AMRPlan((Trip(("r0", "r1")), Trip(("r2", "r3")))),))
    write_instance(problem, tmp_path / "inst.json")
    write_solution_json(tmp_path / "plan.json", problem, plan, provenance={"seed": 1})
    args = ("validate", tmp_path / "inst.json", tmp_path / "plan.json", "--format", "json")
    code, out, _ = _run(capsys, *args, "--monte-carlo", "400", "--seed", "3")
    data = json.loads(out)
    expected = check(problem, plan, monte_carlo=400, seed=3).to_dict()
    assert data == json.loads(json.dumps(expected))
    assert code == (0 if expected["feasible"] else 3)
    assert data["monte_carlo_samples"] == 400 and data["monte_carlo_seed"] == 3
    code, out2, _ = _run(capsys, *args, "--monte-carlo", "400", "--seed", "3")
    assert out2 == out


def test_reveal_times_on_a_dynamic_solomon_file(shared_dir, capsys, tmp_path):
    """The static R101 BKS routes on the 50%-dynamic copy: fine as a static plan, reveal violations when enforced."""
    dynamic = shared_dir / "dvrptw_necula" / "r101-0.5.txt"
    _, sol = _paths(shared_dir, "R101")
    code, out, _ = _run(capsys, "validate", dynamic, sol, "--format", "json")
    assert code == 0 and json.loads(out)["feasible"]
    code, out, _ = _run(capsys, "validate", dynamic, sol, "--format", "json", "--respect-reveal-times")
    found = json.loads(out)["violations"]
    assert code == 3 and found
    problem = read_instance(dynamic)
    assert {v["kind"] for v in found} == {"reveal"}
    assert all(problem.request(v["request"]).reveal > 0 for v in found)
    schedule = check(problem, read_solution(sol, problem)).schedule
    leaves = {}  # request -> departure time from its predecessor
    for trip in schedule:
        previous = trip.start
        for v in trip.visits:
            leaves[v.node] = previous
            previous = v.departure
    early = {r.id for r in problem.requests if r.id in leaves and leaves[r.id] < r.reveal - 1e-6}
    assert {v["request"] for v in found} == early
    # dispatching each trip once all its requests are known removes every reveal violation
    static = read_solution(sol, problem)
    dispatched = Solution(
        tuple(
            AMRPlan(tuple(Trip(t.visits, max(problem.request(r).reveal for r in t.visits)) for t in a.trips))
            for a in static.amrs
        )
    )
    report = check(problem, dispatched, respect_reveal_times=True)
    assert "reveal" not in {v.kind for v in report.violations}
