"""vrex's own LSL streams (simulation, replay, intensity, markers): ``make_outlet`` and
``make_marker_outlet`` give an ``Outlet`` whose header carries the labels and units in
``desc/channels/channel/{label,unit,type}`` that inlets read back; ``push`` takes numpy chunks
with one timestamp, one per sample, or none (now)."""

from __future__ import annotations

import math

import numpy as np

from sensors.errors import SensorError, StreamFormatError
from sensors.lsl_bindings import pylsl
from sensors.lsl_header import info_from_spec, spec_from_info
from sensors.types import StreamSpec


class Outlet:
    """A stream that vrex publishes (simulation, replay, intensity markers)."""

    def __init__(self, spec: StreamSpec, *, chunk_size: int = 0, max_buffered: float = 360):
        self._outlet = pylsl.StreamOutlet(
            info_from_spec(spec), chunk_size=int(chunk_size), max_buffered=int(math.ceil(max_buffered))
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
