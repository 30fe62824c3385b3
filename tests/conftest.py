"""Shared fixtures. Panda3D runs offscreen with null audio; one ShowBase per test session
(Panda3D allows one per process), torn down at the end."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
TEST_SCENARIOS = ROOT / "tests" / "engine" / "scenarios"


@pytest.fixture(scope="session")
def base():
    from engine.app import open_base
    showbase = open_base(offscreen=True, size=(320, 180))
    yield showbase
    showbase.destroy()


@pytest.fixture
def scene_root(base):
    """A fresh node under render for one test; removed afterwards with everything on it."""
    root = base.render.attachNewNode("test-root")
    yield root
    root.removeNode()
    base.render.clearLight()
    base.render.clearFog()
