"""Issue 16's findings against the console's app and server, each one a test: the Host and
Origin checks, the token leaving the URL for a cookie, the second request for a jump of 2+
levels asked by the server, bounded SSQ subscales, control characters in level names, the
server's messages rate-limited away from the therapist's status line, and TLS."""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adaptation.types import Therapist
from engine.console.service import ConsoleServer, bind
from engine.errors import VrexError
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


def test_bad_requests_are_told_once_in_a_while_never_on_stderr(app, capfd):
    said: list[str] = []
    server = ConsoleServer(app, bind("127.0.0.1", 0), TOKEN, say=said.append).start()
    try:
        for _ in range(50):
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
                s.sendall(b"NOT HTTP AT ALL\x00\r\n\r\n")
                s.recv(1000)
        time.sleep(0.2)
    finally:
        server.stop()
    assert 1 <= len(said) <= 2, said
    assert said[0].startswith("console server: Invalid HTTP request")
    out, err = capfd.readouterr()
    assert "Invalid HTTP" not in err and "Invalid HTTP" not in out


def test_tls_with_a_self_signed_pair_and_its_fingerprint(app):
    from engine.console.tls import choose

    tls = choose(False, "0.0.0.0", None, None, insecure=False)  # beyond loopback, no pair given: made
    assert tls is not None and tls.generated and len(tls.fingerprint.split(":")) == 32
    server = ConsoleServer(app, bind("127.0.0.1", 0), TOKEN, tls=tls).start()
    try:
        assert server.url.startswith("https://") and server.fingerprint == tls.fingerprint
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE  # the therapist checks the fingerprint
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            with ctx.wrap_socket(raw) as s:
                der = s.getpeercert(binary_form=True)
                s.sendall(f"GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Vrex-Token: {TOKEN}\r\n\r\n".encode())
                assert s.recv(100).startswith(b"HTTP/1.1 200")
        assert ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest()) == tls.fingerprint
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:  # plain HTTP: no answer
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert not s.recv(100).startswith(b"HTTP/1.1")
    finally:
        server.stop()


def test_tls_is_chosen_beyond_loopback_unless_insecure(tmp_path):
    from engine.console.tls import choose

    assert choose(True, "127.0.0.1", None, None, insecure=False) is None
    assert choose(False, "0.0.0.0", None, None, insecure=True) is None
    with pytest.raises(VrexError, match="--console-cert and --console-key go together"):
        choose(False, "0.0.0.0", tmp_path / "c.pem", None, insecure=False)
    (tmp_path / "c.pem").write_text("not a certificate")
    (tmp_path / "k.pem").write_text("not a key")
    with pytest.raises(VrexError, match="not a certificate and its key in PEM"):
        choose(False, "0.0.0.0", tmp_path / "c.pem", tmp_path / "k.pem", insecure=False)


def test_cli_console_tls_flags(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine.cli",
            "session",
            "--scenario",
            "heights",
            "--patient",
            "P1",
            "--console",
            "--console-cert",
            str(tmp_path / "c.pem"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode != 0 and "--console-cert and --console-key go together" in run.stderr
    assert "Traceback" not in run.stderr


def test_page_passes_no_token_to_its_websocket_or_commands():
    js = (ROOT / "engine/console/static/console.js").read_text()
    assert "/ws?token" not in js and "X-Vrex-Token" not in js
    assert json.dumps("history.replaceState")[1:-1] in js


def test_an_unfinished_tls_handshake_is_dropped_like_an_idle_socket(app):
    from engine.console.limits import Gate
    from engine.console.tls import self_signed
    from tests.engine.console.test_limits import closed_by_server

    server = ConsoleServer(app, bind("127.0.0.1", 0), TOKEN, tls=self_signed("127.0.0.1"), gate=Gate(head_s=1.0))
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as idle:
            end = time.monotonic() + 5
            while not server.gate.open and time.monotonic() < end:  # counted from its accept, before any TLS
                time.sleep(0.01)
            assert len(server.gate.open) == 1
            assert closed_by_server(idle, within_s=15) is not None, "an idle TLS socket was kept"
    finally:
        server.stop()


def test_a_clinic_certificate_with_a_chain_and_text_before_it_loads_with_the_leafs_fingerprint(tmp_path):
    # what `openssl pkcs12 -nodes` and many CAs hand out: "Bag Attributes" lines before the
    # PEM, the leaf followed by its chain; OpenSSL loads it, the fingerprint must be the leaf's
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from engine.console.tls import load

    def cert(name: str):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.UTC)
        made = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        return made, key

    leaf, key = cert("console.clinic.example")
    chain, _ = cert("clinic CA")
    pem = serialization.Encoding.PEM
    (tmp_path / "cert.pem").write_bytes(
        b"Bag Attributes\n    friendlyName: console\n" + leaf.public_bytes(pem) + chain.public_bytes(pem)
    )
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    tls = load(tmp_path / "cert.pem", tmp_path / "key.pem")
    der = leaf.public_bytes(serialization.Encoding.DER)
    assert tls.fingerprint == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
