"""The one command table: the session's handlers, the keys, the console and the docs agree with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.console.requests import check as console_check
from engine.session import command_spec
from engine.session.command_spec import SPECS, Refused, check, markdown
from engine.session.core import Mode
from engine.session.handlers import HANDLERS
from engine.session.keys import bindings

ROOT = Path(__file__).resolve().parents[3]


def test_every_command_has_a_handler_and_every_handler_a_spec():
    assert set(HANDLERS) == set(SPECS)


def test_modes_are_the_cores():
    assert command_spec.MODES == tuple(m.value for m in Mode)


def test_the_docs_table_is_the_spec():
    assert markdown() in (ROOT / "docs" / "commands.md").read_text(encoding="utf-8"), (
        "docs/commands.md is out of date: paste engine.session.command_spec.markdown() into it"
    )


def test_every_key_in_the_spec_is_bound_and_sends_its_command():
    sent = []
    keys = bindings(sent.append, 11, quit=lambda: None, prompt_open=lambda: True)
    for spec in SPECS.values():
        if spec.args:
            continue
        for key in spec.keys:
            sent.clear()
            keys[key]()
            assert [(c.name, c.origin) for c in sent] == [
                (spec.name, "patient" if spec.name == "patient_stop" else "therapist")
            ]
            assert spec.check(sent[0].args, sent[0].origin, 11) == {}  # what a key sends, the session takes
    sent.clear()
    keys["f3"]()
    assert sent[0].name == "set_level" and sent[0].args == {"level": 3}


@pytest.mark.parametrize(
    "name,args,origin,says",
    [
        ("patient_stop", {}, "console", "sent by the patient only"),
        ("end", {}, "patient", "not by the patient"),
        ("ssq", {"total": 20, "nausea": 1e400}, "console", "SSQ nausea"),
        ("ssq", {"total": 20, "oculomotor": float("nan")}, "console", "SSQ oculomotor"),
        ("ssq", {"total": 20, "disorientation": 10**400}, "therapist", "SSQ disorientation"),
        ("ssq", {"total": 20, "nausea": 201}, "therapist", "at most 200.34"),
        ("suds", {"value": float("inf")}, "patient", "0 to 100"),
        ("set_level", {"level": 12}, "therapist", "from 1 to 11"),
    ],
)
def test_refused_with_what_to_send(name, args, origin, says):
    with pytest.raises(Refused, match=says):
        check(name, args, origin, 11)


def test_the_console_and_the_session_refuse_alike():
    bad = {"command": "set_level", "args": {"level": 0}}
    with pytest.raises(Refused) as console:
        console_check(bad, 11)
    with pytest.raises(Refused) as session:
        check("set_level", {"level": 0}, "therapist", 11)
    assert str(console.value) == str(session.value)


def test_a_command_carries_a_fresh_request_id():
    from engine.session.runner import Command

    a, b = Command("stop"), Command("stop")
    assert a.request != b.request and len(a.request) >= 12
