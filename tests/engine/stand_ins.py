"""Stand-in controllers for tests of the session and the console: what holds the scene back
must be the session, the shield or the therapist, never the controller."""

from __future__ import annotations

from adaptation.types import Decision, Observation, step_target


class AlwaysUp:
    """Always asks for one level up."""

    name = "up"

    def reset(self) -> None:
        pass

    def decide(self, obs: Observation) -> Decision:
        return Decision(step_target(obs, +1), "always up", self.name)
