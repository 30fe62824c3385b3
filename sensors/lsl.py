"""Lab Streaming Layer for vrex: the only module that imports pylsl.

* ``find_stream`` / ``find_streams`` / ``list_streams``: resolve by signal kind (ECG, PPG,
  EDA, RESP, RR, Markers and their synonyms, case-insensitive), name or source_id, with a
  timeout. A missing stream raises ``StreamNotFound`` listing what *is* on the network.
  ``stream_predicate`` / ``find_each``: the same queries as LSL predicate strings, several
  resolved at once, with the raw ``pylsl.StreamInfo`` (``sensors.recorder`` needs both).
* ``Inlet``: clock-synchronised, ``recover=True``, a short buffer (``max_buflen`` 5 s:
  control, not recording), ``pull`` into preallocated numpy buffers; never blocks.
* ``make_outlet`` / ``make_marker_outlet``: outlets that write the same metadata
  (``desc/channels/channel/{label,unit,type}``) that inlets read back.

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
import difflib
import math
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def _quiet_liblsl() -> None:
    """Point liblsl at ``sensors/lsl_api.cfg`` (errors and warnings only) unless the user has
    a config of their own, in the places liblsl looks (its docs: LSLAPICFG, ./lsl_api.cfg,
    ~/lsl_api/lsl_api.cfg, /etc/lsl_api/lsl_api.cfg). Must run before pylsl loads liblsl."""
    import os
    from pathlib import Path

    own = (Path("lsl_api.cfg"), Path.home() / "lsl_api" / "lsl_api.cfg", Path("/etc/lsl_api/lsl_api.cfg"))
    if "LSLAPICFG" not in os.environ and not any(p.exists() for p in own):
        os.environ["LSLAPICFG"] = str(Path(__file__).with_name("lsl_api.cfg"))


_quiet_liblsl()
import pylsl  # noqa: E402  (after the config above)
from pylsl.lib import fmt2string as _FMT_NAMES  # noqa: E402
from pylsl.lib import lib as _liblsl  # noqa: E402
from pylsl.lib import string2fmt as _FMT_CODES  # noqa: E402

from sensors.errors import SensorError, StreamFormatError, StreamNotFound  # noqa: E402
from sensors.types import StreamSpec  # noqa: E402
from sensors.units import IRREGULAR, KIND_SYNONYMS, canonical_kind  # noqa: E402

CONTROL_BUFLEN_S = 5  # inlet queue: enough to ride out a stalled frame, no more
LIST_WAIT_S = 1.0  # how long list_streams listens (LSL advises >= 0.5 s)
LAG_RESET_S = 0.5  # newest sample this old on arrival: smoother state is suspect
FUTURE_RESET_S = 0.05  # newest sample this far ahead of the clock: likewise
_RESOLVE_POLL_S = 0.02
OFFSET_CHECK_S = 0.5  # how often the clock offset is refreshed (liblsl: 0.5 s too)

_LSL_ERRORS = tuple(
    getattr(pylsl.util, n)
    for n in ("LostError", "TimeoutError", "InvalidArgumentError", "InternalError")
    if hasattr(pylsl.util, n)
)


def local_clock() -> float:
    """Now, on LSL's clock: the time base of every timestamp in vrex."""
    return pylsl.local_clock()


# --- stream descriptions -------------------------------------------------------------------
def _desc_channels(xml: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return (), ()
    channels = root.findall("./desc/channels/channel")
    labels = tuple((c.findtext("label") or c.findtext("name") or "").strip() for c in channels)
    units = tuple((c.findtext("unit") or c.findtext("units") or "").strip() for c in channels)
    return labels, units


def spec_from_info(info: pylsl.StreamInfo) -> StreamSpec:
    """A StreamSpec from a pylsl StreamInfo (labels and units only if its desc is filled)."""
    fmt = info.channel_format()
    labels, units = _desc_channels(info.as_xml())
    return StreamSpec(
        name=info.name(),
        type=info.type(),
        rate=float(info.nominal_srate()),
        channel_count=int(info.channel_count()),
        channel_format=_FMT_NAMES[fmt] if 0 <= fmt < len(_FMT_NAMES) else str(fmt),
        source_id=info.source_id(),
        hostname=info.hostname(),
        labels=labels,
        units=units,
    )


@dataclass(frozen=True)
class ResolvedStream:
    """A stream seen on the network; ``open()`` connects to it."""

    spec: StreamSpec
    info: pylsl.StreamInfo

    @property
    def kind(self) -> str | None:
        return canonical_kind(self.spec.type)

    def open(self, **kwargs) -> Inlet:
        return Inlet(self, **kwargs)


def _literal(text: str) -> str:
    """An XPath 1.0 string literal (XPath has no escapes; concat() joins mixed quotes)."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in text.split("'")) + ")"


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _predicate(kind: str | None, name: str | None, source_id: str | None) -> str:
    parts = []
    if kind is not None:
        canonical = canonical_kind(kind)
        if canonical is None:
            raise ValueError(
                f"unknown signal kind '{kind}'; known: {', '.join(k.upper() for k in KIND_SYNONYMS)} (and synonyms)"
            )
        # Case-insensitive, ignoring '-', '_' and spaces, like canonical_kind().
        squashed = f"translate(type, '{_UPPER}-_ ', '{_UPPER.lower()}')"
        parts.append("(" + " or ".join(f"{squashed}='{s}'" for s in KIND_SYNONYMS[canonical]) + ")")
    if name is not None:
        parts.append(f"name={_literal(name)}")
    if source_id is not None:
        parts.append(f"source_id={_literal(source_id)}")
    return " and ".join(parts)


def list_streams(timeout: float = LIST_WAIT_S, *, full_info_s: float = 0.0) -> list[StreamSpec]:
    """Every stream visible on the network, found within ``timeout`` seconds. A resolved
    stream's header carries no ``desc`` (labels, units): with ``full_info_s`` > 0 each stream
    is asked for its full header, all at once, waiting at most that long; one that does not
    answer in time is listed from its short header (its units unknown)."""
    infos = pylsl.resolve_streams(wait_time=timeout)
    if full_info_s > 0 and infos:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(16, len(infos))) as pool:
            infos = list(pool.map(lambda i: _full_info(i, full_info_s), infos))
    return sorted((spec_from_info(i) for i in infos), key=lambda s: (s.type.lower(), s.name))


def _full_info(info: pylsl.StreamInfo, timeout: float) -> pylsl.StreamInfo:
    inlet = None
    try:
        inlet = pylsl.StreamInlet(info, max_buflen=1, recover=False)
        return inlet.info(timeout)
    except _LSL_ERRORS:
        return info
    finally:
        del inlet  # pylsl destroys it when unreferenced; no stream was opened


def find_streams(
    kind: str | None = None,
    *,
    name: str | None = None,
    source_id: str | None = None,
    timeout: float = 5.0,
    minimum: int = 1,
) -> list[ResolvedStream]:
    """Streams matching all the given criteria; returns soon after ``minimum`` are found,
    or what was found when ``timeout`` expires (possibly nothing)."""
    pred = _predicate(kind, name, source_id)
    if not pred:
        infos = pylsl.resolve_streams(wait_time=timeout)
    else:
        # Not resolve_bypred: with liblsl 1.18 its timeout overran by exactly 5 s in about
        # half of the calls that found nothing (0.5 s asked, 5.5 s taken). A continuous
        # resolver keeps to the deadline and is destroyed at once.
        resolver = pylsl.ContinuousResolver(pred=pred, forget_after=max(5.0, timeout))
        deadline = pylsl.local_clock() + timeout
        infos = resolver.results()
        while len(infos) < minimum and pylsl.local_clock() < deadline:
            time.sleep(_RESOLVE_POLL_S)
            infos = resolver.results()
        if infos:
            time.sleep(_RESOLVE_POLL_S)  # let other answers to the same query arrive
            infos = resolver.results()
        del resolver
    return [ResolvedStream(spec_from_info(i), i) for i in infos]


def stream_predicate(kind: str | None = None, *, name: str | None = None, source_id: str | None = None) -> str:
    """The LSL query (an XPath 1.0 predicate over the stream header) that ``find_streams``
    uses for these criteria: what ``find_each`` and LabRecorder's watch list take."""
    pred = _predicate(kind, name, source_id)
    if not pred:
        raise ValueError("stream_predicate needs a kind, a name or a source_id")
    return pred


def find_each(predicates: Sequence[str], timeout: float = 5.0) -> list[list[ResolvedStream]]:
    """The streams matching each LSL query, resolved side by side (one continuous resolver
    per query, so N queries cost one wait, not N): returns soon after every query has a
    match, or what was found when ``timeout`` expires. ``ResolvedStream.info`` is the raw
    ``pylsl.StreamInfo``, for code that hands streams to other LSL tools (the recorder)."""
    resolvers = [pylsl.ContinuousResolver(pred=p, forget_after=max(5.0, timeout)) for p in predicates]
    deadline = pylsl.local_clock() + timeout
    results = [r.results() for r in resolvers]
    while not all(results) and pylsl.local_clock() < deadline:
        time.sleep(_RESOLVE_POLL_S)
        results = [r.results() for r in resolvers]
    time.sleep(_RESOLVE_POLL_S)  # let other answers to the same queries arrive
    results = [r.results() for r in resolvers]
    del resolvers
    return [[ResolvedStream(spec_from_info(i), i) for i in infos] for infos in results]


def find_stream(
    kind: str | None = None, *, name: str | None = None, source_id: str | None = None, timeout: float = 5.0
) -> ResolvedStream:
    """Exactly one stream matching the criteria, or StreamNotFound listing what was found."""
    if kind is None and name is None and source_id is None:
        raise ValueError("find_stream needs a kind, a name or a source_id")
    found = find_streams(kind, name=name, source_id=source_id, timeout=timeout)
    wanted = _wanted(kind, name, source_id)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        listing = "\n".join(f"  {r.spec.describe()}" for r in found)
        raise StreamNotFound(
            f"{len(found)} streams match {wanted}; vrex needs exactly one:\n{listing}\n"
            f"Pick one by name or source_id (run `vrex streams` to see them all)."
        )
    others = list_streams()
    raise StreamNotFound(_not_found_message(wanted, timeout, others, name))


def _wanted(kind: str | None, name: str | None, source_id: str | None) -> str:
    words = []
    if kind is not None:
        canonical = canonical_kind(kind) or kind
        words.append(
            f"a {canonical.upper()} stream (type {', '.join(KIND_SYNONYMS.get(canonical, (kind,)))}; any case)"
        )
    else:
        words.append("a stream")
    if name is not None:
        words.append(f"named '{name}'")
    if source_id is not None:
        words.append(f"with source_id '{source_id}'")
    return " ".join(words)


def _not_found_message(wanted: str, timeout: float, others: list[StreamSpec], name: str | None) -> str:
    head = f"No {wanted.removeprefix('a ')} found within {timeout:g} s."
    if not others:
        return (
            f"{head} No LSL streams are visible at all. Start the device's LSL app (or "
            f"`vrex simulate`) and check that it runs on this machine or on the same "
            f"network (LSL discovers streams by UDP multicast and broadcast)."
        )
    listing = "\n".join(f"  {s.describe()}" for s in others)
    hint = ""
    if name is not None:
        close = difflib.get_close_matches(name, [s.name for s in others], n=1)
        if close:
            hint = f" Did you mean '{close[0]}'?"
    return (
        f"{head}{hint} Streams on the network:\n{listing}\n"
        f"Start the missing device's LSL app, or choose one of these by name."
    )


# --- inlets --------------------------------------------------------------------------------
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


def open_inlet(
    kind: str | None = None, *, name: str | None = None, source_id: str | None = None, timeout: float = 5.0, **kwargs
) -> Inlet:
    """find_stream(...) then open it."""
    return find_stream(kind, name=name, source_id=source_id, timeout=timeout).open(timeout=timeout, **kwargs)


# --- outlets -------------------------------------------------------------------------------
def _info_from_spec(spec: StreamSpec) -> pylsl.StreamInfo:
    where = f"outlet '{spec.name}'"
    if not spec.name:
        raise StreamFormatError("an LSL stream needs a name")
    if spec.channel_count < 1:
        raise StreamFormatError(f"{where}: channel_count must be >= 1, got {spec.channel_count}")
    if spec.channel_format not in _FMT_CODES:
        raise StreamFormatError(
            f"{where}: channel_format '{spec.channel_format}' is not one of {', '.join(sorted(_FMT_CODES))}"
        )
    if not (math.isfinite(spec.rate) and spec.rate >= 0):
        raise StreamFormatError(f"{where}: rate must be >= 0 (0 = irregular), got {spec.rate}")
    for field, values in (("labels", spec.labels), ("units", spec.units)):
        if values and len(values) != spec.channel_count:
            raise StreamFormatError(f"{where}: {len(values)} {field} for {spec.channel_count} channel(s)")
    info = pylsl.StreamInfo(spec.name, spec.type, spec.channel_count, spec.rate, spec.channel_format, spec.source_id)
    if spec.labels or spec.units:
        channels = info.desc().append_child("channels")
        for i in range(spec.channel_count):
            channel = channels.append_child("channel")
            # pylsl cannot encode None: a channel without a label or unit (as pyxdf reads
            # an empty <unit/>) gets chN / no unit instead of a TypeError deep in pylsl
            label = spec.labels[i] if spec.labels else None
            channel.append_child_value("label", f"ch{i + 1}" if label is None else str(label))
            if spec.units:
                channel.append_child_value("unit", "" if spec.units[i] is None else str(spec.units[i]))
            channel.append_child_value("type", spec.type)
    info.desc().append_child("acquisition").append_child_value("manufacturer", "vrex")
    return info


class Outlet:
    """A stream that vrex publishes (simulation, replay, intensity markers)."""

    def __init__(self, spec: StreamSpec, *, chunk_size: int = 0, max_buffered: float = 360):
        self._outlet = pylsl.StreamOutlet(
            _info_from_spec(spec), chunk_size=int(chunk_size), max_buffered=int(math.ceil(max_buffered))
        )
        self.spec = spec_from_info(self._outlet.get_info())
        self.name = spec.name
        self._dtype = None if spec.channel_format == "string" else self._outlet.np_dtype

    def push(self, values, timestamp: float | np.ndarray | None = None) -> None:
        """Push a chunk: values (n, channels), or (n,) for one channel.

        ``timestamp``: None stamps the newest sample now; a float is the newest sample's
        time (earlier ones are spaced by the nominal rate; an irregular stream stamps them
        all with it); an array gives one per sample.
        """
        if self._outlet is None:
            raise SensorError(f"outlet '{self.name}' is closed")
        if self._dtype is not None:
            values = np.ascontiguousarray(values, dtype=self._dtype)
            if values.ndim == 1 and self.spec.channel_count == 1:
                values = values.reshape(-1, 1)
            if values.ndim != 2 or values.shape[1] != self.spec.channel_count:
                raise StreamFormatError(
                    f"outlet '{self.name}' has {self.spec.channel_count} channel(s); got values of shape {values.shape}"
                )
            if values.shape[0] == 0:
                return
        if timestamp is None:
            stamp = 0.0
        elif np.ndim(timestamp) == 0:
            stamp = float(timestamp)
        else:
            stamp = np.asarray(timestamp, dtype=np.float64).tolist()
        self._outlet.push_chunk(values, stamp)

    def push_sample(self, sample, timestamp: float | None = None) -> None:
        if self._outlet is None:
            raise SensorError(f"outlet '{self.name}' is closed")
        self._outlet.push_sample(list(sample), 0.0 if timestamp is None else float(timestamp))

    def push_marker(self, text: str, timestamp: float | None = None) -> None:
        """One marker (a string stream with one channel)."""
        self.push_sample([text], timestamp)

    def have_consumers(self) -> bool:
        return self._outlet is not None and self._outlet.have_consumers()

    def wait_for_consumers(self, timeout: float) -> bool:
        return self._outlet is not None and self._outlet.wait_for_consumers(timeout)

    def close(self) -> None:
        self._outlet = None  # pylsl destroys it when unreferenced

    def __enter__(self) -> Outlet:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def make_outlet(spec: StreamSpec, chunk_size: int = 0, max_buffered: float = 360) -> Outlet:
    """Publish ``spec`` as an LSL stream, with its labels and units in desc/channels.

    Give ``spec.source_id`` a stable value: it is what lets inlets recover after a restart.
    """
    return Outlet(spec, chunk_size=chunk_size, max_buffered=max_buffered)


def make_marker_outlet(name: str = "vrex-markers", source_id: str = "", type: str = "Markers") -> Outlet:
    """An irregular one-channel string stream (``Outlet.push_marker``)."""
    return Outlet(
        StreamSpec(
            name=name,
            type=type,
            rate=0.0,
            channel_count=1,
            channel_format="string",
            source_id=source_id,
            labels=("marker",),
        )
    )


__all__ = [
    "CONTROL_BUFLEN_S",
    "Inlet",
    "Outlet",
    "ResolvedStream",
    "find_each",
    "find_stream",
    "find_streams",
    "list_streams",
    "local_clock",
    "make_marker_outlet",
    "make_outlet",
    "open_inlet",
    "spec_from_info",
    "stream_predicate",
]
