"""The snapshot the frame thread hands to the server: strict JSON, what the page needs, never
changed once published, cheap between snapshots, and never able to break the session."""

from __future__ import annotations

import json
import logging
import math
from types import SimpleNamespace

import pytest

from adaptation.types import Decision
from engine.console.state import ConsoleState
from engine.session.core import Mode, Phase
from sensors.types import Features, Quality
from tests.engine.console.conftest import Loop


def step(lp: Loop, frames: int) -> None:
    for _ in range(frames):
        lp.frame()


def test_a_snapshot_is_strict_json_with_what_the_page_shows(tmp_path):
    lp = Loop(tmp_path, seconds_per_frame=0.5, baseline_s=35.0)  # 35 HR values: a baseline
    lp.state.period = 0.0  # a snapshot every frame
    step(lp, 80)
    s = lp.state.latest
    json.dumps(s, allow_nan=False)  # no NaN anywhere: JSON.parse would refuse it
    assert s["phase"] == "exposure" and s["mode"] == "auto" and s["therapist"] == "none"
    assert s["t"] == pytest.approx(40.0) and s["phase_length"] == 3600.0 and 0 < s["progress"] < 0.02
    assert s["level_name"] == f"L{s['level'] + 1}"
    assert s["vitals"]["hr"] == 70.0 and s["vitals"]["resp"] is None  # NaN → None
    assert s["hr_baseline"] == pytest.approx(70.0)
    assert {x["signal"]: x["status"] for x in s["sensors"]} == {"ecg": "fresh", "eda": "fresh"}
    assert s["decision"]["reason"] == "always up" and s["decision"]["source"] == "up"
    assert s["pending"] is None and s["alerts"] == []
    ts = [p[1] for p in s["points"]]
    assert ts == sorted(ts) and all(b - a >= 0.5 for a, b in zip(ts, ts[1:]))
    lp.log.close()


def test_published_snapshots_are_never_changed(tmp_path):
    lp = Loop(tmp_path)
    lp.state.period = 0.0
    step(lp, 30)
    old = lp.state.latest
    frozen = json.dumps(old)
    step(lp, 30)
    assert lp.state.latest is not old and json.dumps(old) == frozen
    lp.log.close()


def test_between_snapshots_nothing_is_built(tmp_path):
    lp = Loop(tmp_path)
    lp.state.period = 3600.0
    step(lp, 3)
    first = lp.state.latest
    step(lp, 20)
    assert lp.state.latest is first and first["seq"] == 1
    lp.log.close()


def test_sensor_health_lost_waiting_stale_and_poor(tmp_path):
    lp = Loop(tmp_path)
    lp.runner.live.failed = {"resp": RuntimeError("no stream of type RESP found\nmore")}
    lp.state.period = 0.0
    lp.runner.features = None
    lp.state(lp.runner)
    assert {x["signal"]: x["status"] for x in lp.state.latest["sensors"]} == {"resp": "lost"}
    assert lp.state.latest["sensors"][0]["why"] == "no stream of type RESP found"
    step(lp, 2)
    assert {x["signal"]: x["status"] for x in lp.state.latest["sensors"]}["ecg"] in ("fresh", "waiting")

    def bad(t):
        return Features(
            time=t,
            hr_bpm=math.nan,
            quality={"ecg": Quality(0.1, "noisy"), "eda": Quality(1.0, "stale")},
            age_s={"ecg": 0.1, "eda": 9.0},
            relative={},
        )

    for k in range(12):  # past the health's 2 s settling time
        lp.t = 20.0 + k
        lp.runner.features = bad(lp.t)
        lp.core.tick(lp.t, lp.runner.features, 0.0)
        if k == 0:  # not settled yet: the chip still says fresh, "now" does not
            lp.state(lp.runner)
            ecg = {x["signal"]: x for x in lp.state.latest["sensors"]}["ecg"]
            assert (ecg["status"], ecg["now"]) == ("fresh", "poor") and "noisy" in ecg["now_why"]
    lp.state(lp.runner)
    by = {x["signal"]: x for x in lp.state.latest["sensors"]}
    assert by["ecg"]["status"] == "poor" and by["ecg"]["quality"] == 0.1 and by["ecg"]["quality_reason"] == "noisy"
    assert by["eda"]["status"] == "stale" and "9.0 s old" in by["eda"]["why"]
    kinds = [a["kind"] for a in lp.state.latest["alerts"]]
    assert kinds == ["sensor", "sensor"] and all(not a["acknowledged"] for a in lp.state.latest["alerts"])
    lp.log.close()


def test_a_proposal_in_suggest_mode_is_shown_with_its_reason(tmp_path):
    lp = Loop(
        tmp_path, mode=Mode.SUGGEST, seconds_per_frame=1.0, baseline_s=35.0
    )  # with a baseline the shield lets it raise
    lp.state.period = 0.0
    step(lp, 40)
    assert lp.core.phase is Phase.EXPOSURE
    p = lp.state.latest["pending"]
    assert p is not None and p["level"] == 1 and p["reason"] == "always up" and p["valid_s"] == 30.0
    lp.log.close()


def test_open_alerts_come_first_and_old_acknowledged_ones_are_trimmed(tmp_path):
    lp = Loop(tmp_path)
    for k in range(30):
        lp.core.alert("sensor", f"alert {k}")
    for k in range(25):
        lp.core.alerts[k]["acknowledged"] = True
    lp.state.period = 0.0
    lp.state(lp.runner)
    got = lp.state.latest["alerts"]
    assert [a["index"] for a in got[:5]] == [25, 26, 27, 28, 29] and len(got) == 5 + 20
    lp.log.close()


def test_a_failure_in_the_console_never_reaches_the_session(caplog):
    state = ConsoleState()
    broken = SimpleNamespace(features=object(), core=None, driver=None, live=None)
    state(broken)
    state(broken)  # said once, not every frame
    assert state.latest is None
    said = [r for r in caplog.records if "the console could not read the session" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING and said[0].name == "engine.console.state"


def test_the_series_keep_their_window(tmp_path):
    lp = Loop(tmp_path, seconds_per_frame=5.0)
    lp.state.window_s = 60.0
    step(lp, 60)
    ts = [p[1] for p in lp.state.points]
    assert ts[-1] - ts[0] <= 60.0 and ts[-1] >= 250
    lp.log.close()


def test_a_decision_with_interventions(tmp_path):
    from engine.console.state import decision

    d = decision(
        Decision(0.2, "HR 45 % above baseline: step down", "shield", ("HR ceiling: step down",)),
        tuple(i / 10 for i in range(11)),
    )
    assert d == {
        "target": 0.2,
        "level": 2,
        "reason": "HR 45 % above baseline: step down",
        "source": "shield",
        "interventions": ["HR ceiling: step down"],
    }


def test_the_console_passes_an_ssq_with_subscales_and_refuses_unknown_ones():
    from engine.console.requests import Refused, check

    assert check({"command": "ssq", "args": {"total": 22.4, "nausea": 9.5}}, 11) == (
        "ssq",
        {"total": 22.4, "nausea": 9.5},
    )
    with pytest.raises(Refused, match="unknown argument"):
        check({"command": "ssq", "args": {"total": 22.4, "dizzy": 3}}, 11)
