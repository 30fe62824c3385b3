"""What vrex's one YAML reader (``vrexbase/yamlsafe.py``) hands back, and what it is told.

A file becomes a tree of ``YScalar``, ``YSeq`` and ``YMap`` (together ``YNode``), each
carrying the ``Mark`` (1-based line and column, as editors count) where it was written, so
that every message can say ``FILE:LINE:COL``. ``Limits`` is what one kind of file may hold
and how messages name it; ``Report`` is the shape of the callback problems go to, so each
caller keeps its own error type and wording of places; ``clip`` shortens a value quoted in a
message. Plain data without PyYAML: the layers that read the tree need nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Mark:
    """A 1-based line and column in a file, as editors count them."""

    line: int
    col: int


@dataclass(frozen=True)
class Limits:
    """What one kind of file may hold, and how its messages name it."""

    max_bytes: int = 1 << 20
    max_depth: int = 32
    max_values: int = 200_000  # values (keys included) after alias expansion
    kind: str = "file"  # "a scenario is a few kilobytes of YAML"
    expected: str = "a YAML mapping of keys and values"  # what an empty file should hold
    large_data: str = ""  # where large data belongs instead, e.g. "; put large data in model files"


KeyPath = tuple[Any, ...]  # keys and list indices from the root: ("parameters", "hr_rest", 0)
# report(where, what is wrong, what to write instead, path=()): path is the key path of the
# value (or, for a key's problem, the mapping) concerned; () for the file as a whole
Report = Callable[..., None]


@dataclass(eq=False)
class YScalar:
    value: Any  # str, int, float, bool or None
    mark: Mark
    size: int = 1
    text: str = ""  # as written: '1.10' stays '1.10' where text is wanted


@dataclass(eq=False)
class YSeq:
    items: list[YNode]
    mark: Mark
    size: int = 1


@dataclass(eq=False)
class YMap:
    # key -> (mark of the key, value)
    entries: dict[str, tuple[Mark, YNode]] = field(default_factory=dict)
    mark: Mark = Mark(1, 1)
    size: int = 1


YNode = YScalar | YSeq | YMap


def clip(text: str, limit: int = 60) -> str:
    """Long values are shortened in messages, so a hostile file cannot flood the terminal."""
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"
