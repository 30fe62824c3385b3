"""Who may import whom (docs/architecture.md): checked on the source itself."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "sensors": {"engine", "adaptation", "panda3d", "direct", "torch"},
    "adaptation": {"engine", "panda3d", "direct"},
    # every layer may import vrexbase, so it imports none of them (and nothing heavy)
    "vrexbase": {"engine", "adaptation", "sensors", "scenarios", "panda3d", "direct", "torch", "numpy"},
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_stays_in_its_room(package):
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imports(path) & FORBIDDEN[package]
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_only_sensors_lsl_imports_pylsl():
    users = [
        p.relative_to(ROOT).as_posix()
        for pkg in ("sensors", "engine", "adaptation")
        for p in (ROOT / pkg).rglob("*.py")
        if "pylsl" in imports(p)
    ]
    assert users == ["sensors/lsl_bindings.py"]  # loads pylsl for the sensors/lsl_*.py parts


def _number_checks(path: Path) -> list[str]:
    """Functions that test "is this a real, finite number" by hand: isinstance against bool
    and against float, and math.isfinite, in one function (the shape of the five helpers
    that disagreed before vrexbase.real). Type dispatch without a finiteness test (JSON
    writers, messages that name the kind of a wrong value) is not this rule."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        checked = set()
        finite = any(isinstance(c, ast.Call) and getattr(c.func, "attr", "") == "isfinite" for c in ast.walk(node))
        for call in ast.walk(node):
            if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "isinstance" and len(call.args) == 2:
                kinds = call.args[1]
                names = {getattr(e, "id", "") for e in (kinds.elts if isinstance(kinds, ast.Tuple) else [kinds])}
                checked |= names & {"bool", "int", "float"}
        if finite and {"bool", "float"} <= checked:
            found.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno} {node.name}")
    return found


def test_the_number_rule_is_written_once():
    """vrexbase.real holds the rule; the invariant monitor keeps its independent copy on
    purpose (it must not share code with the shield it checks). Anything else is a sixth
    helper that will disagree with the others."""
    allowed = {
        "vrexbase/real.py",
        "adaptation/invariants.py",
        # validators and encoders that must tell *which* kind of wrong a value is (text, a
        # boolean, a non-finite number) to say so, or map NaN to JSON null: not a yes/no rule
        "adaptation/config.py",
        "engine/session/events.py",
    }
    found = [
        hit
        for pkg in ("sensors", "adaptation", "engine", "vrexbase")
        for path in sorted((ROOT / pkg).rglob("*.py"))
        if path.relative_to(ROOT).as_posix() not in allowed
        for hit in _number_checks(path)
    ]
    assert found == [], "use vrexbase.real.finite / is_finite instead of: " + ", ".join(found)


def test_one_yaml_reader():
    """Every YAML file vrex reads (scenarios, populations, training configs, headset
    profiles) goes through vrexbase/yamlsafe.py: one reader, hardened once, limits as
    parameters. Another call into PyYAML is a second reader with its own holes."""
    readers = {"safe_load", "load", "full_load", "unsafe_load", "compose", "parse", "load_all", "safe_load_all"}
    found = []
    for pkg in ("sensors", "adaptation", "engine", "vrexbase", "scenarios"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel == "vrexbase/yamlsafe.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(), rel)):
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr in readers
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "yaml"
                ):
                    found.append(f"{rel}:{node.lineno} yaml.{node.attr}")
    assert found == [], "read YAML with vrexbase.yamlsafe (or a layer's wrapper of it): " + ", ".join(found)
