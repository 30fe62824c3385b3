"""``vrex verify`` on a log whose chain was stripped: session.json says the session wrote a
chain, so a log with no ``prev`` anywhere is not an old log (exit 0) but a replaced one."""

from __future__ import annotations

import json

from tests.engine.session.test_verify import lines, rewrite, session, verify  # noqa: F401 — session: a fixture


def test_a_log_with_every_prev_stripped_is_not_passed_as_an_old_one(session, capsys):  # noqa: F811
    raw = [json.loads(line) for line in lines(session)]
    for event in raw:
        del event["prev"]
    raw[3]["hr_bpm"] = 190  # the edit the stripping hides
    rewrite(session, [json.dumps(e, separators=(",", ":")).encode() for e in raw])
    code, out = verify(capsys, session)
    assert code == 1 and "no line carries the hash chain" in out and "10 lines" in out
