"""``vrex replay FILE``: play a recording (XDF, NPZ, CSV) back as live LSL streams."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from engine.commands.simulate import positive
from sensors.publish import RecordingPublisher
from sensors.recordings import load_recording


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="play a recording back as live LSL streams", description=__doc__)
    p.add_argument("file", type=Path, help="a .xdf, .npz or .csv recording (or a sealed recording.xdf.age)")
    p.add_argument("--speed", type=positive, default=1.0, help="K times faster than recorded (default 1)")
    p.add_argument("--loop", action="store_true", help="start again at the end, until Ctrl-C")
    p.add_argument("--identity", type=Path, help="the identity file that opens a sealed recording (or $VREX_IDENTITY)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.records.unseal import opened_file

    with opened_file(args.file, args.identity) as path:  # sealed: a private copy, removed once loaded
        recording = load_recording(path)
    publisher = RecordingPublisher(recording, speed=args.speed, loop=args.loop)
    for s in recording.streams:
        print(f"  {s.spec.describe()}: {len(s.times)} samples")
    print(
        f"replaying {recording.duration:.1f} s at {args.speed:g}× speed"
        f"{' in a loop' if args.loop else ''}; Ctrl-C stops"
    )
    # The progress line is redrawn in place on a terminal only: piped into a log, each redraw
    # would be one more line (50 a second)
    progress = sys.stdout.isatty()
    try:
        while True:
            t = publisher.step()
            if progress:
                shown = t if args.loop else min(t, recording.duration)
                sys.stdout.write(f"\r  t = {shown:7.1f} / {recording.duration:.1f} s")
                sys.stdout.flush()
            if publisher.finished:
                break
            time.sleep(0.02)
    finally:
        publisher.close()
        if progress:
            print()
    if publisher.finished:
        print(f"replayed {recording.duration:.1f} s of {len(recording.streams)} stream(s)")
    return 0
