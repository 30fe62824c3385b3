"""Shared fixtures. Panda3D runs offscreen with null audio; one ShowBase per test session
(Panda3D allows one per process), torn down at the end."""

from __future__ import annotations

import uuid
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item, so fixtures can tell a failed test."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def uid():
    """A fresh unique id for source_ids and names, so tests never see each other's LSL streams."""
    return lambda prefix="vrex-test": f"{prefix}-{uuid.uuid4().hex}"


@pytest.fixture
def closing(request):
    """Register objects with a stop() or close() method; done at teardown, newest first, each
    even when an earlier one fails. A failure is reported, unless the test itself failed
    (then a recorder or outlet may well be dead already, and the test's own error is the news)."""
    things = []

    def register(thing):
        things.append(thing)
        return thing

    yield register
    errors = []
    for thing in reversed(things):
        end = getattr(thing, "stop", None) or thing.close
        try:
            end()
        except Exception as exc:  # noqa: BLE001 - collected, raised below
            errors.append(f"{type(thing).__name__}: {type(exc).__name__}: {exc}")
    call = getattr(request.node, "rep_call", None)
    if errors and not (call is not None and call.failed):
        raise RuntimeError("closing at teardown failed: " + "; ".join(errors))
