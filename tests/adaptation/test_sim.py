"""Simulated sessions (``adaptation.sim.SessionBatch``): what the controllers' world does."""

from __future__ import annotations

import math

import numpy as np
import pytest

from adaptation.population import Population
from adaptation.sim import SessionBatch, SessionConfig


def people(n: int) -> dict[str, np.ndarray]:
    params = Population.load("adaptation/populations/default.yaml").sample(n, np.random.default_rng(4))
    params["escape_hazard"][:] = 0.0  # the schedule is under test, not the person
    return params


def suds_times(batch: SessionBatch, seconds: int, targets: dict[int, float]) -> list[float]:
    """Session times at which session 0 gave a rating, targets set at the given decisions."""
    asked = []
    for k in range(seconds // int(batch.config.decision_interval_s)):
        if k in targets:
            batch.set_targets(np.full(batch.n, targets[k]))
        batch.advance()
        if batch.suds_age[0] < batch.config.decision_interval_s:
            asked.append(float(batch.time[0] - batch.suds_age[0]))
    return asked


def test_suds_is_asked_once_a_minute_and_soon_after_a_level_change():
    """As a live session asks (engine.session.core.Plan: every 60 s and 20 s after a change),
    so that a policy learns on the ratings it will get."""
    config = SessionConfig(holds_per_hour=0.0)
    calm = SessionBatch(people(1), config, np.random.default_rng(5))
    assert suds_times(calm, 200, {}) == [60.0, 120.0, 180.0]
    stepped = SessionBatch(people(1), config, np.random.default_rng(5))
    # set to level 1 at 65 s: the scene eases there at 0.05/s, the level shows at 67 s
    asked = suds_times(stepped, 200, {13: 0.1})
    assert asked == [60.0, 87.0, 147.0]
    assert not math.isnan(stepped.suds[0])


def test_a_level_change_never_delays_the_next_rating_and_inf_turns_the_extra_one_off():
    """min(), not a reset: a change at 47 s keeps the rating due at 60 s."""
    config = SessionConfig(holds_per_hour=0.0)
    assert suds_times(SessionBatch(people(1), config, np.random.default_rng(5)), 200, {9: 0.1}) == [60.0, 120.0, 180.0]
    never = SessionConfig(holds_per_hour=0.0, suds_after_change_s=math.inf)
    assert suds_times(SessionBatch(people(1), never, np.random.default_rng(5)), 200, {13: 0.1}) == [60.0, 120.0, 180.0]


@pytest.mark.parametrize("bad", [-1.0, math.nan, "20"])
def test_a_bad_after_change_delay_is_refused_with_its_name(bad):
    with pytest.raises(ValueError, match="suds_after_change_s"):
        SessionConfig(suds_after_change_s=bad)
