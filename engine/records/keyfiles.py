"""Who sessions are sealed to, and the identity that opens them (age's X25519 keys).

The recipients live in the sessions root, ``ROOT/recipients.txt`` (one ``age1…`` public key a
line, ``#`` comments), not in a user's home: the setting goes with the data it protects, so
every session written into that root is sealed whoever runs vrex, and a root without the
file is not (tests, demos elsewhere). The recording machine needs only this public key.

The identity (the secret key) is an age identity file, as ``age-keygen`` writes it, made
by ``vrex keys init`` (default ``~/.config/vrex/identity.txt``). Readers are given it with
``--identity FILE`` or ``$VREX_IDENTITY``.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from pyrage import IdentityError, RecipientError, x25519

from engine.errors import VrexError
from engine.session.private import create_new, make_dir, open_append

log = logging.getLogger(__name__)

RECIPIENTS_FILE = "recipients.txt"  # never a patient folder: patient ids have no '.'
IDENTITY_ENV = "VREX_IDENTITY"


def default_identity_path() -> Path:
    """``$XDG_CONFIG_HOME/vrex/identity.txt`` (``~/.config/vrex/identity.txt``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "vrex" / "identity.txt"


def recipients_file(root: str | Path) -> Path:
    return Path(root) / RECIPIENTS_FILE


def load_recipients(root: str | Path) -> list[str]:
    """The public keys sessions under ``root`` are sealed to ([] without the file: not sealed).
    A line that is not an age X25519 recipient is a VrexError naming the file and line."""
    path = recipients_file(root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise VrexError(f"cannot read {path}: {exc}; it should hold age public keys (age1…), one a line") from exc
    keys = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            x25519.Recipient.from_str(line)
        except RecipientError:
            raise VrexError(
                f"{path}:{n}: {line[:24]!r} is not an age public key: write one recipient a line as "
                f"`vrex keys init` prints it (age1…), or '#' before a comment"
            ) from None
        keys.append(line)
    if not keys:
        raise VrexError(
            f"{path} names no recipient: add the public key `vrex keys init` printed (age1…), or delete the "
            f"file to keep sessions unsealed"
        )
    return keys


def add_recipient(root: str | Path, recipient: str) -> Path:
    """Append ``recipient`` to ``ROOT/recipients.txt`` (0600, never through a link)."""
    x25519.Recipient.from_str(recipient)  # a bad key is a bug here, not user input
    make_dir(root, exist_ok=True, parents=True, allow_link=True)
    path = recipients_file(root)
    if recipient in (load_recipients(root) if path.exists() else []):
        return path
    with open_append(path) as f:
        f.write(f"# added by vrex keys init, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n{recipient}\n".encode())
    return path


def write_identity(path: str | Path) -> str:
    """A new identity written to ``path`` (0600, a new file: never overwrites, never through a
    link); returns its public key (the recipient)."""
    path = Path(path)
    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    make_dir(path.parent, exist_ok=True, parents=True, allow_link=True)
    try:
        fd = create_new(path)
    except FileExistsError:
        raise VrexError(
            f"{path} already exists: vrex never overwrites an identity (the sessions sealed to it would be lost); "
            f"choose another file with --out"
        ) from None
    except OSError as exc:
        raise VrexError(f"cannot write {path}: {exc.strerror or exc}; choose another file with --out") from exc
    text = (
        f"# created: {datetime.now(UTC).isoformat(timespec='seconds')} by vrex keys init\n"
        f"# public key: {recipient}\n"
        f"# Opens every vrex session sealed to that key. Keep an offline copy: lost, the sessions are lost.\n"
        f"{identity}\n"
    )
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    return recipient


def identity_path(given: str | Path | None = None) -> Path | None:
    """``given``, else ``$VREX_IDENTITY``, else None. Never a default file: opening sealed
    records is asked for each time, so nothing decrypts them by accident (a report written
    into a session folder, a copy)."""
    if given:
        return Path(given)
    if os.environ.get(IDENTITY_ENV):
        return Path(os.environ[IDENTITY_ENV])
    return None


def load_identities(path: str | Path) -> list[x25519.Identity]:
    """The secret keys in an age identity file; VrexError naming the file (and line) if it
    cannot be read or holds none."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise VrexError(
            f"cannot read the identity file {path}: {reason}; give the file `vrex keys init` wrote"
        ) from exc
    if mode & 0o077:
        log.warning("%s can be read by other users: chmod 600 it (it opens every sealed session)", path)
    identities = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(x25519.Identity.from_str(line))
        except IdentityError:
            raise VrexError(
                f"{path}:{n}: not an age secret key (AGE-SECRET-KEY-1…): give the identity file `vrex keys init` "
                f"wrote, not the public key"
            ) from None
    if not identities:
        raise VrexError(f"{path} holds no secret key (AGE-SECRET-KEY-1…): give the file `vrex keys init` wrote")
    return identities
