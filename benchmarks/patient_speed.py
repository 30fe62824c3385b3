"""Simulated patient-seconds per second: ``PatientBatch.step`` and ``SessionBatch.advance``, one core.

    python benchmarks/patient_speed.py [--seconds 2] [--core 0] [--json OUT]

``PatientBatch.step`` (fear, habituation, sensitisation, escape, physiology lags) is run on
batches of 1, 100, 1 000 and 10 000 people drawn from the default population, at an
intensity that ramps from 0 to 1 over 10 minutes and starts again (a sawtooth), 1 s per
step. One step of ``n`` people is ``n × dt`` patient-seconds. The issue asks for at least
100 000 patient-seconds per second on one core.

``SessionBatch.advance`` is a whole decision interval (5 steps of 1 s) of ``n`` = 1, 16 and
500 sessions: scene easing, patients, sensor faults, SUDS questions, therapist holds and
the success check. Targets follow a slow ramp (full intensity after 20 minutes); finished
sessions are restarted between calls (not timed). Patient-seconds are the seconds the
live sessions actually advanced (a finished session stands still). Also timed apart:
``vectors()`` (measuring the sensors and encoding the policy's input), which training
calls after every advance.

The process is pinned to one core (``--core``, ``os.sched_setaffinity``) and numpy's BLAS
to one thread (OMP/MKL/OPENBLAS_NUM_THREADS=1, set before numpy is imported). Each case
runs for ``--seconds`` in blocks of about 0.1 s; the table gives the median block rate and
the best one. The JSON records the machine and its load average before and after: other
processes on the same core (a training run, say) lower the numbers.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _machine import machine_info, pin, write_result  # noqa: E402

PATIENT_SIZES = (1, 100, 1000, 10_000)
SESSION_SIZES = (1, 16, 500)
TARGET = 100_000  # patient-seconds per second on one core (the aim)


def _blocks(run_block, seconds: float) -> tuple[list[float], float]:
    """Call ``run_block() -> (patient_seconds, elapsed)`` until ``seconds`` of timed work."""
    rates, total_ps, total_t = [], 0.0, 0.0
    while total_t < seconds:
        ps, el = run_block()
        if el > 0:
            rates.append(ps / el)
        total_ps += ps
        total_t += el
    return rates, total_ps / total_t


def _summary(rates: list[float], overall: float, **extra) -> dict:
    return {
        **extra,
        "blocks": len(rates),
        "patient_s_per_s_median": round(float(np.median(rates))),
        "patient_s_per_s_best": round(float(np.max(rates))),
        "patient_s_per_s_overall": round(overall),
    }


def bench_patients(n: int, seconds: float, seed: int = 0) -> dict:
    from adaptation.patient import PatientBatch
    from adaptation.population import Population

    rng = np.random.default_rng(seed)
    batch = PatientBatch(Population.builtin("default").sample(n, rng), rng, dt=1.0)
    ramp = (np.arange(600) % 600) / 600.0  # 0 → 1 over 10 minutes, then again
    inten = np.empty(n)
    t = 0

    def steps(k: int) -> None:
        nonlocal t
        for _ in range(k):
            inten.fill(ramp[t % 600])
            batch.step(inten)
            t += 1

    steps(20)  # warm-up
    t0 = time.perf_counter()
    steps(10)
    per_step = max((time.perf_counter() - t0) / 10, 1e-7)
    k = max(1, int(0.1 / per_step))  # blocks of about 0.1 s

    def block():
        s = time.perf_counter()
        steps(k)
        return n * k * batch.dt, time.perf_counter() - s

    rates, overall = _blocks(block, seconds)
    out = _summary(rates, overall, n=n, steps_per_block=k)
    out["us_per_step"] = round(1e6 * n / out["patient_s_per_s_median"], 2)
    out["escaped_share_at_end"] = round(float(batch.escaped.mean()), 3)
    return out


def bench_sessions(n: int, seconds: float, seed: int = 0) -> dict:
    from adaptation.population import Population
    from adaptation.sim import SessionBatch, SessionConfig

    rng = np.random.default_rng(seed)
    cfg = SessionConfig()
    batch = SessionBatch(Population.builtin("default").sample(n, rng), cfg, rng)
    vec_time = [0.0, 0]

    def one() -> tuple[float, float]:
        done = np.flatnonzero(batch.done)
        if len(done):
            batch.reset(done)  # same people afresh; not timed
        batch.set_targets(np.minimum(batch.time / 1200.0, 1.0))
        before = batch.time.copy()
        s = time.perf_counter()
        batch.advance()
        el = time.perf_counter() - s
        s = time.perf_counter()
        batch.vectors()
        vec_time[0] += time.perf_counter() - s
        vec_time[1] += 1
        return float((batch.time - before).sum()), el

    for _ in range(5):
        one()  # warm-up
    vec_time[:] = [0.0, 0]
    t0 = time.perf_counter()
    one()
    per = max(time.perf_counter() - t0, 1e-7)
    k = max(1, int(0.1 / per))

    def block():
        ps = el = 0.0
        for _ in range(k):
            a, b = one()
            ps += a
            el += b
        return ps, el

    rates, overall = _blocks(block, seconds)
    out = _summary(rates, overall, n=n, advances_per_block=k, steps_per_advance=int(cfg.decision_interval_s / cfg.dt))
    out["us_per_advance"] = round(1e6 * n * cfg.decision_interval_s / out["patient_s_per_s_median"], 1)
    out["us_per_vectors_call"] = round(1e6 * vec_time[0] / max(vec_time[1], 1), 1)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="timed seconds per case (default 2)")
    ap.add_argument("--core", type=int, default=0, help="core to pin to; -1 leaves affinity alone (default 0)")
    ap.add_argument("--patients", default=",".join(map(str, PATIENT_SIZES)), help="PatientBatch sizes")
    ap.add_argument("--sessions", default=",".join(map(str, SESSION_SIZES)), help="SessionBatch sizes")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "patient_speed_cpu.json")
    args = ap.parse_args()
    cores = pin(args.core)
    load_before = [round(x, 2) for x in os.getloadavg()]
    patients = [bench_patients(int(n), args.seconds) for n in args.patients.split(",") if n]
    sessions = [bench_sessions(int(n), args.seconds) for n in args.sessions.split(",") if n]
    info = machine_info()
    out = {
        "benchmark": "patient_speed",
        "machine": info,
        "pinned_cores": cores,
        "load_average_before": load_before,
        "load_average_after": info["load_average"],
        "blas_threads": 1,
        "seconds_per_case": args.seconds,
        "dt_s": 1.0,
        "population": "default",
        "target_patient_s_per_s_one_core": TARGET,
        "patient_batch_step": patients,
        "session_batch_advance": sessions,
    }
    best_one_core = max(r["patient_s_per_s_median"] for r in patients)
    out["meets_target"] = best_one_core >= TARGET

    print(f"PatientBatch.step, pinned to {cores}, dt 1 s (patient-seconds per second)")
    print(f"{'n':>7} {'median':>13} {'best':>13} {'µs/step':>10}")
    for r in patients:
        print(
            f"{r['n']:>7} {r['patient_s_per_s_median']:>13,} {r['patient_s_per_s_best']:>13,} {r['us_per_step']:>10.1f}"
        )
    print("\nSessionBatch.advance (5 s: patients + sensors + SUDS + holds)")
    print(f"{'n':>7} {'median':>13} {'best':>13} {'µs/advance':>11} {'µs/vectors':>11}")
    for r in sessions:
        print(
            f"{r['n']:>7} {r['patient_s_per_s_median']:>13,} {r['patient_s_per_s_best']:>13,} "
            f"{r['us_per_advance']:>11.1f} {r['us_per_vectors_call']:>11.1f}"
        )
    print(
        f"\naim {TARGET:,} patient-s/s on one core: {'met' if out['meets_target'] else 'NOT met'} "
        f"(best median {best_one_core:,})"
    )
    print(
        f"load average before {load_before}, after {info['load_average']} on {info['cpus']} CPUs"
        + (f"; training running: {len(info['training_runs_active'])}" if info["training_runs_active"] else "")
    )
    write_result(args.json, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
