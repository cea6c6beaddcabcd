"""Instance generators: hospital AMR days (:mod:`.hospital`) and dynamic Solomon instances (:mod:`.dynamic_solomon`)."""

from hospital_or.generators.dynamic_solomon import dynamic_solomon_stats, make_dynamic_solomon
from hospital_or.generators.hospital import (
    PRESETS,
    HospitalConfig,
    HospitalLayout,
    generate_hospital,
    hospital_layout,
    hospital_preset,
    single_trip_plan,
    stream_of,
)

__all__ = [
    "PRESETS",
    "HospitalConfig",
    "HospitalLayout",
    "dynamic_solomon_stats",
    "generate_hospital",
    "hospital_layout",
    "hospital_preset",
    "make_dynamic_solomon",
    "single_trip_plan",
    "stream_of",
]
