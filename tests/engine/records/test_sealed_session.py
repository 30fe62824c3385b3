"""A real session (renderer process, real LSL, LabRecorder, files on disk) whose sessions root
names a recipient ends sealed; its report is made again with the identity, and its XDF
replays. A bad recipients.txt is refused before anything starts."""

from __future__ import annotations

import pytest

from engine.errors import VrexError
from engine.records.seal import MANIFEST, plaintext_files
from engine.records.unseal import opened_file
from engine.report.load import load_session
from engine.session.launch import OpenSession, SessionOptions
from tests.engine.session.demo_options import demo_options


def options(root, **kw) -> SessionOptions:
    return demo_options(root, "T-seal", baseline_s=4.0, exposure_s=6.0, recovery_s=2.0, max_wall_s=60.0, **kw)


@pytest.mark.slow
def test_a_session_ends_sealed_and_round_trips_through_report(keys, tmp_path, vrex, capsys):
    with OpenSession(options(keys.root)) as s:
        s.run()
    folder = s.folder.path
    assert "sealed:" in capsys.readouterr().out
    assert plaintext_files(folder) == []  # nothing left in the clear
    names = sorted(p.name for p in folder.iterdir())
    assert {"session.json.age", "events.jsonl.age", "recording.xdf.age", MANIFEST} <= set(names)
    for p in folder.iterdir():
        if p.name != MANIFEST:
            head = p.read_bytes()[:200]
            assert head.startswith(b"age-encryption.org/v1") and b"session_start" not in head

    out = tmp_path / "report"
    code, stdout, err = vrex("report", folder, "--identity", keys.identity, "--out", out)
    assert code == 0, err
    assert "recording.xdf: missing" not in err  # the XDF was opened too
    data = load_session(folder, identity=keys.identity)
    assert data.meta["patient"] == "T-seal" and data.end_reason == "completed"
    assert any(e["kind"] == "session_end" for e in data.events)
    assert {st.name for st in data.streams} >= {"vrex-events"}

    code, _, err = vrex("report", folder, "--out", tmp_path / "r2")
    assert code == 1 and "is sealed" in err

    code, _, err = vrex("replay", folder / "recording.xdf.age")
    assert code == 1 and "is sealed" in err

    from sensors.recordings import load_recording

    with opened_file(folder / "recording.xdf", keys.identity) as xdf:
        recording = load_recording(xdf)
    assert recording.streams and recording.duration > 0


def test_a_bad_recipients_file_is_refused_before_the_session_starts(tmp_path):
    root = tmp_path / "sessions"
    root.mkdir()
    (root / "recipients.txt").write_text("age1-not-a-key\n")
    with pytest.raises(VrexError, match=r"recipients.txt:1"):
        with OpenSession(options(root)):
            pass
    assert sorted(p.name for p in root.iterdir()) == ["recipients.txt"]  # no session folder made
