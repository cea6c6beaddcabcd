"""Seeded generator of hospital AMR logistics instances (a Lackner-style dynamic day, with hospital numbers).

The numbers come from ``shared/specs/hospital_parameters.md`` (row ids such as R2, B4, W1 are cited in comments);
section 3 of that file, "a default 400-bed hospital day", is the template.

Building and layout (metres, seconds)
-------------------------------------
Floors are numbered ``0 = B1``, ``1 = L1``, ``2 = L2`` and ``3 ..`` the ward floors (L3-L8 by default). One service
elevator core stands at ``(0, 0)`` on every floor (:class:`~hospital_or.problem.Elevator`; ride = 8 s doors + 2 x 10 s
robot in/out + 3 s acceleration = 31 s fixed plus 4.5 m / 1.5 m/s = 3 s per floor, H2/H7/H8/S7; the random wait is
``Uniform[0, 60 s]``, mean 30 s = H9 off-peak). Each node lies at its spec distance from the core (H5/H6, §3.1):

- B1: the AMR hub with its docks (the depot, 30 m from the core); kitchen, central supply, linen, soiled holding and
  the waste dock are B1 departments that exchange loads with the hub;
- L1: pharmacy, laboratory (both exchange loads with the hub) and the emergency department ED (100 m);
- L2: ICU (45 m; the step-down unit shares it) and the operating suite OR (70 m);
- L3 ..: wards A (40 m) and B (55 m), 32 beds each, with a clean drop point and a soiled pickup point 10 m apart.

Charging stations (docks away from the hub) stand next to the core on floors 2, 5 and 8 (those that exist).

Collapsing origin -> destination jobs to single visits
------------------------------------------------------
The routing model (``docs/semantics.md``) is single-visit: every request is one stop and everything a trip carries
is loaded at the depot. Every job of §3.3 runs between a service department and a care location, so we route all of
them **through the AMR hub**:

- *deliveries* (pharmacy, kitchen, supply, linen -> care location): the sending department stages the load at the
  hub (the hub is the dispatch point, as the AMR docks at the home department in B3/B9); the stop is the
  destination. Window for the start of service: ``[r + t_hub,i, r + W]`` with release ``r`` at the hub and the
  spec's delivery window ``W``; ``r + t_hub,i`` (mean direct travel) is the earliest physical arrival.
- *pickups* (care location -> lab, kitchen, soiled holding, waste): the stop is the origin and the load goes back to
  the hub at the end of the trip (the receiving department collects it there). Window: ``[r, r + W - s_i - t_i,hub]``
  so that a direct return after the pickup reaches the hub within the spec's window ``W`` (a mean-value bound; the
  model does not constrain the return time of an individual load).
- The department-side handling (S1, S4) is part of the depot turnaround between trips.

Demand is counted in cabinet slots: capacity 8 slots (R9); a cart fills the AMR (8 slots, one cart per trip, R8),
an ADC restock takes 3-6 slots, medication and specimen boxes 1-2 slots (the homogeneous-fleet variant of §3.2).

Requests, time windows and priorities
-------------------------------------
The streams of §3.3 (meal delivery and return, nourishment, ADC restock, routine and STAT medication, scheduled and
STAT lab pickups, clean and soiled linen, par exchange out and back, ad-hoc supplies, waste) are drawn for the whole
day with their release processes and 4-hour profiles, scaled to the hospital size (per-unit streams by the number of
care units, per-bed streams by the census). Priorities: 1 = STAT (W1, W4), 2 = time-critical (meds, meals, lab
rounds), 3 = scheduled (W10). Jobs released outside ``[day_start, day_end)`` are dropped, and so are jobs that no
AMR could serve on time in a single-stop trip under the chance constraint (windows clipped by the end of the day).
With ``n_requests`` the day's jobs are thinned uniformly at random to that number (the time-of-day profile stays).

Degree of dynamism
------------------
``k = round(dynamism * n)`` requests are revealed during the day; the other requests have ``reveal = 0`` (known
before the day starts). The online streams (STAT, nourishment, ad-hoc supplies, routine medication: D13) are chosen
first, then scheduled jobs at random. A dynamic request is revealed ``lead`` seconds (stream-specific: the STAT
dispensing time U(5, 15) min of W1, etc.) before its cap ``c_i = min(ready_i, due_i - q_0i)``, where ``q_0i`` is the
beta-quantile of the travel time from the hub (``mean + z_beta * sd``, at least the mean travel time), and never
before ``day_start + 1 s``. Hence ``reveal <= ready`` and ``reveal <= due - travel time``: an AMR dispatched from the
hub at the reveal time still arrives on time (with probability beta). Requests whose cap is not after the start of the
day, or for which a direct trip dispatched at the cap would miss the horizon, stay static; the realised share (which
falls short of the target only when too few requests are eligible) is recorded in ``Problem.source``.

Fleet, battery, costs
---------------------
Speed 0.6 m/s (R2). Battery in % state of charge: capacity 100, 10 %/h of driving at 0.6 m/s
(``energy_per_distance = 10 / 2160`` per metre, B4), recharge 25 %/h (``recharge_rate = 144 s`` per %, B7), hard
reserve 20 % (B8), full recharge at the hub between trips. Travel and service CV 0.2, beta 0.95 (spec §2.4).
``fixed_cost = 50`` per AMR-day (about 130,000 purchase over 7 years; an inference, no source) and
``cost_per_distance = 0.001`` per metre (1 per km), so one AMR is worth 50 km: the fleet cost dominates.

Solvability: the generator builds a witness plan (:func:`single_trip_plan`: every request its own trip, trips
packed greedily onto AMRs) and sets ``max_vehicles`` to ``ceil(fleet_slack * witness AMRs)`` unless
``max_vehicles`` is given. The witness respects time windows (chance constraint), reveal times, the horizon, the
battery and ``max_trips``, so every generated instance has a feasible plan within its fleet limit; solvers that batch
requests into multi-stop trips need far fewer AMRs (the fixed cost rewards that).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from hospital_or.problem import (
    Depot,
    Elevator,
    Fleet,
    Problem,
    Request,
    Station,
    StochasticModel,
)
from hospital_or.solution import AMRPlan, Solution, Trip

__all__ = [
    "PRESETS",
    "HospitalConfig",
    "HospitalLayout",
    "Location",
    "floor_name",
    "generate_hospital",
    "hospital_layout",
    "hospital_preset",
    "single_trip_plan",
    "stream_of",
]

HOUR = 3600.0
MINUTE = 60.0
_NORMAL = NormalDist()


# --------------------------------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class HospitalConfig:
    """All knobs of :func:`generate_hospital`, with the defaults of the 400-bed day (spec §3).

    Parameters
    ----------
    name
        Instance name.
    ward_floors
        Number of ward floors (L3 upwards, two 32-bed wards each; H1/H3). 6 gives the 400-bed hospital.
    beds_per_ward, icu_beds, occupancy
        Beds per ward (H3), ICU beds and the census share (85 %); per-bed streams scale with the census.
    day_start, day_end
        The working day in seconds since midnight (depot ready time and horizon).
    n_requests
        Thin the day's jobs uniformly at random to this many requests (``None``: keep all).
    dynamism
        Target share of requests revealed during the day (degree of dynamism).
    speed
        Effective AMR corridor speed in m/s (R2).
    capacity, cart_slots
        AMR capacity in cabinet slots (R9) and the slots a cart occupies (a cart fills the AMR, R8).
    battery_capacity, energy_per_distance, recharge_rate, min_soc_fraction
        Battery in % state of charge (B4, B7, B8).
    max_trips
        Trips per AMR per day; ``None`` derives ``ceil(2 * day length in hours)`` (15-30 min trips, F3/F6).
    max_vehicles
        Fleet limit; ``None`` takes ``ceil(fleet_slack * AMRs of the witness plan)``.
    fleet_slack
        Factor on the witness fleet when ``max_vehicles`` is ``None``.
    fixed_cost, cost_per_distance
        Daily amortised purchase cost per AMR and cost per metre.
    depot_turnaround
        Hub handling between two trips (load/unload the cabinet or swap the cart, S1/S4), seconds.
    cv_travel, cv_service, beta
        Stochastic model (spec §2.4).
    elevator_wait_max
        Elevator wait ``Uniform[0, w]`` (mean ``w / 2`` = 30 s off-peak, H9).
    station_floors
        Floors with a charging station (only floors that exist are used).
    lateness_weights, rejection_costs
        ``None`` for hard windows / no rejection; otherwise per priority 1, 2, 3 (Paper B).
    """

    name: str = "hospital"
    ward_floors: int = 6
    beds_per_ward: int = 32
    icu_beds: int = 16
    occupancy: float = 0.85
    day_start: float = 0.0
    day_end: float = 24 * HOUR
    n_requests: int | None = None
    dynamism: float = 0.4
    speed: float = 0.6
    capacity: float = 8.0
    cart_slots: float = 8.0
    battery_capacity: float = 100.0
    energy_per_distance: float = 10.0 / (0.6 * HOUR)
    recharge_rate: float = HOUR / 25.0
    min_soc_fraction: float = 0.2
    max_trips: int | None = None
    max_vehicles: int | None = None
    fleet_slack: float = 1.0
    fixed_cost: float = 50.0
    cost_per_distance: float = 0.001
    depot_turnaround: float = 120.0
    cv_travel: float = 0.2
    cv_service: float = 0.2
    beta: float = 0.95
    elevator_wait_max: float = 60.0
    station_floors: tuple[int, ...] = (2, 5, 8)
    lateness_weights: tuple[float, float, float] | None = None
    rejection_costs: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.ward_floors < 1:
            problems.append("ward_floors must be >= 1")
        if not 0 <= self.day_start < self.day_end:
            problems.append("need 0 <= day_start < day_end")
        if self.n_requests is not None and self.n_requests < 1:
            problems.append("n_requests must be >= 1")
        if not 0.0 <= self.dynamism <= 1.0:
            problems.append("dynamism must be in [0, 1]")
        if self.cart_slots > self.capacity:
            problems.append("cart_slots must not exceed the capacity")
        if self.fleet_slack <= 0:
            problems.append("fleet_slack must be positive")
        if problems:
            raise ValueError("HospitalConfig: " + "; ".join(problems))

    @property
    def beds(self) -> int:
        """Number of beds (wards + ICU)."""
        return 2 * self.ward_floors * self.beds_per_ward + self.icu_beds

    @property
    def census(self) -> float:
        """Occupied beds."""
        return self.occupancy * self.beds

    @property
    def trips_per_amr(self) -> int:
        """``max_trips`` or its derived default."""
        if self.max_trips is not None:
            return int(self.max_trips)
        return max(1, math.ceil(2.0 * (self.day_end - self.day_start) / HOUR))


#: Named instance sizes: a morning in a 144-bed hospital, a day shift and the full 400-bed day (§3).
PRESETS: dict[str, HospitalConfig] = {
    "small": HospitalConfig(
        name="hospital_small", ward_floors=2, day_start=7 * HOUR, day_end=13 * HOUR, n_requests=32,
        dynamism=0.3,
    ),
    "medium": HospitalConfig(
        name="hospital_medium", ward_floors=6, day_start=6 * HOUR, day_end=14 * HOUR, n_requests=100,
        dynamism=0.4,
    ),
    "large": HospitalConfig(name="hospital_large", ward_floors=6, n_requests=560, dynamism=0.4),
}


def hospital_preset(size: str, **overrides) -> HospitalConfig:
    """The preset ``"small"``, ``"medium"`` or ``"large"`` with some fields replaced."""
    try:
        base = PRESETS[size]
    except KeyError:
        raise ValueError(f"unknown size {size!r}; choose one of {sorted(PRESETS)}") from None
    return dataclasses.replace(base, **overrides)


# --------------------------------------------------------------------------------------------------- layout
@dataclass(frozen=True)
class Location:
    """A named point of the building: a care location's drop/pickup points, a department, the hub."""

    code: str
    floor: int
    x: float
    y: float
    kind: str  # "hub", "department", "ward", "icu", "ed", "or"

    def pickup_point(self) -> tuple[float, float]:
        """The soiled/pickup point, 10 m from the clean drop point (§3.1)."""
        return (self.x, self.y + 10.0 if self.y >= 0 else self.y - 10.0)


@dataclass(frozen=True)
class HospitalLayout:
    """The building: locations, the elevator core and the charging-station floors."""

    hub: Location
    departments: tuple[Location, ...]
    care_locations: tuple[Location, ...]
    elevator: Elevator
    stations: tuple[Station, ...]
    floor_names: dict[int, str] = field(default_factory=dict)

    @property
    def wards(self) -> tuple[Location, ...]:
        """The ward units (meal streams go to wards and the ICU)."""
        return tuple(c for c in self.care_locations if c.kind == "ward")

    def by_code(self, code: str) -> Location:
        """The care location or department with this code."""
        for loc in (*self.care_locations, *self.departments, self.hub):
            if loc.code == code:
                return loc
        raise KeyError(code)


def _polar(distance: float, degrees: float) -> tuple[float, float]:
    a = math.radians(degrees)
    return (round(distance * math.cos(a), 3), round(distance * math.sin(a), 3))


def floor_name(floor: int) -> str:
    """``0 -> "B1"``, ``1 -> "L1"``, ..."""
    return "B1" if floor == 0 else f"L{floor}"


def hospital_layout(config: HospitalConfig | None = None) -> HospitalLayout:
    """The building of ``config`` (deterministic: no randomness in the layout)."""
    config = config or HospitalConfig()
    top = 2 + config.ward_floors
    hub = Location("HUB", 0, *_polar(30.0, 200.0), "hub")
    departments = (
        Location("KIT", 0, *_polar(120.0, 0.0), "department"),
        Location("CS", 0, *_polar(90.0, 60.0), "department"),
        Location("LIN", 0, *_polar(70.0, 120.0), "department"),
        Location("SOIL", 0, *_polar(60.0, 150.0), "department"),
        Location("WST", 0, *_polar(110.0, 250.0), "department"),
        Location("PHA", 1, *_polar(60.0, 180.0), "department"),
        Location("LAB", 1, *_polar(80.0, 300.0), "department"),
    )
    care = [
        Location("ED", 1, *_polar(100.0, 30.0), "ed"),
        Location("ICU", 2, *_polar(45.0, 160.0), "icu"),
        Location("OR", 2, *_polar(70.0, 10.0), "or"),
    ]
    for f in range(3, top + 1):
        care.append(Location(f"{floor_name(f)}A", f, *_polar(40.0, 170.0), "ward"))
        care.append(Location(f"{floor_name(f)}B", f, *_polar(55.0, 20.0), "ward"))
    elevator = Elevator(
        x=0.0, y=0.0, ride_fixed=8.0 + 2 * 10.0 + 3.0, ride_per_floor=4.5 / 1.5,
        wait_max=config.elevator_wait_max,
    )
    stations = tuple(
        Station(f"CH-{floor_name(f)}", *_polar(12.0, 270.0), floor=f)
        for f in sorted(set(config.station_floors))
        if 0 < f <= top
    )
    names = {f: floor_name(f) for f in range(top + 1)}
    return HospitalLayout(hub, departments, tuple(care), elevator, stations, names)


# --------------------------------------------------------------------------------------------------- streams
@dataclass
class _Job:
    """One transport job before it becomes a request (times in seconds since midnight)."""

    stream: str
    location: Location
    pickup: bool  # True: stop at the origin, load returns to the hub; False: delivery to the location
    release: float  # r: ready at the hub (deliveries) or at the location (pickups)
    window: float  # W: deliver by r + W (deliveries) / arrive back by r + W (pickups)
    demand: float
    priority: int
    service: float
    online: bool  # revealed online in the spec (D13)
    lead: tuple[float, float]  # reveal lead before the cap, U(lo, hi) seconds
    order_time: float | None = None  # STAT meds: order time (reveal) before the dispensing delay


_BLOCK_PROFILES = {  # share of the daily count per 4-hour block, §3.3
    "routine_meds": (5, 10, 25, 25, 22, 13),
    "stat_meds": (8, 12, 22, 22, 22, 14),
    "stat_lab": (10, 20, 22, 20, 18, 10),
}


def _profile_times(rng: np.random.Generator, total: float, profile: tuple[int, ...]) -> list[float]:
    """Poisson arrivals with a piecewise-constant rate over six 4-hour blocks (expected ``total`` per day)."""
    times: list[float] = []
    weights = np.asarray(profile, dtype=float) / float(sum(profile))
    for b, w in enumerate(weights):
        count = int(rng.poisson(total * w))
        times.extend(float(t) for t in rng.uniform(b * 4 * HOUR, (b + 1) * 4 * HOUR, size=count))
    return sorted(times)


def _choose(rng: np.random.Generator, options: list[Location], probs: list[float] | None = None) -> Location:
    index = int(rng.choice(len(options), p=probs)) if probs is not None else int(rng.integers(len(options)))
    return options[index]


def _draw_jobs(config: HospitalConfig, layout: HospitalLayout, rng: np.random.Generator) -> list[_Job]:
    """The whole day's jobs (00:00-24:00) of the streams in §3.3, scaled to the hospital size."""
    cart = config.cart_slots
    care = list(layout.care_locations)
    wards = list(layout.wards)
    icu = layout.by_code("ICU")
    ed = layout.by_code("ED")
    op = layout.by_code("OR")
    units = [*wards, icu]  # meal units (12 wards + ICU by default)
    # 16 locations by default: wards, ICU, ED, OR and the step-down unit (shares the ICU node)
    locations = [*care, icu]
    scale_units = len(locations) / 16.0
    census_scale = config.census / 340.0
    jobs: list[_Job] = []

    def add(stream, loc, pickup, release, window, demand, priority, service, online, lead, order_time=None):
        jobs.append(_Job(stream, loc, pickup, float(release), float(window), float(demand), priority,
                         float(service), online, lead, order_time))

    scheduled_lead = (30 * MINUTE, 120 * MINUTE)  # a scheduled job made dynamic is known 0.5-2 h ahead
    # Meal delivery (W6) and tray-cart return (W7): one cart per unit per meal, tray line every 4 min.
    for start in (7 * HOUR, 11.75 * HOUR, 17.25 * HOUR):
        for slot, unit in enumerate(rng.permutation(len(units))):
            release = start + 4 * MINUTE * slot
            add("meal", units[int(unit)], False, release, 20 * MINUTE, cart, 2, 1.5 * MINUTE, False, scheduled_lead)
            back = release + 20 * MINUTE + 45 * MINUTE
            add("meal_return", units[int(unit)], True, back, 75 * MINUTE, cart, 3, 1.5 * MINUTE, False,
                scheduled_lead)
    # Nourishment / late trays: uniform 08:00-21:00, online, 1 slot, r + 45 min.
    for t in rng.uniform(8 * HOUR, 21 * HOUR, size=round(12 * scale_units)):
        add("nourishment", _choose(rng, units), False, t, 45 * MINUTE, 1, 3, 1 * MINUTE, True,
            (5 * MINUTE, 30 * MINUTE))
    # ADC / cart-fill restock (W3): one per location, r in 06:00-08:00, until 10:00, 3-6 slots.
    for loc in locations:
        r = float(rng.uniform(6 * HOUR, 8 * HOUR))
        add("adc", loc, False, r, 10 * HOUR - r, int(rng.integers(3, 7)), 3, 3 * MINUTE, False, scheduled_lead)
    # Routine / first-dose medication (W2): hourly batches 07-23 h (p = 0.55 per location), every 2 h at night
    # (p = 0.3); 1-2 slots; the content of a batch is revealed shortly before its release.
    p_scale = min(1.0, census_scale)
    for hour in range(24):
        day = 7 <= hour <= 22
        if not day and hour % 2 == 0:
            continue
        p = (0.55 if day else 0.3) * p_scale
        for loc in locations:
            if rng.random() < p:
                add("meds", loc, False, hour * HOUR, 60 * MINUTE, int(rng.integers(1, 3)), 2, 2 * MINUTE, True,
                    (0.0, 20 * MINUTE))
    # STAT medication (W1): Poisson with the §3.3 profile, 0.07 per occupied bed; r = order + U(5, 15) min.
    stat_targets = [ed, icu, op, *wards]
    n_w = len(wards)
    stat_probs = [0.25, 0.20, 0.10, *([0.45 / n_w] * n_w)]
    for order in _profile_times(rng, 0.07 * config.census, _BLOCK_PROFILES["stat_meds"]):
        r = order + float(rng.uniform(5 * MINUTE, 15 * MINUTE))
        add("stat_meds", _choose(rng, stat_targets, stat_probs), False, r, 15 * MINUTE, 1, 1, 1.5 * MINUTE, True,
            (0.0, 0.0), order_time=order)
    # Scheduled lab pickups (W5): 8 rounds at every location, arrive at the lab within 60 min.
    for t in (5.5, 6.5, 7.5, 10.0, 13.0, 16.0, 19.0, 23.0):
        for loc in locations:
            add("lab", loc, True, t * HOUR, 60 * MINUTE, 1, 2, 1.5 * MINUTE, False, scheduled_lead)
    # STAT lab (W4): Poisson, 0.12 per occupied bed, ED 35 %, ICU 25 %, wards 40 %; at the lab within 15 min.
    lab_targets = [ed, icu, *wards]
    lab_probs = [0.35, 0.25, *([0.40 / n_w] * n_w)]
    for r in _profile_times(rng, 0.12 * config.census, _BLOCK_PROFILES["stat_lab"]):
        add("stat_lab", _choose(rng, lab_targets, lab_probs), True, r, 15 * MINUTE, 1, 1, 1 * MINUTE, True,
            (2 * MINUTE, 10 * MINUTE))
    # Clean linen (W8): one per location 07:30-09:30 (3 h window), top-ups at 14:00 (2 h).
    for loc in locations:
        add("linen", loc, False, rng.uniform(7.5 * HOUR, 9.5 * HOUR), 3 * HOUR, cart, 3, 1.5 * MINUTE, False,
            scheduled_lead)
    for _ in range(round(8 * scale_units)):
        add("linen", _choose(rng, locations), False, 14 * HOUR, 2 * HOUR, cart, 3, 1.5 * MINUTE, False,
            scheduled_lead)
    # Soiled linen (W9): every location at 10:30 and 20:00, 2 h.
    for t in (10.5, 20.0):
        for loc in locations:
            add("soiled_linen", loc, True, t * HOUR, 2 * HOUR, cart, 3, 1.5 * MINUTE, False, scheduled_lead)
    # Par exchange: cart out 08:30-09:30 until 13:00, cart back 30 min after delivery (3 h window).
    for loc in locations:
        r = float(rng.uniform(8.5 * HOUR, 9.5 * HOUR))
        add("supply", loc, False, r, 13 * HOUR - r, cart, 3, 2 * MINUTE, False, scheduled_lead)
        add("supply_return", loc, True, r + 30 * MINUTE + 30 * MINUTE, 3 * HOUR, cart, 3, 2 * MINUTE, False,
            scheduled_lead)
    # Ad-hoc supplies: uniform 08:00-20:00, online, 2 h.
    for t in rng.uniform(8 * HOUR, 20 * HOUR, size=round(8 * scale_units)):
        add("supply_adhoc", _choose(rng, locations), False, t, 2 * HOUR, cart, 3, 1.5 * MINUTE, True,
            (10 * MINUTE, 60 * MINUTE))
    # Waste (W9): every location at 11:00, 3/4 of them at 16:00 and at 22:00, 3 h.
    for t, share in ((11.0, 1.0), (16.0, 0.75), (22.0, 0.75)):
        chosen = rng.permutation(len(locations))[: round(share * len(locations))]
        for index in sorted(int(i) for i in chosen):
            add("waste", locations[index], True, t * HOUR, 3 * HOUR, cart, 3, 1.5 * MINUTE, False, scheduled_lead)
    return jobs


_STREAM_CODES = {
    "meal": "MEAL", "meal_return": "MRET", "nourishment": "NOUR", "adc": "ADC", "meds": "MED",
    "stat_meds": "STATMED", "lab": "LAB", "stat_lab": "STATLAB", "linen": "LIN", "soiled_linen": "SOIL",
    "supply": "SUP", "supply_return": "SRET", "supply_adhoc": "SUPX", "waste": "WST",
}


def stream_of(request_id: str) -> str:
    """The stream code in a generated request id (``"017-STATMED-L5A"`` -> ``"STATMED"``); ``""`` otherwise."""
    parts = request_id.split("-")
    return parts[1] if len(parts) == 3 and parts[1] in _STREAM_CODES.values() else ""


# --------------------------------------------------------------------------------------------------- helpers
def _clark_max(mu: float, var: float, e: float) -> tuple[float, float]:
    """Mean and variance of ``max(e, A)`` with ``A ~ N(mu, var)`` (Clark's moment matching)."""
    if var <= 0.0:
        return max(e, mu), 0.0
    sd = math.sqrt(var)
    a = (mu - e) / sd
    cdf, sf, pdf = _NORMAL.cdf(a), _NORMAL.cdf(-a), math.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
    m1 = mu * cdf + e * sf + sd * pdf
    m2 = (mu * mu + var) * cdf + e * e * sf + (mu + e) * sd * pdf
    return m1, max(0.0, m2 - m1 * m1)


@dataclass(frozen=True)
class _TripOutcome:
    depart: float
    feasible: bool
    next_free: float  # when the AMR can start its next trip (beta-quantile of the return + turnaround + recharge)
    soc_after: float


def _single_trip(problem: Problem, i: int, depart: float, soc: float) -> _TripOutcome:
    """Evaluate the trip depot -> request i -> depot leaving at ``depart`` (docs/semantics.md rules)."""
    t, v = problem.travel_time_matrix, problem.travel_variance_matrix
    d = problem.distance_matrix
    f, z, r = problem.fleet, problem.z_beta, problem.requests[i - 1]
    mu_a, var_a = depart + t[0, i], v[0, i]
    ok = mu_a + z * math.sqrt(var_a) <= r.due + 1e-9
    mean_s, var_s = _clark_max(mu_a, var_a, r.ready)
    service_var = (problem.stochastic.cv_service * r.service) ** 2
    mu_ret = mean_s + r.service + t[i, 0]
    var_ret = var_s + service_var + v[i, 0]
    quantile = mu_ret + z * math.sqrt(var_ret)
    ok = ok and quantile <= problem.depot.horizon + 1e-9
    soc_after = soc
    recharge = 0.0
    if f.has_battery:
        floor = f.min_soc_fraction * f.battery_capacity
        soc_mid = soc - f.energy_per_distance * d[0, i]
        soc_after = soc_mid - f.energy_per_distance * d[i, 0]
        ok = ok and soc_mid >= floor - 1e-9 and soc_after >= floor - 1e-9
        if f.depot_charging:
            recharge = f.recharge_rate * (f.battery_capacity - soc_after)
            soc_after = f.battery_capacity
    return _TripOutcome(depart, ok, quantile + f.depot_turnaround + recharge, soc_after)


def _earliest_departure(problem: Problem, i: int, respect_reveal: bool) -> float:
    r = problem.requests[i - 1]
    start = max(problem.depot.ready, r.ready - problem.travel_time_matrix[0, i])
    return max(start, r.reveal) if respect_reveal else start


def single_trip_plan(problem: Problem, respect_reveal: bool = True) -> Solution:
    """A feasible plan in which every request gets its own trip (a certificate of feasibility, not an optimiser).

    Requests are taken in order of their earliest useful departure ``max(depot ready, ready - t_0i, reveal)`` and each
    trip goes to the AMR that became free last before that departure (best fit, interval scheduling); when no used
    AMR is free in time and none can still make the window, a new AMR is opened. Trips carry ``earliest_start``, so
    an independent evaluation (the checker, :mod:`docs/semantics.md` rules, with ``respect_reveal_times``) reproduces
    the schedule. The fleet limit of the problem is ignored: compare ``num_vehicles`` with it.

    Parameters
    ----------
    problem
        Any problem without charging-station detours being needed (each request must be reachable directly).
    respect_reveal
        Dispatch a trip no earlier than its request's reveal time.

    Returns
    -------
    Solution
        One AMR plan per AMR used.

    Raises
    ------
    ValueError
        If some request cannot be served even by a fresh AMR in a direct trip.
    """
    order = sorted(
        range(1, problem.n_requests + 1),
        key=lambda i: (_earliest_departure(problem, i, respect_reveal), problem.requests[i - 1].due, i),
    )
    full = problem.fleet.battery_capacity if problem.fleet.has_battery else math.inf
    free_at: list[float] = []
    soc: list[float] = []
    trips: list[list[Trip]] = []
    for i in order:
        earliest = _earliest_departure(problem, i, respect_reveal)
        best: tuple[int, _TripOutcome] | None = None
        best_key: tuple[float, float] | None = None
        for k in range(len(trips)):
            if len(trips[k]) >= problem.fleet.max_trips:
                continue
            outcome = _single_trip(problem, i, max(earliest, free_at[k]), soc[k])
            if not outcome.feasible:
                continue
            # prefer an AMR already free (latest free time first), then the one that frees up soonest
            key = (0.0, -free_at[k]) if free_at[k] <= earliest else (1.0, free_at[k])
            if best_key is None or key < best_key:
                best, best_key = (k, outcome), key
        if best is None:
            outcome = _single_trip(problem, i, earliest, full)
            if not outcome.feasible:
                raise ValueError(f"request {problem.requests[i - 1].id} cannot be served by a direct trip")
            trips.append([])
            free_at.append(problem.depot.ready)
            soc.append(full)
            best = (len(trips) - 1, outcome)
        k, outcome = best
        trips[k].append(Trip((problem.requests[i - 1].id,), earliest_start=outcome.depart))
        free_at[k] = outcome.next_free
        soc[k] = outcome.soc_after
    return Solution(tuple(AMRPlan(tuple(ts)) for ts in trips))


# --------------------------------------------------------------------------------------------------- generator
def _as_rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _build(config: HospitalConfig, layout: HospitalLayout, requests: list[Request], max_vehicles: int,
           source: str) -> Problem:
    depot = Depot(layout.hub.code, layout.hub.x, layout.hub.y, ready=float(config.day_start),
                  horizon=float(config.day_end), floor=layout.hub.floor)
    fleet = Fleet(
        capacity=float(config.capacity), max_vehicles=int(max_vehicles), max_trips=config.trips_per_amr,
        speed=float(config.speed), battery_capacity=float(config.battery_capacity),
        energy_per_distance=float(config.energy_per_distance), recharge_rate=float(config.recharge_rate),
        min_soc_fraction=float(config.min_soc_fraction), fixed_cost=float(config.fixed_cost),
        cost_per_distance=float(config.cost_per_distance), depot_turnaround=float(config.depot_turnaround),
        depot_charging=True,
    )
    return Problem(
        name=config.name, depot=depot, requests=tuple(requests), fleet=fleet, stations=layout.stations,
        stochastic=StochasticModel(config.cv_travel, config.cv_service, config.beta), elevator=layout.elevator,
        lateness_weights=config.lateness_weights, rejection_costs=config.rejection_costs, source=source,
    )


def _window(job: _Job, t_out: float, t_back: float) -> tuple[float, float]:
    """Start-of-service window of the single stop (see the module docstring)."""
    if job.pickup:
        return job.release, job.release + job.window - job.service - t_back
    return job.release + t_out, job.release + job.window


def _location_point(job: _Job) -> tuple[float, float]:
    return job.location.pickup_point() if job.pickup else (job.location.x, job.location.y)


def generate_hospital(
    config: HospitalConfig | None = None,
    *,
    seed: int | np.random.Generator = 0,
    progress: Callable[[str], None] | None = None,
    **overrides,
) -> Problem:
    """Generate a hospital AMR routing instance (see the module docstring for the model and its sources).

    Parameters
    ----------
    config
        The hospital and fleet; defaults to :class:`HospitalConfig` (the 400-bed day).
    seed
        Integer seed or a ``numpy.random.Generator`` (the only source of randomness).
    progress
        Optional callback receiving one-line progress messages.
    **overrides
        Fields of :class:`HospitalConfig` to replace, e.g. ``n_requests=40, dynamism=0.3``.

    Returns
    -------
    Problem
        A validated, stochastic, multi-trip problem with batteries; every request can be served and the witness
        plan :func:`single_trip_plan` fits the fleet limit.

    Raises
    ------
    ValueError
        If the configured day has fewer jobs than ``n_requests``.

    Examples
    --------
    >>> p = generate_hospital(hospital_preset("small"), seed=1)
    >>> p.n_requests
    32
    """
    config = dataclasses.replace(config or HospitalConfig(), **overrides)
    rng = _as_rng(seed)
    say = progress or (lambda _msg: None)
    layout = hospital_layout(config)
    jobs = [j for j in _draw_jobs(config, layout, rng) if config.day_start <= j.release < config.day_end]
    jobs.sort(key=lambda j: (j.release, j.stream, j.location.code))

    if not jobs:
        raise ValueError("the configured day has no jobs")
    t_out, t_back, sd_out = _stop_geometry(config, layout, jobs)
    z = NormalDist().inv_cdf(config.beta)

    # Windows (whole seconds) and a quick servability filter (mean + z sd travel from the hub).
    windows: list[tuple[_Job, float, float, int]] = []
    for k, job in enumerate(jobs):
        lo, hi = _window(job, t_out[k], t_back[k])
        hi = min(hi, config.day_end - job.service - t_back[k] - z * sd_out[k] - 1.0)
        ready, due = float(math.ceil(lo)), float(math.floor(hi))
        earliest_arrival = max(config.day_start, ready - t_out[k]) + t_out[k] + z * sd_out[k]
        if due >= ready and earliest_arrival <= due:
            windows.append((job, ready, due, k))
    # Exact check with the plan semantics: a direct trip must be feasible when dispatched as early as useful and
    # when dispatched at the latest admissible reveal time (else the request stays static).
    pre = _build(config, layout, [
        Request(f"p{m}", *_location_point(job), demand=job.demand, ready=ready, due=due, service=job.service,
                floor=job.location.floor)
        for m, (job, ready, due, _k) in enumerate(windows)
    ], max(1, len(windows)), "") if windows else None
    candidates: list[tuple[_Job, float, float, float]] = []  # job, ready, due, reveal cap (-inf: static only)
    for m, (job, ready, due, k) in enumerate(windows):
        depart = _earliest_departure(pre, m + 1, respect_reveal=False)
        if not _single_trip(pre, m + 1, depart, config.battery_capacity).feasible:
            continue
        cap = float(math.floor(min(ready, due - max(t_out[k], t_out[k] + z * sd_out[k]))))
        late = _single_trip(pre, m + 1, max(depart, cap), config.battery_capacity)
        if cap < config.day_start + 2.0 or not late.feasible:
            cap = -math.inf
        candidates.append((job, ready, due, cap))
    dropped = len(jobs) - len(candidates)
    if config.n_requests is not None:
        if config.n_requests > len(candidates):
            raise ValueError(
                f"the configured day has only {len(candidates)} servable jobs, fewer than n_requests="
                f"{config.n_requests}; add ward floors or lengthen the day"
            )
        keep = np.sort(rng.choice(len(candidates), size=config.n_requests, replace=False))
        candidates = [candidates[int(i)] for i in keep]
    n = len(candidates)
    say(f"{len(jobs)} jobs in the day, {dropped} not servable, {n} requests kept")

    # Degree of dynamism.
    caps = [cap for (_, _, _, cap) in candidates]
    target = round(config.dynamism * n)
    eligible = [m for m in range(n) if caps[m] > -math.inf]
    order = rng.permutation(len(eligible))
    ranked = sorted(
        (eligible[int(p)] for p in order),
        key=lambda m: 0 if candidates[m][0].online else 1,
    )  # stable: online streams first, random order within
    dynamic = set(ranked[:target])
    reveals = [0.0] * n
    for m in sorted(dynamic):
        job = candidates[m][0]
        if job.order_time is not None:
            natural = job.order_time
        else:
            lo, hi = job.lead
            natural = caps[m] - float(rng.uniform(lo, hi))
        reveals[m] = float(math.floor(min(caps[m], max(config.day_start + 1.0, natural))))

    requests: list[Request] = []
    for m, (job, ready, due, _cap) in enumerate(candidates):
        x, y = _location_point(job)
        requests.append(Request(
            id=f"{m + 1:03d}-{_STREAM_CODES[job.stream]}-{job.location.code}", x=x, y=y, demand=job.demand,
            ready=ready, due=due, service=job.service, priority=job.priority, reveal=reveals[m],
            floor=job.location.floor,
        ))
    n_dyn = len(dynamic)
    span = config.day_end - config.day_start
    edod = sum(max(0.0, r.reveal - config.day_start) for r in requests) / (n * span) if n else 0.0
    seed_text = seed if isinstance(seed, int | np.integer) else "generator"
    source = (
        f"generate_hospital(seed={seed_text}, beds={config.beds}, day={config.day_start:g}-{config.day_end:g}s, "
        f"n_requests={n}, dynamism={config.dynamism:g}): {n_dyn} dynamic requests (dod={n_dyn / max(n, 1):.3f}, "
        f"edod={edod:.3f}), {dropped} unservable jobs dropped"
    )
    unlimited = _build(config, layout, requests, max(1, n), source)
    witness = single_trip_plan(unlimited)
    fleet_limit = config.max_vehicles or max(1, math.ceil(config.fleet_slack * witness.num_vehicles))
    say(f"witness plan: {witness.num_vehicles} AMRs, {witness.num_trips} trips; fleet limit {fleet_limit}")
    return unlimited.replace(fleet=dataclasses.replace(unlimited.fleet, max_vehicles=int(fleet_limit)))


def _stop_geometry(
    config: HospitalConfig, layout: HospitalLayout, jobs: list[_Job]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean travel hub -> stop, stop -> hub and the sd of hub -> stop per job, from the Problem's own matrices."""
    probe_requests = [
        Request(f"p{k}", *_location_point(j), demand=0.0, ready=config.day_start, due=config.day_end,
                service=0.0, floor=j.location.floor)
        for k, j in enumerate(jobs)
    ]
    probe = _build(config, layout, probe_requests, len(jobs), "")
    t, v = probe.travel_time_matrix, probe.travel_variance_matrix
    return t[0, 1:], t[1:, 0], np.sqrt(v[0, 1:])
