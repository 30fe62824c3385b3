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
import select
import signal
import sys
import time

# LabRecorder pulls each stream every 0.5 s and does not pull again once told to stop: wait
# this long first, so samples pushed just before the stop (session_end) reach the file.
DRAIN_S = 1.0
POLL_S = 0.2  # how often the wait for a stop looks at the SIGTERM flag


_stop_asked = False


def _on_term(signum, frame) -> None:
    global _stop_asked
    _stop_asked = True


def _wait_for_stop(stdin_fd: int) -> None:
    """Until a stdin line, end of stdin or SIGTERM. Polled, because a signal delivered while
    ``read`` blocks may not interrupt it (see ``main``), and the handler only sets a flag."""
    while not _stop_asked:
        ready, _, _ = select.select([stdin_fd], [], [], POLL_S)
        if ready:
            os.read(stdin_fd, 4096)  # a stop line, or b"" at end of stdin: either stops
            return


def _read_line(fd: int) -> bytes:
    """The first line, read unbuffered: what follows it must stay in the pipe for select()."""
    line = bytearray()
    while not line.endswith(b"\n"):
        byte = os.read(fd, 1)
        if not byte:
            break
        line += byte
    return bytes(line)


def main() -> int:
    status = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # LabRecorder's std::cout goes to the log

    def say(line: str) -> None:
        try:
            status.write(line + "\n")
        except OSError:  # vrex is gone; the file still gets finished
            pass

    first = _read_line(sys.stdin.fileno())
    if not first:
        return 0
    config = json.loads(first)
    # Health data: whatever LabRecorder creates is its owner's only (the parent made the
    # XDF 0600 already; it opens it by name, in a folder only the owner can change).
    os.umask(0o077)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for vrex, which stops us
    signal.signal(signal.SIGTERM, _on_term)
    # LabRecorder's threads inherit this thread's signal mask. With SIGTERM blocked in them,
    # the kernel delivers it to this thread, the only one that runs Python's handler. Before
    # this, a SIGTERM that landed in one of them left this thread blocked in read() for good
    # (CI: the worker outlived a 60 s wait).
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        import labrecorder

        recording = labrecorder.Recording(config["path"], config["streams"], config["watch"], {}, True)
    except Exception as exc:  # noqa: BLE001 - reported to the parent verbatim
        say(f"error {type(exc).__name__}: {exc}")
        return 1
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    say("started")
    print(f"vrex: recording {config['path']}", flush=True)
    _wait_for_stop(sys.stdin.fileno())
    start = time.monotonic()
    time.sleep(DRAIN_S)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the file be finished
    recording.stop()
    del recording  # joins LabRecorder's threads, writes footers
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
