"""CPU cost of ingesting ECG 1 kHz, PPG 64 Hz, EDA 32 Hz and respiration 25 Hz at once.

    python benchmarks/ingest_cost.py [--seconds 20] [--poll-hz 60]

A separate process publishes simulated physiology over real LSL at those rates. This
process opens the four streams through ``sensors.live.LivePhysiology``, polls them at
``--poll-hz`` (every frame of a 60 Hz loop) feeding the beat detectors, and computes all
features once a second, as a session does. Reported: this process's CPU time ÷ wall time
(percent of one core), split into polling and feature ticks; each poll's and each tick's
CPU time as mean, p50 and p99 (a mean hides the tick that blocks the control loop).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PUBLISHER = """
import sys, numpy as np
sys.path.insert(0, {root!r})
from sensors.publish import SimulatedPublisher
from sensors.waveforms import PhysiologySynth
synth = PhysiologySynth(lambda t: 0.3 + 0.2 * np.sin(np.asarray(t) / 20.0),
                        rates={{"ecg": 1000.0, "ppg": 64.0, "eda": 32.0, "resp": 25.0}}, seed=1)
pub = SimulatedPublisher(synth, prefix={prefix!r}, source={prefix!r})
print("ready", flush=True)
pub.run({seconds})
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--poll-hz", type=float, default=60.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from sensors.live import LivePhysiology

    prefix = f"ingest-{uuid.uuid4().hex[:8]}"
    code = PUBLISHER.format(root=str(ROOT), prefix=prefix, seconds=args.seconds + 15)
    pub = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert pub.stdout.readline().strip() == "ready"
        live = LivePhysiology.open(
            {k: {"source_id": f"{prefix}-{k}"} for k in ("ecg", "ppg", "eda", "resp")}, timeout=10
        )
        if live.failed:
            print("streams failed:", live.failed)
            return 1
        time.sleep(2.0)  # let buffers fill and clock offsets settle
        load_before = os.getloadavg()[0]
        poll_times: list[float] = []
        tick_times: list[float] = []
        samples = 0
        wall0, cpu0 = time.perf_counter(), time.process_time()
        next_tick = wall0 + 1.0
        hr = []
        while time.perf_counter() - wall0 < args.seconds:
            c = time.process_time()
            result = live.poll()
            poll_times.append(time.process_time() - c)
            samples += sum(p.new for p in result.values())
            if time.perf_counter() >= next_tick:
                c = time.process_time()
                features = live.tick()
                tick_times.append(time.process_time() - c)
                hr.append(features.hr_bpm)
                next_tick += 1.0
            time.sleep(max(0.0, 1.0 / args.poll_hz - 0.0005))
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        live.close()
    finally:
        pub.kill()
    load_after = os.getloadavg()[0]
    polls_ms, ticks_ms = 1000 * np.array(poll_times), 1000 * np.array(tick_times or [np.nan])
    result = {
        "streams": "ECG 1000 Hz + PPG 64 Hz + EDA 32 Hz + RESP 25 Hz",
        "poll_hz": round(len(poll_times) / wall, 1),
        "samples_per_s": round(samples / wall),
        "cpu_percent_of_one_core": round(100 * cpu / wall, 2),
        "poll_ms_mean": round(float(polls_ms.mean()), 3),
        "poll_ms_p50": round(float(np.median(polls_ms)), 3),
        "poll_ms_p99": round(float(np.percentile(polls_ms, 99)), 3),
        "tick_ms_mean": round(float(ticks_ms.mean()), 2),
        "tick_ms_p50": round(float(np.median(ticks_ms)), 2),
        "tick_ms_p99": round(float(np.percentile(ticks_ms, 99)), 2),
        "polls": len(poll_times),
        "ticks": len(tick_times),
        "hr_bpm_last": round(float(hr[-1]), 1) if hr else None,
        "load_average_before_after": [round(load_before, 2), round(load_after, 2)],
    }
    for k, v in result.items():
        print(f"{k:26} {v}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
