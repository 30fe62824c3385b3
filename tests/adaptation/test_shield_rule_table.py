"""adaptation/README.md's rule → shield → monitor → test table stays true: every rule
function the shield walks is in it, and every test it names exists."""

import ast
import re
from pathlib import Path

from adaptation.shield_rules import RULES

ROOT = Path(__file__).resolve().parents[2]


def _table() -> str:
    text = (ROOT / "adaptation" / "README.md").read_text()
    start = text.index("### Each rule, written three times")
    return text[start : text.index("###", start + 3)]


def test_every_rule_the_shield_walks_is_in_the_table():
    table = _table()
    missing = [rule.__name__ for rule in RULES if f"`{rule.__name__}`" not in table]
    assert missing == []


def test_every_test_the_table_names_exists():
    defined = set()
    for path in (ROOT / "tests" / "adaptation").glob("test_*.py"):
        defined |= {n.name for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef)}
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", _table()))
    assert named, "the table names no tests"
    assert sorted(named - defined) == []


def test_each_rule_is_a_short_function():
    for rule in RULES:
        source = ast.parse(Path(rule.__code__.co_filename).read_text())
        node = next(n for n in ast.walk(source) if isinstance(n, ast.FunctionDef) and n.name == rule.__name__)
        assert node.end_lineno - node.lineno <= 20, f"{rule.__name__} is {node.end_lineno - node.lineno} lines"
