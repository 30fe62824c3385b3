"""The patient's STOP and SUDS answers on a headset's controllers (OpenXR actions).

One action set, ``vrex``, with three actions: ``stop`` (the patient's STOP),
``suds_move`` and ``suds_answer`` (the SUDS answer, chosen in steps of 10 on the
world-locked panel, and given only while the question is shown and only once a value is on
it). Which buttons they are on each controller, and why, is ``openxr_bindings.py``.

``Controls`` makes the actions, suggests each profile (a profile the runtime refuses is
logged and the others still count) and attaches the set once, before the first frame
(OpenXR forbids a second attachment, and xrSyncActions needs one). Each focused frame
``poll`` syncs and reads the actions: a press is a rising edge, reported once however long
it is held. What the runtime bound is told once, and again when it changes, as a notice
(``controller`` / ``no_controller``), so the therapist knows whether the stop button works.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from engine.display.openxr_bindings import HANDS, PROFILES, Profile, describe
from engine.display.openxr_state import XrSessionState, loss_errors

# the profiles stay importable from here, where they were first written
__all__ = ["Controls", "PROFILES", "Profile", "describe"]

log = logging.getLogger(__name__)

STEP = 10  # SUDS moves in tens: the keyboard's 0-9 (× 10) answer the same way
FIRST = 50  # the first push shows the middle: no answer is given by a push alone
PUSH_AT, BACK_AT = 0.6, 0.3  # stick deflection that counts as a push, and that re-arms the next one
NO_CONTROLLER_AFTER_S = 2.0  # runtimes bind a moment after focus: "no controller" only after this


class Controls:
    """The ``vrex`` action set on one session. ``open`` once the session exists, ``poll``
    each focused frame, ``profile_changed`` on the runtime's event, ``close`` before the
    session is destroyed. Anything the runtime refuses leaves the headset usable: the
    keyboard's and the therapist's stop still work, and the therapist is told."""

    def __init__(
        self,
        xr: Any,
        instance: Any,
        session: Any,
        state: XrSessionState,
        *,
        grace_s: float = NO_CONTROLLER_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.xr, self.instance, self.session, self.state = xr, instance, session, state
        self.grace_s, self.clock = grace_s, clock
        self.suggested: list[str] = []  # the profiles the runtime took
        self.bound: dict[str, str] = {}  # hand → profile path, as last reported
        self._set: Any = None
        self._actions: dict[str, Any] = {}
        self._hands: dict[str, Any] = {}
        self._usable = False
        self.pending_stop = False  # a stop read in the same sync that reported the headset's loss
        self._due = True  # the bound profiles are to be asked…
        self._due_since: float | None = None  # …since this focused frame
        self._failed = False
        self._shown = False  # the SUDS panel, as last seen
        self._value: int | None = None
        self._armed = False  # the stick was back at the centre since its last push

    def open(self) -> None:
        xr = self.xr
        try:
            self._set = xr.create_action_set(
                self.instance,
                xr.ActionSetCreateInfo(action_set_name="vrex", localized_action_set_name="vrex", priority=0),
            )
            for name, kind, shown in (
                ("stop", xr.ActionType.BOOLEAN_INPUT, "Stop"),
                ("suds_move", xr.ActionType.VECTOR2F_INPUT, "Choose SUDS"),
                ("suds_answer", xr.ActionType.BOOLEAN_INPUT, "Answer SUDS"),
            ):
                self._actions[name] = xr.create_action(
                    self._set, xr.ActionCreateInfo(action_name=name, action_type=kind, localized_action_name=shown)
                )
            for path, profile in PROFILES.items():
                self._suggest(path, profile)
            log.info("controller bindings suggested for: %s", ", ".join(self.suggested) or "none (all refused)")
            xr.attach_session_action_sets(self.session, xr.SessionActionSetsAttachInfo(action_sets=[self._set]))
            self._hands = {hand: xr.string_to_path(self.instance, f"/user/hand/{hand}") for hand in HANDS}
        except xr.XrException as exc:
            log.warning(
                "the OpenXR runtime refused the controller actions (%s: %s): no controller input",
                type(exc).__name__,
                exc,
            )
            self.state.on_controllers(None)
            return
        self._usable = True

    def _suggest(self, path: str, profile: Profile) -> None:
        xr = self.xr
        try:
            bindings = [
                xr.ActionSuggestedBinding(self._actions[action], xr.string_to_path(self.instance, binding))
                for action, binding in profile.bindings
            ]
            xr.suggest_interaction_profile_bindings(
                self.instance,
                xr.InteractionProfileSuggestedBinding(
                    interaction_profile=xr.string_to_path(self.instance, path), suggested_bindings=bindings
                ),
            )
        except xr.XrException as exc:  # e.g. PathUnsupported: this runtime lacks the profile
            log.warning(
                "the OpenXR runtime refused the %s bindings (%s): going on without them",
                profile.name,
                type(exc).__name__,
            )
            return
        self.suggested.append(path)

    def close(self) -> None:
        """Destroys the action set (and its actions): before the session and instance go."""
        if self._set is not None:
            self.xr.destroy_action_set(self._set)
        self._set, self._usable = None, False

    def profile_changed(self) -> None:
        """The runtime's XrEventDataInteractionProfileChanged: ask again what is bound."""
        self._due, self._due_since = True, None

    # -- each focused frame -------------------------------------------------------------------

    def poll(self, panel: Any = None) -> list[tuple[str, dict]]:
        """Sync and read the actions (the session must be FOCUSED: input is only delivered
        then). Returns the patient's commands: ``("patient_stop", {})`` per stop press,
        ``("suds", {"value": v})`` per answer given on ``panel`` (a ``WorldPanel``, or None)."""
        if not self._usable:
            return []
        xr = self.xr
        out: list[tuple[str, dict]] = []
        try:
            xr.sync_actions(
                self.session, xr.ActionsSyncInfo(active_action_sets=[xr.ActiveActionSet(self._set, xr.NULL_PATH)])
            )
            # the stop first, and kept whatever fails after it: a press is reported by one
            # sync only, so a stop dropped here would never come again
            if self._pressed("stop"):
                out.append(("patient_stop", {}))
            if panel is not None:
                out += self._suds(panel)
            self._check_profiles()
            return out
        except loss_errors(xr):
            if out:
                self.pending_stop = True  # the display hands it on before it reports the loss
            raise  # the display's own: the headset is going
        except xr.SessionNotFocused:  # a success code pyopenxr raises: focus is not ours yet
            return out
        except xr.XrException as exc:  # input lost, never the picture
            if not self._failed:
                log.warning("reading the controllers failed (%s: %s)", type(exc).__name__, exc)
            self._failed = True
            return out

    def _pressed(self, action: str) -> bool:
        state = self.xr.get_action_state_boolean(self.session, self.xr.ActionStateGetInfo(action=self._actions[action]))
        return bool(state.changed_since_last_sync and state.current_state)

    def _suds(self, panel: Any) -> list[tuple[str, dict]]:
        """The SUDS dial on the panel: a push up or down moves the value by ``STEP`` (the
        stick must come back to the centre between pushes), a press answers it, once."""
        shown = not panel.node.isHidden()
        if shown != self._shown:  # the question opened or closed: a fresh dial
            self._shown, self._value, self._armed = shown, None, False
            panel.set_value(self._line() if shown else None)
        if not shown:
            return []
        y = self.xr.get_action_state_vector2f(
            self.session, self.xr.ActionStateGetInfo(action=self._actions["suds_move"])
        ).current_state.y
        if abs(y) < BACK_AT:
            self._armed = True
        elif self._armed and abs(y) >= PUSH_AT:
            self._armed = False
            value = FIRST if self._value is None else self._value + (STEP if y > 0 else -STEP)
            self._value = max(0, min(100, value))
            panel.set_value(self._line())
        # a press while the stick is pushed is part of the push (sticks click when pushed hard)
        if self._pressed("suds_answer") and self._value is not None and abs(y) < BACK_AT:
            value, self._value = self._value, None
            panel.set_value(f"{value}   -   sent")
            return [("suds", {"value": value})]
        return []

    def _line(self) -> str | None:
        """The panel's line under the question: how to choose, or the value and how to answer."""
        profile = next((PROFILES[p] for p in self.bound.values() if p in PROFILES and PROFILES[p].choose), None)
        if self._value is None:
            return profile.choose if profile else None
        return f"{self._value}   -   {profile.answer}" if profile else str(self._value)

    def _check_profiles(self) -> None:
        """What the runtime bound, told once it is known: at once when a controller is bound,
        after ``grace_s`` of focused frames when none is (runtimes bind a little after focus)."""
        if not self._due:
            return
        now = self.clock()
        if self._due_since is None:
            self._due_since = now
        xr, bound = self.xr, {}
        for hand, path in self._hands.items():
            got = xr.get_current_interaction_profile(self.session, path).interaction_profile
            if got != xr.NULL_PATH:
                bound[hand] = xr.path_to_string(self.instance, got)
        self.bound = bound
        if bound:
            self._due = False
            self.state.on_controllers(*describe(bound))
        elif now - self._due_since >= self.grace_s:
            self._due = False
            self.state.on_controllers(None)
