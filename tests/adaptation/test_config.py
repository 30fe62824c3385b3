"""adaptation.config: the safe YAML reader and its validation helpers."""

from __future__ import annotations

import math
import os

import pytest

from adaptation import config
from adaptation.config import ConfigError, Doc, describe, did_you_mean, label, load, parse
from adaptation.errors import AdaptationError


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(text, "t.yaml")
    return info.value.problems


# -- reading ------------------------------------------------------------------------------


def test_plain_values_resolve_as_safeloader_does():
    doc = parse(
        "a: 1\nb: 2.5\nc: yes\nd: ~\ne: 0x10\nf: 1_000\ng: text\nh: [1, two]\n"
        "i: {j: false}\nk: .inf\nl: 2020-01-01\nm: 1e-3\nn: '7'\n"
    )
    assert doc.data == {
        "a": 1,
        "b": 2.5,
        "c": True,
        "d": None,
        "e": 16,
        "f": 1000,
        "g": "text",
        "h": [1, "two"],
        "i": {"j": False},
        "k": math.inf,
        "l": "2020-01-01",
        "m": "1e-3",
        "n": "7",
    }
    assert type(doc.data["a"]) is int and type(doc.data["c"]) is bool


def test_keys_are_the_text_as_written():
    # SafeLoader would turn 'on' into True and '1' into 1; config keys are names
    assert parse("on: 1\n1: 2\nnull: 3\n").data == {"on": 1, "1": 2, "null": 3}


def test_where_gives_1_based_positions_of_values_and_keys():
    doc = parse("parameters:\n  hr_rest:\n    mean: 72\n    bounds: [50, 110]\n", "p.yaml")
    assert doc.where(("parameters", "hr_rest", "mean")) == (3, 11)
    assert doc.where(("parameters", "hr_rest", "mean"), key=True) == (3, 5)
    assert doc.where(("parameters", "hr_rest", "bounds", 1)) == (4, 18)
    assert doc.where(("parameters", "hr_rest"), key=True) == (2, 3)
    # a key that is not there: the nearest ancestor that is
    assert doc.where(("parameters", "hr_rest", "sd"), key=True) == (2, 3)


def test_alias_values_are_placed_where_the_alias_is_written():
    doc = parse("a: &x [1, 2]\nb: *x\n")
    assert doc.data == {"a": [1, 2], "b": [1, 2]}
    assert doc.data["a"] is not doc.data["b"]  # plain data: no shared lists
    assert doc.where(("b",)) == (2, 4)
    assert doc.where(("b", 1)) == (1, 11)  # inside: where the anchor wrote it


def test_utf8_bom_and_unicode_are_read(tmp_path):
    path = tmp_path / "u.yaml"
    path.write_bytes("\ufeffunit: µS\n".encode("utf-8"))
    assert load(path).data == {"unit": "µS"}


@pytest.mark.parametrize(
    "text, where, message",
    [
        ("a: 1\nb: 2\na: 3\n", "3:1", "duplicate key 'a' (first written at line 1)"),
        (
            "a: !!python/object/apply:os.system ['true']\n",
            "1:4",
            "YAML tag '!!python/object/apply:os.system' is not allowed",
        ),
        ("a: !!binary aGk=\n", "1:4", "YAML tag '!!binary' is not allowed"),
        ("a: !!set {x}\n", "1:4", "YAML tag '!!set' is not allowed"),
        ("a: !local 1\n", "1:4", "YAML tag '!local' is not allowed"),
        ("b: &m {x: 1}\na:\n  <<: *m\n", "3:3", "merge keys ('<<') are not supported"),
        # the wording of these five is vrexbase's one reader's since issue 17 (it was
        # adaptation's own: "only plain text may be a key", "alias refers to a value that
        # contains it", "YAML syntax error: found undefined alias", "file is empty" for a
        # comment, "nested far more than 64 deep" at 1:1)
        ("? [1, 2]\n: x\n", "1:3", "a list or mapping used as a key"),
        ("a: !!int abc\n", "1:4", "'abc' is not a valid int"),
        ("a: " + "9" * 5000 + "\n", "1:4", "a 5,000-character value is not a valid int"),
        ("a: &a [1, *a]\n", "1:11", "a[1]: alias '*a' refers to no finished anchor"),
        ("a: *nowhere\n", "1:4", "a: alias '*nowhere' refers to no finished anchor"),
        ("a: [1, 2\n", "2:1", "YAML syntax error"),
        ("a: 1\n---\nb: 2\n", "2:1", "a second YAML document ('---') in one file"),
        ("", "1:1", "file is empty"),
        ("# only a comment\n", "1:1", "file has only comments"),
        ("a: 1\nb: \x07\n", "2:4", "character U+0007 is not allowed in YAML"),
        ("a: " + "[" * 70 + "]" * 70 + "\n", "1:", "values nested more than 64 deep"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "1:68", "values nested more than 64 deep"),
    ],
)
def test_refused(text, where, message):
    found = problems(text)
    assert any(p.startswith(f"t.yaml:{where}") and message in p for p in found), found
    assert all(" — " in p for p in found), found  # every problem says what to do


def test_a_tag_is_never_executed(tmp_path):
    target = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(
        f"a: !!python/object/apply:os.system ['touch {target}']\nb: !!python/object/new:pathlib.Path ['{target}']\n"
    )
    with pytest.raises(ConfigError):
        load(path)
    assert not target.exists()


def test_alias_bomb_stops_at_the_node_budget():
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    found = problems("\n".join(lines) + "\n")
    assert len(found) == 1 and f"more than {config.MAX_NODES:,} values" in found[0]
    assert found[0].startswith("t.yaml:6:8:")  # the first '*e' of line 6


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"missing\.yaml:1:1: cannot read the file \(No such file"):
        load(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="it is a folder"):
        load(tmp_path)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * config.MAX_BYTES + b"\n")
    with pytest.raises(ConfigError, match="over the limit of 1,048,576 bytes"):
        load(big)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_a_fifo_is_refused_without_reading_it(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        load(fifo)  # would block forever if opened


def test_non_utf8_names_line_and_column_in_characters(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("a: 1\nunit: µ\xb5S\n".encode().replace(b"\xc2\xb5S", b"\xb5S"))
    with pytest.raises(ConfigError) as info:
        load(path)
    assert info.value.problems == [f"{path}:2:8: byte 0xb5 is not valid UTF-8 — save the file as UTF-8"]


# -- the error type and helpers -----------------------------------------------------------


def test_config_error_carries_every_problem_and_joins_them():
    err = ConfigError(["f.yaml:1:1: one", "f.yaml:2:1: two"])
    assert err.problems == ["f.yaml:1:1: one", "f.yaml:2:1: two"]
    assert str(err) == "f.yaml:1:1: one\nf.yaml:2:1: two"
    assert isinstance(err, ValueError) and isinstance(err, AdaptationError)


def test_problems_are_reported_in_file_order_and_capped():
    doc = parse("a: 1\nb: 2\n", "f.yaml")
    doc.error(("b",), "second")
    doc.error(("a",), "first", "fix it")
    assert doc.problems == ["f.yaml:1:4: a: first — fix it", "f.yaml:2:4: b: second"]
    for i in range(config.MAX_PROBLEMS + 5):
        doc.error(("a",), f"n{i}")
    assert len(doc.problems) == config.MAX_PROBLEMS + 1
    assert doc.problems[-1] == "f.yaml: 7 more problems not shown"
    with pytest.raises(ConfigError):
        doc.raise_if_problems()


def test_check_keys_reports_unknown_with_did_you_mean_and_missing():
    doc = parse("x:\n  mena: 1\n  sd: 2\n  zzz: 3\n", "f.yaml")
    assert doc.check_keys(("x",), doc.data["x"], {"mean", "sd"}, ["mean", "sd"])
    assert doc.problems == [
        "f.yaml:1:1: x: missing key 'mean' — add 'mean'",
        "f.yaml:2:3: x.mena: unknown key 'mena' (did you mean 'mean'?) — allowed here: mean, sd",
        "f.yaml:4:3: x.zzz: unknown key 'zzz' — allowed here: mean, sd",
    ]
    doc = parse("x: [1]\n", "f.yaml")
    assert not doc.check_keys(("x",), doc.data["x"], {"a"})
    assert doc.problems == ["f.yaml:1:4: x: expected a mapping, got a list — write a mapping here"]


@pytest.mark.parametrize(
    "value, kind, options, message",
    [
        ("abc", "number", {}, "expected a number, got 'abc'"),
        (True, "number", {}, "expected a number, got true (a boolean)"),
        (None, "number", {}, "expected a number, got nothing"),
        (1.5, "integer", {}, "expected a whole number, got 1.5"),
        (math.nan, "number", {}, "expected a finite number, got nan"),
        ("1e-3", "number", {}, "YAML 1.1 needs a dot before the exponent"),
        ("72", "number", {}, "'72' (text: drop the quotes)"),
        (3, ("string", "null"), {}, "expected text or nothing (null), got 3"),
        (0, "number", {"low": 0, "low_open": True}, "0 is not > 0"),
        (2, "number", {"low": 0, "high": 1}, "2 is not in [0, 1]"),
        (1, "number", {"high": 1, "high_open": True}, "1 is not < 1"),
        (
            "ppo2",
            "string",
            {"choices": ["ppo", "sac"]},
            "unknown value 'ppo2' (did you mean 'ppo'?) — one of: ppo, sac",
        ),
    ],
)
def test_expect_says_what_was_expected_and_what_came(value, kind, options, message):
    doc = Doc("f.yaml", {"v": value})
    assert not doc.expect(("v",), value, kind, **options)
    assert len(doc.problems) == 1 and message in doc.problems[0], doc.problems


@pytest.mark.parametrize(
    "value, kind, options",
    [
        (1, "number", {"low": 1}),
        (1.0, "number", {"high": 1}),
        (3, "integer", {}),
        (None, ("string", "null"), {}),
        ("ppo", "string", {"choices": ["ppo"]}),
        (False, "boolean", {}),
        ([], "list", {}),
        ({}, "mapping", {}),
    ],
)
def test_expect_accepts(value, kind, options):
    doc = Doc("f.yaml")
    assert doc.expect(("v",), value, kind, **options)
    assert doc.problems == []


def test_helpers():
    assert did_you_mean("nrmal", ["normal", "uniform"]) == " (did you mean 'normal'?)"
    assert did_you_mean("zzz", ["normal"]) == "" and did_you_mean(3, ["normal"]) == ""
    assert label(("parameters", "hr_rest", "bounds", 0)) == "parameters.hr_rest.bounds[0]"
    assert describe("x" * 100).endswith("… (100 characters)'")
    assert describe({}) == "a mapping"


def test_a_real_config_reads_quickly():
    text = "parameters:\n" + "".join(f"  p{i}: {{distribution: normal, mean: {i}, sd: 1}}\n" for i in range(2000))
    doc = parse(text)
    assert len(doc.data["parameters"]) == 2000
    assert doc.where(("parameters", "p1999", "sd")) == (2001, 49)


def test_module_docstring_example_runs():
    doc = parse("format: x/1\nn_steps: 0\nextra: 1\n", "c.yaml")
    data = doc.data
    if doc.check_keys((), data, allowed={"format", "name", "n_steps"}, required={"format"}):
        doc.expect(("n_steps",), data.get("n_steps", 1), "integer", low=1)
    assert doc.problems == [
        "c.yaml:2:10: n_steps: 0 is not ≥ 1 — a number ≥ 1",
        "c.yaml:3:1: extra: unknown key 'extra' — allowed here: format, n_steps, name",
    ]
