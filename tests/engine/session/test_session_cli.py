"""``vrex session`` and ``vrex demo`` refuse bad input before anything starts, saying what to write."""

from __future__ import annotations

import os

import pytest

from engine.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize(
    "extra,expected",
    [
        (("--patient", "Jane Doe"), "pseudonymous id"),
        (("--patient", "P1", "--ceiling", "1.5"), "intensities go from 0 to 1"),
        (("--patient", "P1", "--ceiling", "-0.2"), "positive number"),
        (("--patient", "P1", "--minutes", "nan"), "positive number"),
        (("--patient", "P1", "--stream", "ecg"), "write ROLE=NAME"),
        (("--patient", "P1", "--stream", "heart=Polar"), "write ROLE=NAME"),
        (("--patient", "P1", "--hr-ceiling", "0"), "positive number"),
    ],
)
def test_bad_arguments_are_refused_with_what_to_write(capsys, tmp_path, extra, expected):
    code, text = run(
        capsys, "session", "--scenario", "heights", "--display", "offscreen", "--out", str(tmp_path), *extra
    )
    assert code == 1 and expected in text
    assert not any(tmp_path.iterdir())  # nothing was started or written


@pytest.mark.parametrize("fault", ["hr_surge@10", "dropout@10:5:3", "surge@1:2:3", "hr_surge@a:1:2"])
def test_bad_injections_are_refused(capsys, tmp_path, fault):
    code, text = run(capsys, "demo", "--display", "offscreen", "--out", str(tmp_path), "--inject", fault)
    assert code == 1 and "hr_surge@START:SECONDS:BPM" in text


def test_an_unwritable_output_folder_is_refused_before_the_session_starts(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, text = run(
        capsys,
        "session",
        "--scenario",
        "heights",
        "--patient",
        "P1",
        "--display",
        "offscreen",
        "--out",
        str(blocker / "sessions"),
        "--stream-timeout",
        "30",
    )
    assert code == 1 and str(blocker) in text  # refused at once: no 30 s stream search


def test_missing_streams_are_listed_with_what_was_wanted(capsys, tmp_path):
    code, text = run(
        capsys,
        "session",
        "--scenario",
        "heights",
        "--patient",
        "P1",
        "--display",
        "offscreen",
        "--out",
        str(tmp_path),
        "--stream",
        "ecg=id:vrex-test-no-such-ecg",
        "--stream",
        "eda=id:vrex-test-no-such-eda",
        "--stream-timeout",
        "0.3",
    )
    assert code == 1
    assert "no heart signal" in text and "ecg:" in text and "eda:" in text and "vrex-test-no-such-ecg" in text
    assert "vrex streams" in text  # and how to see what is there
    assert not list(tmp_path.rglob("session.json"))


@pytest.mark.skipif(bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")), reason="a display exists")
def test_a_window_without_a_display_is_refused(capsys, tmp_path):
    code, text = run(
        capsys, "session", "--scenario", "heights", "--patient", "P1", "--display", "window", "--out", str(tmp_path)
    )
    assert code == 1 and "--display offscreen" in text


def test_an_unknown_controller_is_named_with_the_choices(capsys, tmp_path):
    code, text = run(capsys, "demo", "--display", "offscreen", "--out", str(tmp_path), "--controller", "polcy")
    assert code == 1 and "did you mean 'policy'" in text
