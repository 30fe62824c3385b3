"""A device-like LSL outlet in a process of its own, for tests that kill or freeze it.

    python tests/sensors/lsl_outlet_process.py --source-id ID [--rate 250] [--type ECG] ...

Prints ``ready`` once the outlet exists. Like a device with its own sample clock, it
pushes every sample that is due, stamped with the time it was due (``t0 + i/rate``): after
SIGSTOP and SIGCONT the whole backlog goes out at once, with its original timestamps.
Channel 0 carries the sample index, so a reader can check that nothing was lost. It
exits by itself after ``--lifetime`` seconds, so a crashed test leaves nothing behind.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sensors import lsl  # noqa: E402
from sensors.types import StreamSpec  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source-id", required=True)
    parser.add_argument("--name", default="vrex-test-device")
    parser.add_argument("--type", default="ECG")
    parser.add_argument("--rate", type=float, default=250.0)
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--unit", default="mV")
    parser.add_argument("--lifetime", type=float, default=60.0)
    args = parser.parse_args()

    spec = StreamSpec(
        args.name,
        args.type,
        args.rate,
        args.channels,
        "double64",
        args.source_id,
        labels=tuple(f"ch{i + 1}" for i in range(args.channels)),
        units=(args.unit,) * args.channels,
    )
    outlet = lsl.make_outlet(spec, max_buffered=30)
    t0 = lsl.local_clock()
    sent = 0
    print("ready", flush=True)
    while lsl.local_clock() - t0 < args.lifetime:
        due = int((lsl.local_clock() - t0) * args.rate) + 1  # sample 0 is due at t0
        if due > sent:
            index = np.arange(sent, due, dtype=np.float64)
            values = np.repeat(index[:, None], args.channels, axis=1)
            outlet.push(values, t0 + index / args.rate)
            sent = due
        time.sleep(0.005)


if __name__ == "__main__":
    main()
