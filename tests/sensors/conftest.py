"""LSL fixtures: outlets in separate processes that a test may kill or freeze, killed at
teardown, also when the test fails. ``uid`` (unique source_ids) and ``closing`` (close at
teardown) are shared, in tests/conftest.py."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

HELPER = Path(__file__).with_name("lsl_outlet_process.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def outlet_process():
    """Start tests/sensors/lsl_outlet_process.py; returns the Popen once it printed 'ready'."""
    procs: list[subprocess.Popen] = []

    def start(
        source_id: str,
        *,
        rate: float = 250.0,
        type: str = "ECG",
        unit: str = "mV",
        channels: int = 1,
        lifetime: float = 60.0,
        ready_timeout: float = 30.0,
    ):
        cmd = [
            sys.executable,
            str(HELPER),
            "--source-id",
            source_id,
            "--rate",
            str(rate),
            "--type",
            type,
            "--unit",
            unit,
            "--channels",
            str(channels),
            "--lifetime",
            str(lifetime),
        ]
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        procs.append(proc)
        ready, _, _ = select.select([proc.stdout], [], [], ready_timeout)
        line = proc.stdout.readline() if ready else ""
        if line.strip() != "ready":
            raise RuntimeError(f"outlet process did not start within {ready_timeout} s (exit code {proc.poll()})")
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()  # SIGKILL ends a stopped (SIGSTOP) process too
        proc.wait(timeout=10)
        proc.stdout.close()
