"""A session-like process for test_kill.py: vrex's outlets, an XdfRecorder and an EventLog
in a session folder, pushing known values until it is killed.

    python tests/engine/session/record_process.py DIR SESSION_ID [--lifetime 120]

Prints ``ready RECORDER_PID`` once LabRecorder has subscribed to every stream, then once a
second ``pushed FRAMES TICKS``: every frame number up to FRAMES has been pushed on
vrex-frames, vrex-intensity and vrex-headpose (frame n carries the value n), and every tick
up to TICKS has been logged to events.jsonl (kind ``tick``, field ``n``), sent on
vrex-events and pushed on vrex-features (hr_bpm = n). 60 frames and 6 ticks per second.
LabRecorder's own console messages go to recording.log, so stdout carries only these
lines. Exits by itself after ``--lifetime`` seconds, so a crashed test leaves nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from engine.session.events import EventLog  # noqa: E402
from engine.session.outlets import VrexOutlets  # noqa: E402
from sensors.recorder import XdfRecorder  # noqa: E402

FPS = 60
FRAMES_PER_TICK = 10


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dir", type=Path)
    parser.add_argument("session_id")
    parser.add_argument("--lifetime", type=float, default=120.0)
    args = parser.parse_args()

    outlets = VrexOutlets(args.session_id)
    recorder = XdfRecorder.start(args.dir / "recording.xdf", outlets.specs(), timeout=60.0)
    if not outlets.wait_for_consumers(60.0):
        sys.exit("LabRecorder did not subscribe within 60 s")
    start = time.monotonic()
    log = EventLog(args.dir / "events.jsonl", lambda: time.monotonic() - start, publish=outlets.event)
    print(f"ready {recorder.pid}", flush=True)

    frames = ticks = 0
    next_report = start + 1.0
    while time.monotonic() - start < args.lifetime:
        frames += 1
        outlets.frame(float(frames))
        outlets.intensity(float(frames), float(frames))
        outlets.headpose(float(frames), 0.0, 0.0, 0.0, 0.0, 0.0)
        if frames % FRAMES_PER_TICK == 0:
            ticks += 1
            log.log("sensors", "tick", n=ticks, frames=frames)
            outlets.features({"hr_bpm": float(ticks)})
        log.sync()
        now = time.monotonic()
        if now >= next_report:
            print(f"pushed {frames} {ticks}", flush=True)
            next_report += 1.0
        time.sleep(max(0.0, start + frames / FPS - time.monotonic()))
    log.close()
    recorder.stop()
    outlets.close()


if __name__ == "__main__":
    main()
