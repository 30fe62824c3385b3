"""uvicorn in its thread on a real socket: start, serve HTTP and a WebSocket, stop; ports,
addresses and the warning for a non-local address; the CLI's flags; no Panda3D."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest

from engine.console.service import DEFAULT_PORT, ConsoleServer, bind, loopback, start_console
from engine.errors import VrexError
from tests.engine.console.conftest import LEVELS, TOKEN


def request(url: str, body: dict | None = None, token: str | None = None) -> tuple[int, str]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"X-Vrex-Token": token} if token else {},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture
def served(app):
    server = ConsoleServer(app, bind("127.0.0.1", 0), TOKEN).start()
    yield server
    server.stop()


def test_served_from_a_thread_and_stopped(served, loop):
    from engine.session.core import Phase

    loop.until(lambda: loop.core.phase is Phase.EXPOSURE, what="exposure")
    assert served.url == f"http://127.0.0.1:{served.port}/?token={TOKEN}" and served.warning is None
    assert request(served.url)[0] == 200
    assert request(served.url.split("?")[0])[0] == 401
    status, text = request(served.url.split("?")[0] + "api/command", {"command": "hold"}, TOKEN)
    assert status == 200 and json.loads(text)["accepted"] is True
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{served.port}/ws?token={TOKEN}", open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        assert json.loads(ws.recv(timeout=10))["state"]["therapist"] == "hold"
    with pytest.raises(Exception, match="401"):
        with connect(f"ws://127.0.0.1:{served.port}/ws?token=nope", open_timeout=10):
            pass
    served.stop()
    assert not served.thread.is_alive()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", served.port), timeout=2)


def test_two_concurrent_resumes_each_get_their_own_verdict(served, loop):
    """Each verdict goes back to the request that asked (by its request id): of two resumes
    sent at once after a hold, one resumes and the other is told there is nothing to resume."""
    import threading

    from engine.session.core import Phase

    loop.until(lambda: loop.core.phase is Phase.EXPOSURE, what="exposure")
    url = served.url.split("?")[0] + "api/command"
    assert json.loads(request(url, {"command": "hold"}, TOKEN)[1])["accepted"] is True
    loop.frozen.set()  # both land in the queue before the session looks
    answers: list[dict] = []
    barrier = threading.Barrier(2)

    def send() -> None:
        barrier.wait()
        answers.append(json.loads(request(url, {"command": "resume"}, TOKEN)[1]))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    loop.frozen.clear()
    assert sorted(a["accepted"] for a in answers) == [False, True]
    assert len({a["request"] for a in answers}) == 2
    logged = {e["request"]: e for e in loop.events("command") if e["command"] == "resume"}
    for a in answers:  # each answer is its own request's line in the log
        assert logged[a["request"]]["accepted"] is a["accepted"] and logged[a["request"]]["reason"] == a["reason"]


def test_a_taken_port_is_refused_with_what_to_do():
    taken = bind("127.0.0.1", 0)
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(VrexError, match=f"--console-port {port}: cannot listen.*choose another port, or 0"):
            bind("127.0.0.1", port)
    finally:
        taken.close()


def test_the_default_port_falls_back_to_a_free_one():
    first = bind("127.0.0.1", None)
    first.listen()
    try:
        second = bind("127.0.0.1", None)
        port = second.getsockname()[1]
        second.close()
        assert first.getsockname()[1] == DEFAULT_PORT or port != DEFAULT_PORT
        assert port != first.getsockname()[1]
    finally:
        first.close()


def test_an_unknown_host_is_refused():
    with pytest.raises(VrexError, match="--console-host no-such-host.invalid: not an address of this machine"):
        bind("no-such-host.invalid", 0)


def test_another_address_prints_the_lsl_warning(app):
    server = ConsoleServer(app, bind("0.0.0.0", 0), TOKEN)  # listening only; this test talks to 127.0.0.1
    try:
        assert server.warning is not None and "LSL itself is unencrypted" in server.warning
        assert server.url.startswith(f"http://{socket.gethostname()}:") and server.url.endswith(TOKEN)
    finally:
        server.sock.close()
    assert loopback("127.0.0.1") and loopback("localhost") and not loopback("0.0.0.0")


def test_start_console_registers_its_observer(loop, tmp_path):
    from adaptation.shield import ShieldConfig

    opts = SimpleNamespace(
        patient="T1", scenario=tmp_path / "heights.yaml", shield=ShieldConfig(), demo=True, speed=1.0, controller="up"
    )
    folder = SimpleNamespace(session_id="s1", events=loop.path, info={"scenario": {"title": "Heights"}})
    session = SimpleNamespace(opts=opts, core=loop.core, runner=loop.runner, folder=folder)
    server = start_console(session, "127.0.0.1", 0)
    try:
        assert len(loop.runner.observers) == 1
        status, text = request(server.url.replace("/?token=", "/api/state?token="))
        info = json.loads(text)["info"]
        assert status == 200 and info["scenario"] == "Heights" and len(info["levels"]) == len(LEVELS)
    finally:
        server.stop()


def test_the_console_never_imports_panda3d():
    code = (
        "import sys, engine.console.server, engine.console.service, engine.console.state; "
        "assert not [m for m in sys.modules if m.startswith(('panda3d', 'direct'))], 'panda3d imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_cli_flags(tmp_path):
    from engine.cli import build_parser
    from engine.commands.session import options_from

    p = build_parser()
    demo = options_from(p.parse_args(["demo", "--display", "offscreen", "--out", str(tmp_path)]), demo=True)
    assert demo.console is True and demo.console_host == "127.0.0.1" and demo.console_port is None
    off = options_from(p.parse_args(["demo", "--display", "offscreen", "--no-console"]), demo=True)
    assert off.console is False
    session = options_from(
        p.parse_args(["session", "--scenario", "heights", "--patient", "P1", "--display", "offscreen"]), demo=False
    )
    assert session.console is False
    on = options_from(
        p.parse_args(
            [
                "session",
                "--scenario",
                "heights",
                "--patient",
                "P1",
                "--display",
                "offscreen",
                "--console",
                "--console-host",
                "0.0.0.0",
                "--console-port",
                "9000",
            ]
        ),
        demo=False,
    )
    assert (on.console, on.console_host, on.console_port) == (True, "0.0.0.0", 9000)
    with pytest.raises(VrexError, match="--console-port 70000"):
        options_from(p.parse_args(["demo", "--display", "offscreen", "--console-port", "70000"]), demo=True)
