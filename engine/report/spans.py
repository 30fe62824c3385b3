"""Stretches of session time: ``Span`` (a labelled window: a phase, a stall, looking away)
and ``Step`` (the session at one level), in session seconds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    label: str = ""

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Step:
    """The session at ``level`` from ``start`` to ``end`` (session seconds)."""

    start: float
    end: float
    level: int

    @property
    def seconds(self) -> float:
        return self.end - self.start


def display_level(level: int | None) -> str:
    """Levels are 0-based in the files and 1-based wherever a person reads them (as in the session console)."""
    return "—" if level is None else str(level + 1)
