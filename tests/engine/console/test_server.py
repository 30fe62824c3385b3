"""The console's app against a real SessionCore and event log (conftest.py): the token
guards every route, malformed or impossible commands are refused with a reason and change
nothing, and accepted ones reach the session through its queue and are logged as the
console's."""

from __future__ import annotations

import json
import re

import pytest

from adaptation.types import Therapist
from engine.session.core import Phase
from tests.engine.console.conftest import TOKEN

H = {"X-Vrex-Token": TOKEN}


def post(client, body, headers=H, **kw):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/api/command", content=data, headers={"Content-Type": "application/json", **headers}, **kw)


def in_exposure(loop):
    loop.until(lambda: loop.core.phase is Phase.EXPOSURE, what="exposure")


def test_the_page_needs_the_token(client):
    for url in ("/", "/?token=", "/?token=wrong", f"/?token={TOKEN}x", f"/?Token={TOKEN}"):
        r = client.get(url)
        assert r.status_code == 401, url
        assert "token" in r.text and "STOP" not in r.text
    r = client.get(f"/?token={TOKEN}")
    assert r.status_code == 200 and "STOP" in r.text
    assert "<!--JS-->" not in r.text and "<!--CSS-->" not in r.text  # script and style are inlined
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert TOKEN not in r.text  # the page reads it from its URL


def test_the_page_loads_nothing_from_elsewhere(client):
    html = client.get(f"/?token={TOKEN}").text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "an external asset"
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html) and "@import" not in html


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/static/console.js"])
def test_nothing_else_is_served(client, path):
    assert client.get(path, params={"token": TOKEN}).status_code == 404


def test_state_needs_the_token(client, loop):
    loop.until(lambda: loop.state.latest is not None, what="a snapshot")
    assert client.get("/api/state").status_code == 401
    assert client.get("/api/state", headers={"X-Vrex-Token": "nope"}).status_code == 401
    r = client.get("/api/state", headers=H)
    assert r.status_code == 200 and r.json()["state"]["phase"] in ("baseline", "exposure")


@pytest.mark.parametrize(
    "headers,params", [({}, {}), ({"X-Vrex-Token": "wrong"}, {}), ({"X-Vrex-Token": ""}, {}), ({}, {"token": TOKEN})]
)  # a query token is not enough for a command
def test_a_command_without_the_token_is_refused_and_changes_nothing(client, loop, headers, params):
    in_exposure(loop)
    before = loop.call(lambda: (loop.core.target, loop.core.therapist, loop.log.count))
    r = post(client, {"command": "stop"}, headers=headers, params=params)
    assert r.status_code == 401 and "token" in r.json()["error"]
    r = post(client, "not json at all", headers=headers, params=params)  # refused before it is even parsed
    assert r.status_code == 401
    loop.call(lambda: None)  # a frame has passed since
    assert loop.runner.commands.empty()
    assert not loop.events("command")
    target, therapist, _ = loop.call(lambda: (loop.core.target, loop.core.therapist, loop.log.count))
    assert therapist is Therapist.CLEAR and before[1] is Therapist.CLEAR and target >= before[0]


@pytest.mark.parametrize(
    "body,status,says",
    [
        ("{not json", 400, "not JSON"),
        ("[1, 2]", 422, "JSON object"),
        ({"command": "launch"}, 422, "unknown command 'launch'"),
        ({"command": "patient_stop"}, 422, "patient_stop is sent by the patient only, not by the console"),
        ({"command": "stop", "args": {"now": True}}, 422, "unknown argument(s) 'now'"),
        ({"command": "stop", "extra": 1}, 422, "unknown field(s) 'extra'"),
        ({"command": "set_level"}, 422, "missing argument(s) 'level'"),
        (
            {"command": "set_level", "args": {"level": 0}},
            422,
            "level 0 does not exist: give a whole number from 1 to 11",
        ),
        ({"command": "set_level", "args": {"level": 12}}, 422, "level 12 does not exist"),
        ({"command": "set_level", "args": {"level": "3"}}, 422, "level '3' does not exist"),
        ({"command": "set_level", "args": {"level": 2.5}}, 422, "does not exist"),
        ({"command": "set_level", "args": {"level": True}}, 422, "does not exist"),
        ({"command": "set_level", "args": [3]}, 422, "must be a JSON object"),
        ({"command": "mode", "args": {"mode": "turbo"}}, 422, "mode 'turbo' is not one of manual, suggest, auto"),
        ({"command": "suds", "args": {"value": 101}}, 422, "SUDS 101 is not a number from 0 to 100"),
        ({"command": "suds", "args": {"value": "high"}}, 422, "not a number"),
        ({"command": "note", "args": {"text": "   "}}, 422, "a note is text of 1 to 2000 characters"),
        ({"command": "note", "args": {"text": "x" * 2001}}, 422, "1 to 2000"),
        ({"command": "ack", "args": {"index": -1}}, 422, "alert -1 does not exist"),
        ("x" * 20000, 413, "too large"),
    ],
)
def test_malformed_or_impossible_commands_are_refused_with_a_reason(client, loop, body, status, says):
    in_exposure(loop)
    r = post(client, body)
    assert r.status_code == status
    assert says in r.json()["error"] and r.json()["accepted"] is False
    loop.call(lambda: None)
    assert loop.runner.commands.empty() and not loop.events("command")
    assert loop.call(lambda: loop.core.therapist) is Therapist.CLEAR


def test_hold_reaches_the_session_and_is_logged_as_the_consoles(client, loop):
    in_exposure(loop)
    r = post(client, {"command": "hold"})
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] is True and "may not raise" in r.json()["reason"]
    assert loop.call(lambda: loop.core.therapist) is Therapist.HOLD
    (c,) = loop.events("command")
    assert c["source"] == "console" and c["command"] == "hold" and c["accepted"] is True and isinstance(c["t"], float)
    assert TOKEN not in loop.path.read_text()  # the token never goes into the log


def test_a_command_the_session_refuses_comes_back_with_its_reason(client, loop):
    in_exposure(loop)
    r = post(client, {"command": "resume"})
    assert r.status_code == 200 and r.json() == {**r.json(), "accepted": False}
    assert "nothing to resume" in r.json()["reason"]
    (c,) = loop.events("command")
    assert c["accepted"] is False and c["source"] == "console"


def test_set_level_stop_and_a_note(client, loop):
    in_exposure(loop)
    first = post(client, {"command": "set_level", "args": {"level": 5}})  # a jump of 2+ levels up: asked twice
    assert first.status_code == 409 and first.json()["confirm"] is True
    assert post(client, {"command": "set_level", "args": {"level": 5}}).json()["accepted"] is True
    assert loop.call(lambda: loop.core.target) == pytest.approx(0.4)
    assert post(client, {"command": "stop"}).json()["accepted"] is True
    assert loop.call(lambda: (loop.core.target, loop.core.therapist)) == (0.0, Therapist.STOP)
    assert post(client, {"command": "note", "args": {"text": "  patient looks pale  "}}).json()["accepted"] is True
    (note,) = loop.events("note")
    assert note["text"] == "patient looks pale" and note["source"] == "console"
    stop = [e for e in loop.events("intensity") if e["source"] == "console"]
    assert stop[-1]["target"] == 0.0 and "console stop" in stop[-1]["reason"]


def test_an_alert_stays_until_acknowledged(client, loop):
    loop.call(lambda: loop.core.alert("sensor", "ecg stale: newest sample 4.0 s old"))
    loop.until(lambda: loop.state.latest["alerts"], what="the alert in a snapshot")
    (a,) = client.get("/api/state", headers=H).json()["state"]["alerts"]
    assert a["acknowledged"] is False and a["kind"] == "sensor" and a["index"] == 0
    r = post(client, {"command": "ack", "args": {"index": 0}})
    assert r.json()["accepted"] is True
    loop.until(lambda: loop.state.latest["alerts"][0]["acknowledged"], what="the acknowledgement")
    assert post(client, {"command": "ack", "args": {"index": 0}}).json()["accepted"] is False
    assert post(client, {"command": "ack", "args": {"index": 3}}).json()["reason"].startswith("alert 3 does not exist")


def test_the_websocket_needs_the_token(client):
    from starlette.testclient import WebSocketDenialResponse

    for url in ("/ws", "/ws?token=wrong"):
        with pytest.raises(WebSocketDenialResponse) as denied:
            with client.websocket_connect(url):
                pass
        assert denied.value.status_code == 401


def test_the_websocket_streams_state_points_and_events(client, loop):
    in_exposure(loop)
    with client.websocket_connect(f"/ws?token={TOKEN}") as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and len(hello["info"]["levels"]) == 11
        assert any(e["kind"] == "phase" for e in hello["events"])
        first = ws.receive_json()
        assert first["type"] == "state" and first["state"]["phase"] == "exposure" and first["points"]
        assert "points" not in first["state"] and first["age_s"] >= 0
        post(client, {"command": "hold"})
        seen, last_n = [], first["points"][-1][0]
        for _ in range(40):
            m = ws.receive_json()
            assert all(p[0] > last_n for p in m["points"])  # each point is sent once
            last_n = m["points"][-1][0] if m["points"] else last_n
            seen += m["events"]
            if m["state"]["therapist"] == "hold" and any(e["kind"] == "command" for e in seen):
                break
        assert m["state"]["therapist"] == "hold"
        assert [e["command"] for e in seen if e["kind"] == "command"] == ["hold"]
        assert not [e for e in seen if e["kind"] == "tick"]  # the page's log leaves ticks out
