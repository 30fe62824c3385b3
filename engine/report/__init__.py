"""Session reports and a patient's history, from session folders (docs/session-format.md).

``write_report(folder)`` reads a folder (``load``), works out the numbers (``summary``),
draws the figures (``plots``; where the head pointed: ``headpose``) and writes one
self-contained page (``html``);
``history`` lists a patient's sessions and their progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.errors import VrexError
from engine.report.load import Problem, SessionData, load_session
from engine.report.summary import Summary, summarise
from engine.session.private import make_dir, write_file

__all__ = ["Report", "write_report", "load_session", "summarise", "SessionData", "Summary", "Problem"]


@dataclass(frozen=True)
class Report:
    html: Path
    plots: list[Path]
    problems: list[Problem]
    summary: Summary


def write_report(folder: str | Path, out: str | Path | None = None, identity: str | Path | None = None) -> Report:
    """Write ``report.html`` and ``plots/*.png`` for the session in ``folder`` into ``out``
    (default: the session folder itself). A sealed session is read with ``identity`` (else
    ``$VREX_IDENTITY``) from a private decrypted copy (``load_session``)."""
    # matplotlib is imported here, not at the top: every `vrex` command imports this package's CLI module.
    from engine.report.html import render_html
    from engine.report.plots import render_plots

    data = load_session(folder, identity=identity)
    summary = summarise(data)
    images = render_plots(data, summary)
    out = Path(out) if out is not None else data.folder
    try:
        # Health data: 0700 folders, 0600 files from their creation, each written as a new
        # file renamed into place, so a link planted at report.html, report.html.tmp or
        # plots/*.png is replaced, never written through (engine/session/private.py).
        make_dir(out, exist_ok=True, parents=True, allow_link=True)
        make_dir(out / "plots", exist_ok=True)
        plots = []
        for name, png in images.items():
            plots.append(write_file(out / "plots" / f"{name}.png", png, fsync=False))
        # Written whole and renamed, so a reader never finds half a report.
        page = write_file(out / "report.html", render_html(data, summary, images).encode("utf-8"))
    except OSError as exc:
        raise VrexError(
            f"{exc.filename or out}: cannot write the report there ({exc.strerror}) — choose another folder with --out"
        ) from exc
    return Report(page, plots, list(data.problems), summary)
