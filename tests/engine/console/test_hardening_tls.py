"""Issue 16's findings against the console's server and its TLS, each one a test: the
server's messages about bad requests rate-limited away from the therapist's status line, a
self-signed pair and its fingerprint, when TLS is chosen, the CLI's TLS flags, an unfinished
handshake dropped like an idle socket, and a clinic's certificate with its chain. The app's
own checks (hosts, origins, the token cookie, jumps, SSQ, control characters) are in
``test_hardening.py``."""

from __future__ import annotations

import hashlib
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.console.service import ConsoleServer, bind
from engine.errors import VrexError
from tests.engine.console.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[3]


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
