"""What the event log's hash chain costs the control thread: one sha256 per logged line.

    python benchmarks/event_chain_cost.py [--lines 20000]

``EventLog.log`` runs on the control thread, so each line's ``prev`` (the previous line's
hash, ``engine.session.events.line_hash``) must stay far below a tick. Reported: µs per
line for a typical tick line (three times the usual size, as a margin). Measured here, not
asserted in a test: the suite must stay reliable on a loaded machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.session.events import line_hash  # noqa: E402 — after the path set-up above


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20000)
    args = parser.parse_args()
    raw = (
        json.dumps(
            {"seq": 1234, "t": 12.5, "source": "sensors", "kind": "tick", "hr_bpm": 71.2, "quality": {"ecg": 0.9}}
        ).encode()
        * 3
    )
    start = time.perf_counter()
    for _ in range(args.lines):
        line_hash(raw)
    per_line = (time.perf_counter() - start) / args.lines
    print(f"hash chain: {per_line * 1e6:.2f} µs per line ({len(raw)} bytes, {args.lines} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
