"""``vrex monitor``: live features and signal quality in the terminal, updated in place.

For a therapist before a session: are the sensors on, is every signal trustworthy, what
are the resting values? Streams are found by type, or named with ``--stream ROLE=NAME`` as
in ``vrex session`` (then only the named roles are opened, as the session would); missing
or ambiguous ones are listed with the reason, every candidate of an ambiguous one included.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

from engine.errors import explained
from sensors.live import LivePhysiology

WANTED = {"ecg": "ECG", "ppg": "PPG", "eda": "EDA", "resp": "RESP", "rr": "RR"}
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
    p.add_argument(
        "--stream",
        action="append",
        default=[],
        metavar="ROLE=NAME",
        help="which stream is which, as in `vrex session`: ecg, ppg, eda, resp or rr = a stream name, type:TYPE "
        "or id:SOURCE_ID (default: every role found by type; with --stream, only the roles named)",
    )
    p.set_defaults(run=run)


def render(features, live: LivePhysiology) -> list[str]:
    from engine.session.terminal import plain  # here: the CLI imports every command's module at start

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
        lines += explained(f"  -- {role:5} not used: ", error)
    return [plain(line) for line in lines]  # stream names and sources are the network's: no escape codes


def run(args: argparse.Namespace) -> int:
    from engine.commands.session import parse_streams  # the same ROLE=NAME rules as `vrex session`
    from engine.session.terminal import plain

    wanted = parse_streams(args.stream) or WANTED
    live = LivePhysiology.open(wanted, timeout=args.timeout)
    if not live.signals:
        reasons = "\n".join(plain(line) for role, e in live.failed.items() for line in explained(f"  {role}: ", e))
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
