"""TLS for a console that listens beyond this machine: the clinic's own certificate
(``--console-cert``/``--console-key``), or a self-signed pair made for this session, whose
SHA-256 fingerprint vrex prints so the therapist can check it against what the browser
shows before trusting the page (the browser warns about any self-signed certificate).

Without TLS, anyone on the network path reads the token in the first request and then owns
the console; on loopback nothing leaves the machine, so plain HTTP stays the default there.
The self-signed pair is made with ``cryptography`` (the same library pip, requests and most
TLS tooling in Python rely on): writing X.509 by hand is not something to get subtly wrong.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import re
import socket
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine.errors import VrexError


@dataclass(frozen=True)
class Tls:
    context: ssl.SSLContext
    fingerprint: str  # SHA-256 of the certificate, AA:BB:…
    generated: bool


def fingerprint(der: bytes) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def load(cert: Path, key: Path) -> Tls:
    """The clinic's certificate and key (PEM files)."""
    for flag, path in (("--console-cert", cert), ("--console-key", key)):
        if not Path(path).is_file():
            raise VrexError(f"{flag} {path}: no such file; give a PEM file (or leave both out for a self-signed pair)")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(cert), str(key))
    except (ssl.SSLError, OSError) as exc:
        raise VrexError(
            f"--console-cert {cert} / --console-key {key}: not a certificate and its key in PEM ({exc}); "
            "give the PEM certificate and the PEM private key that belongs to it"
        ) from None
    # the first certificate of the file is the one served (OpenSSL skips text before it, e.g.
    # "Bag Attributes", and the chain after it): its fingerprint, not the whole file's
    text = Path(cert).read_text(encoding="ascii", errors="replace")
    first = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, re.S)
    if first is None:
        raise VrexError(f"--console-cert {cert}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it")
    return Tls(context, fingerprint(ssl.PEM_cert_to_DER_cert(first.group(0))), generated=False)


def self_signed(host: str, days: int = 2) -> Tls:
    """A new key and certificate for this session only (never written anywhere that outlives it)."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        raise VrexError(
            "the console listens beyond this machine and needs TLS, but the 'cryptography' package is not "
            "installed to make a certificate: give --console-cert/--console-key, install cryptography, "
            "or pass --console-insecure on a network you trust"
        ) from None
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.DNSName(socket.gethostname())]
    for name in {host, socket.getfqdn()}:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            names.append(x509.DNSName(name))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"vrex console on {socket.gethostname()}")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(list(dict.fromkeys(names))), critical=False)
        .sign(key, hashes.SHA256())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # load_cert_chain reads files only: a private folder, removed at once
    with tempfile.TemporaryDirectory(prefix="vrex-tls-") as tmp:
        cert_path, key_path = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        with open(os.open(cert_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
            f.write(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
        context.load_cert_chain(cert_path, key_path)
    return Tls(context, fingerprint(cert.public_bytes(serialization.Encoding.DER)), generated=True)


def choose(host_is_loopback: bool, host: str, cert: Path | None, key: Path | None, insecure: bool) -> Tls | None:
    """TLS for this console, or None for plain HTTP (loopback, or ``--console-insecure``)."""
    if (cert is None) != (key is None):
        raise VrexError("--console-cert and --console-key go together: give both PEM files, or neither")
    if cert is not None and key is not None:
        return load(cert, key)
    if host_is_loopback or insecure:
        return None
    return self_signed(host)
