"""Stochastic evaluation in the checker: Clark's max, chance constraint, chaining, Monte Carlo (seeded, CRN)."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital_or import AMRPlan, Depot, Elevator, Fleet, Problem, Request, Solution, StochasticModel, Trip
from hospital_or.checker import check, clark_max, expected_lateness, normal_cdf
from hospital_or.monte_carlo import resolve_seed, sample_truncated_noise

Z95 = NormalDist().inv_cdf(0.95)


def line_problem(xs, ready, due, service=5.0, cv=(0.2, 0.2), horizon=2000.0, **fleet):
    reqs = [
        Request(f"r{i}", float(x), 0.0, 1.0, float(e), float(l), service)
        for i, (x, e, l) in enumerate(zip(xs, ready, due, strict=True))
    ]
    fleet = {"capacity": 100.0, "max_vehicles": 3, **fleet}
    model = StochasticModel(cv_travel=cv[0], cv_service=cv[1], beta=0.95)
    return Problem("stoch", Depot("D", 0, 0, 0, horizon), tuple(reqs), Fleet(**fleet), stochastic=model)


# ---------------------------------------------------------------------------------------------- Clark
@given(
    mean=st.floats(-1e3, 1e3),
    sd=st.floats(0.0, 100.0),
    threshold=st.floats(-1e3, 1e3),
)
def test_clark_mean_dominates_both_arguments(mean, sd, threshold):
    mu, var = clark_max(mean, sd * sd, threshold)
    assert mu >= max(mean, threshold) - 1e-9 * (1 + abs(mean) + abs(threshold))
    assert 0.0 <= var <= sd * sd * (1 + 1e-9) + 1e-12  # max(e, .) is 1-Lipschitz: it cannot add variance


def test_clark_moments_match_sampling():
    rng = np.random.default_rng(11)
    for mean, sd, e in [(100.0, 10.0, 95.0), (100.0, 10.0, 120.0), (50.0, 3.0, 20.0), (0.0, 1.0, 0.0)]:
        a = rng.normal(mean, sd, 400_000)
        s = np.maximum(e, a)
        mu, var = clark_max(mean, sd * sd, e)
        assert mu == pytest.approx(s.mean(), abs=0.02 * sd)
        assert math.sqrt(var) == pytest.approx(s.std(), abs=0.02 * sd)
        late = np.maximum(a - e, 0.0).mean()
        assert expected_lateness(mean, sd * sd, e) == pytest.approx(late, abs=0.02 * sd)
    assert clark_max(10.0, 0.0, 12.0) == (12.0, 0.0)
    assert expected_lateness(15.0, 0.0, 12.0) == 3.0


def test_truncated_noise_respects_the_bound():
    eps = sample_truncated_noise(np.random.default_rng(0), 2.0, 10_000, -0.9)
    assert eps.min() >= -0.9 and eps.max() > 1.0
    assert not sample_truncated_noise(np.random.default_rng(0), 0.0, 5, -0.9).any()


# ---------------------------------------------------------------------------------------------- analytic, by hand
def test_one_request_chance_constraint_by_hand():
    # travel 100 with cv 0.1 -> sd 10; mean + z95 * sd = 116.45
    p = line_problem([100], [0], [110], service=0.0, cv=(0.1, 0.0))
    r = check(p, Solution.from_routes([["r0"]]))
    v = r.schedule[0].visits[0]
    assert (v.arrival, v.arrival_sd) == (100.0, pytest.approx(10.0))
    assert v.on_time_probability == pytest.approx(normal_cdf(1.0))
    assert r.on_time_analytic["r0"] == pytest.approx(0.841345, abs=1e-6)
    assert [x.kind for x in r.violations] == ["chance"] and r.violations[0].request == "r0"
    ok = check(line_problem([100], [0], [117], service=0.0, cv=(0.1, 0.0)), Solution.from_routes([["r0"]]))
    assert ok.feasible
    # the return: two independent arcs of sd 10 -> sd sqrt(200)
    closing = ok.schedule[0].visits[-1]
    assert closing.arrival == 200 and closing.arrival_sd == pytest.approx(math.sqrt(200))
    assert ok.schedule[0].end == pytest.approx(200 + Z95 * math.sqrt(200))


def test_service_variance_and_clark_propagate():
    p = line_problem([100, 150], [0, 0], [500, 500], service=10.0, cv=(0.1, 0.2))
    r = check(p, Solution.from_routes([["r0", "r1"]]))
    second = r.schedule[0].visits[1]
    # sd^2 = 10^2 (arc 1) + 2^2 (service) + 5^2 (arc 2)
    assert second.arrival == pytest.approx(160.0)
    assert second.arrival_sd == pytest.approx(math.sqrt(100 + 4 + 25))
    # a ready time well above the arrival resets the uncertainty (spec property P1)
    p = line_problem([100, 150], [0, 400], [500, 500], service=10.0, cv=(0.1, 0.2))
    r = check(p, Solution.from_routes([["r0", "r1"]]))
    second = r.schedule[0].visits[1]
    assert second.start == pytest.approx(400.0) and second.wait == pytest.approx(240.0)
    closing = r.schedule[0].visits[-1]
    assert closing.arrival_sd == pytest.approx(math.sqrt(4 + 15**2), rel=1e-6)


def test_stochastic_horizon_uses_the_quantile():
    p = line_problem([100], [0], [200], service=0.0, cv=(0.1, 0.0), horizon=215.0)
    r = check(p, Solution.from_routes([["r0"]]))  # 200 + 1.645 * 14.14 = 223.3 > 215
    assert [v.kind for v in r.violations] == ["horizon"]


def test_multi_trip_chaining_uses_beta_quantile_of_the_return():
    p = line_problem([100, 50], [0, 0], [1000, 1000], service=0.0, cv=(0.1, 0.0), max_trips=2, depot_turnaround=3)
    r = check(p, Solution((AMRPlan((Trip(("r0",)), Trip(("r1",)))),)))
    assert r.feasible
    expected = 200 + Z95 * math.sqrt(200) + 3
    assert r.schedule[1].start == pytest.approx(expected)
    assert r.schedule[1].visits[0].arrival_sd == pytest.approx(5.0)  # the uncertainty restarts at the depot
    assert r.schedule[1].visits[0].arrival == pytest.approx(expected + 50)


def test_soft_windows_price_expected_lateness():
    p = line_problem([100], [0], [100], service=0.0, cv=(0.1, 0.0)).replace(lateness_weights=(1.0, 1.0, 2.0))
    r = check(p, Solution.from_routes([["r0"]]))
    assert r.feasible  # soft windows: no chance violation
    assert r.costs["lateness"] == pytest.approx(2.0 * 10.0 * NormalDist().pdf(0.0))


# ---------------------------------------------------------------------------------------------- Monte Carlo
def test_analytic_and_monte_carlo_agree_within_two_points():
    xs = [30, 60, 90, 120, 150, 180, 210, 240]
    ready = [0, 50, 0, 0, 120, 0, 0, 0]
    due = [40, 85, 110, 140, 175, 215, 250, 280]
    p = line_problem(xs, ready, due)
    r = check(p, Solution.from_routes([[f"r{i}" for i in range(8)]]), monte_carlo=20_000, seed=5)
    assert r.monte_carlo_samples == 20_000 and r.monte_carlo_seed == 5
    probabilities = list(r.on_time_analytic.values())
    assert min(probabilities) < 0.7 and max(probabilities) > 0.95  # a case with informative probabilities
    for rid, analytic in r.on_time_analytic.items():
        assert abs(analytic - r.on_time_monte_carlo[rid]) < 0.02, rid
    d = r.to_dict()
    assert d["monte_carlo_samples"] == 20_000 and 0 < d["on_time_monte_carlo_min"] < 1


def test_elevator_wait_monte_carlo_agrees():
    reqs = (
        Request("up", 10.0, 0.0, 1.0, 0.0, 80.0, 2.0, floor=2),
        Request("up2", 20.0, 0.0, 1.0, 0.0, 95.0, 2.0, floor=2),
    )
    p = Problem(
        "floors",
        Depot("D", 0, 0, 0, 1000),
        reqs,
        Fleet(capacity=10, max_vehicles=1),
        stochastic=StochasticModel(cv_travel=0.1, cv_service=0.1),
        elevator=Elevator(5.0, 0.0, ride_fixed=10.0, ride_per_floor=5.0, wait_max=60.0),
    )
    assert p.is_stochastic
    r = check(p, Solution.from_routes([["up", "up2"]]), monte_carlo=20_000, seed=1)
    up = r.schedule[0].visits[0]
    assert up.arrival == pytest.approx(5 + 20 + 30 + 5)  # shaft, ride 10 + 2*5, mean wait 30, shaft to target
    # the uniform wait makes the arrival non-normal; the analytic value is still within a few points
    for rid, analytic in r.on_time_analytic.items():
        assert abs(analytic - r.on_time_monte_carlo[rid]) < 0.05, rid


def test_monte_carlo_is_deterministic_by_seed():
    p = line_problem([30, 60, 90], [0, 0, 0], [40, 75, 110])
    s = Solution.from_routes([["r0", "r1", "r2"]])
    a = check(p, s, monte_carlo=500, seed=42).on_time_monte_carlo
    b = check(p, s, monte_carlo=500, seed=42).on_time_monte_carlo
    c = check(p, s, monte_carlo=500, seed=43).on_time_monte_carlo
    assert a == b
    assert a != c
    unseeded = check(p, s, monte_carlo=500)
    assert unseeded.monte_carlo_seed is not None
    assert check(p, s, monte_carlo=500, seed=unseeded.monte_carlo_seed).on_time_monte_carlo == (
        unseeded.on_time_monte_carlo
    )
    gen_seed = resolve_seed(np.random.default_rng(7))
    assert gen_seed == resolve_seed(np.random.default_rng(7))
    with pytest.raises(ValueError):
        resolve_seed(-1)


def test_common_random_numbers_across_plans():
    """Two plans that share a trip see the same scenarios on it: identical on-time rates there."""
    p = line_problem([30, 60, 90, -40], [0, 0, 0, 0], [40, 75, 110, 50])
    one = Solution.from_routes([["r0", "r1"], ["r2", "r3"]])
    other = Solution.from_routes([["r0", "r1"], ["r3", "r2"]])
    a = check(p, one, monte_carlo=300, seed=9).on_time_monte_carlo
    b = check(p, other, monte_carlo=300, seed=9).on_time_monte_carlo
    assert a["r0"] == b["r0"] and a["r1"] == b["r1"]
    assert a["r2"] != b["r2"]


def test_deterministic_problem_monte_carlo_is_exact():
    p = line_problem([30, 60], [0, 0], [40, 62], cv=(0.0, 0.0))  # r1 arrives at 65
    r = check(p, Solution.from_routes([["r0", "r1"]]), monte_carlo=50, seed=0)
    assert not p.is_stochastic
    assert r.on_time_monte_carlo == {"r0": 1.0, "r1": 0.0}
    assert r.on_time_analytic == {"r0": 1.0, "r1": 0.0}
    assert [v.kind for v in r.violations] == ["time_window"]
