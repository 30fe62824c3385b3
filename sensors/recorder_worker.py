"""The recording process behind ``sensors.recorder.XdfRecorder``: LabRecorder (the
``labrecorder`` package, LSL's own C++ XDF writer) in a process of its own.

Why a process of its own, measured with labrecorder 1.0.0rc0:

* its writer never flushes its ``std::ofstream``; a process killed with SIGKILL loses what
  sits in the 8 KiB buffer: 1.3 to 2.3 s of vrex's own streams at 60 frames/s. This process
  outlives a killed vrex (it sees its stdin close) and finishes the file properly;
* destroying a ``Recording`` (the only way to close the file) joins its threads for up to
  5.4 s while holding the GIL, which would freeze vrex's render loop and console;
* ``collect_offsets=False`` crashes the process (SIGSEGV) when the recording is stopped;
* its liblsl (1.17.5) and its console messages stay out of vrex's process and terminal.

Protocol. The first stdin line is JSON ``{"path", "streams": [stream header XML, ...],
"watch": [LSL predicate, ...]}``. The worker answers on its stdout (moved to a private
descriptor; fd 1 then joins fd 2, the log the parent opened, where LabRecorder prints)
``started`` or ``error MESSAGE``, and at the end ``stopped SECONDS``. Any later stdin line,
end of stdin (vrex exited or was killed) or SIGTERM stops the recording.

Only the standard library and labrecorder are imported here, so the process starts fast.
Run with ``python -P`` (the parent does): this file's folder holds ``types.py``, which must
not shadow the standard library's.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

# LabRecorder pulls each stream every 0.5 s and does not pull again once told to stop: wait
# this long first, so samples pushed just before the stop (session_end) reach the file.
DRAIN_S = 1.0


class _Stop(Exception):
    """Raised by the SIGTERM handler to leave the wait for a stop command."""


def _on_term(signum, frame):
    raise _Stop


def main() -> int:
    status = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)                             # LabRecorder's std::cout goes to the log

    def say(line: str) -> None:
        try:
            status.write(line + "\n")
        except OSError:                       # vrex is gone; the file still gets finished
            pass

    first = sys.stdin.readline()
    if not first:
        return 0
    config = json.loads(first)
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # Ctrl-C is for vrex, which stops us
    signal.signal(signal.SIGTERM, _on_term)
    try:
        import labrecorder
        recording = labrecorder.Recording(config["path"], config["streams"], config["watch"],
                                          {}, True)
    except Exception as exc:                  # noqa: BLE001 - reported to the parent verbatim
        say(f"error {type(exc).__name__}: {exc}")
        return 1
    say("started")
    print(f"vrex: recording {config['path']}", flush=True)
    try:
        sys.stdin.readline()
    except _Stop:
        pass
    start = time.monotonic()
    try:
        time.sleep(DRAIN_S)
    except _Stop:
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)     # let the file be finished
    recording.stop()
    del recording                             # joins LabRecorder's threads, writes footers
    print(f"vrex: recording stopped after {time.monotonic() - start:.2f} s", flush=True)
    say(f"stopped {time.monotonic() - start:.3f}")
    status.close()
    return 0


if __name__ == "__main__":
    code = main()
    # The file is closed. Skip the interpreter's teardown: liblsl's static destructors
    # sometimes hung the exit for over a minute after a SIGTERM-ended recording.
    sys.stdout.flush()
    os._exit(code)
