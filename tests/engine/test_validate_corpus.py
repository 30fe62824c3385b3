"""``vrex validate`` run for real over a corpus of broken scenario files.

Each file in ``tests/engine/broken/`` starts with one or more lines

    # expect: LINE:COL: SUBSTRING

worked out by hand: the validator must print ``FILE:LINE:COL: message`` with SUBSTRING in the
message, must print nothing that no expectation accounts for, must exit 1 and must never show
a traceback. Files that cannot be committed (too big, too deep, not UTF-8, control characters)
are written by the tests into ``tmp_path``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from engine.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ROOT / "tests" / "engine" / "broken"
MINIMAL = ROOT / "tests" / "engine" / "scenarios" / "minimal.yaml"
PWNED = Path("/tmp/vrex-pwned")  # what python_tag.yaml would create if it were executed

EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$")
PROBLEM = re.compile(r"^.+:\d+:\d+: .+ — .+$")

# Files that cannot carry their own comment.
EXPECT_TABLE = {"empty.yaml": [(1, 1, "file is empty")]}

# Every kind of error must keep at least one file, so the corpus cannot silently shrink.
REQUIRED = {
    "yaml_syntax_indent",
    "yaml_syntax_bracket",
    "duplicate_key",
    "unknown_key_top_level",
    "unknown_key_entity",
    "unknown_key_after_unicode",
    "unknown_entity_type",
    "wrong_type_intensity",
    "wrong_type_size",
    "out_of_range_intensity",
    "out_of_range_opacity",
    "out_of_range_size",
    "out_of_range_huge_integer",
    "levels_not_increasing",
    "levels_duplicate_name",
    "levels_too_few",
    "missing_required_key",
    "binding_unknown_entity",
    "binding_unknown_property",
    "binding_wrong_shape",
    "binding_wrong_shape_points",
    "binding_range_and_points",
    "binding_count_too_high",
    "binding_overlap",
    "parent_missing",
    "viewpoint_parent_missing",
    "viewpoint_look_out_of_range",
    "binding_look_out_of_range",
    "model_missing",
    "sound_missing",
    "model_bad_extension",
    "python_tag",
    "tag_binary",
    "tag_local",
    "alias_bomb",
    "alias_undefined",
    "alias_recursive",
    "merge_key",
    "two_documents",
    "empty",
    "comments_only",
    # binding values of the wrong shape for their property (issue 14): one gate, every shape
    "binding_colour_number_range",
    "binding_vector_number_range",
    "binding_colour_text",
    "binding_colour_wrong_length",
    "binding_nested_list",
    "binding_bool_for_number",
    "binding_value_null",
    "binding_points_flat",
    "binding_over_decreasing",
    "binding_over_not_a_pair",
    # files that exist but are not what their name says (fixtures next to the YAML)
    "sound_not_audio",
    "model_gltf_not_json",
    "model_gltf_no_asset",
    "model_glb_cut_off",
    "model_bam_is_html",
    # every stage reports in one pass (issue 14): schema problems do not stop the cross-checks,
    # and what only follows from a dropped part is not repeated
    "several_stages",
    "cascade_not_repeated",
    # files whose headers pass but which do not load (the session's own loaders run)
    "sound_wav_cut_off",
    "sound_stereo_positional",
    "model_glb_bad_json",
    "model_bam_garbage",
}

# Genuine engine bugs, reported; strict so that a fix makes the test pass and forces removal.
KNOWN_BUGS: dict[str, str] = {}  # file name -> reason, for engine bugs not yet fixed

MALICIOUS = ("alias_bomb.yaml", "python_tag.yaml")


def broken_files() -> list[Path]:
    return sorted(BROKEN.glob("*.yaml"))


def expectations(path: Path) -> list[tuple[int, int, str]]:
    if path.name in EXPECT_TABLE:
        return EXPECT_TABLE[path.name]
    out = []
    for line in path.read_bytes().decode("utf-8", "replace").splitlines():
        m = EXPECT.match(line)
        if not m:
            break
        out.append((int(m[1]), int(m[2]), m[3]))
    return out


def run_validate(*paths: Path | str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", "validate", *map(str, paths)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        encoding="utf-8",
        errors="replace",
    )


def check_output(result: subprocess.CompletedProcess, path: Path, expected: list[tuple[int, int, str]]) -> None:
    out = result.stdout + result.stderr
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr, out
    assert "could not check this file" not in out, f"internal error disguised as a problem:\n{out}"
    assert result.returncode == 1, out
    lines = result.stdout.splitlines()
    assert lines, f"no problem printed for {path}:\n{out}"
    for line in lines:
        assert PROBLEM.match(line), f"not a 'FILE:LINE:COL: what — expected' line: {line!r}\n{out}"
    for line_no, col, substring in expected:
        prefix = f"{path}:{line_no}:{col}: "
        assert any(ln.startswith(prefix) and substring in ln[len(prefix) :] for ln in lines), (
            f"expected {prefix}…{substring}…\ngot:\n{result.stdout}"
        )
    places = {f"{path}:{line_no}:{col}: " for line_no, col, _ in expected}
    for line in lines:
        assert any(line.startswith(p) for p in places), f"unexpected problem: {line}\n{out}"


@pytest.fixture(scope="module")
def cli_results() -> dict[Path, subprocess.CompletedProcess]:
    """Every broken file validated by one real ``vrex validate`` run over all of them (one
    process: 47 processes took 127 s on 2 cores), its output split per file: each file's
    lines start with its own path. A file that crashed the validator would stop the run or
    print a traceback, which every file's check then sees."""
    PWNED.unlink(missing_ok=True)
    files = broken_files()
    everything = run_validate(*files)
    lines = everything.stdout.splitlines()
    assert everything.returncode == 1, everything.stdout[-2000:] + everything.stderr[-2000:]
    return {
        path: subprocess.CompletedProcess(
            everything.args,
            everything.returncode,
            "\n".join(ln for ln in lines if ln.startswith(f"{path}:")),
            everything.stderr + ("\n" + everything.stdout if "Traceback" in everything.stdout else ""),
        )
        for path in files
    }


def _param(path: Path):
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[path.name])] if path.name in KNOWN_BUGS else []
    return pytest.param(path, id=path.name, marks=marks)


@pytest.mark.parametrize("path", [_param(p) for p in broken_files()])
def test_broken_file_is_reported_where_expected(path, cli_results):
    check_output(cli_results[path], path, expectations(path))


def test_expect_comments_are_well_formed_and_every_kind_has_a_file():
    files = broken_files()
    assert REQUIRED <= {p.stem for p in files}, f"missing: {sorted(REQUIRED - {p.stem for p in files})}"
    for path in files:
        text = path.read_bytes().decode("utf-8")
        lines = text.splitlines()
        if path.name in EXPECT_TABLE:
            assert not any(ln.startswith("# expect") for ln in lines)
            continue
        expected = expectations(path)
        assert expected, f"{path.name} does not start with '# expect: LINE:COL: SUBSTRING'"
        # no malformed or stray expect lines further down
        stray = [ln for ln in lines[len(expected) :] if re.match(r"#\s*expect\b", ln)]
        assert not stray, f"{path.name}: malformed or misplaced expect line(s): {stray}"
        for line_no, col, substring in expected:
            assert 1 <= line_no <= len(lines), f"{path.name}: line {line_no} is past the end"
            assert 1 <= col <= max(len(lines[line_no - 1]), 1), f"{path.name}: column {col} past the line's end"
            assert substring.strip() == substring and substring
    assert (BROKEN / "empty.yaml").stat().st_size == 0


def test_python_tag_is_never_executed(cli_results):
    assert PWNED.name in (BROKEN / "python_tag.yaml").read_text()
    assert not PWNED.exists(), "the CLI executed a !!python tag"
    with pytest.raises(ScenarioError):
        load_scenario(BROKEN / "python_tag.yaml")
    assert not PWNED.exists(), "load_scenario executed a !!python tag"


# --- files written by the tests -------------------------------------------------------------


def _minimal_lines() -> list[str]:
    """minimal.yaml without its opening comment, so 'title' is on line 5."""
    lines = MINIMAL.read_text().splitlines()[1:]
    assert lines[4].startswith("  title: ")
    return lines


def _with_title(raw_title: bytes) -> bytes:
    lines = [ln.encode() for ln in _minimal_lines()]
    lines[4] = b"  title: " + raw_title
    return b"\n".join(lines) + b"\n"


def make_oversize(d: Path) -> Path:
    p = d / "oversize.yaml"
    p.write_bytes(MINIMAL.read_bytes() + b"# padding\n" * 110_000)
    assert p.stat().st_size > 1 << 20
    return p


def make_deep_one_line(d: Path) -> Path:
    p = d / "deep.yaml"
    p.write_text("[" * 100_000)
    return p


def make_deep_lines(d: Path) -> Path:
    p = d / "deep_lines.yaml"
    p.write_text("[\n" * 100_000)
    return p


GENERATED = {
    # name: (writer, expectations)
    "oversize": (make_oversize, [(1, 1, "over the limit of 1,048,576")]),
    "deep_one_line": (make_deep_one_line, [(1, 33, "nested more than 32 deep")]),
    "deep_lines": (make_deep_lines, [(33, 1, "nested more than 32 deep")]),
    # 'Caf' then Latin-1 é: line 5 column 13
    "non_utf8": (
        lambda d: _write(d / "latin1.yaml", _with_title(b"Caf\xe9 scenario")),
        [(5, 13, "byte 0xe9 is not valid UTF-8")],
    ),
    # 'Bălan ' (ă is two bytes in UTF-8) then Latin-1 é: character column 16, byte column 17
    "non_utf8_after_multibyte": (
        lambda d: _write(d / "latin1_b.yaml", _with_title("Bălan ".encode() + b"\xe9")),
        [(5, 16, "byte 0xe9 is not valid UTF-8")],
    ),
    # 'Mini' then NUL: line 5 column 14
    "control_char": (lambda d: _write(d / "nul.yaml", _with_title(b"Mini\x00mal")), [(5, 14, "not allowed")]),
}

GENERATED_BUGS: dict[str, str] = {}


def _write(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


def _gen_param(name: str):
    marks = [pytest.mark.xfail(strict=True, reason=GENERATED_BUGS[name])] if name in GENERATED_BUGS else []
    return pytest.param(name, id=name, marks=marks)


@pytest.mark.parametrize("name", [_gen_param(n) for n in GENERATED])
def test_generated_file_is_reported_where_expected(name, tmp_path):
    writer, expected = GENERATED[name]
    path = writer(tmp_path)
    check_output(run_validate(path), path, expected)


@pytest.mark.parametrize("name", ["alias_bomb.yaml", "python_tag.yaml", "oversize", "deep_one_line", "deep_lines"])
def test_malicious_file_fails_fast_in_little_memory(name, tmp_path):
    path = BROKEN / name if name.endswith(".yaml") else GENERATED[name][0](tmp_path)
    PWNED.unlink(missing_ok=True)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ScenarioError):
            load_scenario(path)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0, f"{name}: {elapsed:.3f} s"
    assert peak < 64 * 2**20, f"{name}: peak {peak / 2**20:.1f} MiB"
    assert not PWNED.exists()


def test_a_fifo_is_refused_without_reading_it(tmp_path):
    """A FIFO or device has no size and may never end: refused before it is opened."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError) as info:
        load_scenario(fifo)
    assert "not a regular file" in str(info.value)


# --- whole command --------------------------------------------------------------------------


def test_valid_scenarios_pass():
    files = sorted((ROOT / "scenarios").glob("*.yaml")) + [MINIMAL]
    result = run_validate(*(p.relative_to(ROOT) for p in files))
    assert result.returncode == 0, result.stdout + result.stderr
    for p in files:
        assert f"{p.relative_to(ROOT)}: ok" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_several_files_in_one_call_each_reported():
    names = ["unknown_key_entity.yaml", "levels_too_few.yaml", "model_missing.yaml"]
    paths = [(BROKEN / n).relative_to(ROOT) for n in names]
    result = run_validate(paths[0], MINIMAL.relative_to(ROOT), *paths[1:])
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    for path in paths:
        for line_no, col, substring in expectations(ROOT / path):
            prefix = f"{path}:{line_no}:{col}: "
            assert any(ln.startswith(prefix) and substring in ln for ln in result.stdout.splitlines()), result.stdout
    assert f"{MINIMAL.relative_to(ROOT)}: ok" in result.stdout
    assert "4 file(s) checked, 3 with problems" in result.stderr


def test_missing_file_gives_one_clear_line(tmp_path):
    missing = tmp_path / "no_such_scenario.yaml"
    result = run_validate(missing)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and PROBLEM.match(lines[0]), result.stdout
    assert lines[0].startswith(f"{missing}:1:1: cannot read the file (No such file or directory)")


def test_directory_gives_one_clear_line(tmp_path):
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    result = run_validate(folder)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [result.stdout.strip()]
    assert result.stdout.startswith(f"{folder}:1:1: cannot read the file")
