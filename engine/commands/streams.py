"""``vrex streams``: list the LSL streams on the network, for a therapist before a session."""

from __future__ import annotations

import argparse

from sensors import lsl


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("streams", help="list the LSL streams on the network")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds to look (default 2)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    found = lsl.list_streams(timeout=args.timeout)
    if not found:
        print(
            f"no LSL streams found in {args.timeout:g} s — is the device or 'vrex simulate' running, on this network?"
        )
        return 1
    print(f"{'name':28} {'type':10} {'rate':>10} {'ch':>3}  {'units':14} source")
    for s in sorted(found, key=lambda s: (s.type, s.name)):
        rate = "irregular" if s.rate == 0 else f"{s.rate:g} Hz"
        units = ",".join(sorted(set(u for u in s.units if u))) or "-"
        print(
            f"{s.name[:28]:28} {s.type[:10]:10} {rate:>10} {s.channel_count:3d}  {units[:14]:14} "
            f"{s.source_id} @ {s.hostname}"
        )
    return 0
