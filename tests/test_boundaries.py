"""Who may import whom (../shared/design/architecture.md): checked on the source itself."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "sensors": {"engine", "adaptation", "panda3d", "direct", "torch"},
    "adaptation": {"engine", "panda3d", "direct"},
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
    assert users == ["sensors/lsl.py"]
