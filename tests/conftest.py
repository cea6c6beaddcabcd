"""Shared fixtures: the benchmark folder (tests that need it skip with a clear reason when it is absent)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from hospital_or.paths import SHARED_ENV, shared_instances_dir

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def shared_dir():
    """Path of ``../shared/instances`` (or ``$HOSPITAL_OR_SHARED_INSTANCES``); skips when absent."""
    path = shared_instances_dir()
    if not (path / "solomon").is_dir():
        pytest.skip(f"benchmark data not found at {path} (set {SHARED_ENV} to its folder)")
    return path
