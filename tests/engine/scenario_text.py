"""Small scenario files written by tests: a valid frame with the parts a test cares about.

``where(text, needle)`` finds the line and column (1-based, as editors count) at which a
test expects a problem, from the text itself, so a fixture can grow without renumbering.
"""

from __future__ import annotations

from pathlib import Path

LEVELS = "\n".join(
    f"  - {{name: l{i}, intensity: {x}, description: \"Level {i}.\"}}"
    for i, x in enumerate((0.0, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0), 1)
)


def scenario(
    viewpoint: str = "{parent: lift, position: [0, 0, 1.7]}",
    comfort: str = "{}",
    entities: str = "",
    bindings: str = "",
) -> str:
    """A scenario whose viewpoint rides on the group 'lift' (a floor inside it), plus
    ``entities`` and ``bindings`` given as YAML list items indented by two spaces."""
    return f"""format: 1
scenario: {{id: fixture, title: Fixture, phobia: none, author: tests, version: "1"}}
levels:
{LEVELS}
viewpoint: {viewpoint}
comfort: {comfort}
entities:
  - {{type: light, kind: ambient}}
  - type: group
    id: lift
    children:
      - {{type: box, id: floor, size: [3, 3, 0.1]}}
{entities}
bindings:
{bindings or "  []"}
"""


def write(tmp_path: Path, text: str, name: str = "fixture.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def where(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """(line, column) of the ``nth`` occurrence of ``needle`` in ``text``."""
    at = -1
    for _ in range(nth):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1
