"""A session as a BIDS dataset (mne-bids): ``sub-<patient>/ses-<session>/eeg/…`` with EDF
data, events, channel types and units, and the scenario and session in the sidecar JSON.

BIDS labels are letters and digits only: ``p-01`` becomes ``p01``, the session
``20261120-090000-heights`` becomes ``20261120090000heights``, the task is the scenario id.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from engine.errors import VrexError
from engine.report.export_signals import Signals
from engine.report.load import SessionData


def label(text: Any, fallback: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", str(text or "")) or fallback


def write_bids(signals: Signals, data: SessionData, meta: dict[str, Any], root: Path) -> list[Path]:
    """The session under ``root`` as BIDS; returns the files written for this session.

    The EDF is written by ``export_edf`` (a range and unit per channel) and mne-bids copies
    it into place, writing the channels, events and sidecar files around it."""
    import mne
    import mne_bids

    from engine.report.export_edf import write_session_edf as write_edf

    path = mne_bids.BIDSPath(
        subject=label(data.meta.get("patient"), "unknown"),
        session=label(data.meta.get("session_id") or data.folder.name, "1"),
        task=label(data.scenario_id, "exposure"),
        datatype="eeg",
        root=root,
    )
    _refuse_links(root)
    before = {p for p in root.rglob("*") if p.is_file()}
    with tempfile.TemporaryDirectory() as tmp:
        edf = write_edf(Path(tmp) / "session.edf", signals, data, type_prefix=False)
        raw = mne.io.read_raw_edf(edf, verbose="error")
        types = {c.name: c.ch_type for c in signals.channels}
        stand_in = _stand_in(types)
        raw.set_channel_types({**types, stand_in: "eeg"}, on_unit_change="ignore", verbose="error")
        mne_bids.write_raw_bids(raw, path, overwrite=True, verbose="error")
    side = path.copy().update(suffix="eeg", extension=".json")
    sidecar = json.loads(Path(side.fpath).read_text(encoding="utf-8"))
    sidecar.update(
        EEGChannelCount=0,
        ECGChannelCount=sidecar.get("ECGChannelCount", 0) + 1,
        TaskDescription=f"VR exposure therapy, scenario {meta['scenario'].get('title') or data.scenario_id}",
        RecordingType="continuous",
        EEGReference="n/a (no EEG channels: peripheral physiology only)",
        vrex=meta,
    )
    Path(side.fpath).write_text(json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _fix_channels(path.copy().update(suffix="channels", extension=".tsv").fpath, signals, stand_in)
    _sessions_tsv(root / f"sub-{path.subject}" / f"sub-{path.subject}_sessions.tsv", path.session, meta)
    return sorted(({p for p in root.rglob("*") if p.is_file()} - before) | _ours(root, path))


def _refuse_links(root: Path) -> None:
    """mne-bids writes into the tree under ``root`` (participants.tsv, the subject's
    folders): a link planted anywhere in it would carry health data elsewhere, so an
    existing tree with a link in it is refused, naming the link (fif and edf are written
    new and renamed into place instead)."""
    if not root.exists():
        return
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            if path.is_symlink():
                raise VrexError(
                    f"{path} is a link: a BIDS export never writes through one (health data would go where it "
                    "points) — remove it, or export into a new folder"
                )


def _stand_in(types: dict[str, str]) -> str:
    """The ECG channel that is typed EEG while mne-bids writes (it writes only datasets of a
    datatype it finds in the data: eeg, meg, ieeg, emg or nirs; vrex records peripheral
    physiology alone). channels.tsv and the sidecar are put right afterwards."""
    ecg = [name for name, kind in types.items() if kind == "ecg"]
    if not ecg:
        raise VrexError(
            "--format bids needs an ECG channel (mne-bids writes EEG-type datasets and the ECG stands in "
            "for their data type); this recording has none: use --format fif or --format edf"
        )
    return ecg[0]


def _fix_channels(tsv: Path, signals: Signals, stand_in: str) -> None:
    """The stand-in's type back to ECG, and each channel's unit as the EDF file has it
    (mne-bids writes n/a for anything but volts and siemens: EDA in uS, PPG in a.u., bpm)."""
    from engine.report.export_edf import edf_unit

    units = {c.name: edf_unit(c)[0] for c in signals.channels}
    with open(tsv, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for row in rows:
        if row["name"] == stand_in:
            row.update(type="ECG", description="ElectroCardioGram")
        if row["name"].startswith("PPG"):
            row["description"] = "Photoplethysmogram (pulse), arbitrary units"
        row["units"] = units.get(row["name"]) or "n/a"
    with open(tsv, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _sessions_tsv(tsv: Path, session: str, meta: dict[str, Any]) -> None:
    """One row per session of this participant: when, which scenario, how it ended."""
    fields = ["session_id", "acq_time", "scenario", "scenario_sha256", "end_reason", "vrex_session"]
    rows: list[dict[str, str]] = []
    if tsv.is_file():
        with open(tsv, encoding="utf-8", newline="") as f:
            rows = [r for r in csv.DictReader(f, delimiter="\t") if r.get("session_id") != f"ses-{session}"]
    na = lambda v: "n/a" if v in (None, "") else str(v)  # noqa: E731
    rows.append(
        {
            "session_id": f"ses-{session}",
            "acq_time": na((meta.get("started_utc") or "").rstrip("Z")),
            "scenario": na(meta["scenario"].get("id")),
            "scenario_sha256": na(meta["scenario"].get("sha256")),
            "end_reason": na(meta.get("end_reason")),
            "vrex_session": na(meta.get("session_id")),
        }
    )
    with open(tsv, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, delimiter="\t", lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def _ours(root: Path, path: Any) -> set[Path]:
    """This session's files, also when they were there before (a re-export overwrites them)."""
    folder = Path(path.directory)
    top = [root / "participants.tsv", root / "dataset_description.json", root / f"sub-{path.subject}"]
    session_tsv = top[2] / f"sub-{path.subject}_sessions.tsv"
    return {p for p in folder.glob("*") if p.is_file()} | {p for p in top[:2] + [session_tsv] if p.is_file()}
