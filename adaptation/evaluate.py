"""Every controller on the same simulated patients, side by side, by subgroup.

``evaluate(names, population, episodes, seed)`` draws ``episodes`` people once and runs
each controller on all of them in lockstep, every decision through its own safety shield
(with the threshold rule as the fallback) and an independent ``InvariantMonitor``. The same
seed gives every controller the same people and the same sensor and SUDS noise at the start;
runs diverge only through what the controllers do.

Per controller and subgroup the result has ``success_rate`` (reached the top level,
habituated there, did not escape), ``escape_rate``, ``mean_top_level``, ``time_in_band``
(share of session time at therapeutic arousal while exposed), ``expected_escape_rate``
(the simulator's escape probability summed over each session's seconds, averaged: the
rate ``escape_rate`` estimates, without the luck of who happened to flee), ``shield_interventions``
(mean per episode: decisions the shield changed) and ``invariant_violations`` (total).
Subgroups show whether a controller fails kinds of people: EDA non-responders, HR
decelerators, high baseline arousal (top quarter of resting arousal in this sample),
slow habituators (bottom quarter of habituation rate), and all.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .controllers import RULE_CONTROLLERS, ThresholdRule, make_controller
from .invariants import InvariantMonitor
from .population import Population
from .shield import SafetyShield, ShieldConfig
from .sim import SessionBatch, SessionConfig
from .types import Controller

CONTROLLERS = (*RULE_CONTROLLERS, "policy")
METRICS = (
    "success_rate",
    "escape_rate",
    "expected_escape_rate",
    "mean_top_level",
    "time_in_band",
    "shield_interventions",
    "invariant_violations",
)


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


def controller_factory(name: str, policy_path: str | None = None) -> Callable[[], Controller]:
    """A function making a fresh controller per session; ``policy`` loads the numpy policy once."""
    if name == "policy":
        from .policy import NumpyPolicy, PolicyController, SHIPPED

        policy = NumpyPolicy.load(policy_path or SHIPPED)
        return lambda: PolicyController(policy)
    if name not in RULE_CONTROLLERS:
        close = difflib.get_close_matches(name, CONTROLLERS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"unknown controller '{name}'; expected some of {', '.join(CONTROLLERS)}{hint}")
    return lambda: make_controller(name)


def run_episodes(
    make: Callable[[], Controller],
    params: dict[str, np.ndarray],
    *,
    seed: int,
    config: SessionConfig = SessionConfig(),
    shield: ShieldConfig = ShieldConfig(),
) -> Episodes:
    """Run one controller on every person in ``params`` (one session each), in lockstep."""
    rng = np.random.default_rng(seed)
    batch = SessionBatch(params, config, rng)
    n = batch.n
    shields = [SafetyShield(make(), ThresholdRule(), shield) for _ in range(n)]
    monitors = [InvariantMonitor(shield) for _ in range(n)]
    interventions = np.zeros(n, np.int64)
    violations = np.zeros(n, np.int64)
    risk = np.zeros(n)
    examples: list[str] = []
    while True:
        active = np.flatnonzero(~batch.done)
        if len(active) == 0:
            break
        targets = batch.target.copy()
        for i in active:
            obs = batch.observation(i)
            decision = shields[i].decide(obs)
            broken = monitors[i].check(obs, decision)
            if broken:
                violations[i] += len(broken)
                if len(examples) < 10:
                    examples.append(f"episode {i} at {obs.time:.0f} s: {broken[0]}")
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
        examples,
    )


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


def summarise(ep: Episodes, mask: np.ndarray) -> dict[str, float]:
    k = int(mask.sum())
    if k == 0:
        return {"n": 0, **{m: None for m in METRICS}, "invariant_violations": 0}  # null in JSON, not NaN
    return {
        "n": k,
        "success_rate": float(ep.success[mask].mean()),
        "escape_rate": float(ep.escaped[mask].mean()),
        "expected_escape_rate": float(ep.escape_risk[mask].mean()),
        "mean_top_level": float(ep.top_level[mask].mean()),
        "time_in_band": float(ep.time_in_band[mask].mean()),
        "shield_interventions": float(ep.interventions[mask].mean()),
        "invariant_violations": int(ep.violations[mask].sum()),
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
) -> dict:
    """Results of every named controller on the same ``episodes`` people (see the module docstring)."""
    if episodes < 1:
        raise ValueError(f"episodes = {episodes}; expected at least 1")
    factories = {name: controller_factory(name, policy_path) for name in names}  # fail before any run
    params = population.sample(episodes, np.random.default_rng(seed))
    groups = subgroups(params)
    out = {
        "population": population.name,
        "episodes": episodes,
        "seed": seed,
        "subgroup_sizes": {g: int(m.sum()) for g, m in groups.items()},
        "controllers": {},
        "violation_examples": {},
    }
    for name, make in factories.items():
        if progress:
            progress(name)
        ep = run_episodes(make, params, seed=seed + 1, config=config, shield=shield)
        out["controllers"][name] = {g: summarise(ep, m) for g, m in groups.items()}
        out["violation_examples"][name] = ep.violation_examples
    return out


def table(result: dict, subgroup: str = "all") -> str:
    """The results as a plain-text table, one row per controller."""
    head = (
        f"{'controller':<11} {'success':>8} {'escape':>7} {'expected':>8} {'top level':>9} {'in band':>8} "
        f"{'shield/ep':>9} {'violations':>10}"
    )
    rows = [f"subgroup: {subgroup} (n = {result['subgroup_sizes'][subgroup]})", head, "-" * len(head)]
    for name, groups in result["controllers"].items():
        r = groups[subgroup]
        if r["n"] == 0:
            rows.append(f"{name:<11} {'(nobody in this subgroup)':>30}")
            continue
        rows.append(
            f"{name:<11} {r['success_rate']:>8.1%} {r['escape_rate']:>7.1%} {r['expected_escape_rate']:>8.2%} "
            f"{r['mean_top_level']:>9.2f} "
            f"{r['time_in_band']:>8.1%} {r['shield_interventions']:>9.1f} {r['invariant_violations']:>10d}"
        )
    return "\n".join(rows)
