"""XDF headers as real recordings write them replay without a crash (issue 12).

pyxdf reads an empty element (``<unit></unit>``, which vrex writes for a channel without a
unit) as ``[None]``, an element with children as ``[dict]`` and an absent one as nothing;
``vrex replay`` used to pass the None on to pylsl and die with a TypeError. Every file here
is a real XDF file read by pyxdf, and every replayed stream goes out through a real LSL
outlet and is read back by a real inlet.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sensors import lsl
from sensors.errors import RecordingError
from sensors.publish import RecordingPublisher
from sensors.recordings import load_recording
from tests.sensors.xdf_writer import _chunk, _varlen

pytest.importorskip("pyxdf")

ROOT = Path(__file__).resolve().parents[2]
TIMES = 50.0 + np.arange(20) / 10


def write_raw_xdf(path: Path, streams: list[tuple[str, np.ndarray, list, str]]) -> Path:
    """streams: (the <info> header's inner XML, times, rows, 'float32' or 'string')."""
    out = bytearray(b"XDF:")
    out += _chunk(1, b'<?xml version="1.0"?><info><version>1.0</version></info>')
    for sid, (header, times, rows, fmt) in enumerate(streams, start=1):
        out += _chunk(2, struct.pack("<I", sid) + f'<?xml version="1.0"?><info>{header}</info>'.encode())
        if not len(times):
            continue
        samples = bytearray(_varlen(len(times)))
        for t, row in zip(times, rows):
            samples += struct.pack("<Bd", 8, float(t))
            if fmt == "string":
                for text in row:
                    data = text.encode()
                    samples += _varlen(len(data)) + data
            else:
                samples += np.asarray(row, np.float32).tobytes()
        out += _chunk(3, struct.pack("<I", sid) + bytes(samples))
    path.write_bytes(bytes(out))
    return path


def header(name: str, kind: str, count: int, rate: str, source: str, desc: str = "", fmt: str = "float32") -> str:
    return (
        f"<name>{name}</name><type>{kind}</type><channel_count>{count}</channel_count>"
        f"<nominal_srate>{rate}</nominal_srate><channel_format>{fmt}</channel_format>"
        f"<source_id>{source}</source_id>{desc}"
    )


def test_channels_without_label_or_unit_replay_and_arrive_with_their_metadata(tmp_path, uid, closing):
    src = uid("xdf-shapes")
    channels = (
        "<desc><channels>"
        "<channel><label>lead II</label><unit></unit></channel>"  # pyxdf: unit [None]
        "<channel><label></label><unit>mV</unit></channel>"  # label [None]
        "<channel><unit><scale>1</scale></unit></channel>"  # no label; unit [dict]
        "</channels></desc>"
    )
    path = write_raw_xdf(
        tmp_path / "shapes.xdf",
        [
            (header("ecg3", "ECG", 3, "10", f"{src}-ecg", channels), TIMES, np.arange(60).reshape(20, 3), "float32"),
            (
                header("marks", "Markers", 1, "0", f"{src}-markers", fmt="string"),
                TIMES[:3],
                [["a"], ["b"], ["c"]],
                "string",
            ),
            (header("nothing", "EDA", 1, "4", f"{src}-eda"), [], [], "float32"),
        ],
    )
    rec = load_recording(path)
    streams = {s.spec.name: s for s in rec.streams}
    assert set(streams) == {"ecg3", "marks"}  # the empty one is left out
    ecg = streams["ecg3"]
    assert ecg.spec.labels == ("lead II", "ch2", "ch3") and ecg.spec.units == ("", "mV", "")
    assert ecg.values.shape == (20, 3) and ecg.values[-1, -1] == 59.0
    marks = streams["marks"]
    assert marks.spec.labels == ("ch1",) and marks.values.dtype == object
    assert marks.values[:, 0].tolist() == ["a", "b", "c"]

    closing(RecordingPublisher(rec, speed=100.0))  # crashed here: TypeError from pylsl
    inlet = closing(lsl.find_stream(source_id=f"{src}-ecg", timeout=10).open())
    assert inlet.spec.labels == ("lead II", "ch2", "ch3") and inlet.spec.units == ("", "mV", "")
    marker_inlet = closing(lsl.find_stream(source_id=f"{src}-markers", timeout=10).open())
    assert marker_inlet.spec.channel_format == "string"


def test_vrex_replay_plays_such_a_file_to_the_end(tmp_path, uid):
    """The command a user runs, as a separate process."""
    src = uid("xdf-cli")
    desc = "<desc><channels><channel><label></label><unit></unit></channel></channels></desc>"
    path = write_raw_xdf(
        tmp_path / "cli.xdf",
        [(header("resp", "RESP", 1, "10", f"{src}-resp", desc), TIMES, np.ones((20, 1)), "float32")],
    )
    result = subprocess.run(
        [sys.executable, "-m", "engine.cli", "replay", str(path), "--speed", "50"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "'resp' (RESP, 10 Hz, 1 ch" in result.stdout and "20 samples" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "bad_header, message",
    [
        (header("weird", "EDA", 1, "fast", "s"), "stream 'weird': nominal_srate 'fast' is not a rate"),
        (header("", "EDA", 1, "4", "s"), "stream 2 (stream_id 2) has no name"),
        (header("neg", "ECG", 1, "-5", "s"), "stream 'neg': nominal_srate '-5' is not a rate"),
    ],
)
def test_a_header_that_cannot_be_replayed_is_named_with_the_reason(tmp_path, bad_header, message):
    path = write_raw_xdf(
        tmp_path / "bad.xdf",
        [
            (header("fine", "ECG", 1, "10", "ok"), TIMES, np.ones((20, 1)), "float32"),
            (bad_header, TIMES, np.ones((20, 1)), "float32"),
        ],
    )
    with pytest.raises(RecordingError) as info:
        load_recording(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_samples_stamped_out_of_order_are_replayed_in_time_order(tmp_path, caplog):
    """vrex's own frame stream was seen to do this; it must not make the whole recording unplayable."""
    stamps = np.array([1.0, 1.1, 1.5, 1.2, 1.3])
    path = write_raw_xdf(
        tmp_path / "order.xdf",
        [
            (header("frames", "VrexFrames", 1, "0", "order"), stamps, [[1], [2], [3], [4], [5]], "float32"),
            (header("resp", "RESP", 1, "10", "order-resp"), TIMES, np.ones((20, 1)), "float32"),
        ],
    )
    with caplog.at_level("WARNING", logger="sensors.recordings"):
        rec = load_recording(path)
    frames = next(s for s in rec.streams if s.spec.name == "frames")
    assert frames.times.tolist() == [1.0, 1.1, 1.2, 1.3, 1.5] and frames.values[:, 0].tolist() == [1, 2, 4, 5, 3]
    assert "stream 'frames' has 1 sample(s) stamped earlier" in caplog.text


def test_a_time_stamp_that_is_not_a_number_is_refused_by_stream(tmp_path):
    path = write_raw_xdf(
        tmp_path / "nan.xdf",
        [(header("resp", "RESP", 1, "10", "nan-resp"), np.array([1.0, np.nan, 1.2]), np.ones((3, 1)), "float32")],
    )
    with pytest.raises(RecordingError, match="stream 'resp' has time stamps that are not finite"):
        load_recording(path)
