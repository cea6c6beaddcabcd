"""The problem model: immutability, validation messages, and the array conversion's units."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest

from hospital_or import (
    Depot,
    Elevator,
    Fleet,
    InvalidProblemError,
    Problem,
    Request,
    ScalingWarning,
    Station,
    StochasticModel,
)


def small_problem(**changes) -> Problem:
    base = Problem(
        name="toy",
        depot=Depot("D", 0.0, 0.0, ready=0.0, horizon=100.0),
        requests=(Request("a", 3.0, 4.0, 2, 0, 50, 1), Request("b", 6.0, 8.0, 3, 10, 60, 2, priority=1)),
        fleet=Fleet(capacity=10, max_vehicles=2),
    )
    return base.replace(**changes) if changes else base


def test_problem_is_immutable_and_replace_revalidates():
    """A frozen problem cannot be edited in place; replace() builds a new, validated copy."""
    p = small_problem()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.name = "x"  # type: ignore[misc]
    q = p.replace(name="other")
    assert q.name == "other" and p.name == "toy" and q.requests == p.requests
    with pytest.raises(InvalidProblemError, match="capacity"):
        p.replace(fleet=Fleet(capacity=1, max_vehicles=2))


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (Request("late", 3, 4, 1, 50, 40, 1), "request late: due time 40 is before ready time 50"),
        (Request("heavy", 3, 4, 11, 0, 50, 1), "request heavy: demand 11 exceeds the AMR capacity 10"),
        (Request("far", 300, 400, 1, 0, 50, 1), "request far: unreachable in its window"),
        (Request("p", 3, 4, 1, 0, 50, 1, priority=7), "request p: priority must be 1, 2 or 3"),
        (Request("r", 3, 4, 1, 0, 50, 1, reveal=60), "request r: reveal time 60 is outside"),
        (Request("h", 3, 4, 1, 95, 99, 5), "request h: an AMR serving it cannot be back by the horizon"),
    ],
)
def test_validation_names_the_request_and_the_reason(request_, message):
    """Each inconsistency is reported with the request id and a reason a user can act on."""
    with pytest.raises(InvalidProblemError) as info:
        small_problem(requests=(request_,))
    assert any(message in issue for issue in info.value.issues), info.value.issues


def test_duplicate_ids_and_floors_without_elevator_are_rejected():
    """Ids must be unique; several floors need an elevator to connect them."""
    with pytest.raises(InvalidProblemError, match="used more than once"):
        small_problem(requests=(Request("a", 1, 1, 1, 0, 50, 1), Request("a", 2, 2, 1, 0, 50, 1)))
    with pytest.raises(InvalidProblemError, match="no elevator"):
        small_problem(requests=(Request("a", 1, 1, 1, 0, 50, 1, floor=2),))


def test_battery_too_small_is_explained():
    """A request farther than the battery allows (even via stations) is named."""
    fleet = Fleet(capacity=10, max_vehicles=2, battery_capacity=12.0, energy_per_distance=1.0, recharge_rate=1.0)
    with pytest.raises(InvalidProblemError, match="request b: battery too small") as info:
        small_problem(fleet=fleet)
    assert not any("request a" in issue for issue in info.value.issues)  # a (5 out, 5 back) fits
    # a station near b makes it reachable: depot -> S1 (7.8) -> b (3) -> S1 (3) -> depot
    ok = small_problem(fleet=fleet, stations=(Station("S1", 6.0, 5.0),))
    assert ok.n_stations == 1


def test_arrays_follow_the_documented_numbering_and_units():
    """Depot 0, requests 1..n, stations after; float64 unscaled; travel time = distance / speed."""
    p = small_problem(
        stations=(Station("S1", 0.0, 10.0),),
        fleet=Fleet(capacity=10, max_vehicles=2, speed=2.0, battery_capacity=50.0, energy_per_distance=0.5),
    )
    a = p.to_arrays()
    assert p.node_ids == ("D", "a", "b", "S1")
    assert a.distance.dtype == np.float64 and a.distance[0, 1] == 5.0 and a.distance[0, 3] == 10.0
    assert a.travel_mean[0, 2] == pytest.approx(5.0)  # distance 10 at speed 2
    assert a.energy[0, 1] == pytest.approx(2.5)
    assert a.is_station.tolist() == [False, False, False, True]
    assert a.priority.tolist() == [0, 3, 1, 0] and a.due[0] == 100.0
    assert not a.stochastic and a.z_beta == 0.0 and np.all(a.travel_var == 0)
    assert math.isinf(a.rejection_cost[1]) and a.hard_time_windows


def test_stochastic_arrays_and_elevator_times():
    """Variance of travel = (cv * d / v)^2 plus the elevator wait variance across floors."""
    p = small_problem(
        requests=(Request("up", 3.0, 4.0, 1, 0, 90, 1, floor=1),),
        elevator=Elevator(0.0, 0.0, ride_fixed=2.0, ride_per_floor=1.0, wait_max=6.0),
        stochastic=StochasticModel(cv_travel=0.1, cv_service=0.2, beta=0.9),
    )
    a = p.to_arrays()
    assert p.is_stochastic and a.z_beta == pytest.approx(1.2815515655446004)
    # via the shaft at the depot: 0 + 5 in-plane; ride 2 + 1 per floor; mean wait 3
    assert a.distance[0, 1] == pytest.approx(5.0)
    assert a.travel_mean[0, 1] == pytest.approx(5.0 + 3.0 + 3.0)
    assert a.travel_var[0, 1] == pytest.approx(0.5**2 + 36.0 / 12.0)
    assert a.service_var[1] == pytest.approx((0.2 * 1.0) ** 2)


def test_huge_values_warn_about_resolution():
    """Values above 1e12 trigger a ScalingWarning instead of silently losing precision."""
    p = small_problem(
        depot=Depot("D", 0.0, 0.0, 0.0, 1e13),
        requests=(Request("a", 3.0, 4.0, 1, 0, 1e13, 1),),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        p.to_arrays()
    assert any(issubclass(w.category, ScalingWarning) for w in caught)
