"""Beat-to-beat heart rate: a surge seen in seconds, not after the 10-s window.

``sensors.heart`` averages 10 s of intervals and rejects every interval more than 40 % from
the median of the last 30 s, so a +60 bpm step (70 → 130 bpm: intervals 46 % shorter) is
thrown away beat by beat until the new rate owns the median, ~10 s later (issue 12: 12.2 s
from a surge's onset to the first safer frame). This module reads only the newest few
intervals and asks one question: do they form a *run* — consecutive, plausible, each close
to its neighbour — and if so, how fast is it?

What the run rule tells apart (intervals as a fraction of the normal one, N):

- a real step: a run of consistently shorter intervals (0.54 N, 0.55 N, 0.53 N, …): passes
  once ``RUN_INTERVALS`` of them have arrived (the interval across the step itself breaks
  the neighbour rule, so the run is made of new-rate beats only);
- a real ramp of 2–10 s (70 → 130 bpm in 5 s: each interval ~8–12 % shorter than the one
  before): passes, since neighbours differ by less than ``NEIGHBOUR_FRACTION``; a 2-s ramp
  jumps more than that at its start and is seen as a step, once it ends;
- an ectopic beat: a premature interval (≤ 0.8 N) then a compensatory pause (≥ 1.2 N),
  together about 2 N: the pause breaks the neighbour rule, and no run spans it;
- a missed beat (the detector or the strap skips one): an interval of ~2 N, a 67 % jump
  (of the pair's mean): breaks it too; an extra detection (a T wave counted) splits one interval into two short,
  unequal ones: breaks it;
- a motion artefact burst: detections at random places (irregular intervals) in a signal
  whose quality fails; the caller (``sensors.features``) passes the signal's quality over
  the run's span, and beats that do not match the median beat are dropped before this.

So an isolated ectopic or missed beat costs the fast path ``RUN_INTERVALS`` beats of
silence (NaN: "unknown", never "fast"), and a surge is reported ``RUN_INTERVALS`` beats
after it begins: at 130 bpm 4 × 0.46 s = 1.85 s, plus the detector's ~0.4 s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .heart import HR_MAX_BPM, HR_MIN_BPM, OUTLIER_FRACTION
from .types import Quality

RUN_INTERVALS = 4  # intervals (5 beats) in a run. An ectopic pair spoils 2 intervals and a
# missed beat 1, so 4 clean ones in a row cannot contain either, and a
# run needs twice as many regular beats as one fault spoils. At 130 bpm
# 4 intervals take 1.85 s; the first new-rate interval may begin up to
# one old interval (0.86 s at 70 bpm) after the step, and the detector
# adds ~0.4 s: ~3.1 s, within the 4 s to a safer frame (5
# intervals took 3.5 s to the first acting tick in a first try).
NEIGHBOUR_FRACTION = OUTLIER_FRACTION  # 0.25: neighbours in a run differ by at most 25 % of their
# mean, the limit sensors.heart puts on an interval against its local
# median. Faults jump further: a missed beat 67 % (2 N next to N); an
# ectopic's compensatory pause after a premature interval of ≤ 0.8 N
# ≥ 40 %, and a premature one of 0.55–0.75 N 29–58 % from the beat
# before (a milder one, 0.8 N, may pass alone at the run's end: it moves
# the run's mean by 5 %). A sinus heart at rest (RMSSD 45 ms) differs
# ~5 % beat to beat; a 5-s ramp 70 → 130 bpm shortens each interval by
# 8–12 %. Measured: with Malik's 20 % (the RMSSD rule) the ramp's
# jitter broke runs until the ramp ended (4.4 s to a decision in 1
# of 3 LSL trials, benchmarks/surge_latency.py); 25 % kept it under 4 s
MAX_AGE_S = 2.0  # newest beat older than this: the run is history, not the heart now
# (2 s = one interval at 30 bpm, the slowest plausible heart)
GAP_FRACTION = 0.5  # the run's time span may exceed the sum of its intervals by at most half
# an interval: an RR stream that lost samples in a dropout has a gap of
# a whole interval or more, so its intervals are not one run. A shorter
# span is allowed: straps stamp several RR values per notification


@dataclass(frozen=True)
class FastHeart:
    """The beat-to-beat heart rate over the newest run of intervals.

    ``hr_bpm`` is NaN unless the newest ``RUN_INTERVALS`` intervals form a run (see the
    module docstring); ``reason`` then says why. ``age_s`` is the newest beat's age."""

    hr_bpm: float
    quality: Quality
    age_s: float
    reason: str = ""
    start: float = math.nan  # when the run's first interval began (its span, for quality checks)


def _none(reason: str, age: float = math.nan, kind: str = "implausible values") -> FastHeart:
    return FastHeart(math.nan, Quality(0.0, kind), age, reason)


def fast_heart_rate(ends, rr_s, now: float, *, run: int = RUN_INTERVALS, max_age_s: float = MAX_AGE_S) -> FastHeart:
    """Beat-to-beat HR as of ``now`` from intervals ``rr_s`` (seconds) ending at ``ends``.

    Intervals must be in time order. Only those ending at or before ``now`` count."""
    ends = np.asarray(ends, dtype=np.float64).reshape(-1)
    rr = np.asarray(rr_s, dtype=np.float64).reshape(-1)
    if ends.shape != rr.shape:
        raise ValueError(f"fast_heart_rate: {ends.size} interval end times but {rr.size} intervals")
    if not math.isfinite(now):
        return _none(f"time {now!r} is not a finite time")
    k = int(np.searchsorted(ends, now, side="right"))
    ends, rr = ends[max(0, k - run) : k], rr[max(0, k - run) : k]
    if rr.size < run:
        return _none(
            f"{rr.size} of the {run} intervals a beat-to-beat run needs",
            float(now - ends[-1]) if ends.size else math.nan,
        )
    age = float(now - ends[-1])
    if not age <= max_age_s:  # NaN too
        return _none(f"no beat for {age:.1f} s (a run must end within {max_age_s:g} s)", age, "stale")
    if not np.isfinite(rr).all() or not np.isfinite(ends).all():
        return _none("non-finite interval in the run", age)
    if ((rr < 60.0 / HR_MAX_BPM) | (rr > 60.0 / HR_MIN_BPM)).any():
        return _none(f"an interval outside {HR_MIN_BPM:g}–{HR_MAX_BPM:g} bpm in the run", age)
    span = float(ends[-1] - ends[0])
    gap = span - float(rr[1:].sum())
    if gap > GAP_FRACTION * float(rr.mean()):
        return _none(f"intervals not consecutive (a gap of {gap:.2f} s in the run)", age, "noisy")
    jump = np.abs(np.diff(rr)) / (0.5 * (rr[1:] + rr[:-1]))
    if (jump > NEIGHBOUR_FRACTION).any():
        return _none(
            f"irregular: neighbours {float(jump.max()) * 100:.0f} % apart "
            f"(> {NEIGHBOUR_FRACTION * 100:.0f} %: ectopic, missed or misplaced beat)",
            age,
            "noisy",
        )
    return FastHeart(60.0 / float(rr.mean()), Quality(1.0, "ok"), age, "", float(ends[0] - rr[0]))


def fast_heart_rate_from_beats(beat_times, now: float, **kwargs) -> FastHeart:
    """``fast_heart_rate`` from beat times (seconds, ascending)."""
    b = np.asarray(beat_times, dtype=np.float64).reshape(-1)
    b = b[b <= now] if math.isfinite(now) else b[:0]
    return fast_heart_rate(b[1:], np.diff(b), now, **kwargs)
