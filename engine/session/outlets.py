"""vrex's own LSL streams (``docs/session-format.md``), recorded with the physiology.

Every stream of one session has a source_id ``vrex-<session id>-<token>-<what>``, the token
random: two sessions of the same scenario started in the same second (two machines on one
network, parallel tests) must not share source_ids, or a recorder could not tell their
streams apart. It is stable for the session's whole run. All
are irregular (nominal rate 0): they follow frames and ticks, whose timing varies; each
sample carries its own LSL time stamp. Each push costs a few microseconds, so the render
loop may call them every frame.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Mapping

from engine.session.events import dumps
from sensors.lsl import Outlet, make_marker_outlet, make_outlet
from sensors.types import StreamSpec

FEATURES = (
    "hr_bpm",
    "rmssd_ms",
    "eda_tonic_us",
    "scr_per_min",
    "resp_bpm",
    "ecg_quality",
    "ppg_quality",
    "eda_quality",
    "resp_quality",
)
FEATURE_UNITS = ("bpm", "ms", "uS", "1/min", "1/min", "", "", "", "")


class VrexOutlets:
    """The six outlets of one session; ``specs()`` is what the recorder should record."""

    def __init__(self, session_id: str):
        self.session_id = session_id
        self.token = secrets.token_hex(3)
        sid = f"vrex-{session_id}-{self.token}"

        def numeric(what: str, type: str, labels: tuple[str, ...], units: tuple[str, ...]) -> Outlet:
            return make_outlet(
                StreamSpec(
                    name=f"vrex-{what}",
                    type=type,
                    rate=0.0,
                    channel_count=len(labels),
                    channel_format="float32",
                    source_id=f"{sid}-{what}",
                    labels=labels,
                    units=units,
                )
            )

        self._intensity = numeric("intensity", "VrexIntensity", ("shown", "target"), ("", ""))
        self._markers = make_marker_outlet("vrex-markers", f"{sid}-markers", "Markers")
        self._events = make_marker_outlet("vrex-events", f"{sid}-events", "VrexEvents")
        self._features = numeric("features", "VrexFeatures", FEATURES, FEATURE_UNITS)
        self._headpose = numeric(
            "headpose", "HeadPose", ("x", "y", "z", "heading", "pitch", "roll"), ("m", "m", "m", "deg", "deg", "deg")
        )
        self._frames = numeric("frames", "VrexFrames", ("frame_time",), ("ms",))
        self._all = (self._intensity, self._markers, self._events, self._features, self._headpose, self._frames)

    def specs(self) -> list[StreamSpec]:
        """The StreamSpecs of the six streams (with their source_ids), for the recorder."""
        return [o.spec for o in self._all]

    def intensity(self, shown: float, target: float, ts: float | None = None) -> None:
        self._intensity.push_sample((shown, target), ts)

    def marker(self, fields: Mapping, ts: float | None = None) -> str:
        """Send ``fields`` as one JSON marker (``{"kind": "shown", ...}``); returns the text."""
        text = dumps(dict(fields))
        self._markers.push_marker(text, ts)
        return text

    def event(self, line: str, ts: float | None = None) -> None:
        """One line of events.jsonl (``EventLog(publish=outlets.event)``)."""
        self._events.push_marker(line, ts)

    def features(self, values: Mapping[str, float | None], ts: float | None = None) -> None:
        """Feature values by name (``FEATURES``); missing or None ones are sent as NaN."""
        unknown = set(values) - set(FEATURES)
        if unknown:
            raise KeyError(
                f"vrex-features has no channel(s) {', '.join(sorted(unknown))}; its channels are {', '.join(FEATURES)}"
            )
        self._features.push_sample([math.nan if values.get(name) is None else values[name] for name in FEATURES], ts)

    def headpose(
        self, x: float, y: float, z: float, heading: float, pitch: float, roll: float, ts: float | None = None
    ) -> None:
        self._headpose.push_sample((x, y, z, heading, pitch, roll), ts)

    def frame(self, ms: float, ts: float | None = None) -> None:
        self._frames.push_sample((ms,), ts)

    def wait_for_consumers(self, timeout: float) -> bool:
        """Wait until every stream has a consumer (the recorder has subscribed), so that
        what is pushed from now on is recorded; False if ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        while not all(o.have_consumers() for o in self._all):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        for outlet in self._all:
            outlet.close()

    def __enter__(self) -> VrexOutlets:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
