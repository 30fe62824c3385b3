"""Every controller on the same simulated patients, side by side, by subgroup.

``evaluate(names, population, episodes, seed)`` draws ``episodes`` people once and runs
each controller on all of them in lockstep, every decision through its own safety shield
(with the threshold rule as the fallback) and an independent ``InvariantMonitor``. The same
seed gives every controller the same people and the same sensor and SUDS noise at the start;
runs diverge only through what the controllers do.

Person ``i`` draws their parameters from ``SeedSequence(seed, spawn_key=(i,))`` and all
their noise from ``SeedSequence(seed + 1, spawn_key=(i,))`` (``adaptation.streams``), so
the people can be cut into shards (``Job``: people ``[start, stop)``) run anywhere —
``adaptation.distributed`` runs them on Ray — and the merged result equals the serial one
exactly.

Per controller and subgroup the result has ``success_rate`` (reached the top level,
habituated there, did not escape), ``escape_rate``, ``mean_top_level``, ``time_in_band``
(share of session time at therapeutic arousal while exposed), ``expected_escape_rate``
(the simulator's escape probability summed over each session's seconds, averaged: the
rate ``escape_rate`` estimates, without the luck of who happened to flee), ``shield_interventions``
(mean per episode: decisions the shield changed) and ``invariant_violations`` (total), and
95 % intervals (``adaptation.intervals``): ``success_rate_ci`` and ``escape_rate_ci``
(Clopper–Pearson), ``expected_escape_rate_ci`` (bootstrap over people, seeded).
Subgroups show whether a controller fails kinds of people: EDA non-responders, HR
decelerators, high baseline arousal (top quarter of resting arousal in this sample),
slow habituators (bottom quarter of habituation rate), and all.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .controllers import RULE_CONTROLLERS, ThresholdRule, make_controller
from .intervals import bootstrap_mean, clopper_pearson
from .invariants import InvariantMonitor
from .population import Population
from .shield import SafetyShield, ShieldConfig
from .sim import SessionBatch, SessionConfig
from .streams import PersonStreams
from .types import Controller

CONTROLLERS = (*RULE_CONTROLLERS, "policy")
METRICS = (
    "success_rate",
    "escape_rate",
    "expected_escape_rate",
    "mean_top_level",
    "time_in_band",
    "shield_interventions",
    "held_raises",
    "invariant_violations",
)
INTERVALS = ("success_rate_ci", "escape_rate_ci", "expected_escape_rate_ci")  # 95 %, [lo, hi]


@dataclass
class Episodes:
    """Per-episode outcomes of one controller."""

    success: np.ndarray
    escaped: np.ndarray
    escape_risk: np.ndarray  # expected escapes: the sum of each second's escape probability
    top_level: np.ndarray
    time_in_band: np.ndarray
    interventions: np.ndarray
    violations: np.ndarray
    violation_examples: list[str]
    example_keys: list[tuple[float, int]] | None = None  # (time, person) of each example: merge order
    # decisions where the controller wanted up and stayed because the shield said it would hold
    # the raise (a masking controller: PolicyController); not interventions, shown beside them
    held_raises: np.ndarray | None = None

    @staticmethod
    def concat(parts: Sequence[Episodes]) -> Episodes:
        """Shards of people, in order, as one run; examples kept as the serial run keeps them
        (the first 10 by time, then person)."""
        keyed = sorted((key, text) for p in parts for key, text in zip(p.example_keys or [], p.violation_examples))[:10]
        cat = {
            f: np.concatenate([getattr(p, f) for p in parts])
            for f in ("success", "escaped", "escape_risk", "top_level", "time_in_band", "interventions", "violations")
        }
        held = [p.held_raises if p.held_raises is not None else np.zeros(len(p.success), np.int64) for p in parts]
        return Episodes(
            **cat,
            violation_examples=[t for _, t in keyed],
            example_keys=[k for k, _ in keyed],
            held_raises=np.concatenate(held),
        )


def controller_factory(name: str, policy_path: str | None = None) -> Callable[[], Controller]:
    """A function making a fresh controller per session; ``policy`` loads the numpy policy once."""
    if name == "policy":
        from .policy import SHIPPED, NumpyPolicy, PolicyController

        policy = NumpyPolicy.load(policy_path or SHIPPED)
        return lambda: PolicyController(policy)
    if name not in RULE_CONTROLLERS:
        close = difflib.get_close_matches(name, CONTROLLERS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"unknown controller '{name}'; expected some of {', '.join(CONTROLLERS)}{hint}")
    return lambda: make_controller(name)


def _untimed() -> float:
    return 0.0


def run_episodes(
    make: Callable[[], Controller],
    params: dict[str, np.ndarray],
    *,
    seed: int,
    people: Sequence[int] | None = None,
    config: SessionConfig = SessionConfig(),
    shield: ShieldConfig = ShieldConfig(),
) -> Episodes:
    """Run one controller on every person in ``params`` (one session each), in lockstep.

    ``people`` numbers the rows (default 0, 1, …): row ``j`` draws its noise from person
    ``people[j]``'s stream under ``seed``, whichever batch it runs in."""
    people = list(range(len(params["arousal_rest"]))) if people is None else list(people)
    batch = SessionBatch(params, config, PersonStreams.for_people(seed, people))
    n = batch.n
    # Simulated time, not wall time: a controller's call is not timed here (``_untimed``), so
    # a loaded machine cannot turn a slow call into the fallback's decision and change the
    # numbers (it did, by a person or two in 2,500, before). The timeout is a live session's
    # guard; benchmarks/policy_latency.py measures how long the policy takes.
    shields = [SafetyShield(make(), ThresholdRule(), shield, clock=_untimed) for _ in range(n)]
    monitors = [InvariantMonitor(shield) for _ in range(n)]
    interventions = np.zeros(n, np.int64)
    violations = np.zeros(n, np.int64)
    risk = np.zeros(n)
    examples: list[tuple[tuple[float, int], str]] = []
    while True:
        active = np.flatnonzero(~batch.done)
        if len(active) == 0:
            break
        targets = batch.target.copy()
        for i in active.tolist():
            obs = batch.observation(i)
            decision = shields[i].decide(obs)
            broken = monitors[i].check(obs, decision)
            if broken:
                violations[i] += len(broken)
                if len(examples) < 10:
                    examples.append(((obs.time, people[i]), f"episode {people[i]} at {obs.time:.0f} s: {broken[0]}"))
            interventions[i] += bool(decision.interventions)
            targets[i] = decision.target
        batch.set_targets(targets)
        risk += batch.advance().escape_risk
    exposed = np.maximum(batch.time, 1.0)
    return Episodes(
        batch.succeeded.copy(),
        batch.escaped.copy(),
        risk,
        batch.top_reached.astype(float),
        batch.in_band_s / exposed,
        interventions,
        violations,
        [t for _, t in examples],
        [k for k, _ in examples],
        np.array([int(getattr(s.guard.controller, "held_raises", 0)) for s in shields], np.int64),
    )


@dataclass(frozen=True)
class Job:
    """People ``[start, stop)`` of one evaluation, every named controller on them: the unit of
    work a worker runs (plain data, so it pickles to another process or machine)."""

    names: tuple[str, ...]
    population: Population
    seed: int
    start: int
    stop: int
    policy_path: str | None = None
    config: SessionConfig = SessionConfig()
    shield: ShieldConfig = ShieldConfig()


def run_job(
    job: Job, progress: Callable[[str], None] | None = None
) -> tuple[dict[str, np.ndarray], dict[str, Episodes]]:
    """(the people's parameters, each controller's episodes) for one ``Job``."""
    people = range(job.start, job.stop)
    params = job.population.sample_people(job.seed, people)
    out = {}
    for name in job.names:
        if progress:
            progress(name)
        make = controller_factory(name, job.policy_path)
        out[name] = run_episodes(make, params, seed=job.seed + 1, people=people, config=job.config, shield=job.shield)
    return params, out


def shards(episodes: int, count: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of ``count`` near-equal shards of ``episodes`` people (none empty)."""
    count = max(1, min(count, episodes))
    edges = np.linspace(0, episodes, count + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def subgroups(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Masks of the subgroups the results are broken down by."""
    rest, hab = params["arousal_rest"], params["habituation_rate"]
    return {
        "all": np.ones(len(rest), bool),
        "eda_non_responders": ~params["eda_responder"].astype(bool),
        "hr_decelerators": params["hr_decelerator"].astype(bool),
        "high_baseline_arousal": rest >= np.quantile(rest, 0.75),
        "slow_habituators": hab <= np.quantile(hab, 0.25),
    }


def summarise(ep: Episodes, mask: np.ndarray, seed: int = 0) -> dict[str, Any]:
    """One controller's metrics on the people in ``mask``, with 95 % intervals; ``seed``
    seeds the bootstrap (the same for every controller: paired resamples of people)."""
    k = int(mask.sum())
    if k == 0:
        return {"n": 0, **{m: None for m in (*METRICS, *INTERVALS)}, "invariant_violations": 0}  # null in JSON
    successes, escapes = int(ep.success[mask].sum()), int(ep.escaped[mask].sum())
    return {
        "n": k,
        "success_rate": successes / k,
        "escape_rate": escapes / k,
        "expected_escape_rate": float(ep.escape_risk[mask].mean()),
        "mean_top_level": float(ep.top_level[mask].mean()),
        "time_in_band": float(ep.time_in_band[mask].mean()),
        "shield_interventions": float(ep.interventions[mask].mean()),
        "held_raises": float(ep.held_raises[mask].mean()) if ep.held_raises is not None else 0.0,
        "invariant_violations": int(ep.violations[mask].sum()),
        "success_rate_ci": list(clopper_pearson(successes, k)),
        "escape_rate_ci": list(clopper_pearson(escapes, k)),
        "expected_escape_rate_ci": list(bootstrap_mean(ep.escape_risk[mask], seed)),
    }


def evaluate(
    names: list[str],
    population: Population,
    episodes: int,
    seed: int,
    *,
    policy_path: str | None = None,
    config: SessionConfig = SessionConfig(),
    shield: ShieldConfig = ShieldConfig(),
    progress: Callable[[str], None] | None = None,
    runner: Callable[[list[Job]], list] | None = None,
    shard_count: int = 1,
    episodes_out: dict[str, Episodes] | None = None,
) -> dict:
    """Results of every named controller on the same ``episodes`` people (see the module docstring).

    ``runner`` runs a list of ``Job``s and returns ``run_job``'s results in the same order
    (``adaptation.distributed.RayRunner``); without one the jobs run here, one after another.
    ``episodes_out``, a dict, receives each controller's per-person ``Episodes`` (for pooling)."""
    if episodes < 1:
        raise ValueError(f"episodes = {episodes}; expected at least 1")
    for name in names:
        controller_factory(name, policy_path)  # fail before any run
    jobs = [
        Job(tuple(names), population, seed, a, b, None if policy_path is None else str(policy_path), config, shield)
        for a, b in shards(episodes, shard_count)
    ]
    if runner is None:
        parts = [run_job(job, progress) for job in jobs]
    else:
        parts = runner(jobs)
    if len(parts) != len(jobs):  # a runner must never hand back a partial result as complete
        raise RuntimeError(f"{len(parts)} of {len(jobs)} shards came back")
    params = {k: np.concatenate([p[0][k] for p in parts]) for k in parts[0][0]}
    groups = subgroups(params)
    out: dict[str, Any] = {
        "population": population.name,
        "episodes": episodes,
        "seed": seed,
        "subgroup_sizes": {g: int(m.sum()) for g, m in groups.items()},
        "controllers": {},
        "violation_examples": {},
    }
    for name in names:
        ep = Episodes.concat([p[1][name] for p in parts])
        if episodes_out is not None:
            episodes_out[name] = ep
        out["controllers"][name] = {g: summarise(ep, m, seed) for g, m in groups.items()}
        out["violation_examples"][name] = ep.violation_examples
    return out


def _pct(value: float | None, ci: list[float] | None, digits: int = 1) -> str:
    if value is None or ci is None:
        return "–"
    return f"{value * 100:.{digits}f} [{ci[0] * 100:.{digits}f}–{ci[1] * 100:.{digits}f}]"


def table(result: dict, subgroup: str = "all") -> str:
    """The results as a plain-text table, one row per controller; rates in %, with 95 % intervals."""
    head = (
        f"{'controller':<11} {'success % [95% CI]':>20} {'escape % [95% CI]':>18} {'expected % [95% CI]':>21} "
        f"{'top level':>9} {'in band':>8} {'shield/ep':>9} {'held/ep':>7} {'violations':>10}"
    )
    title = f"population: {result['population']}, subgroup: {subgroup} (n = {result['subgroup_sizes'][subgroup]})"
    rows = [title, head, "-" * len(head)]
    for name, groups in result["controllers"].items():
        r = groups[subgroup]
        if r["n"] == 0:
            rows.append(f"{name:<11} {'(nobody in this subgroup)':>30}")
            continue
        rows.append(
            f"{name:<11} {_pct(r['success_rate'], r['success_rate_ci']):>20} "
            f"{_pct(r['escape_rate'], r['escape_rate_ci']):>18} "
            f"{_pct(r['expected_escape_rate'], r['expected_escape_rate_ci'], 2):>21} "
            f"{r['mean_top_level']:>9.2f} "
            f"{r['time_in_band']:>8.1%} {r['shield_interventions']:>9.1f} {r.get('held_raises', 0.0):>7.1f} "
            f"{r['invariant_violations']:>10d}"
        )
    return "\n".join(rows)
