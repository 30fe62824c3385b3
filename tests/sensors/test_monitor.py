"""``vrex monitor`` shows values, the reason for each missing one, and signal health."""

import math

from engine.commands.monitor import render
from sensors.types import Features, Quality


class FakeLive:  # only what render() reads
    failed = {"EDA": RuntimeError("no EDA stream found within 3 s")}


def test_render_shows_values_reasons_and_quality():
    f = Features(
        time=0.0,
        hr_bpm=72.4,
        hr_source="ecg",
        rmssd_ms=41.0,
        resp_rate_bpm=math.nan,
        quality={"ecg": Quality(1.0), "resp": Quality(0.0, "flat line")},
        age_s={"ecg": 0.2},
        reasons={"resp_rate_bpm": "resp flat line"},
    )
    text = "\n".join(render(f, FakeLive()))
    assert "72.4 bpm   from ecg" in text
    assert "resp flat line" in text
    assert "!! resp  quality 0.00  flat line" in text
    assert "ok ecg   quality 1.00" in text and "0.2 s old" in text
    assert "EDA   not used: no EDA stream found" in text
