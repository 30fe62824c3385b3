"""The streaming pipeline's outputs on real recordings, bit for bit, against the reference
pinned before its cost was cut (tests/sensors/stream_reference.py says how it was made).

Every beat time, and at every 1-s tick the signal quality, each beat's template
correlation (as a digest of the exact floats), HR, RMSSD, their quality and the tick's
``Features``, whether the samples come whole, one second, one 60 Hz poll (4 samples) or
1 to 600 samples at a time."""

from __future__ import annotations

import numpy as np
import pytest

from tests.sensors import stream_reference as ref


@pytest.fixture(scope="module")
def pinned():
    with np.load(ref.REFERENCE) as d:
        return {k: d[k] for k in d.files}


def assert_same(out: dict, pinned: dict, plan: str) -> None:
    for key, got in out.items():
        want = pinned[key]
        assert got.shape == want.shape, (plan, key, got.shape, want.shape)
        same = np.array_equal(got, want, equal_nan=True)
        if not same:
            bad = np.flatnonzero(~((got == want) | (np.isnan(got) & np.isnan(want))).reshape(len(got), -1).all(axis=1))
            first = int(bad[0])
            where = f"tick at {pinned['time'][first]:g} s" if "beats" not in key else f"beat {first}"
            pytest.fail(
                f"{plan}: '{key}' differs from the reference in {bad.size} row(s), first at "
                f"{where}: got {got[first]!r}, pinned {want[first]!r}"
            )


@pytest.mark.parametrize("plan", ["whole", "second", "pull", "random"])
def test_beats_are_the_pinned_ones_in_any_chunks(pinned, plan):
    for kind in ("ecg", "ppg"):
        got = ref.beats(kind, plan, seed=7)
        assert got.size > 600
        assert_same({f"{kind}_beats": got}, pinned, plan)


def test_beats_one_sample_at_a_time_through_the_lead_off(pinned):
    # 260-300 s holds the lead-off stretch, where search-back and re-lock work hardest; one
    # sample per push from the start would take minutes, so the first 250 s go in seconds.
    for kind in ("ecg", "ppg"):
        t, x = ref.record()
        from sensors.peaks import RPeakDetector
        from sensors.pulse import PulseDetector

        det = (RPeakDetector if kind == "ecg" else PulseDetector)(ref.FS)
        split = int(250 * ref.FS)
        out = [det.push(t[a : a + 250], x[kind][a : a + 250]) for a in range(0, split, 250)]
        out += [det.push(t[i : i + 1], x[kind][i : i + 1]) for i in range(split, int(300 * ref.FS))]
        got = np.concatenate(out)
        want = pinned[f"{kind}_beats"]
        # Beats in the last ~0.5 s are confirmed only by later samples.
        assert got.size > 500 and np.array_equal(got, want[: got.size]), kind
        assert want[got.size] > 299.0, (kind, want[got.size])


@pytest.mark.parametrize("plan", ["second", "pull", "random"])
def test_every_tick_is_the_pinned_one_in_any_chunks(pinned, plan):
    out = ref.ticks(plan, seed=11)
    assert out["time"].size == 300
    assert_same(out, pinned, plan)


def test_eda_and_respiration_ticks_are_the_pinned_ones(pinned):
    sig = {k: pinned[k] for k in ("eda_0", "eda_1", "resp_0", "resp_1")}
    assert_same(ref.slow_ticks(sig), pinned, "eda/resp")


def test_the_reference_can_fail(pinned):
    """A pipeline that moved one beat by one sample must not pass."""
    out = {"ecg_beats": pinned["ecg_beats"].copy()}
    out["ecg_beats"][100] += 1.0 / ref.FS
    with pytest.raises(pytest.fail.Exception, match="beat 100"):
        assert_same(out, pinned, "tampered")
