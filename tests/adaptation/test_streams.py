"""Per-person seed streams (issue 15): a person's draws do not depend on who else is in the batch.

Numbers elsewhere changed with this (every draw now comes from the person's own stream):
tests that compare runs compare them with each other, never with recorded values.
"""

from __future__ import annotations

import numpy as np
import pytest

from adaptation.population import Population
from adaptation.sim import SessionBatch, SessionConfig
from adaptation.streams import PersonStreams

SHORT = SessionConfig(duration_s=900.0, holds_per_hour=20.0)  # many holds: their draws are exercised too


@pytest.fixture(scope="module")
def noisy():
    # many artefacts and dropouts, so the sensors' per-person fault draws are exercised
    return Population.builtin("noisy_sensors")


def test_people_draw_the_same_parameters_in_any_batch(noisy):
    full = noisy.sample_people(7, range(40))
    part = noisy.sample_people(7, range(12, 19))
    for name, values in full.items():
        assert np.array_equal(values[12:19], part[name]), name
    other = noisy.sample_people(8, range(40))
    assert not np.array_equal(full["hr_rest"], other["hr_rest"])  # the seed matters


def _run(params: dict, people: range) -> tuple[SessionBatch, list[np.ndarray]]:
    """The batch at the end, and what each person's controller saw at each decision while
    their session lasted (NaN rows after it ended: a finished session's state is no outcome)."""
    batch = SessionBatch(params, SHORT, PersonStreams.for_people(99, people))
    seen = []
    for step in range(180):  # a ramp to full intensity, then held: escapes, SUDS, faults
        v = batch.vectors()  # the sensors measure every decision, as training does
        seen.append(np.where(batch.done[:, None], np.nan, v))
        batch.set_targets(np.full(batch.n, min(1.0, step / 60)))
        batch.advance()
    return batch, seen


def test_a_slice_of_people_runs_exactly_as_in_the_full_batch(noisy):
    people = range(30)
    params = noisy.sample_people(3, people)
    full, full_seen = _run(params, people)
    part, part_seen = _run({k: v[3:8] for k, v in params.items()}, range(3, 8))
    for name in ("time", "suds", "hold_until", "escaped", "succeeded", "in_band_s", "panic_s", "top_reached"):
        assert np.array_equal(getattr(full, name)[3:8], getattr(part, name)), name
    for step, (a, b) in enumerate(zip(full_seen, part_seen)):
        assert np.array_equal(a[3:8], b, equal_nan=True), f"decision {step}"
    # and the run did exercise what the streams feed: holds, faults, SUDS answers, both endings
    assert (full.hold_until > 0).any() and (full.sensors.spoiled_until > 0).any()
    assert np.isfinite(full.suds).all() and full.done.all()


def test_draws_for_some_people_leave_the_others_streams_alone():
    a = PersonStreams.for_people(5, range(4))
    b = PersonStreams.for_people(5, range(4))
    a.random(rows=[1, 2])  # only people 1 and 2 draw in a
    x, y = a.standard_normal(), b.standard_normal()
    assert x[0] == y[0] and x[3] == y[3]
    assert np.array_equal(a.random()[[0, 3]], b.random()[[0, 3]])


def test_one_person_asked_many_times_gets_fresh_draws():
    s = PersonStreams.for_people(1, range(2))
    z = s.standard_normal(rows=np.zeros(5000, dtype=np.int64))
    assert len(np.unique(z)) == 5000 and abs(z.mean()) < 0.1 and abs(z.std() - 1) < 0.05


def test_streams_refill_past_their_block_and_match_a_plain_generator_in_distribution():
    s = PersonStreams.for_people(2, range(200), block=16)
    u = np.concatenate([s.random() for _ in range(50)])  # 50 draws each: refilled 3 times
    assert abs(u.mean() - 0.5) < 0.01 and u.min() >= 0 and u.max() < 1
    k = s.poisson(np.full(200, 4.0))
    assert k.shape == (200,) and np.all(k == np.round(k)) and k.min() >= 0 and abs(k.mean() - 4) < 0.6


def test_a_batch_shaped_draw_of_the_wrong_size_is_refused():
    s = PersonStreams.for_people(0, range(3))
    with pytest.raises(ValueError, match="one value per person"):
        s.random(5)
