"""Instance generators: hospital days and dynamic Solomon (determinism, validity, dynamism rules, CLI)."""

from __future__ import annotations

import dataclasses
import math
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital_or.checker import check
from hospital_or.cli import main
from hospital_or.exceptions import InvalidProblemError
from hospital_or.generators import (
    HospitalConfig,
    dynamic_solomon_stats,
    generate_hospital,
    hospital_preset,
    make_dynamic_solomon,
    single_trip_plan,
)
from hospital_or.generators.hospital import hospital_layout, stream_of
from hospital_or.io import format_instance_json, read_instance, read_solomon, write_instance
from hospital_or.paths import PACKAGE_INSTANCES
from hospital_or.problem import Problem

SMALL = hospital_preset("small")


@pytest.fixture(scope="module")
def small() -> Problem:
    return generate_hospital(SMALL, seed=7)


@pytest.fixture(scope="module")
def medium() -> Problem:
    return generate_hospital(hospital_preset("medium"), seed=11)


def _dynamic_requests_ok(problem: Problem) -> None:
    """Every request is static (reveal 0) or revealed after the start, no later than ready and due - t_0i."""
    t0 = problem.travel_time_matrix[0]
    start = problem.depot.ready
    for i, r in enumerate(problem.requests, start=1):
        if r.reveal == 0.0:
            continue
        assert start < r.reveal <= r.ready, r
        assert r.reveal <= r.due - t0[i] + 1e-9, r


# ----------------------------------------------------------------------------------------------- hospital
def test_same_seed_gives_identical_bytes(tmp_path):
    a = generate_hospital(SMALL, seed=3)
    b = generate_hospital(SMALL, seed=3)
    assert format_instance_json(a) == format_instance_json(b)
    write_instance(a, tmp_path / "a.json")
    write_instance(b, tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    # a Generator seeded alike gives the same instance as the integer seed
    c = generate_hospital(SMALL, seed=np.random.default_rng(3))
    assert c.requests == a.requests


def test_different_seeds_differ():
    a = generate_hospital(SMALL, seed=1)
    b = generate_hospital(SMALL, seed=2)
    assert a.requests != b.requests
    assert format_instance_json(a) != format_instance_json(b)


def test_presets_have_the_documented_sizes(small, medium):
    assert small.n_requests == 32
    assert medium.n_requests == 100
    large = generate_hospital(hospital_preset("large"), seed=5)
    assert 400 <= large.n_requests <= 600
    assert large.depot.horizon - large.depot.ready == 24 * 3600


def test_generated_problem_has_the_spec_parameters(small):
    f, s = small.fleet, small.stochastic
    assert (s.cv_travel, s.cv_service, s.beta) == (0.2, 0.2, 0.95)
    assert small.elevator is not None and small.elevator.wait_max == 60.0
    assert f.battery_capacity == 100.0 and f.min_soc_fraction == 0.2 and f.depot_charging
    assert f.energy_per_distance == pytest.approx(10.0 / 2160.0)  # 10 %/h at 0.6 m/s (B4)
    assert f.recharge_rate == pytest.approx(144.0)  # 25 %/h (B7)
    assert f.max_trips > 1 and f.fixed_cost > 1000 * f.cost_per_distance
    assert small.is_stochastic and small.hard_time_windows
    assert small.stations and {st.floor for st in small.stations} <= {2}  # small: floors B1-L4
    assert all(small.depot.ready <= r.ready <= r.due <= small.depot.horizon for r in small.requests)
    assert all(0 < r.demand <= f.capacity for r in small.requests)
    assert {r.priority for r in small.requests} <= {1, 2, 3}
    assert all(stream_of(r.id) for r in small.requests)


def test_witness_plan_is_feasible_within_the_fleet_limit(small, medium):
    for problem in (small, medium):
        plan = single_trip_plan(problem)
        report = check(problem, plan, respect_reveal_times=True)
        assert report.feasible, report.violations[:3]
        assert report.vehicles <= problem.fleet.max_vehicles
        assert max(len(a.trips) for a in plan.amrs) <= problem.fleet.max_trips
        assert report.served == problem.n_requests


def test_fleet_limit_override_and_slack():
    tight = generate_hospital(SMALL, seed=7, max_vehicles=2)
    assert tight.fleet.max_vehicles == 2
    with pytest.raises(InvalidProblemError, match="total demand"):  # 1 AMR cannot carry the day's load
        generate_hospital(SMALL, seed=7, max_vehicles=1)
    loose = generate_hospital(SMALL, seed=7, fleet_slack=2.0)
    base = generate_hospital(SMALL, seed=7)
    assert loose.fleet.max_vehicles == math.ceil(2.0 * base.fleet.max_vehicles)
    assert loose.requests == base.requests


def test_dynamism_share_and_reveal_rule(small, medium):
    for problem, config in ((small, SMALL), (medium, hospital_preset("medium"))):
        dynamic = [r for r in problem.requests if r.reveal > 0]
        assert len(dynamic) == round(config.dynamism * problem.n_requests)
        _dynamic_requests_ok(problem)
        # the online streams (STAT etc.) are made dynamic first
        stat = [r for r in problem.requests if r.priority == 1]
        assert all(r.reveal > 0 for r in stat)


def test_dynamism_extremes():
    static = generate_hospital(SMALL, seed=4, dynamism=0.0)
    assert all(r.reveal == 0.0 for r in static.requests)
    full = generate_hospital(SMALL, seed=4, dynamism=1.0)
    t0 = full.travel_time_matrix[0]
    for i, r in enumerate(full.requests, start=1):
        cap = min(r.ready, r.due - t0[i])
        assert (r.reveal > 0) == (cap >= full.depot.ready + 2.0)
    _dynamic_requests_ok(full)


@given(seed=st.integers(0, 10_000), dynamism=st.floats(0.0, 1.0), n=st.integers(5, 40))
def test_random_configurations_are_valid(seed, dynamism, n):
    problem = generate_hospital(SMALL, seed=seed, dynamism=dynamism, n_requests=n)
    assert problem.n_requests == n
    _dynamic_requests_ok(problem)
    assert single_trip_plan(problem).num_vehicles <= problem.fleet.max_vehicles


def test_too_many_requests_and_bad_config_raise():
    with pytest.raises(ValueError, match="servable jobs"):
        generate_hospital(SMALL, seed=1, n_requests=10_000)
    with pytest.raises(ValueError, match="dynamism"):
        HospitalConfig(dynamism=1.5)
    with pytest.raises(ValueError, match="unknown size"):
        hospital_preset("huge")


def test_layout_distances_follow_the_spec():
    layout = hospital_layout(HospitalConfig())
    assert len(layout.care_locations) == 15  # 12 wards, ED, ICU, OR (+ step-down sharing the ICU node)
    assert math.hypot(layout.hub.x, layout.hub.y) == pytest.approx(30.0, abs=1e-3)
    ward = layout.by_code("L8A")
    assert (ward.floor, math.hypot(ward.x, ward.y)) == (8, pytest.approx(40.0, abs=1e-3))
    assert layout.elevator.ride_fixed + 8 * layout.elevator.ride_per_floor == pytest.approx(55.0)
    assert [s.floor for s in layout.stations] == [2, 5, 8]


def test_single_trip_plan_rejects_unservable_requests(small):
    # a due time reachable on average but not with probability beta cannot be served by the witness
    r = small.requests[0]
    t0 = small.travel_time_matrix[0, 1]
    bad = dataclasses.replace(r, ready=small.depot.ready, due=small.depot.ready + t0 + 0.5, reveal=0.0)
    problem = small.replace(requests=(bad, *small.requests[1:]))
    with pytest.raises(ValueError, match=bad.id):
        single_trip_plan(problem)


def test_committed_instances_match_their_regenerate_command(tmp_path):
    for size, seed in (("small", 1), ("medium", 1), ("large", 1)):
        path = PACKAGE_INSTANCES / f"hospital_{size}.json"
        if not path.exists():
            pytest.skip(f"{path} not generated yet")
        assert path.stat().st_size < 500_000
        fresh = tmp_path / path.name
        write_instance(generate_hospital(hospital_preset(size), seed=seed), fresh)
        assert fresh.read_bytes() == path.read_bytes(), f"{path.name}: run instances/regenerate.sh"
        assert read_instance(path).n_requests > 0


# ----------------------------------------------------------------------------------------------- dynamic Solomon
def _reference_reveals(problem: Problem, dod: float, seed: int) -> list[float]:
    """The README rule, written out independently: customers by number, sample, then U per dynamic customer."""
    customers = sorted(problem.requests, key=lambda r: int(r.id))
    eligible = [r.id for r in customers if r.ready > 0]
    rng = random.Random(seed)
    chosen = set(rng.sample(eligible, round(dod * len(eligible))))
    d = problem.depot
    out = {}
    for r in customers:
        if r.id in chosen:
            t0 = math.hypot(r.x - d.x, r.y - d.y)
            out[r.id] = float(math.floor(rng.random() * min(r.ready, max(0.0, r.due - t0))))
        else:
            out[r.id] = 0.0
    return [out[r.id] for r in problem.requests]


@pytest.mark.needs_shared
@pytest.mark.parametrize(("name", "dod", "seed"), [("C101", 0.5, 1), ("R103", 0.3, 7), ("RC204", 0.9, 0)])
def test_dynamic_solomon_follows_the_readme_rule(shared_dir, name, dod, seed):
    base = read_solomon(shared_dir / "solomon" / f"{name}.txt")
    dyn = make_dynamic_solomon(base, dod, seed)
    assert [r.reveal for r in dyn.requests] == _reference_reveals(base, dod, seed)
    eligible = [r for r in base.requests if r.ready > 0]
    k = round(dod * len(eligible))
    stats = dynamic_solomon_stats(dyn)
    assert stats.eligible == len(eligible) and stats.dynamic <= k
    assert f"k={k}" in dyn.source and f"seed={seed}" in dyn.source
    for r in dyn.requests:
        if r.ready == 0:
            assert r.reveal == 0.0  # customers with e_i = 0 stay static
        assert r.reveal <= r.ready
        assert r.reveal <= max(0.0, r.due - math.hypot(r.x - dyn.depot.x, r.y - dyn.depot.y))
        assert r.reveal == int(r.reveal)
    # everything but the reveal times is unchanged
    strip = [dataclasses.replace(r, reveal=0.0) for r in dyn.requests]
    assert strip == [dataclasses.replace(r, reveal=0.0) for r in base.requests]
    assert dyn.fleet == base.fleet
    # reproducible, and the seed matters
    assert make_dynamic_solomon(base, dod, seed).requests == dyn.requests
    assert make_dynamic_solomon(base, dod, seed + 1).requests != dyn.requests


@pytest.mark.needs_shared
def test_dynamic_solomon_file_round_trip_and_cli(shared_dir, tmp_path):
    src = shared_dir / "solomon" / "R101.txt"
    out = tmp_path / "r101-d03.txt"
    assert main(["instances", "generate", "dynamic-solomon", str(src), "--dod", "0.3", "--seed", "2",
                 "--out", str(out)]) == 0
    text = out.read_text()
    assert "AVAIL. TIME" in text
    expected = make_dynamic_solomon(read_solomon(src), 0.3, 2)
    assert read_instance(out).requests == expected.requests
    again = tmp_path / "again.txt"
    main(["instances", "generate", "dynamic-solomon", str(src), "--dod", "0.3", "--seed", "2", "--out", str(again)])
    assert again.read_bytes() == out.read_bytes()


def test_dynamic_solomon_bad_arguments(small):
    with pytest.raises(ValueError, match="dod"):
        make_dynamic_solomon(small, 1.2, 0)
    with pytest.raises(ValueError, match="seed"):
        make_dynamic_solomon(small, 0.5, 1.5)  # type: ignore[arg-type]


def test_dynamic_solomon_dod_zero_and_one_on_a_generated_problem(small):
    static = make_dynamic_solomon(small, 0.0, 3)
    assert all(r.reveal == 0.0 for r in static.requests)
    everything = make_dynamic_solomon(small, 1.0, 3)
    t0 = everything.travel_time_matrix[0]
    for i, r in enumerate(everything.requests, start=1):
        assert r.reveal <= min(r.ready, max(0.0, r.due - t0[i]))


# ----------------------------------------------------------------------------------------------- CLI
def test_cli_generate_hospital(tmp_path, capsys):
    out = tmp_path / "h.json"
    args = ["instances", "generate", "hospital", "--size", "small", "--seed", "5", "--dynamism", "0.5",
            "--out", str(out)]
    assert main(args) == 0
    assert "wrote" in capsys.readouterr().out
    expected = generate_hospital(SMALL, seed=5, dynamism=0.5)
    assert out.read_text() == format_instance_json(expected) or read_instance(out) == expected
    custom = tmp_path / "c.json"
    assert main(["instances", "generate", "hospital", "--requests", "120", "--start", "06:00", "--end", "16:30",
                 "--seed", "1", "--out", str(custom)]) == 0
    problem = read_instance(custom)
    assert problem.n_requests == 120 and problem.depot.ready == 6 * 3600 and problem.depot.horizon == 16.5 * 3600


def test_cli_generate_errors(tmp_path, capsys):
    out = str(tmp_path / "x.json")
    assert main(["instances", "generate", "hospital", "--requests", "99999", "--out", out]) == 1
    assert "servable jobs" in capsys.readouterr().err
    assert main(["instances", "generate", "hospital", "--start", "7h", "--out", out]) == 2
    assert main(["instances", "generate", "hospital", "--dynamism", "2", "--out", out]) == 2
    assert main(["instances", "generate", "dynamic-solomon", str(tmp_path / "missing.txt"), "--dod", "0.1",
                 "--out", out]) == 1


