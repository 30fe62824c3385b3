"""Scenario files' YAML: vrexbase's one safe reader (``vrexbase/yamlsafe.py``: no tags
executed, bounded size, depth and alias expansion, duplicate keys reported, every value
with its line and column) with a scenario's limits and wording."""

from __future__ import annotations

from pathlib import Path

from engine.scenario.errors import Problems
from vrexbase.yamlsafe import Limits, YMap, YNode, YScalar, YSeq, clip
from vrexbase.yamlsafe import read_yaml as _read

__all__ = ["SCENARIO", "YMap", "YNode", "YScalar", "YSeq", "_clip", "read_yaml"]

SCENARIO = Limits(
    max_bytes=1 << 20,  # a real scenario is a few kilobytes; 1 MiB is far beyond any
    max_depth=32,  # the format nests about 8 levels deep
    max_values=200_000,
    kind="scenario",
    expected="a scenario mapping with 'format', 'scenario', 'levels' and 'entities'",
    large_data="; put large data in model files",
)
MAX_BYTES, MAX_DEPTH, MAX_VALUES = SCENARIO.max_bytes, SCENARIO.max_depth, SCENARIO.max_values
_clip = clip  # long values are shortened in messages, so a hostile file cannot flood the terminal


def read_yaml(path: Path, problems: Problems) -> YNode | None:
    """The scenario file's single document as a tree of ``YNode``, or ``None`` with
    ``problems`` filled."""
    return _read(path, lambda mark, what, expected, _path=(): problems.add(mark, what, expected), SCENARIO)
