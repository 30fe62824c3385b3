"""``vrex streams``: list the LSL streams on the network, for a therapist before a session."""

from __future__ import annotations

import argparse

from sensors import lsl


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("streams", help="list the LSL streams on the network")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds to look (default 2)")
    p.add_argument(
        "--info-timeout",
        type=float,
        default=1.0,
        help="seconds to wait for each stream's full header, which holds its units (default 1; 0: skip, units '-')",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.session.terminal import plain  # here: the CLI imports every command's module at start

    found = lsl.list_streams(timeout=args.timeout, full_info_s=max(0.0, args.info_timeout))
    if not found:
        print(
            f"no LSL streams found in {args.timeout:g} s — is the device or 'vrex simulate' running, on this network?"
        )
        return 1
    print(f"{'name':28} {'type':10} {'rate':>10} {'ch':>3}  {'units':14} source")
    for s in sorted(found, key=lambda s: (s.type, s.name)):
        rate = "irregular" if s.rate == 0 else f"{s.rate:g} Hz"
        # One unit per channel, in channel order ("mV" once for a one-unit stream); '-' when
        # the stream declares none or did not send its full header in time.
        units = ",".join(dict.fromkeys(u for u in s.units if u)) or "-"
        # every text here is whatever a machine on the network published: control characters
        # out, so an escape code in a name cannot clear or rewrite the therapist's terminal
        name, kind, units, source = (plain(x) for x in (s.name, s.type, units, f"{s.source_id} @ {s.hostname}"))
        print(f"{name[:28]:28} {kind[:10]:10} {rate:>10} {s.channel_count:3d}  {units[:14]:14} {source}")
    return 0
