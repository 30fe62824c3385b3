"""``Inlet``: one connected stream, clock-synchronised, ``recover=True``, a short buffer
(``max_buflen`` 5 s: control, not recording), ``pull`` into preallocated numpy buffers; it
never blocks. Streams are found and opened through ``sensors.lsl_resolve``.

Clock synchronisation is done here, not by liblsl's ``proc_clocksync``: that flag makes
``pull_chunk`` itself wait for a clock-offset estimate, 0.64 s on the first pull of every
inlet and again after each reconnection (up to the 2 s re-estimation interval; measured
0.2 s), which would freeze a render loop that polls sensors every frame. ``Inlet`` asks for
the offset without waiting (``time_correction(0)``) and adds it to each chunk. Until the
first estimate exists (0.64 s after opening) ``pull`` leaves the data queued in liblsl and
returns nothing, so no sample is ever stamped without an offset; after a reconnection it keeps
the previous offset until a new one is ready (right for a device app restarted on the same
machine; for one moved to another host, its first 2 s of timestamps may be off, which the
watchdog sees as old or future data, never as fresh).

Dejitter (``proc_dejitter``, regular streams only) fits one straight line to (sample
index, time) with a 90 s half-life and is never reset by a gap. Measured with liblsl 1.18:
a 4 Hz outlet killed and restarted under the same source_id came back stamped up to 1 s
*in the future*; a 0.8 s dropout at 130 Hz gave samples stamped 0.8 s old, then up to
0.2 s in the future for tens of seconds. A staleness check built on timestamps cannot live
with that, so the smoother is restarted (``reset_smoothing``) whenever continuity is in
doubt: by the reader when a stream goes stale, and by ``pull`` when the newest sample
arrives more than 0.5 s old or in the future. ``proc_monotonize`` keeps a restart from
stepping back in time.
"""

from __future__ import annotations

import ctypes
import math
from typing import TYPE_CHECKING

import numpy as np

from sensors.errors import SensorError, StreamFormatError, StreamNotFound
from sensors.lsl_bindings import LSL_ERRORS as _LSL_ERRORS
from sensors.lsl_bindings import liblsl as _liblsl
from sensors.lsl_bindings import pylsl
from sensors.lsl_header import spec_from_info
from sensors.units import IRREGULAR, canonical_kind

if TYPE_CHECKING:
    from sensors.lsl_resolve import ResolvedStream

CONTROL_BUFLEN_S = 5  # inlet queue: enough to ride out a stalled frame, no more
LAG_RESET_S = 0.5  # newest sample this old on arrival: smoother state is suspect
FUTURE_RESET_S = 0.05  # newest sample this far ahead of the clock: likewise
OFFSET_CHECK_S = 0.5  # how often the clock offset is refreshed (liblsl: 0.5 s too)


class Inlet:
    """One connected stream. ``pull()`` drains what has arrived into a preallocated buffer.

    ``recover=True``: if the outlet dies and a new one appears with the same source_id,
    LSL reconnects by itself, silently; staleness is judged by ``sensors.watchdog``.
    """

    def __init__(
        self,
        stream: ResolvedStream,
        *,
        max_buflen: int = CONTROL_BUFLEN_S,
        dejitter: bool | None = None,
        timeout: float = 5.0,
    ):
        spec = stream.spec
        self.name = spec.name
        self.kind = canonical_kind(spec.type)
        self.offset: float | None = None  # remote clock -> ours; None until measured
        regular = spec.rate > 0 and self.kind not in IRREGULAR
        if dejitter is None:
            dejitter = regular
        if dejitter and not regular:
            raise ValueError(f"{spec.describe()}: dejitter needs a regular stream")
        self._flags = pylsl.proc_none
        if dejitter:
            self._flags |= pylsl.proc_dejitter | pylsl.proc_monotonize
        self.smoothing_resets = 0
        self.clock_resets = 0
        try:
            self._inlet = pylsl.StreamInlet(
                stream.info, max_buflen=int(max_buflen), max_chunklen=0, recover=True, processing_flags=self._flags
            )
            full = self._inlet.info(timeout)  # the full header, with desc
            self._inlet.open_stream(timeout)
            self._update_offset(pylsl.local_clock())  # starts liblsl's estimation
        except (*_LSL_ERRORS, SensorError) as exc:
            raise StreamNotFound(
                f"{spec.describe()} was found but did not answer within {timeout:g} s "
                f"({type(exc).__name__}); is its app still running?"
            ) from exc
        self.spec = spec_from_info(full)
        self.numeric = self.spec.channel_format != "string"
        # One pull drains everything the inlet can hold (its queue is max_buflen seconds,
        # or max_buflen x 100 samples for irregular streams).
        held = max_buflen * (spec.rate if spec.rate > 0 else 100)
        self.max_pull = int(math.ceil(held)) + 64
        self.dtype = np.dtype(self._inlet.np_dtype) if self.numeric else np.dtype(object)
        self._values = np.empty((0, 0))  # a string stream has no numeric buffers
        self._times = np.empty(0)
        self._no_times = np.empty(0, dtype=np.float64)
        self._pull_c = None
        if self.numeric:
            channels = self.spec.channel_count
            self._values = np.zeros((self.max_pull, channels), dtype=self.dtype)
            self._times = np.zeros(self.max_pull, dtype=np.float64)
            # liblsl's lsl_pull_chunk_<format> writes straight into these two buffers: no
            # allocation per pull (pylsl's pull_chunk allocates a timestamp array and ctypes
            # views each call: 57 us against 13 us for a 17-sample chunk, 8 us against 1 us
            # when nothing has arrived). pylsl's public pull_chunk is the fallback.
            self._err = ctypes.c_int()
            self._pull_c = getattr(self._inlet, "do_pull_chunk", None)
            self._pull_args = (
                self._inlet.obj,
                ctypes.c_void_p(self._values.ctypes.data),
                ctypes.c_void_p(self._times.ctypes.data),
                ctypes.c_size_t(self.max_pull * channels),
                ctypes.c_size_t(self.max_pull),
                ctypes.c_double(0.0),
                ctypes.byref(self._err),
            )

    @property
    def dejitter(self) -> bool:
        return bool(self._flags & pylsl.proc_dejitter)

    def _lsl(self, call, *args, **kwargs):
        if self._inlet is None:
            raise SensorError(f"stream '{self.name}' is closed")
        try:
            return call(*args, **kwargs)
        except _LSL_ERRORS as exc:
            raise SensorError(f"stream '{self.name}': LSL {type(exc).__name__}: {exc}") from exc

    def pull(self, now: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """What has arrived, without waiting: (times (n,), values (n, channels)).

        Both are views of reused buffers, valid until the next ``pull``. Times are on this
        machine's LSL clock. ``now`` (default: the clock) is used to spot a smoother gone
        wrong; the samples already pulled keep their timestamps.
        """
        if not self.numeric:
            raise StreamFormatError(f"stream '{self.name}' carries strings; use pull_markers()")
        if self._inlet is None:
            raise SensorError(f"stream '{self.name}' is closed")
        if self.offset is None and self._update_offset(pylsl.local_clock()) is None:
            return self._no_times, self._values[:0]
        if self._pull_c is not None:
            self._err.value = 0
            n = self._pull_c(*self._pull_args) // self.spec.channel_count
            if self._err.value:
                self._lsl(pylsl.util.handle_error, self._err)
            times, values = self._times[:n], self._values[:n]
        else:
            values, times = self._lsl(
                self._inlet.pull_chunk, timeout=0.0, max_samples=self.max_pull, dest_obj=self._values, as_numpy=True
            )
        if len(times):
            now = pylsl.local_clock() if now is None else now
            if now - self._offset_checked > OFFSET_CHECK_S:
                self._update_offset(now)
            assert self.offset is not None  # measured above, before any sample was pulled
            times += self.offset  # our buffer (or pylsl's fresh array)
            lag = now - times[-1]
            if self.dejitter and (lag > LAG_RESET_S or lag < -FUTURE_RESET_S):
                self.reset_smoothing()
        return times, values

    def _update_offset(self, now: float) -> float | None:
        """Refresh the clock offset without waiting; keep the old one while liblsl has none
        (the first estimate, or a new one after a reconnection, is still being measured)."""
        self._offset_checked = now
        try:
            if self._inlet.was_clock_reset():
                self.clock_resets += 1
            self.offset = self._inlet.time_correction(0.0)
        except pylsl.util.TimeoutError:
            pass
        except _LSL_ERRORS as exc:
            raise SensorError(f"stream '{self.name}': LSL {type(exc).__name__}: {exc}") from exc
        return self.offset

    def pull_markers(self) -> tuple[np.ndarray, list[str]]:
        """Markers that have arrived: (times (n,), texts). Numeric markers become text."""
        if self._inlet is None:
            raise SensorError(f"stream '{self.name}' is closed")
        if self.offset is None and self._update_offset(pylsl.local_clock()) is None:
            return self._no_times, []
        samples, times = self._lsl(self._inlet.pull_chunk, timeout=0.0, max_samples=self.max_pull, as_numpy=False)
        texts = ["|".join(str(v) for v in s) for s in samples]
        if texts:
            now = pylsl.local_clock()
            if now - self._offset_checked > OFFSET_CHECK_S:
                self._update_offset(now)
        assert self.offset is not None  # measured above, before any marker was pulled
        return np.asarray(times, dtype=np.float64) + self.offset, texts

    def reset_smoothing(self, *, monotonize: bool = False) -> bool:
        """Restart LSL's dejitter model from the next sample (after a gap or a restart);
        with ``monotonize`` also forget the last timestamp, so that an outlet restarted on
        another machine (another clock) is not held at the old one's last time."""
        if not self.dejitter or self._inlet is None:
            return False
        # liblsl resets each stage whenever its flag changes.
        off = pylsl.proc_dejitter | (pylsl.proc_monotonize if monotonize else 0)
        _liblsl.lsl_set_postprocessing(self._inlet.obj, self._flags & ~off)
        _liblsl.lsl_set_postprocessing(self._inlet.obj, self._flags)
        self.smoothing_resets += 1
        return True

    def close(self) -> None:
        if self._inlet is not None:
            self._inlet.close_stream()
            self._inlet = None  # pylsl destroys it when unreferenced

    def __enter__(self) -> Inlet:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
