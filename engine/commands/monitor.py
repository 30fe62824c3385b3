"""``vrex monitor``: live features and signal quality in the terminal, updated in place.

For a therapist before a session: are the sensors on, is every signal trustworthy, what
are the resting values? Streams are found by type; missing ones are listed with the reason.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

from sensors.live import LivePhysiology

WANTED = {"ECG": "ECG", "PPG": "PPG", "EDA": "EDA", "RESP": "RESP", "RR": "RR"}
ROWS = (
    ("heart rate", "hr_bpm", "bpm"),
    ("RMSSD", "rmssd_ms", "ms"),
    ("EDA tonic", "eda_tonic_us", "µS"),
    ("SCRs", "scr_per_min", "/min"),
    ("SCR amplitude", "scr_amplitude_us", "µS"),
    ("breathing", "resp_rate_bpm", "/min"),
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("monitor", help="show live features and signal quality in the terminal")
    p.add_argument("--seconds", type=float, default=None, help="stop after this long (default: until Ctrl-C)")
    p.add_argument("--timeout", type=float, default=3.0, help="seconds to look for each stream (default 3)")
    p.set_defaults(run=run)


def render(features, live: LivePhysiology) -> list[str]:
    lines = [f"vrex monitor — {time.strftime('%H:%M:%S')}   (Ctrl-C to stop)", ""]
    for label, name, unit in ROWS:
        value = getattr(features, name)
        shown = "   —  " if math.isnan(value) else f"{value:6.1f}"
        why = (
            features.reasons.get(name, "")
            if math.isnan(value)
            else (f"from {features.hr_source}" if name == "hr_bpm" else "")
        )
        lines.append(f"  {label:14} {shown} {unit:5} {why}")
    lines.append("")
    for kind, q in sorted(features.quality.items()):
        age = features.age_s.get(kind)
        age_text = f"{age:5.1f} s old" if age is not None else ""
        mark = "ok " if q.usable else "!! "
        lines.append(f"  {mark}{kind:5} quality {q.index:4.2f}  {q.reason:20} {age_text}")
    for role, error in live.failed.items():
        lines.append(f"  -- {role:5} not used: {str(error).splitlines()[0]}")
    return lines


def run(args: argparse.Namespace) -> int:
    live = LivePhysiology.open(WANTED, timeout=args.timeout)
    if not live.signals:
        reasons = "\n".join(f"  {role}: {str(e).splitlines()[0]}" for role, e in live.failed.items())
        print(f"no physiological streams found:\n{reasons}\nStart the devices' LSL apps or 'vrex simulate'.")
        return 1
    shown = 0
    start = time.monotonic()
    next_tick = 0.0
    try:
        while args.seconds is None or time.monotonic() - start < args.seconds:
            live.poll()
            if time.monotonic() >= next_tick:
                lines = render(live.tick(), live)
                if shown:
                    sys.stdout.write(f"\x1b[{shown}F")  # back to the first line: update in place
                sys.stdout.write("".join(f"\x1b[2K{line}\n" for line in lines))
                sys.stdout.flush()
                shown = len(lines)
                next_tick = time.monotonic() + 1.0
            time.sleep(0.02)
    except KeyboardInterrupt:
        pass
    finally:
        live.close()
    return 0
