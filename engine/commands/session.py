"""``vrex session``: a supervised session with a real patient and real sensors.

Phases: a calm baseline (resting values recorded), exposure, recovery in the calm state.
Modes: ``manual`` (the therapist sets levels; the controller only advises), ``suggest``
(the controller proposes, the therapist accepts or rejects), ``auto`` (the controller
acts, behind the safety shield). The therapist always outranks the controller.

Keys in the window: see ``engine/session/keys.py`` (space is the patient's stop; s is the
therapist's stop; h hold, r resume, page up/down, F1–F12 set a level, a/x accept/reject).
"""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

from engine.commands import scenario_argument
from engine.commands.display_args import add_display_arguments, display_from
from engine.errors import VrexError
from engine.session.core import Mode  # its values are --mode's choices

if TYPE_CHECKING:
    from adaptation.live_patient import Injections
    from engine.session.launch import SessionOptions

# What only running a session needs (scipy, panda3d, pylsl: about a second) is imported in
# the functions below, so that `vrex session --help` and `vrex demo --help` come at once.


def parse_size(text: str) -> tuple[int, int]:
    from engine.commands.view import parse_size as parse

    return parse(text)


def add_common(p: argparse.ArgumentParser, demo: bool) -> None:
    p.add_argument(
        "--patient",
        default="demo" if demo else None,
        required=not demo,
        help="pseudonymous patient id: letters, digits, - and _ (never a name)",
    )
    p.add_argument("--mode", choices=[m.value for m in Mode], default="auto", help="who changes levels (default auto)")
    p.add_argument("--controller", default="policy", help="policy (default), suds, threshold, balan or fixed")
    add_display_arguments(p)
    p.add_argument("--size", type=parse_size, default=None, help="WIDTHxHEIGHT (default 1280x720, offscreen 640x360)")
    p.add_argument(
        "--fps",
        type=float,
        default=None,
        help="frames a second (default: the display's refresh in a window, 60 offscreen; 0: uncapped)",
    )
    p.add_argument(
        "--sessions",
        "--out",
        dest="out",
        type=Path,
        default=Path("out/sessions"),
        help="the sessions folder, as for vrex history (default out/sessions; --out is its older name)",
    )
    p.add_argument("--ceiling", type=float, default=1.0, help="highest intensity for this patient, 0–1 (default 1)")
    p.add_argument(
        "--hr-ceiling", type=float, default=40.0, help="HR %% above baseline that forces a step down (default 40)"
    )
    p.add_argument("--hr-limit", type=float, default=150.0, help="absolute HR limit in bpm (default 150)")
    p.add_argument("--minutes", type=float, default=30.0, help="exposure length in minutes (default 30)")
    p.add_argument("--baseline", type=float, default=120.0, help="calm baseline in seconds (default 120)")
    p.add_argument("--recovery", type=float, default=120.0, help="recovery in seconds (default 120)")
    p.add_argument("--no-report", action="store_true", help="do not write the report at the end")
    p.add_argument("--quiet", action="store_true", help="no live status in the terminal")
    p.add_argument(
        "--console",
        action=argparse.BooleanOptionalAction,
        default=demo,
        help="serve the therapist's browser console; its URL, with the session's token, is printed at "
        f"start (default: {'on' if demo else 'off'})",
    )
    p.add_argument(
        "--console-host",
        default="127.0.0.1",
        help="address the console listens on (default 127.0.0.1: this machine only)",
    )
    p.add_argument(
        "--console-port",
        type=int,
        default=None,
        help="console port (default 8765, or any free port if it is taken; 0: any free port)",
    )
    p.add_argument(
        "--console-cert",
        type=Path,
        default=None,
        metavar="PEM",
        help="the console's TLS certificate (PEM; with --console-key). Beyond this machine the console "
        "speaks HTTPS: with this pair, or else with a self-signed one made for the session, whose "
        "fingerprint is printed",
    )
    p.add_argument("--console-key", type=Path, default=None, metavar="PEM", help="the private key of --console-cert")
    p.add_argument(
        "--console-insecure",
        action="store_true",
        help="serve the console in plain HTTP even beyond this machine (anyone on the network path "
        "can read the token): only on a network you trust",
    )


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "session",
        help="a supervised session with a real patient and real sensors",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--scenario", type=scenario_argument, required=True, help="scenario file or built-in name")
    p.add_argument(
        "--stream",
        action="append",
        default=[],
        metavar="ROLE=NAME",
        help="which stream is which: ecg, ppg, eda, resp or rr = a stream name, type:TYPE or id:SOURCE_ID "
        "(default: found by type; several of one type are listed to choose from)",
    )
    p.add_argument("--stream-timeout", type=float, default=5.0, help="seconds to look for each stream (default 5)")
    add_common(p, demo=False)
    p.set_defaults(run=run)


ROLES = ("ecg", "ppg", "eda", "resp", "rr")


def parse_streams(items: list[str]) -> dict:
    wanted: dict = {}
    for item in items:
        role, sep, what = item.partition("=")
        role = role.strip().lower()
        if not sep or role not in ROLES or not what:
            raise VrexError(
                f"--stream '{item}': write ROLE=NAME with ROLE one of {', '.join(ROLES)} "
                "(e.g. --stream ecg=PolarH10 or --stream eda=type:GSR)"
            )
        if what.startswith("type:"):
            wanted[role] = {"kind": what[5:]}
        elif what.startswith("id:"):
            wanted[role] = {"source_id": what[3:]}
        else:
            wanted[role] = {"name": what}
    return wanted


def parse_stalls(items: list[str]) -> tuple[tuple[float, float], ...]:
    """``stall@START:SECONDS``: the frame thread blocks, holding its GIL (a fault to watch the watchdog act)."""
    stalls = []
    for item in items:
        m = re.fullmatch(r"stall@([0-9.]+):([0-9.]+)", item.strip())
        if m:
            stalls.append((float(m.group(1)), float(m.group(2))))
    return tuple(stalls)


def parse_injections(items: list[str]) -> Injections:
    from adaptation.live_patient import Injections, Surge

    inj = Injections()
    for item in items:
        if re.fullmatch(r"stall@([0-9.]+):([0-9.]+)", item.strip()):
            continue  # the renderer's fault, not the patient's: parse_stalls

        m = re.fullmatch(r"(hr_surge|dropout)@([0-9.]+):([0-9.]+)(?::([0-9.]+))?", item.strip())
        if not m or (m.group(1) == "hr_surge") != (m.group(4) is not None):
            raise VrexError(
                f"--inject '{item}': write hr_surge@START:SECONDS:BPM, dropout@START:SECONDS or "
                "stall@START:SECONDS (session seconds, e.g. hr_surge@600:60:50)"
            )
        start, seconds = float(m.group(2)), float(m.group(3))
        if m.group(1) == "hr_surge":
            inj.surges.append(Surge(start, seconds, float(m.group(4))))
        else:
            inj.dropouts.append((start, start + seconds))
    return inj


def options_from(args: argparse.Namespace, demo: bool) -> SessionOptions:
    from adaptation.shield import ShieldConfig
    from engine.session.launch import SessionOptions

    display, offscreen, renderer = display_from(args, demo=demo)
    if args.fps is not None and not (math.isfinite(args.fps) and 0 <= args.fps <= 1000):
        raise VrexError(f"--fps {args.fps}: give frames a second from 1 to 1000, or 0 for as fast as possible")
    for name in ("ceiling", "minutes", "baseline", "recovery", "hr_ceiling", "hr_limit") + (("speed",) if demo else ()):
        v = getattr(args, name)
        if not (math.isfinite(v) and v > 0):
            raise VrexError(f"--{name.replace('_', '-')} {v}: give a positive number")
    if args.ceiling > 1:
        raise VrexError(f"--ceiling {args.ceiling}: intensities go from 0 to 1")
    try:
        shield = ShieldConfig(hr_ceiling_rel=args.hr_ceiling / 100.0, hr_ceiling_bpm=args.hr_limit)
    except ValueError as exc:
        raise VrexError(f"--hr-ceiling/--hr-limit: {exc}") from None
    if args.console_port is not None and not 0 <= args.console_port <= 65535:
        raise VrexError(f"--console-port {args.console_port}: give a port from 1 to 65535 (0: any free port)")
    if (args.console_cert is None) != (args.console_key is None):
        raise VrexError("--console-cert and --console-key go together: give both PEM files, or neither")
    for flag, path in (("--console-cert", args.console_cert), ("--console-key", args.console_key)):
        if path is not None and not path.is_file():
            raise VrexError(f"{flag} {path}: no such file; give a PEM file")
    if not args.patient or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", args.patient):
        raise VrexError(
            f"--patient '{args.patient}': use a pseudonymous id of letters, digits, - and _ "
            "(1–64 characters, e.g. P017), never a name"
        )
    return SessionOptions(
        scenario=args.scenario,
        patient=args.patient,
        mode=Mode(args.mode),
        controller=args.controller,
        offscreen=offscreen,
        renderer=renderer,
        display=display,
        size=args.size or ((640, 360) if offscreen else (1280, 720)),
        root=args.out,
        speed=getattr(args, "speed", 1.0),
        demo=demo,
        seed=getattr(args, "seed", 0),
        streams=parse_streams(getattr(args, "stream", [])),
        stream_timeout=getattr(args, "stream_timeout", 5.0),
        ceiling=args.ceiling,
        shield=shield,
        baseline_s=args.baseline,
        exposure_s=args.minutes * 60.0,
        recovery_s=args.recovery,
        injections=parse_injections(getattr(args, "inject", [])),
        status=not args.quiet,
        console=args.console,
        console_host=args.console_host,
        console_port=args.console_port,
        console_cert=args.console_cert,
        console_key=args.console_key,
        console_insecure=args.console_insecure,
        fps=args.fps,
        frame_stalls=parse_stalls(getattr(args, "inject", [])),
    )


def finish(args: argparse.Namespace, folder: Path) -> int:
    if (folder / "sealed.json").is_file():
        # sealed to the clinic's key as the session closed (ROOT/recipients.txt): a report
        # written now would be plaintext health data beside the sealed files
        print(f"session recorded and sealed in {folder}/ (*.age, sealed.json)")
        print(f"its report: vrex report {folder} --identity IDENTITY_FILE --out DIR")
        return 0
    print(f"session recorded in {folder}/ (recording.xdf, events.jsonl, session.json)")
    if not args.no_report:
        from engine.report import write_report

        report = write_report(folder)
        print(f"report: {report.html}")
        for problem in report.problems:
            print(f"  report note: {problem}")
    return 0


def run(args: argparse.Namespace) -> int:
    from engine.session.launch import run_session

    folder = run_session(options_from(args, demo=False))
    return finish(args, folder)
