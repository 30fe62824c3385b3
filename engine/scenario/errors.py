"""Scenario errors that an author can act on.

Exception tree::

    VrexError                      (engine.errors) — anything the CLI reports in one line
    └── ScenarioError              one or more problems in one scenario file
            .problems: list[Problem]   each printed as FILE:LINE:COL: what is wrong — what is expected
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.errors import VrexError
from vrexbase.words import did_you_mean  # noqa: F401 — scenario code imports it from here
from vrexbase.yamlsafe import Mark  # noqa: F401 — scenario code imports Mark from here


@dataclass(frozen=True)
class Problem:
    path: Path
    mark: Mark
    what: str
    expected: str

    def __str__(self) -> str:
        text = f"{self.path}:{self.mark.line}:{self.mark.col}: {self.what}"
        return f"{text} — {self.expected}" if self.expected else text


class ScenarioError(VrexError):
    """A scenario file could not be accepted; ``problems`` lists every reason found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(problems, key=lambda p: (str(p.path), p.mark.line, p.mark.col))
        super().__init__("\n".join(str(p) for p in self.problems))


class Problems:
    """Collects problems for one file so validation can report all of them at once."""

    LIMIT = 100  # a hostile or badly broken file must not flood the terminal

    def __init__(self, path: Path):
        self.path = path
        self.items: list[Problem] = []
        self.dropped = 0

    def add(self, mark: Mark, what: str, expected: str = "") -> None:
        if len(self.items) >= self.LIMIT:
            self.dropped += 1
            if self.dropped == 1:
                self.items.append(
                    Problem(
                        self.path,
                        mark,
                        f"more than {self.LIMIT} problems; the rest are not shown",
                        "fix these first, then validate again",
                    )
                )
            return
        self.items.append(Problem(self.path, mark, what, expected))

    def raise_if_any(self) -> None:
        if self.items:
            raise ScenarioError(self.items)
