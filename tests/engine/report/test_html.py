"""The report page: self-contained, with its plots inside, and honest about what is missing."""

from __future__ import annotations

import base64
import struct
from html.parser import HTMLParser

from engine.report import write_report


class _Refs(HTMLParser):
    """Every URL-bearing attribute, every <img> src, the text of <h2>s and of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls, self.images, self.headings, self.text = [], [], [], []
        self._h2 = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "action", "poster"):
                self.urls.append(value)
                if tag == "img" and name == "src":
                    self.images.append(value)
        self._h2 = tag == "h2"
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.urls.append(f"<{tag}>")

    def handle_data(self, data):
        self.text.append(data)
        if self._h2:
            self.headings.append(data)
            self._h2 = False


def parse(path):
    refs = _Refs()
    refs.feed(path.read_text(encoding="utf-8"))
    refs.page = " ".join(refs.text)
    return refs


def png_size(uri: str) -> tuple[int, int]:
    assert uri.startswith("data:image/png;base64,")
    png = base64.b64decode(uri.split(",", 1)[1], validate=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def test_the_page_is_self_contained_and_holds_its_plots(session):
    report = write_report(session)
    assert report.html == session / "report.html"
    assert sorted(p.name for p in report.plots) == ["levels.png", "timeline.png"]
    refs = parse(report.html)
    assert refs.urls and all(u.startswith("data:") for u in refs.urls), [u[:40] for u in refs.urls]
    assert "url(" not in report.html.read_text() and "@import" not in report.html.read_text()
    assert len(refs.images) == 2
    for uri, plot in zip(refs.images, report.plots):
        width, height = png_size(uri)
        assert width >= 800 and height >= 300
        assert base64.b64decode(uri.split(",", 1)[1]) == plot.read_bytes()  # the same figure as the PNG


def test_the_page_shows_the_summary_and_the_metadata(session):
    refs = parse(write_report(session).html)
    for heading in (
        "Summary",
        "Levels",
        "Notes",
        "Events of note",
        "Simulator sickness (SSQ)",
        "Recording",
        "Session details",
    ):
        assert heading in refs.headings
    page = refs.page
    assert "3 third floor (240 s without dropping below it)" in page  # highest held
    assert "1 (at 8:00 by therapist)" in page  # one stop
    assert "hr_ceiling × 1, rate_limit × 1" in page
    assert "ab" * 32 in page and "sha256:" + "cd" * 32 in page  # scenario and controller hashes
    assert "hr_bpm 150.0" in page  # ceilings
    assert "patient says the wind feels real" in page
    assert "step_up (refused — patient asked to wait)" in page


def test_missing_pieces_get_their_own_section_and_the_rest_is_still_there(session):
    (session / "session.json").unlink()
    with open(session / "events.jsonl", "a") as f:
        f.write('{"seq": 1000, "t": 6')
    refs = parse(write_report(session, session / "elsewhere").html)
    assert refs.headings[0] == "Missing or damaged"
    page = refs.page
    assert "session.json" in page and "recording.xdf" in page and "is cut short" in page
    assert "Levels" in refs.headings and len(refs.images) == 2


def test_text_from_the_session_is_escaped(session):
    with open(session / "events.jsonl", "a") as f:
        f.write('{"seq": 692, "t": 601, "source": "therapist", "kind": "note", "text": "<script>alert(1)</script>"}\n')
    html = write_report(session).html.read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_folder_with_no_events_still_gets_a_page(session):
    (session / "events.jsonl").unlink()
    report = write_report(session)
    refs = parse(report.html)
    assert report.plots == [] and refs.images == []
    assert "No plots" in refs.page and "without events there is no timeline" in refs.page
