"""Recordings load from NPZ, CSV and XDF; damaged or foreign files give a clear error."""

import numpy as np
import pytest

from sensors.errors import RecordingError
from sensors.recordings import load_recording
from tests.sensors.xdf_writer import write_xdf


def test_npz_in_the_shared_data_layout(tmp_path):
    path = tmp_path / "rec.npz"
    ecg = np.sin(np.arange(500) / 10).astype(np.float32)
    np.savez(path, ecg_ii_mV=ecg, ppg_nu=ecg * 2, fs=np.float32(250.0))
    rec = load_recording(path)
    by_type = {s.spec.type: s for s in rec.streams}
    assert set(by_type) == {"ECG", "PPG"}
    ecg_stream = by_type["ECG"]
    assert ecg_stream.spec.rate == 250.0 and ecg_stream.spec.units == ("mV",) and ecg_stream.spec.labels == ("ii",)
    assert ecg_stream.times[1] == pytest.approx(1 / 250) and np.allclose(ecg_stream.values[:, 0], ecg)
    assert rec.duration == pytest.approx(499 / 250)


def test_csv(tmp_path):
    path = tmp_path / "rec.csv"
    t = np.arange(100) / 32
    path.write_text("time,eda_uS,resp\n" + "\n".join(f"{a},{3 + a},{np.sin(a)}" for a in t))
    rec = load_recording(path)
    eda = next(s for s in rec.streams if s.spec.type == "EDA")
    assert eda.spec.rate == pytest.approx(32) and eda.spec.units == ("uS",)
    assert eda.values[-1, 0] == pytest.approx(3 + t[-1])


def test_xdf(tmp_path):
    path = tmp_path / "rec.xdf"
    times = 100.0 + np.arange(64) / 64
    write_xdf(
        path,
        [
            {
                "name": "Shimmer",
                "type": "EDA",
                "rate": 64,
                "times": times,
                "values": np.linspace(2, 3, 64)[:, None],
                "labels": ["gsr"],
                "units": ["microsiemens"],
            }
        ],
    )
    rec = load_recording(path)
    (stream,) = rec.streams
    assert stream.spec.name == "Shimmer" and stream.spec.units == ("microsiemens",)
    assert np.allclose(stream.times, times) and stream.values.shape == (64, 1)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("junk.xdf", b"this is not xdf at all" * 10, "not a readable XDF file"),
        ("junk.npz", b"PK\x03\x04 broken zip", "not a readable NPZ recording"),
        ("notes.txt", b"hello", "not a recording format"),
        ("bad.csv", b"ecg_mV,time\n1,2\n", "first column must be 'time'"),
        ("text.csv", b"time,ecg_mV\n0,1\n0.004,oops\n", "text.csv:3:"),
    ],
)
def test_foreign_files_are_refused_by_name(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RecordingError) as info:
        load_recording(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_truncated_npz_is_refused(tmp_path):
    path = tmp_path / "cut.npz"
    np.savez(path, ecg_mV=np.zeros(10_000), fs=250.0)
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(RecordingError, match="truncated"):
        load_recording(path)


def test_pickled_objects_are_never_loaded(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, ecg_mV=np.array([object()], dtype=object), fs=250.0)
    with pytest.raises(RecordingError):
        load_recording(path)


def test_unknown_signal_names_say_how_to_name_them(tmp_path):
    path = tmp_path / "rec.npz"
    np.savez(path, temperature_C=np.zeros(10), fs=4.0)
    with pytest.raises(RecordingError, match="cannot tell what signal 'temperature_C' is"):
        load_recording(path)


def test_truncated_xdf_loads_up_to_the_cut(tmp_path):
    path = tmp_path / "cut.xdf"
    times = np.arange(1000) / 250
    write_xdf(
        path,
        [
            {"name": "ECG", "type": "ECG", "rate": 250, "times": times, "values": np.ones((1000, 1))},
            {"name": "PPG", "type": "PPG", "rate": 250, "times": times, "values": np.ones((1000, 1))},
        ],
    )
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 5000])  # the second stream's samples are cut
    rec = load_recording(path)
    assert "ECG" in {s.spec.name for s in rec.streams}
