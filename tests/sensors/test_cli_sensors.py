"""``vrex simulate``, ``replay`` and ``streams`` run for real, as a therapist would."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import numpy as np

from tests.conftest import ROOT


def vrex(*args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_simulate_publishes_streams_that_streams_lists():
    prefix = f"cli-{uuid.uuid4().hex[:8]}"
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "engine.cli",
            "simulate",
            "--seconds",
            "20",
            "--prefix",
            prefix,
            "--electrode-loss",
            "5-8",
            "--dropout",
            "9-10",
            "--motion",
            "2-3",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert "publishing" in sim.stdout.readline()
        listing = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and f"{prefix}-rr" not in listing:
            listing = vrex("streams", "--timeout", "2").stdout
        for kind in ("ecg", "ppg", "eda", "resp", "rr"):
            assert f"{prefix}-{kind}" in listing, listing
    finally:
        sim.kill()
        sim.wait()


def test_replay_plays_a_file_to_the_end_and_exits(tmp_path):
    path = tmp_path / "short.npz"
    np.savez(path, ecg_mV=np.sin(np.arange(2500) / 5.0), fs=250.0)
    result = vrex("replay", str(path), "--speed", "20")
    assert result.returncode == 0, result.stderr
    assert "replaying 10.0 s at 20× speed" in result.stdout


def test_bad_arguments_and_files_are_explained_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    cases = [
        (("simulate", "--arousal", "soon:high"), "is not TIME:LEVEL pairs"),
        (("simulate", "--motion", "9-3"), "START must be at least 0 and below END"),
        (("simulate", "--speed", "0"), "must be above 0"),
        (("replay", str(bad)), "not a readable NPZ recording"),
        (("replay", str(tmp_path / "missing.xdf")), "no such file"),
    ]
    for args, message in cases:
        result = vrex(*args)
        assert result.returncode in (1, 2), args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
