"""Session-layer fixtures: unique ids (so tests never see each other's LSL streams) and
cleanup of outlets and recorders, also when a test fails."""

from __future__ import annotations

import uuid

import pytest

RESOLVE_S = 15.0          # generous: a loaded 2-core CI machine


@pytest.fixture
def uid():
    return lambda prefix="vrex-test": f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def closing():
    """Register objects with a close() or stop() method; done at teardown, newest first."""
    things = []

    def register(thing):
        things.append(thing)
        return thing

    yield register
    for thing in reversed(things):
        end = getattr(thing, "stop", None) or thing.close
        try:
            end()
        except Exception:         # noqa: BLE001 - a failed test's recorder may be dead already
            pass
