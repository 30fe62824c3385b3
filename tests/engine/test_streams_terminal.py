"""``vrex streams`` prints what any machine on the network publishes: a stream's name, type,
units and source are not vrex's, and a control character in them must not reach the
therapist's terminal (an escape code would clear or rewrite it)."""

from __future__ import annotations

import time
import uuid

import pylsl

from engine import cli


def test_a_streams_control_characters_never_reach_the_terminal(capsys):
    tag = uuid.uuid4().hex[:8]
    info = pylsl.StreamInfo(f"evil-{tag}\x1b[2J\x1b[H", "ECG\x07", 1, 100.0, "float32", f"src-{tag}\x1b]0;x\x07")
    info.desc().append_child("channels").append_child("channel").append_child_value("unit", "mV\x1b[31m")
    outlet = pylsl.StreamOutlet(info)
    try:
        out = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and f"evil-{tag}" not in out:
            code = cli.main(["streams", "--timeout", "1", "--info-timeout", "2"])
            out = capsys.readouterr().out
        assert code == 0 and f"evil-{tag}" in out, out
        assert "\x1b" not in out and "\x07" not in out, repr(out)
    finally:
        del outlet


def test_monitor_lists_ambiguous_candidates_without_their_control_characters(capsys):
    tag = uuid.uuid4().hex[:8]
    name = f"evil-{tag}\x1b[2J"  # two streams of one name: ambiguous, every candidate listed
    outlets = [
        pylsl.StreamOutlet(pylsl.StreamInfo(name, "ECG", 1, 100.0, "float32", f"s{i}-{tag}\x1b[H")) for i in range(2)
    ]
    try:
        out = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (f"s0-{tag}" in out and f"s1-{tag}" in out):
            code = cli.main(["monitor", "--timeout", "2", "--seconds", "1", "--stream", f"ecg={name}"])
            out = capsys.readouterr().out
        assert code == 1 and f"s0-{tag}" in out and f"s1-{tag}" in out, out
        assert "\x1b" not in out, repr(out)
    finally:
        del outlets
