"""Record LSL streams into an XDF file with LabRecorder, safe against a crash of vrex.

    rec = XdfRecorder.start("out/…/recording.xdf", [ecg_stream, *outlets.specs()],
                            watch=["polar-h10-rr"])
    ...
    rec.stop()

LabRecorder runs in a process of its own (``sensors/recorder_worker.py`` says why, with
the measurements). If vrex dies, even by SIGKILL, that process sees its stdin close, pulls
the last samples and finishes the file, footers included. If the recorder process itself
is killed, the file is cut wherever its writer's buffer ended: ``load_xdf`` here reads it up
to the last whole chunk (pyxdf alone may raise on such a cut); what LabRecorder held in its
8 KiB buffer is lost: a few seconds of low-rate streams.

What gets recorded:

* ``streams``: each must be on the network now. A ``ResolvedStream`` (from
  ``sensors.lsl.find_stream``) is recorded as found; a ``StreamSpec`` is looked up by its
  source_id (by name if it has none); a ``str`` is a source_id. A device that restarts
  under the same source_id is reconnected by LabRecorder and stays in the same XDF stream.
* ``watch``: source_ids (or specs) of streams that may appear later. Those already present
  are recorded from the start; the others join when LabRecorder's watcher sees them (it
  looks every 5 s; what they sent before that is not recorded). LabRecorder only adds late
  streams that have a source_id.

(``sensors.recorder_streams`` finds them.)

LabRecorder subscribes to the streams just after ``start`` returns; samples pushed before
it has subscribed are not recorded. For vrex's own outlets wait for ``have_consumers()``
(``VrexOutlets.wait_for_consumers``) before the first event that matters.
"""

from __future__ import annotations

import json
import os
import select
import stat
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sensors import lsl
from sensors.errors import SensorError
from sensors.recorder_streams import resolve_streams
from sensors.types import StreamSpec

WORKER = Path(__file__).with_name("recorder_worker.py")
START_WAIT_S = 30.0  # the worker's Python start-up, on a loaded machine
STOP_WAIT_S = 60.0  # drain 1 s + LabRecorder's joins: 4.7 to 6.7 s measured
EXIT_WAIT_S = 10.0  # from "stopped" (file closed) to the process's exit
PRIVATE = 0o600  # recordings are health data: readable by their owner only


class XdfRecorder:
    """One XDF file being written by LabRecorder; ``stop()`` finishes it."""

    def __init__(
        self,
        path: Path,
        streams: tuple[StreamSpec, ...],
        watching: tuple[str, ...],
        process: subprocess.Popen,
        log: Path | None,
    ):
        self.path = path
        self.streams = streams  # recorded from the start
        self.watching = watching  # source_ids that will join when they appear
        self.log = log
        self.stop_seconds: float | None = None  # how long LabRecorder took to finish the file
        self._process: subprocess.Popen | None = process
        self._replies = b""  # the worker's status output not yet read

    # --- start -------------------------------------------------------------------------------
    @classmethod
    def start(
        cls,
        path: str | Path,
        streams: Sequence[lsl.ResolvedStream | StreamSpec | str],
        *,
        watch: Sequence[StreamSpec | str] = (),
        timeout: float = 10.0,
        log: str | Path | None | bool = True,
    ) -> XdfRecorder:
        """Start recording ``streams`` into ``path`` (a new file; never overwritten).

        ``timeout``: how long to look for the streams. ``log``: where LabRecorder's messages
        go; True (default) is ``path`` with ``.log`` for ``.xdf``, None or False discards them.
        Raises SensorError if the file exists or cannot be written, StreamNotFound naming
        every stream that is not on the network.
        """
        path = Path(path)
        log_path = path.with_suffix(".log") if log is True else (Path(log) if log else None)
        _claim(path)
        try:
            found = resolve_streams(streams, watch, timeout)
            recorder = cls._launch(path, log_path, *found)
        except BaseException:
            if path.exists() and path.stat().st_size == 0:
                path.unlink()  # only the empty file _claim made
            raise
        return recorder

    @classmethod
    def _launch(cls, path: Path, log: Path | None, found: list, late: tuple[str, ...]):
        # One watcher for all late streams: each watcher adds what it matches, so two that
        # matched the same stream would record it twice.
        watch = [" or ".join(f"({lsl.stream_predicate(source_id=s)})" for s in late)]
        watch = watch if late else []
        config = {"path": str(path), "streams": [r.info.as_xml() for r in found], "watch": watch}
        # Its own session: a Ctrl-C or hang-up meant for vrex does not reach it; vrex
        # stops it, or it stops by itself when vrex's end of its stdin closes.
        with _open_log(log) if log else open(os.devnull, "wb") as messages:
            process = subprocess.Popen(
                [sys.executable, "-P", str(WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=messages,
                bufsize=0,
                start_new_session=True,
            )
        recorder = cls(path, tuple(r.spec for r in found), late, process, log)
        assert process.stdin is not None  # opened with PIPE
        try:
            process.stdin.write(json.dumps(config).encode() + b"\n")
            reply = recorder._read_status(START_WAIT_S)
        except BaseException:
            recorder._kill()
            raise
        if reply != "started":
            recorder._kill()
            why = reply.removeprefix("error ") if reply else "it exited or did not answer"
            raise SensorError(
                f"LabRecorder could not start recording {path}: {why}{f' (its messages are in {log})' if log else ''}"
            )
        return recorder

    # --- running -----------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The recorder process's id while it runs (it is in a session of its own)."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """True while LabRecorder is recording (False after stop, or if its process died)."""
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Finish the file: LabRecorder pulls the last samples (1 s), writes the stream
        footers and closes it (4.7 to 6.7 s in all, measured). Waits on a pipe, so other
        threads run meanwhile. Idempotent. Raises SensorError if the recorder process had
        died without finishing the file, or the file is not an XDF file."""
        process = self._process
        if process is None:
            return
        died = process.poll()
        assert process.stdin is not None and process.stdout is not None  # opened with PIPE
        try:
            if died is None:
                process.stdin.write(b"stop\n")
            process.stdin.close()
        except OSError:  # it died meanwhile: reported below
            pass
        # A worker that ended by itself (SIGTERM) may have finished the file and said so.
        reply = self._read_status(STOP_WAIT_S if died is None else 0.0)
        if reply.startswith("stopped "):
            self.stop_seconds = float(reply.split()[1])
        try:  # once it said "stopped" the file is closed
            process.wait(timeout=EXIT_WAIT_S if reply.startswith("stopped ") else STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            self._kill()
        process.stdout.close()
        self._process = None
        if not reply.startswith("stopped "):
            what = f"had died (exit code {died})" if died is not None else f"did not finish within {STOP_WAIT_S:g} s"
            raise SensorError(
                f"the recorder process for {self.path} {what}; the file holds what "
                f"it wrote until then{f' (see {self.log})' if self.log else ''}"
            )
        with open(self.path, "rb") as f:
            if f.read(4) != b"XDF:":
                raise SensorError(
                    f"LabRecorder wrote no XDF data to {self.path}{f'; see {self.log}' if self.log else ''}"
                )

    def _read_status(self, timeout: float) -> str:
        """The worker's next status line; '' if it exits or stays silent for ``timeout``.
        Read unbuffered, so select() never misses a line sitting in a Python buffer."""
        assert self._process is not None and self._process.stdout is not None  # running, stdout a PIPE
        fd = self._process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._replies:
            left = max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], left)[0]:
                return ""
            data = os.read(fd, 4096)
            if not data:
                return ""
            self._replies += data
        line, self._replies = self._replies.split(b"\n", 1)
        return line.decode(errors="replace").strip()

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)

    def __enter__(self) -> XdfRecorder:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "recording" if self.running else "stopped"
        return f"<XdfRecorder {self.path} {state}, {len(self.streams)} streams>"


def _claim(path: Path) -> None:
    """Create the file empty, refusing one that exists: the write test and the claim in one
    step (as root, permission bits say nothing; only a real write attempt tells)."""
    if path.exists():
        raise SensorError(
            f"cannot record to {path}: it already exists; vrex never overwrites a recording; choose a new file name"
        )
    try:
        # 0600 from its creation (health data; no chmod window); O_EXCL never follows a link
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE))
    except OSError as exc:
        raise SensorError(f"cannot record to {path}: {exc.strerror or exc}; choose a folder you can write to") from exc


def _open_log(path: Path):
    """LabRecorder's log, appended to: created 0600, never through a symbolic link."""
    try:
        fd = os.open(
            path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, PRIVATE
        )
    except OSError as exc:
        why = "it is a symbolic link" if os.path.islink(path) else (exc.strerror or str(exc))
        raise SensorError(f"cannot write the recorder's log {path}: {why}; move it away and start again") from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise SensorError(f"cannot write the recorder's log {path}: not a regular file; move it away and start again")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "ab")


def intact_length(path: str | Path) -> int:
    """How many bytes at the start of the XDF file ``path`` form whole chunks: its size for
    a finished file, less for one cut short by a crash (4 if not even one chunk is whole)."""
    with open(path, "rb") as f:
        if f.read(4) != b"XDF:":
            raise SensorError(f"{path} is not an XDF file (it does not start with 'XDF:')")
        size = os.fstat(f.fileno()).st_size
        end = 4
        while end < size:
            # A chunk: [NumLengthBytes 1|4|8][Length, little-endian][Tag u16][Content];
            # Length counts the tag and the content.
            width = f.read(1)
            if not width or width[0] not in (1, 4, 8):
                break
            raw = f.read(width[0])
            if len(raw) < width[0]:
                break
            length = int.from_bytes(raw, "little")
            following = end + 1 + width[0] + length
            if length < 2 or following > size:
                break
            f.seek(following)
            end = following
    return end


def load_xdf(path: str | Path, **kwargs) -> tuple[list[dict], dict]:
    """``pyxdf.load_xdf`` on the whole chunks of ``path``: a file cut anywhere by a crash
    loads up to its last whole chunk. pyxdf alone raises (struct.error, ParseError) when
    the cut falls inside a chunk's header, as a SIGKILLed recorder's file may be."""
    import io

    import pyxdf  # only readers of recordings need it

    kwargs.setdefault("verbose", False)
    length = intact_length(path)
    if length == os.path.getsize(path):
        return pyxdf.load_xdf(str(path), **kwargs)
    with open(path, "rb") as f:
        return pyxdf.load_xdf(io.BytesIO(f.read(length)), **kwargs)


__all__ = ["XdfRecorder", "intact_length", "load_xdf"]
