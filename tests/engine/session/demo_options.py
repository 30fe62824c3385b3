"""The small real demo session that session tests open: the heights scenario, a rule
controller, a simulated patient at 4× speed, a tiny software-rendered window, no status
line. Each test overrides what it is about."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.session.launch import SessionOptions
from tests.conftest import SCENARIOS


def demo_options(root: Path, patient: str, **overrides: Any) -> SessionOptions:
    settings: dict[str, Any] = dict(
        scenario=SCENARIOS / "heights.yaml",
        patient=patient,
        controller="fixed",
        demo=True,
        seed=2,
        speed=4.0,
        root=root,
        baseline_s=8.0,
        exposure_s=600.0,
        recovery_s=5.0,
        status=False,
        size=(160, 90),
        renderer="p3tinydisplay",
    )
    settings.update(overrides)
    return SessionOptions(**settings)
