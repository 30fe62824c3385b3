"""Where vrex's own log records go on a terminal: WARNING and above to stderr as
``vrex: warning: LOGGER: MESSAGE`` (INFO too when verbose). Set once by the CLI (``engine.cli``)
and by the renderer process it starts (``engine.session.render_process``), so a warning reads
the same from either process; library modules only ever ``logging.getLogger(__name__)``.

Without it, records would reach the terminal only through logging's last-resort handler,
bare and without saying who spoke (and INFO never)."""

from __future__ import annotations

import logging
import os
import sys

VERBOSE_ENV = "VREX_VERBOSE"  # "1": the renderer process logs INFO too, as the session that started it


class _Stderr(logging.Handler):
    """Writes to whatever ``sys.stderr`` is when a record comes (as logging's last-resort
    handler does), so a test's or a caller's redirection of stderr is honoured."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 — logging must never take a session down
            self.handleError(record)


class _Format(logging.Formatter):
    """``vrex: warning: engine.session.launch: message``: the level in lower case, as the
    CLI's own errors are written (``vrex demo: ...``), and the logger that said it."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 — logging's name
        return f"vrex: {record.levelname.lower()}: {record.name}: {record.getMessage()}"


def configure_logging(verbose: bool = False) -> logging.Handler:
    """Library warnings (and errors) to stderr as ``vrex: warning: LOGGER: MESSAGE``; with
    ``verbose``, INFO too. Without this they would reach the terminal only through logging's
    last-resort handler, bare and without saying who spoke. Called again (``main`` in a test),
    it replaces its own handler instead of adding a second."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Stderr)]:
        root.removeHandler(old)
    handler = _Stderr(logging.INFO if verbose else logging.WARNING)
    handler.setFormatter(_Format())
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    return handler


def verbose_from_env() -> bool:
    """Whether the process that started this one logs INFO (``process_frames.ProcessFrames``
    sets ``VREX_VERBOSE`` from its own root logger's level)."""
    return os.environ.get(VERBOSE_ENV) == "1"
