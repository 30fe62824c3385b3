"""`vrex evaluate --ray`: shards of people on a local 2-worker Ray give exactly the serial result;
a dying worker fails the whole evaluation with a clear error and no partial result."""

from __future__ import annotations

import json
import os

import pytest

from adaptation.evaluate import evaluate
from adaptation.population import Population
from adaptation.sim import SessionConfig

ray = pytest.importorskip("ray")

from adaptation.distributed import EvaluationError, RayRunner  # noqa: E402

pytestmark = pytest.mark.slow  # a local Ray takes 10–20 s to start on a loaded machine
SHORT = SessionConfig(duration_s=300.0)


@pytest.fixture(scope="module")
def runner():
    r = RayRunner(workers=2)
    yield r
    r.close()


def test_two_local_workers_give_exactly_the_serial_result(runner):
    population = Population.builtin("more_afraid")
    names = ["fixed", "balan", "policy"]
    serial = evaluate(names, population, 16, seed=21, config=SHORT)
    sharded = evaluate(names, population, 16, seed=21, config=SHORT, runner=runner, shard_count=4)
    assert runner.workers == 2
    assert json.dumps(serial, sort_keys=True) == json.dumps(sharded, sort_keys=True)


def test_a_worker_that_dies_fails_the_evaluation_with_no_partial_result(runner):
    from adaptation.evaluate import run_job

    def dies_on_the_second_shard(job):
        if job.start > 0:
            os._exit(1)  # the worker process vanishes, as if killed
        return run_job(job)

    runner.task, kept = dies_on_the_second_shard, runner.task
    try:
        with pytest.raises(EvaluationError, match=r"failed on people \d+–\d+ .*no result was kept"):
            evaluate(["fixed"], Population.builtin(), 6, seed=1, config=SHORT, runner=runner, shard_count=2)
    finally:
        runner.task = kept


def test_vrex_evaluate_ray_writes_what_the_serial_run_writes(tmp_path, capsys):
    # last in this file: the command starts (and stops) its own local Ray
    from engine.cli import main

    args = ["evaluate", "--controllers", "fixed,suds", "--episodes", "5", "--seed", "4"]
    args += ["--populations", "default,under_reporting"]
    assert main([*args, "--json", str(tmp_path / "serial.json")]) == 0
    assert main([*args, "--ray", "--workers", "2", "--json", str(tmp_path / "ray.json")]) == 0
    serial, sharded = (json.loads((tmp_path / f).read_text()) for f in ("serial.json", "ray.json"))
    for doc in (serial, sharded):
        for r in doc["populations"].values():
            r.pop("wall_s"), r.pop("ray")
    assert serial == sharded
    assert "starting Ray (local, 2 CPUs)" in capsys.readouterr().err
