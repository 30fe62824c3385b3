"""``vrex simulate``: publish realistic physiology as real LSL streams, in place of hardware.

The arousal trace is scripted as TIME:LEVEL pairs (seconds, 0–1), linear between them and
held after the last, e.g. --arousal "0:0.1,60:0.7,120:0.3". Faults can be injected over
time spans written START-END in seconds.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from sensors.publish import SimulatedPublisher
from sensors.waveforms import Artefacts, Person, PhysiologySynth


def arousal_trace(text: str):
    try:
        pairs = [tuple(float(x) for x in item.split(":")) for item in text.split(",") if item.strip()]
        times, levels = zip(*pairs)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not TIME:LEVEL pairs — e.g. '0:0.1,60:0.7'") from None
    if list(times) != sorted(times) or not all(0.0 <= v <= 1.0 for v in levels):
        raise argparse.ArgumentTypeError(f"'{text}': times must increase and levels lie in 0–1")
    t, v = np.array(times), np.array(levels)
    return lambda at: np.interp(np.asarray(at, float), t, v)


def span(text: str) -> tuple[float, float]:
    try:
        a, b = (float(x) for x in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a time span — write START-END in seconds, e.g. 30-35"
        ) from None
    if not 0 <= a < b:
        raise argparse.ArgumentTypeError(f"'{text}': START must be at least 0 and below END")
    return a, b


def positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be above 0")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="publish simulated ECG, PPG, EDA, respiration and RR over LSL",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--seconds", type=positive, default=600.0, help="session seconds to publish (default 600)")
    p.add_argument("--speed", type=positive, default=1.0, help="run K times faster than real time (default 1)")
    p.add_argument(
        "--arousal",
        type=arousal_trace,
        default=arousal_trace("0:0.1,60:0.6,180:0.3"),
        help="scripted arousal, TIME:LEVEL pairs (default '0:0.1,60:0.6,180:0.3')",
    )
    p.add_argument("--noise", type=float, default=0.02, help="relative sensor noise (default 0.02)")
    p.add_argument("--motion", type=span, action="append", default=[], metavar="START-END", help="motion artefact")
    p.add_argument(
        "--electrode-loss",
        type=span,
        action="append",
        default=[],
        metavar="START-END",
        help="ECG and EDA electrodes off (flat line)",
    )
    p.add_argument("--dropout", type=span, action="append", default=[], metavar="START-END", help="no samples sent")
    p.add_argument("--decelerator", action="store_true", help="heart slows with fear (fear bradycardia)")
    p.add_argument("--eda-non-responder", action="store_true", help="no skin conductance responses")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--prefix", default="vrex-sim", help="stream name prefix (default vrex-sim)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    person = Person(hr_gain=-12.0 if args.decelerator else 35.0, scr_responder=not args.eda_non_responder)
    artefacts = Artefacts(
        noise=args.noise, motion=args.motion, electrode_loss=args.electrode_loss, dropouts=args.dropout
    )
    synth = PhysiologySynth(args.arousal, person, artefacts, seed=args.seed)
    publisher = SimulatedPublisher(synth, prefix=args.prefix, source=f"{args.prefix}-{args.seed}", speed=args.speed)
    names = ", ".join(out.outlet.name for out in publisher.outs.values())
    print(f"publishing {names} for {args.seconds:g} s of session time at {args.speed:g}× speed; Ctrl-C stops")

    def progress(t: float) -> None:
        a = float(args.arousal(np.array([t]))[0])
        sys.stdout.write(f"\r  t = {t:7.1f} s   arousal {a:4.2f}   beats {len(synth.beats):6d}")
        sys.stdout.flush()

    try:
        publisher.run(args.seconds, on_tick=progress)
    finally:
        publisher.close()
        print()
    return 0
