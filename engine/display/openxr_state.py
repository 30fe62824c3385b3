"""An OpenXR session's life, kept apart from rendering so that it can be tested alone.

The runtime, not vrex, decides when frames may be drawn: it announces session states
through ``xrPollEvent`` (OpenXR 1.1, "Session Lifecycle")::

    IDLE → READY → SYNCHRONIZED ⇄ VISIBLE ⇄ FOCUSED → … → STOPPING → IDLE → EXITING
                                            (LOSS_PENDING at any time: the headset is going)

``XrSessionState`` consumes those events (decoded by ``read_events``) and says what to do:
``"begin"`` (call ``xrBeginSession``) on READY, ``"end"`` (``xrEndSession``) on STOPPING,
``"exit"`` on EXITING or LOSS_PENDING (stop the frame loop for good). It also turns what a
therapist must know into notices: the patient no longer seeing the scene is what a
"possible escape" alert is made of (a system menu, the headset taken off or lost).

``FrameStats`` keeps the runtime's frame timing (its predicted display period) and counts
the frames it did not want drawn (``shouldRender`` false) as skipped.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

NOTICES = {
    "focus_lost": "the headset's system took input focus (its menu, the guardian, or the headset was "
    "taken off) — possible escape: check on the patient",
    "focus_back": "the headset's focus is back with vrex",
    "waiting": "the headset does not show the scene yet (not put on, or its runtime not ready) — raises are "
    "held until the therapist resumes",
    "hidden": "the patient no longer sees the scene (the headset's runtime hid it) — possible escape: "
    "check on the patient",
    "shown": "the scene is visible in the headset again",
    "stopped": "the headset's runtime stopped the session (headset asleep, or vrex closed from the "
    "headset's menu) — the patient sees nothing of the scene",
    "exiting": "the headset's runtime ended the session — it cannot be resumed; restart the session",
    "headset_lost": "the headset was lost (disconnected, or its runtime stopped) — the patient sees "
    "nothing of the scene; reconnect it and restart the session",
    "recentred": "the {space} reference space was recentred (the patient or the runtime reset the view)",
    "tracking_lost": "the headset lost tracking — its runtime shows its own view until tracking returns",
    "tracking_back": "the headset is tracked again",
    "controller": "controllers: {hands} — the patient's stop is {stop}",
    "no_controller": "no controller: the patient's stop is the keyboard's space or the therapist's",
}
QUIET = ("focus_back", "shown", "tracking_back", "controller")  # logged as information, not warnings


class XrSessionState:
    """What the runtime allows now, and what the caller must be told. Pure Python: feed it
    state names (``xr.SessionState(...).name``) and events; it calls nothing itself."""

    def __init__(self, on_notice: Callable[[str, str], None] | None = None):
        self.state = "IDLE"
        self.running = False  # xrBeginSession called and xrEndSession not yet
        self.ended = False  # EXITING or lost: no more frames, ever, in this session
        self.tracked = True
        self._seen_visible = self._seen_focused = False
        self._controllers: tuple[str | None, str] | None = None  # as last told
        self._pending: list[tuple[str, str]] = []
        self._on_notice = on_notice

    @property
    def visible(self) -> bool:
        return self.state in ("VISIBLE", "FOCUSED")

    @property
    def focused(self) -> bool:
        return self.state == "FOCUSED"

    def on_state(self, name: str) -> str | None:
        """A session state change; returns ``"begin"``, ``"end"``, ``"exit"`` or None."""
        before, self.state = self.state, name
        log.info("OpenXR session state %s → %s", before, name)
        was_seen, now_seen = before in ("VISIBLE", "FOCUSED"), name in ("VISIBLE", "FOCUSED")
        # STOPPING, EXITING and LOSS_PENDING say it themselves, once, below
        if before == "FOCUSED" and name in ("SYNCHRONIZED", "VISIBLE"):
            self._notice("focus_lost")
        if was_seen and name == "SYNCHRONIZED":
            self._notice("hidden")
        if now_seen and not was_seen and self._seen_visible:  # not the first time: it came back
            self._notice("shown")
        if name == "FOCUSED" and before != "FOCUSED" and self._seen_focused:
            self._notice("focus_back")
        self._seen_visible |= now_seen
        self._seen_focused |= name == "FOCUSED"
        if name == "READY" and not self.ended:
            self.running = True
            return "begin"
        if name == "STOPPING":
            self.running = False
            self._notice("stopped")
            return "end"
        if name == "EXITING":
            return self._end("exiting")
        if name == "LOSS_PENDING":
            return self._end("headset_lost")
        return None

    def on_lost(self) -> str:
        """The instance or session is being lost (an event, or ``XR_SESSION_LOSS_PENDING`` /
        ``XR_ERROR_SESSION_LOST`` from a frame call)."""
        return self._end("headset_lost")

    def on_recentre(self, space: str) -> None:
        self._notice("recentred", space=space.lower())

    def on_tracking(self, valid: bool) -> None:
        if valid != self.tracked:
            self.tracked = valid
            self._notice("tracking_back" if valid else "tracking_lost")

    def on_controllers(self, hands: str | None, stop: str = "") -> None:
        """What the runtime bound the patient's controls to (``openxr_bindings.describe``), or
        None for nothing: told when it changes, so that the therapist knows whether the
        patient's stop button works."""
        if (hands, stop) != self._controllers:
            self._controllers = (hands, stop)
            if hands:
                self._notice("controller", hands=hands, stop=stop)
            else:
                self._notice("no_controller")

    def waiting(self) -> None:
        """The session exists but the patient sees nothing yet: the session holds until the
        therapist, who sees the headset go on, resumes."""
        self._notice("waiting")

    def notices(self) -> list[tuple[str, str]]:
        """The notices since the last call, oldest first: (kind, sentence)."""
        out, self._pending = self._pending, []
        return out

    def _end(self, kind: str) -> str:
        if not self.ended:
            self._notice(kind)
        self.running, self.ended = False, True
        return "exit"

    def _notice(self, kind: str, **fields: str) -> None:
        text = NOTICES[kind].format(**fields)
        level = logging.INFO if kind in QUIET else logging.WARNING
        log.log(level, "headset: %s", text)
        self._pending.append((kind, text))
        if self._on_notice is not None:
            self._on_notice(kind, text)


class FrameStats:
    """The runtime's frame timing and what became of each frame it paced."""

    def __init__(self) -> None:
        self.waited = 0  # xrWaitFrame calls that returned a frame
        self.rendered = 0  # frames submitted with the projection layer
        self.skipped = 0  # shouldRender false, or no tracked pose: submitted empty
        self.discarded = 0  # xrBeginFrame said the previous frame was discarded
        self.period_ms: float | None = None  # the runtime's predicted display period

    def waited_for(self, should_render: bool, period_ns: int) -> None:
        self.waited += 1
        if period_ns > 0:
            self.period_ms = period_ns / 1e6
        if not should_render:
            self.skipped += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "frames": self.waited,
            "rendered": self.rendered,
            "skipped": self.skipped,
            "discarded": self.discarded,
            "display_period_ms": self.period_ms,
            "refresh_hz": round(1000.0 / self.period_ms, 2) if self.period_ms else None,
        }


def loss_errors(xr: Any) -> tuple[type, ...]:
    """What a frame or input call raises when the headset is going or gone (pyopenxr raises
    the qualified success XR_SESSION_LOSS_PENDING too)."""
    return (xr.SessionLossPending, xr.SessionLostError, xr.InstanceLostError)


def read_events(xr: Any, instance: Any) -> list[tuple[str, str]]:
    """Every event the runtime has queued, as (kind, detail): ("state", "READY"),
    ("instance_lost", ""), ("recentre", "LOCAL"), ("events_lost", "3"), ("profile", "")
    (the controllers' interaction profile changed). Others are logged."""
    out = []
    while True:
        try:
            buffer = xr.poll_event(instance)
        except xr.EventUnavailable:  # pyopenxr raises XR_EVENT_UNAVAILABLE, a success code
            return out
        kind = xr.StructureType(buffer.type)
        if kind == xr.StructureType.EVENT_DATA_BUFFER:  # untouched: no event (qualified successes not raised)
            return out
        if kind == xr.StructureType.EVENT_DATA_SESSION_STATE_CHANGED:
            event = _as(xr.EventDataSessionStateChanged, buffer)
            out.append(("state", xr.SessionState(event.state).name))
        elif kind == xr.StructureType.EVENT_DATA_INSTANCE_LOSS_PENDING:
            out.append(("instance_lost", ""))
        elif kind == xr.StructureType.EVENT_DATA_REFERENCE_SPACE_CHANGE_PENDING:
            event = _as(xr.EventDataReferenceSpaceChangePending, buffer)
            out.append(("recentre", xr.ReferenceSpaceType(event.reference_space_type).name))
        elif kind == xr.StructureType.EVENT_DATA_INTERACTION_PROFILE_CHANGED:
            out.append(("profile", ""))
        elif kind == xr.StructureType.EVENT_DATA_EVENTS_LOST:
            out.append(("events_lost", str(_as(xr.EventDataEventsLost, buffer).lost_event_count)))
        else:
            log.debug("OpenXR event %s ignored", kind.name)


def _as(struct: type, buffer: Any) -> Any:
    return ctypes.cast(ctypes.byref(buffer), ctypes.POINTER(struct)).contents
