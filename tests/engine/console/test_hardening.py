"""Issue 16's findings against the console's app, each one a test: the Host and Origin
checks, the token leaving the URL for a cookie (and the page never passing it on), the second
request for a jump of 2+ levels asked by the server, bounded SSQ subscales, and control
characters in level names. The server and TLS findings are in ``test_hardening_tls.py``."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from adaptation.types import Therapist
from tests.engine.console.conftest import TOKEN
from tests.engine.console.test_server import H, in_exposure, post

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "localhost.evil.example", ""])
def test_a_request_naming_another_host_is_refused(client, loop, host):
    in_exposure(loop)
    for r in (
        client.get(f"/?token={TOKEN}", headers={"Host": host}),
        client.get("/api/state", headers={**H, "Host": host}),
        post(client, {"command": "hold"}, headers={**H, "Host": host}),
    ):
        assert r.status_code == 421 and "this machine's names" in r.text
    from starlette.testclient import WebSocketDenialResponse

    with pytest.raises(WebSocketDenialResponse) as denied:
        with client.websocket_connect(f"/ws?token={TOKEN}", headers={"Host": host}):
            pass
    assert denied.value.status_code == 421
    loop.call(lambda: None)
    assert not loop.events("command") and loop.call(lambda: loop.core.therapist) is Therapist.CLEAR


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "[::1]:8765", "localhost:8765", "10.1.2.3", socket.gethostname()])
def test_this_machines_names_and_addresses_are_served(client, host):
    assert client.get("/api/state", headers={**H, "Host": host}).status_code == 200


def test_a_websocket_or_command_from_another_origin_is_refused(client, loop):
    from starlette.testclient import WebSocketDenialResponse

    in_exposure(loop)
    with pytest.raises(WebSocketDenialResponse) as denied:
        with client.websocket_connect(f"/ws?token={TOKEN}", headers={"Origin": "http://evil.example"}):
            pass
    assert denied.value.status_code == 403
    r = post(client, {"command": "hold"}, headers={**H, "Origin": "http://evil.example"})
    assert r.status_code == 403 and "Origin" in r.json()["error"]
    assert not loop.events("command")
    with client.websocket_connect(f"/ws?token={TOKEN}", headers={"Origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "hello"  # its own page's Origin is fine


def test_the_token_leaves_the_url_for_an_httponly_strict_cookie(client, loop):
    in_exposure(loop)
    r = client.get(f"/?token={TOKEN}")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("vrex_token_") and TOKEN in cookie
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower() and "path=/" in cookie.lower()
    assert "history.replaceState" in r.text  # the page takes the token out of its address
    assert client.get("/").status_code == 200  # a reload: the cookie alone
    with client.websocket_connect("/ws") as ws:  # the page's WebSocket: no token in its URL
        assert ws.receive_json()["type"] == "hello"
    # a command carried by the cookie alone must come from this console's page (its Origin)
    assert post(client, {"command": "hold"}, headers={}).status_code == 403
    r = post(client, {"command": "hold"}, headers={"Origin": "http://testserver"})
    assert r.status_code == 200 and r.json()["accepted"] is True
    client.cookies.clear()
    assert client.get("/").status_code == 401


def test_a_stale_cookie_from_an_earlier_session_does_not_lock_the_new_url_out(client, loop):
    # the browser keeps the cookie of the last session on this port (a session cookie lives
    # until the browser closes); the new session's URL must still open the console
    in_exposure(loop)
    port = client.get(f"/?token={TOKEN}").headers["set-cookie"].split("=", 1)[0]
    client.cookies.clear()
    client.cookies.set(port, "token-of-an-earlier-session")
    r = client.get(f"/?token={TOKEN}")
    assert r.status_code == 200 and TOKEN in r.headers["set-cookie"]
    client.cookies.clear()
    client.cookies.set(port, "token-of-an-earlier-session")
    assert client.get("/").status_code == 401  # the stale cookie alone still opens nothing


def test_an_old_url_with_a_valid_cookie_still_opens_the_page(client, loop):
    # a previous session's URL (from the browser's memory) while this session's cookie is set
    in_exposure(loop)
    assert client.get(f"/?token={TOKEN}").status_code == 200  # the cookie is set
    assert client.get("/?token=token-of-an-earlier-session").status_code == 200
    client.cookies.clear()
    assert client.get("/?token=token-of-an-earlier-session").status_code == 401


def test_a_jump_of_two_levels_or_more_needs_a_second_request_on_the_server(client, loop):
    in_exposure(loop)
    r = post(client, {"command": "set_level", "args": {"level": 11}})
    assert r.status_code == 409 and r.json()["confirm"] is True and r.json()["accepted"] is False
    assert "again" in r.json()["error"]
    loop.call(lambda: None)
    assert not loop.events("command") and loop.call(lambda: loop.core.target) < 0.5  # nothing reached the session
    r = post(client, {"command": "set_level", "args": {"level": 11}})
    assert r.status_code == 200 and r.json()["accepted"] is True
    (c,) = loop.events("command")
    assert c["command"] == "set_level" and c["args"] == {"level": 11} and c["accepted"] is True
    assert post(client, {"command": "set_level", "args": {"level": 10}}).json()["accepted"] is True  # down: at once


def test_one_level_up_is_not_asked_twice(client, loop):
    in_exposure(loop)
    loop.until(lambda: loop.state.latest and loop.state.latest["phase"] == "exposure", what="a snapshot")
    level = loop.state.latest["target_level"] + 1
    assert post(client, {"command": "set_level", "args": {"level": level + 1}}).json()["accepted"] is True


@pytest.mark.parametrize("value", ["1e400", "-1e400", "NaN", "Infinity", "1e6", "-1"])
@pytest.mark.parametrize("part", ["nausea", "oculomotor", "disorientation"])
def test_ssq_subscales_are_finite_and_bounded(client, loop, part, value):
    in_exposure(loop)
    body = f'{{"command": "ssq", "args": {{"total": 10, "{part}": {value}}}}}'
    r = post(client, body)
    assert r.status_code == 422 and f"SSQ {part}" in r.json()["error"]
    loop.call(lambda: None)
    assert not loop.events("command") and not loop.events("ssq")


def test_a_level_name_with_control_characters_is_refused_at_validation(tmp_path):
    from engine.scenario import load_scenario
    from engine.scenario.errors import ScenarioError

    text = (ROOT / "scenarios/heights.yaml").read_text()
    path = tmp_path / "heights.yaml"
    path.write_text(text.replace("{name: first floor,", '{name: "first\\e[2J\\e[H floor",', 1))
    with pytest.raises(ScenarioError, match=r"heights.yaml:\d+:\d+: .*control character U\+001B"):
        load_scenario(path)


def test_control_characters_never_reach_the_terminal_or_the_console(loop):
    from engine.session.terminal import StatusDisplay, lines

    names = list(loop.core.plan.names)
    evil = "a\x1b[2J\x1b[Hb\nc\x9bd"
    object.__setattr__(loop.core.plan, "names", (evil, *names[1:]))
    try:
        snap = loop.call(lambda: loop.core.snapshot())
        shown = "".join(lines(snap, None, 0.0)) if snap.level == 0 else ""
        assert shown and "\x1b" not in shown and "\x9b" not in shown and "\n" not in shown
        loop.until(lambda: loop.state.latest and loop.state.latest["level_name"] != names[0], what="a snapshot")
        assert loop.state.latest["level_name"] == "a [2J [Hb c d"

        class Out:
            written: list[str] = []

            def write(self, text: str) -> None:
                self.written.append(text)

            def flush(self) -> None:
                pass

        display = StatusDisplay(Out(), every_s=0.0)
        display.say(f"alert at level '{evil}'")
        display.flush(5)
        assert "\x1b" not in "".join(Out.written) and "a [2J [Hb" in "".join(Out.written)
    finally:
        object.__setattr__(loop.core.plan, "names", tuple(names))


def test_page_passes_no_token_to_its_websocket_or_commands():
    js = (ROOT / "engine/console/static/console.js").read_text()
    assert "/ws?token" not in js and "X-Vrex-Token" not in js
    assert json.dumps("history.replaceState")[1:-1] in js
