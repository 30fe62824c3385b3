"""``export_session``: a real session (``vrex demo``, real LSL and LabRecorder, with every
physiological stream dropped for 20 s) exported as FIF, EDF and BIDS and loaded back with
MNE and mne-bids: channel types, units, values, annotations, gaps and durations."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

mne = pytest.importorskip("mne")
mne_bids = pytest.importorskip("mne_bids")
edfio = pytest.importorskip("edfio")

from engine.errors import VrexError  # noqa: E402
from engine.report.export import export_session  # noqa: E402
from engine.report.export_signals import _hold, _interpolate  # noqa: E402
from tests.engine.report.conftest import DROPOUT  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def exported(recorded, tmp_path_factory):
    folder = recorded[0]
    out = tmp_path_factory.mktemp("export")
    return {fmt: export_session(folder, fmt, out / fmt) for fmt in ("fif", "edf", "bids")}


def _stream(streams, kind):
    return next(s for s in streams.values() if s["info"]["type"][0] == kind)


def _fif(exported):
    path = next(p for p in exported["fif"] if p.name.endswith("_raw.fif"))
    meta = json.loads(next(p for p in exported["fif"] if p.name.endswith("_vrex.json")).read_text())
    return mne.io.read_raw_fif(path, verbose="error"), meta


@pytest.mark.slow
def test_fif_has_types_si_units_and_the_physiology_as_recorded(recorded, exported):
    from mne.io.constants import FIFF

    _, events, streams = recorded
    raw, meta = _fif(exported)
    types = dict(zip(raw.ch_names, raw.get_channel_types()))
    assert {k: types[k] for k in ("ECG", "PPG", "EDA", "RESP", "RR", "hr_bpm")} == {
        "ECG": "ecg",
        "PPG": "bio",
        "EDA": "gsr",
        "RESP": "resp",
        "RR": "misc",
        "hr_bpm": "misc",
    }
    units = {c["ch_name"]: c["unit"] for c in raw.info["chs"]}
    assert units["ECG"] == FIFF.FIFF_UNIT_V and units["EDA"] == FIFF.FIFF_UNIT_S and units["RR"] == FIFF.FIFF_UNIT_SEC
    assert units["PPG"] == units["RESP"] == FIFF.FIFF_UNIT_NONE and meta["channels"]["PPG"]["unit"] == "a.u."
    ecg = _stream(streams, "ECG")
    assert raw.info["sfreq"] == float(ecg["info"]["nominal_srate"][0])  # the highest physiological rate
    # The values: the stream's mV as V, EDA's uS as S, at the grid's times (linear interpolation).
    grid = meta["recording_start_lsl"] + raw.times
    for name, kind, factor in (("ECG", "ECG", 1e-3), ("EDA", "EDA", 1e-6)):
        s = _stream(streams, kind)
        assert s["info"]["desc"][0]["channels"][0]["channel"][0]["unit"][0] in ("mV", "uS")
        t, v = s["time_stamps"], s["time_series"][:, 0]
        mine = raw.get_data(picks=[name])[0]
        at = (grid > t[0] + 1) & (grid < t[0] + 60)  # a stretch well before the dropout
        assert np.allclose(mine[at], np.interp(grid[at], t, v) * factor, rtol=1e-5, atol=1e-12)
    # The recording spans the streams and every event, on the LSL clock.
    kinds = ("ECG", "PPG", "EDA", "RESP", "RR", "VrexFeatures", "VrexIntensity")
    last = max(float(s["time_stamps"][-1]) for s in streams.values() if s["info"]["type"][0] in kinds)
    first_event = min(e["lsl"] for e in events if e["kind"] == "phase")
    assert grid[0] <= first_event and grid[-1] >= last - 1 / raw.info["sfreq"]


@pytest.mark.slow
def test_annotations_are_the_events_at_their_lsl_time(recorded, exported):
    _, events, _ = recorded
    raw, meta = _fif(exported)
    notes = [(a["onset"], a["description"]) for a in raw.annotations if a["description"] != "BAD_gap"]
    for kind in ("suds", "intensity", "shown", "phase", "shield", "command", "note"):
        mine = [e for e in events if e["kind"] == kind and e.get("command") != "suds"]
        theirs = [(o, d) for o, d in notes if d.startswith(kind + "/")]
        assert len(theirs) == len(mine) and (mine or kind in ("shield", "command", "note")), kind
        for e, (onset, _) in zip(mine, theirs):
            assert onset == pytest.approx(e["lsl"] - meta["recording_start_lsl"], abs=2e-3)
    suds = [d for _, d in notes if d.startswith("suds/")]
    assert suds == [f"suds/{e['value']}" for e in events if e["kind"] == "suds"]
    assert any(d.startswith("session_end/") for _, d in notes)


@pytest.mark.slow
def test_the_dropout_is_a_gap_nan_and_annotated(recorded, exported):
    _, events, _ = recorded
    raw, meta = _fif(exported)
    zero = next(e["lsl"] - e["t"] for e in events if "lsl" in e)
    start, length = DROPOUT
    middle = zero + start + length / 2 - meta["recording_start_lsl"]  # session → recording seconds
    i = int(middle * raw.info["sfreq"])
    assert np.isnan(raw.get_data(picks=["ECG"])[0, i]) and np.isnan(raw.get_data(picks=["EDA"])[0, i])
    ecg_gaps = [a for a in raw.annotations if a["description"] == "BAD_gap" and "ECG" in a["ch_names"]]
    assert any(a["onset"] <= middle <= a["onset"] + a["duration"] for a in ecg_gaps)
    assert all(a["duration"] < length + 5 for a in ecg_gaps)  # the hole, not the whole recording


@pytest.mark.slow
def test_edf_loads_in_mne_with_units_and_the_same_events(exported):
    fif, _ = _fif(exported)
    path = next(p for p in exported["edf"] if p.suffix == ".edf")
    raw = mne.io.read_raw_edf(path, infer_types=True, verbose="error")
    types = dict(zip(raw.ch_names, raw.get_channel_types()))
    assert (types["ECG"], types["PPG"], types["RESP"], types["RR"]) == ("ecg", "bio", "resp", "misc")
    header = {s.label: s.physical_dimension for s in edfio.read_edf(path).signals}
    assert (header["ECG ECG"], header["EDA"], header["BIO PPG"], header["MISC RR"]) == ("uV", "uS", "a.u.", "ms")
    n = len(fif.times)
    assert raw.times[-1] == pytest.approx(fif.times[-1], abs=1.0)  # padded to whole 1-s records
    ok = ~np.isnan(fif.get_data(picks=["ECG"])[0])
    ecg_v = fif.get_data(picks=["ECG"])[0][ok]
    assert np.max(np.abs(raw.get_data(picks=["ECG"])[0][:n][ok] - ecg_v)) < 1e-4 * np.ptp(ecg_v)  # 16 bits
    eda = fif.get_data(picks=["EDA"])[0] * 1e6  # EDF keeps uS, as its header says
    ok = ~np.isnan(eda)
    assert np.allclose(raw.get_data(picks=["EDA"])[0][:n][ok], eda[ok], atol=1e-3)
    events = [a["description"] for a in fif.annotations if a["description"] != "BAD_gap"]
    assert [a["description"] for a in raw.annotations if a["description"] != "BAD_gap"] == [
        e.encode("ascii", "replace").decode() for e in events
    ]


@pytest.mark.slow
def test_bids_tree_reads_back_with_channel_types_units_and_metadata(recorded, exported):
    folder = recorded[0]
    files = exported["bids"]
    root = next(p for p in files if p.name == "participants.tsv").parent
    bids_path = mne_bids.get_bids_path_from_fname(next(p for p in files if p.suffix == ".edf"))
    raw = mne_bids.read_raw_bids(bids_path.update(root=root), verbose="error")
    types = dict(zip(raw.ch_names, raw.get_channel_types()))
    assert (types["ECG"], types["EDA"], types["RESP"], types["RR"]) == ("ecg", "gsr", "resp", "misc")
    assert "eeg" not in types.values()
    channels = next(p for p in files if p.name.endswith("_channels.tsv"))
    rows = {r["name"]: r for r in csv.DictReader(channels.open(), delimiter="\t")}
    assert {k: rows[k]["units"] for k in ("ECG", "PPG", "EDA", "RESP", "RR", "hr_bpm")} == {
        "ECG": "uV",
        "PPG": "a.u.",
        "EDA": "uS",
        "RESP": "a.u.",
        "RR": "ms",
        "hr_bpm": "bpm",
    }
    session = json.loads((folder / "session.json").read_text())
    sidecar = json.loads(next(p for p in files if p.name.endswith("_eeg.json")).read_text())
    assert sidecar["vrex"]["scenario"]["sha256"] == session["scenario"]["sha256"]
    assert sidecar["vrex"]["scenario"]["version"] == "1.0"  # scenarios/heights.yaml's scenario.version
    assert sidecar["EEGChannelCount"] == 0 and sidecar["ECGChannelCount"] == 1
    events = next(p for p in files if p.name.endswith("_events.tsv")).read_text()
    assert "suds/" in events and "phase/exposure" in events
    assert "sub-demo" in (root / "participants.tsv").read_text()
    assert session["session_id"] in next(p for p in files if p.name.endswith("_sessions.tsv")).read_text()


@pytest.mark.slow
def test_exported_files_are_private_like_the_session(exported):
    files = [p for fmt in exported.values() for p in fmt]
    assert files and all(p.stat().st_mode & 0o077 == 0 for p in files), [oct(p.stat().st_mode) for p in files]


def test_resampling_marks_gaps_and_holds_irregular_values():
    t = np.array([0.0, 0.1, 0.2, 0.3, 2.0, 2.1])  # 10 Hz with a 1.7-s hole
    grid = np.arange(0, 2.2, 0.05)
    v = _interpolate(t, t * 10, grid, rate=10.0)
    assert np.allclose(v[grid <= 0.3], grid[grid <= 0.3] * 10)
    assert np.isnan(v[(grid > 0.4) & (grid < 1.9)]).all()
    held = _hold(np.array([0.5, 1.0, 9.0]), np.array([800.0, 900.0, 700.0]), np.arange(0, 10.0, 0.5))
    assert np.isnan(held[0]) and held[1] == 800 and held[2] == 900 and held[4] == 900
    assert np.isnan(held[14]) and held[18] == 700  # held at most HOLD_MAX_S (5 s), then unknown


def test_bad_format_and_missing_library_are_one_line_errors(session, monkeypatch, tmp_path):
    with pytest.raises(VrexError, match="write one of bids, fif, edf"):
        export_session(session, "csv", tmp_path)
    with pytest.raises(VrexError, match="recording.xdf: missing"):
        export_session(session, "fif", tmp_path)  # the synthetic session has events only
    monkeypatch.setitem(sys.modules, "mne_bids", None)
    with pytest.raises(VrexError, match=r"needs mne_bids.*pip install 'vrex\[research\]'"):
        export_session(session, "bids", tmp_path)


def test_a_session_never_imports_mne():
    code = "import sys, engine.cli, engine.session.launch, engine.report; assert 'mne' not in sys.modules, 'mne'"
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]


def test_an_annotation_is_one_printable_line_whatever_the_note_holds():
    from engine.report.export_signals import describe

    text = describe({"kind": "note", "text": "felt dizzy\tthen\r\nbetter\x1b[2J ok"})
    assert text == "note/felt dizzy then better[2J ok"  # a tab or newline would split a row of events.tsv
    assert describe({"kind": "suds", "value": 40}) == "suds/40"


@pytest.mark.parametrize("fmt", ["fif", "edf"])
def test_an_export_replaces_a_planted_link_and_never_writes_through_it(session, tmp_path, monkeypatch, fmt):
    # the synthetic session has events only: its signals stand in for a recording's (the
    # part under test is where the files are written)
    from engine.report import export as export_mod
    from engine.report.export_signals import Channel, Signals

    t = np.arange(0, 600.0, 0.1)
    signals = Signals(10.0, 0.0, [Channel("ECG", "ecg", "V", "mV", "ecg", np.sin(t) * 1e-3)], [], "test")
    monkeypatch.setattr(export_mod, "read_signals", lambda *_a, **_k: signals)
    (session / "recording.xdf").write_bytes(b"XDF:")  # present; read_signals above stands in for reading it
    out = tmp_path / "shared"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("the victim's own file\n")
    stem = export_mod._safe(json.loads((session / "session.json").read_text()).get("session_id") or session.name)
    names = [f"{stem}_vrex.json", f"{stem}_raw.fif" if fmt == "fif" else f"{stem}.edf"]
    for name in names:
        (out / name).symlink_to(victim)
    written = export_session(session, fmt, out)
    assert victim.read_text() == "the victim's own file\n"
    assert sorted(p.name for p in written) == sorted(names)
    assert all(not p.is_symlink() and p.stat().st_mode & 0o077 == 0 for p in written)
    assert sorted(p.name for p in out.iterdir()) == sorted(names)  # no working folder left behind


def test_a_bids_export_into_a_tree_with_a_planted_link_is_refused_and_writes_nothing(session, tmp_path, monkeypatch):
    from engine.report import export as export_mod
    from engine.report.export_signals import Channel, Signals

    t = np.arange(0, 600.0, 0.1)
    signals = Signals(10.0, 0.0, [Channel("ECG", "ecg", "V", "mV", "ecg", np.sin(t) * 1e-3)], [], "test")
    monkeypatch.setattr(export_mod, "read_signals", lambda *_a, **_k: signals)
    (session / "recording.xdf").write_bytes(b"XDF:")
    out = tmp_path / "bids"
    out.mkdir()
    victim = tmp_path / "victim.tsv"
    victim.write_text("the victim's own file\n")
    (out / "participants.tsv").symlink_to(victim)  # mne-bids appends a row to this file
    with pytest.raises(VrexError, match="participants.tsv is a link"):
        export_session(session, "bids", out)
    assert victim.read_text() == "the victim's own file\n"
    assert sorted(p.name for p in out.iterdir()) == ["participants.tsv"]
