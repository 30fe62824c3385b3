"""docs/hazards.md stays true: each test it lists as proof of a control exists (file and
function), each hazard lists at least one, and the hazards issue 16 names are all there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "docs" / "hazards.md"
REQUIRED = {  # id -> a word its hazard column must hold (issue 16's list)
    "H1": "over-exposure",
    "H2": "stale or wrong sensor",
    "H3": "stalled frame",
    "H4": "lost headset",
    "H5": "controller fault",
    "H6": "console misuse",
    "H7": "lost or leaked records",
}
TEST_REF = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def hazard_rows(text: str) -> dict[str, dict[str, str]]:
    """The table's rows by id: {column name: cell}."""
    lines = [ln for ln in text.splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:  # after the header and its --- line
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert len(cells) == len(header), f"docs/hazards.md: a row has {len(cells)} cells, not {len(header)}: {line}"
        rows[cells[0]] = dict(zip(header, cells))
    return rows


def functions_in(path: Path) -> set[str]:
    """Names of the test functions in ``path``, at module level or in classes."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def missing_tests(text: str, root: Path) -> list[str]:
    """Every listed test that is not there, as 'id: tests/…::name (why)'."""
    gone = []
    for hid, row in hazard_rows(text).items():
        for file, name in TEST_REF.findall(row["test"]):
            path = root / file
            if not path.is_file():
                gone.append(f"{hid}: {file}::{name} (no such file)")
            elif name not in functions_in(path):
                gone.append(f"{hid}: {file}::{name} (no such test in the file)")
    return gone


def test_every_listed_test_exists():
    gone = missing_tests(TABLE.read_text(encoding="utf-8"), ROOT)
    assert not gone, "docs/hazards.md lists tests that no longer exist:\n" + "\n".join(gone)


def test_every_hazard_has_a_control_and_a_test_and_issue_16s_are_there():
    rows = hazard_rows(TABLE.read_text(encoding="utf-8"))
    for hid, words in REQUIRED.items():
        assert hid in rows and words in rows[hid]["hazard"], f"docs/hazards.md: {hid} ({words}) is missing"
    for hid, row in rows.items():
        assert TEST_REF.search(row["test"]), f"docs/hazards.md: {hid} names no test"
        assert re.search(r"`[\w/.]+\.py", row["control (rule or check, where)"]), f"{hid}: the control names no file"


@pytest.mark.parametrize(
    "cell, why",
    [
        ("tests/test_hazards.py::test_that_was_renamed", "no such test in the file"),
        ("tests/no_such_file.py::test_anything", "no such file"),
    ],
)
def test_a_test_that_no_longer_exists_is_caught(cell, why):
    """The check itself can fail: a table naming a vanished test is reported."""
    text = TABLE.read_text(encoding="utf-8")
    first = next(ln for ln in text.splitlines() if ln.startswith("| H1 "))
    broken = text.replace(first, first.rstrip(" |") + f", {cell} |")
    assert missing_tests(broken, ROOT) == [f"H1: {cell} ({why})"]
