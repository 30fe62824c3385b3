"""A pinned reference of what the streaming pipeline makes of real recordings.

``compute()`` runs the beat detectors and the per-tick feature functions over PhysioNet
record a103l (ECG and PPG, 250 Hz) and over a stored synthetic EDA and respiration
recording, fed in chunks cut by a chunk plan, and returns every output as arrays.
``tests/data/a103l_stream_reference.npz`` holds those arrays as the code computed them
before the detectors kept preallocated histories and the tick functions were made
cheaper (issue 12, item 6); ``test_stream_reference.py`` demands the same, bit for bit,
from whatever the code does now and in whatever chunks it is fed.

Regenerate only when an output is meant to change, and say so in the commit:

    python -m tests.sensors.stream_reference --write
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data"
PHYSIONET = DATA / "physionet_a103l_ecg_ppg_250hz.npz"
REFERENCE = DATA / "a103l_stream_reference.npz"
FS = 250.0
HR_S, SPAN_S = 10.0, 30.0  # as sensors.features.extract: HR over 10 s, RMSSD over 30 s
FIRST_TICK, TICK_S = 30.0, 1.0
EDA_S, RESP_S = 60.0, 30.0
# The features pinned (Features.NAMES when the reference was made; new ones are not pinned).
FEATURES = ("hr_bpm", "rmssd_ms", "eda_tonic_us", "scr_per_min", "scr_amplitude_us", "resp_rate_bpm")
REASONS = ("ok", "flat line", "clipping", "implausible values", "noisy", "stale", "no data")


def record() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    d = np.load(PHYSIONET)
    ecg, ppg = d["ecg_ii_mV"].astype(np.float64), d["ppg_nu"].astype(np.float64)
    return np.arange(ecg.size) / float(d["fs"]), {"ecg": ecg, "ppg": ppg}


def chunks(n: int, plan: str, seed: int = 0):
    """Chunk boundaries over ``n`` samples: 'whole', 'second' (250), 'pull' (4: a 60 Hz
    poll of a 250 Hz stream), 'random' (1 to 600 samples) or an int as a string."""
    if plan == "whole":
        yield 0, n
        return
    rng = np.random.default_rng(seed)
    fixed = {"second": int(FS), "pull": 4}.get(plan) or (int(plan) if plan.isdigit() else None)
    i = 0
    while i < n:
        k = fixed or int(rng.integers(1, 601))
        yield i, min(n, i + k)
        i += k


def beats(kind: str, plan: str, *, seed: int = 0) -> np.ndarray:
    from sensors.peaks import RPeakDetector
    from sensors.pulse import PulseDetector

    t, x = record()
    x = x[kind]
    det = (RPeakDetector if kind == "ecg" else PulseDetector)(FS)
    out = [det.push(t[a:b], x[a:b]) for a, b in chunks(x.size, plan, seed)]
    return np.concatenate(out)


def _digest(*arrays: np.ndarray) -> int:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    return int.from_bytes(h.digest()[:7], "little")  # fits an int64 exactly


def _reason(q) -> int:
    return REASONS.index(q.reason) if q.reason in REASONS else -1  # -1: a reason not pinned


def ticks(plan: str = "second", *, seed: int = 0) -> dict[str, np.ndarray]:
    """Per control tick (each second from 30 s): what every function of the ECG/PPG path
    returns, fed chunks of ``plan`` (cut at the tick, as a control loop that ticks once
    a second sees them)."""
    from sensors.features import FeatureExtractor
    from sensors.heart import heart_rate
    from sensors.peaks import RPeakDetector
    from sensors.pulse import PulseDetector
    from sensors.quality import beat_correlations, signal_quality
    from sensors.types import Window

    t, x = record()
    dets = {"ecg": RPeakDetector(FS), "ppg": PulseDetector(FS)}
    fx = FeatureExtractor({"ecg": FS, "ppg": FS})
    found = {k: [] for k in dets}
    rows: dict[str, list] = {}
    pos = 0
    now = TICK_S
    while now <= t[-1]:
        end = int(np.searchsorted(t, now, side="right"))
        for a, b in chunks(end - pos, plan, seed + pos):
            for k, det in dets.items():
                found[k].append(det.push(t[pos + a : pos + b], x[k][pos + a : pos + b]))
                fx.push(k, t[pos + a : pos + b], x[k][pos + a : pos + b])
        pos = end
        if now >= FIRST_TICK:
            start = int(np.searchsorted(t, now - SPAN_S, side="right"))
            wins = {k: Window(t[start:end], x[k][start:end], FS) for k in dets}
            f = fx.tick(now, wins)
            row = {
                "time": now,
                "features": [getattr(f, n) for n in FEATURES],
                "source": ["", "ecg", "ppg", "rr"].index(f.hr_source),
            }
            for k in dets:
                b = np.concatenate(found[k])
                h0 = int(np.searchsorted(t, now - HR_S, side="right"))
                q = signal_quality(Window(t[h0:end], x[k][h0:end], FS), k)
                bt, r = beat_correlations(wins[k], b, k)
                hr = heart_rate(b, now)
                fq = f.quality[k]
                row.update(
                    {
                        f"{k}_quality": [q.index, _reason(q)],
                        f"{k}_corr": [bt.size, float(r.sum()) if r.size else 0.0],
                        f"{k}_corr_digest": _digest(bt, r),
                        f"{k}_heart": [
                            hr.hr_bpm,
                            hr.rmssd_ms,
                            hr.quality.index,
                            _reason(hr.quality),
                            hr.n_intervals,
                            hr.n_rejected,
                        ],
                        f"{k}_tick_quality": [fq.index, _reason(fq)],
                    }
                )
            for key, v in row.items():
                rows.setdefault(key, []).append(v)
        now += TICK_S
    return {k: np.asarray(v, dtype=np.int64 if k.endswith("digest") else np.float64) for k, v in rows.items()}


def slow_signals() -> dict[str, np.ndarray]:
    """A synthetic EDA (32 Hz) and respiration (25 Hz) recording, made once and stored."""
    from sensors.waveforms import Artefacts, PhysiologySynth

    duration = 150.0
    synth = PhysiologySynth(
        lambda s: 0.5 - 0.5 * np.cos(2 * np.pi * np.asarray(s) / duration),
        artefacts=Artefacts(noise=0.02),
        rates={"eda": 32.0, "resp": 25.0},
        seed=3,
    )
    parts = [synth.chunk(a, a + 1.0) for a in np.arange(0.0, duration, 1.0)]
    return {f"{k}_{i}": np.concatenate([p[k][i] for p in parts]) for k in ("eda", "resp") for i in (0, 1)}


def slow_ticks(sig: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """EDA over 60 s and respiration over 30 s at each tick from 60 s."""
    from sensors.eda import eda_features
    from sensors.resp import respiration_rate
    from sensors.types import Window

    out: dict[str, list] = {"slow_eda": [], "slow_eda_digest": [], "slow_resp": []}
    now = 60.0
    while now <= min(sig["eda_0"][-1], sig["resp_0"][-1]):
        for k, span, rate in (("eda", EDA_S, 32.0), ("resp", RESP_S, 25.0)):
            t, v = sig[f"{k}_0"], sig[f"{k}_1"]
            a, b = np.searchsorted(t, now - span, side="right"), np.searchsorted(t, now, side="right")
            w = Window(t[a:b], v[a:b], rate, "uS" if k == "eda" else "")
            if k == "eda":
                e = eda_features(w)
                out["slow_eda"].append([e.tonic_us, e.scr_per_min, e.scr_amplitude_us, e.quality.index, e.onsets.size])
                out["slow_eda_digest"].append(_digest(e.onsets, e.amplitudes))
            else:
                r = respiration_rate(w)
                out["slow_resp"].append([r.rate_bpm, r.n_cycles, r.quality.index])
        now += TICK_S
    return {k: np.asarray(v, dtype=np.int64 if k.endswith("digest") else np.float64) for k, v in out.items()}


def compute(plan: str = "second", *, seed: int = 0) -> dict[str, np.ndarray]:
    out = {"ecg_beats": beats("ecg", plan, seed=seed), "ppg_beats": beats("ppg", plan, seed=seed)}
    out.update(ticks(plan, seed=seed))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"write {REFERENCE.name}")
    args = ap.parse_args()
    out = compute("second")
    sig = slow_signals()
    out.update(sig)
    out.update(slow_ticks(sig))
    for k, v in out.items():
        print(f"{k:22s} {v.shape}")
    if args.write:
        np.savez_compressed(REFERENCE, **out)
        print(f"wrote {REFERENCE}")


if __name__ == "__main__":
    main()
