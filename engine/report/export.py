"""``export_session``: a session folder in researchers' formats, through MNE.

- ``fif``: ``<session>_raw.fif`` (MNE's own format: NaN gaps, per-channel BAD annotations)
  and ``<session>_vrex.json`` (scenario and session metadata, how the signals were resampled).
- ``edf``: ``<session>.edf`` (EDF+ via edfio: gaps written as 0 and annotated ``BAD_gap``)
  and the same ``<session>_vrex.json``.
- ``bids``: a BIDS tree written by mne-bids (EDF data, ``participants.tsv``, ``sessions``,
  ``*_events.tsv``, ``*_channels.tsv`` with types and units, ``*_eeg.json`` carrying the
  scenario and session in a ``vrex`` key). Datatype ``eeg``: BIDS has no datatype for
  peripheral physiology alone that mne-bids writes, and ECG/GSR/RESP/MISC are valid channel
  types of an EEG recording; the sidecar says there are no EEG channels.

Signals and events: ``export_signals`` (one grid, SI units, events as annotations).
mne, mne-bids and edfio are the optional ``research`` extra; sessions never import them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import VrexError
from engine.report.export_edf import write_session_edf as write_edf
from engine.report.export_signals import Signals, annotations, event_span, read_signals, sample0_utc
from engine.report.load import SessionData, load_session

log = logging.getLogger(__name__)

FORMATS = ("bids", "fif", "edf")
NEEDS = "pip install 'vrex[research]' (mne, mne-bids and edfio)"


def export_session(session_dir: Path, fmt: str, out_dir: Path) -> list[Path]:
    """Write the session in ``session_dir`` as ``fmt`` (bids, fif or edf) under ``out_dir``;
    returns the files written. Raises ``VrexError`` with a one-line reason on bad input."""
    if fmt not in FORMATS:
        raise VrexError(f"--format {fmt!r}: write one of {', '.join(FORMATS)}")
    mne = _mne()
    session_dir, out_dir = Path(session_dir), Path(out_dir)
    data = load_session(session_dir, read_recording=False)
    xdf = session_dir / "recording.xdf"
    if not xdf.is_file():
        raise VrexError(f"{xdf}: missing — there are no signals to export (events.jsonl alone is the timeline)")
    try:
        signals = read_signals(xdf, event_span(data))
    except Exception as exc:  # pyxdf raises many kinds on damaged input; a unit vrex cannot read
        raise VrexError(f"{xdf}: cannot be exported ({type(exc).__name__}: {exc})") from exc
    if not signals.channels:
        raise VrexError(f"{xdf}: holds no physiological stream (ECG, PPG, EDA, RESP or RR) to export")
    meta = sidecar(data, signals)
    stem = _safe(data.meta.get("session_id") or session_dir.name)
    # Health data, written by mne, mne-bids and edfio as well as here: new folders 0700 and
    # files 0600 from their creation, as the session folder's own (docs/security.md).
    umask = os.umask(0o077)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        if fmt == "bids":
            from engine.report.export_bids import write_bids

            return write_bids(signals, data, meta, out_dir)
        # written in a new private folder and renamed into place: a link planted at the
        # final name (out_dir may be shared, e.g. /tmp) is replaced, never written through
        work = Path(tempfile.mkdtemp(prefix=".vrex-export-", dir=out_dir))
        try:
            side = work / f"{stem}_vrex.json"
            side.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            if fmt == "fif":
                path = work / f"{stem}_raw.fif"
                make_raw(mne, signals, data).save(path, overwrite=True, verbose="error")
            else:
                path = write_edf(work / f"{stem}.edf", signals, data)
            for made in (path, side):
                os.replace(made, out_dir / made.name)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        path, side = out_dir / path.name, out_dir / side.name
    except OSError as exc:
        raise VrexError(f"{exc.filename or out_dir}: cannot write the export there ({exc.strerror})") from exc
    finally:
        os.umask(umask)
    return [path, side]


def _mne() -> Any:
    try:
        import edfio  # noqa: F401 — mne.export's EDF writer
        import mne
        import mne_bids  # noqa: F401
    except ImportError as exc:
        raise VrexError(f"vrex export needs {exc.name}, which is not installed: {NEEDS}") from exc
    return mne


def make_raw(mne: Any, signals: Signals, data: SessionData) -> Any:
    """An MNE RawArray: channels with types and units, events and gaps as annotations."""
    from mne.io.constants import FIFF

    units = {"V": FIFF.FIFF_UNIT_V, "S": FIFF.FIFF_UNIT_S, "s": FIFF.FIFF_UNIT_SEC}
    chans = signals.channels
    info = mne.create_info([c.name for c in chans], signals.sfreq, [c.ch_type for c in chans])
    for ch, c in zip(info["chs"], chans):
        ch["unit"] = units.get(c.unit, FIFF.FIFF_UNIT_NONE)  # a.u. and bpm/ms-in-the-name: no SI unit
    info["description"] = f"vrex session {data.meta.get('session_id') or data.folder.name}; {signals.method}"
    raw = mne.io.RawArray(np.vstack([c.values for c in chans]), info, verbose="error")
    started = sample0_utc(data, signals)
    if started is not None:
        raw.set_meas_date(started)
    events = annotations(data, signals.start_lsl)
    end = raw.times[-1]
    kept = [(o, d, t) for o, d, t in events if 0.0 <= o <= end]  # the annotations MNE would drop, dropped here
    onsets = [o for o, _, _ in kept] + [o for o, _, _ in signals.gaps]
    raw.set_annotations(
        mne.Annotations(
            onsets,
            [d for _, d, _ in kept] + [d for _, d, _ in signals.gaps],
            [t for _, _, t in kept] + ["BAD_gap"] * len(signals.gaps),
            orig_time=raw.info["meas_date"],
            ch_names=[()] * len(kept) + [names for _, _, names in signals.gaps],
        )
    )
    return raw


def sidecar(data: SessionData, signals: Signals) -> dict[str, Any]:
    """Scenario, session and signal metadata a researcher needs beside the data."""
    m = data.meta
    scenario = m.get("scenario") if isinstance(m.get("scenario"), dict) else {"id": m.get("scenario")}
    return {
        "session_id": m.get("session_id") or data.folder.name,
        "patient": m.get("patient"),
        "started_utc": m.get("started_utc"),
        "ended_utc": m.get("ended_utc"),
        "end_reason": data.end_reason,
        "mode": m.get("mode"),
        "demo": bool(m.get("demo")),
        "speed": m.get("speed"),
        "scenario": {
            "id": scenario.get("id"),
            "title": scenario.get("title"),
            "version": scenario.get("version") or _scenario_version(scenario),
            "sha256": scenario.get("sha256"),
            "levels": scenario.get("levels"),
        },
        "controller": m.get("controller"),
        "ceilings": m.get("ceilings"),
        "software": m.get("software"),
        "recording_start_lsl": signals.start_lsl,
        "sampling_frequency_hz": signals.sfreq,
        "resampling": signals.method,
        "channels": {
            c.name: {"type": c.ch_type, "unit": c.unit, "unit_declared_by_stream": c.declared, "stream": c.stream}
            for c in signals.channels
        },
        "annotations": "onset in seconds from recording_start_lsl (the LSL clock of recording.xdf); "
        "kind/detail, e.g. intensity/level 3 third floor, suds/40, command/stop by therapist; "
        "BAD_gap: no data on the channels it names",
    }


def _scenario_version(scenario: dict) -> str | None:
    """The scenario file's ``scenario.version``, when the file is still the one recorded (same sha256)."""
    import hashlib

    from vrexbase.yamlsafe import YMap, YScalar, parse_yaml  # vrex's one YAML reader

    try:
        raw = Path(str(scenario.get("file") or "")).read_bytes()
    except OSError:
        return None
    if hashlib.sha256(raw).hexdigest() != scenario.get("sha256"):
        return None  # edited since: its version may not be the one the session ran
    tree = parse_yaml(raw.decode("utf-8-sig", errors="replace"), lambda *_, **__: None)
    head = tree.entries.get("scenario", (None, None))[1] if isinstance(tree, YMap) else None
    version = head.entries.get("version", (None, None))[1] if isinstance(head, YMap) else None
    if not isinstance(version, YScalar) or version.value is None:
        return None
    return version.text or str(version.value)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(text)) or "session"
