"""Issue 15: the policy's wider view, safety as a constraint, policy format 2, live cadence.

The observation now carries resting levels, the baseline-phase SUDS, avoidance, the
shield's changes and time aroused at this level; training charges expected escapes and
shield interventions through Lagrange multipliers; a policy file records its layout and
decision interval, and format-1 files (the shipped policy) still load and decide as before.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from adaptation.env import Constraints, RewardWeights, ShieldedSessions
from adaptation.errors import PolicyError
from adaptation.observation import (
    POLICY_FIELDS,
    SIZE,
    V1_POLICY_FIELDS,
    SessionMemory,
    encode,
)
from adaptation.policy import SHIPPED, NumpyPolicy, PolicyController
from adaptation.population import Population
from adaptation.randomise import MixedPopulation, widened
from adaptation.shield import ShieldConfig
from adaptation.sim import SessionBatch, SessionConfig
from adaptation.types import Therapist

DEFAULT = Population.builtin("default")
SHIELD = ShieldConfig(forecast_step_p=0.0)  # these tests are about the policy's view, not the forecast rule


def _batch(n: int, seed: int, **config) -> SessionBatch:
    rng = np.random.default_rng(seed)
    return SessionBatch(DEFAULT.sample(n, rng), SessionConfig(holds_per_hour=0.0, **config), rng)


def test_new_fields_encode_live_exactly_as_in_the_batch_with_avoidance_on():
    batch = _batch(24, 3, avoidance=1.0)
    rng = np.random.default_rng(4)
    seen_away = 0.0
    for _ in range(60):
        batch.set_targets(np.clip(batch.target + rng.choice([0.0, 0.1, 0.2], batch.n), 0, 1))
        batch.advance()
        vectors = batch.vectors()
        live = np.array([encode(batch.observation(i)) for i in range(batch.n)])
        np.testing.assert_array_equal(live, vectors)
        seen_away = max(seen_away, float(vectors[:, POLICY_FIELDS.index("avoidance")].max()))
    assert vectors.shape == (24, SIZE)
    base = vectors[:, POLICY_FIELDS.index("has_baseline_suds")]
    assert base.all()  # every simulated person rated the baseline phase
    assert np.ptp(vectors[:, POLICY_FIELDS.index("rest_hr")]) > 0.1  # people differ at rest
    assert seen_away > 0.05  # afraid people looked away, and the policy can see it


def test_avoidance_off_draws_everything_as_before_and_looking_away_lowers_fear():
    plain, off = _batch(40, 9), _batch(40, 9, avoidance=0.0)
    on = _batch(40, 9, avoidance=1.0)
    for b in (plain, off, on):
        b.set_targets(np.full(40, 1.0))
    for _ in range(9):  # 45 s, the last 25 at full intensity
        for b in (plain, off, on):
            b.advance()
    np.testing.assert_array_equal(plain.patients.arousal, off.patients.arousal)
    assert not off.patients.looking_away_share.any()
    assert on.patients.looking_away_share.max() > 0.1
    # looking away at full intensity evokes less fear than looking on, and fewer flee
    assert on.patients.a.mean() < plain.patients.a.mean() - 0.05
    assert on.escaped.sum() < plain.escaped.sum()


def test_memory_counts_the_shields_changes_and_time_aroused_at_this_level():
    m = SessionMemory(1, decision_s=5.0)
    calm_vec = np.zeros((1, SIZE), np.float32)
    afraid = calm_vec.copy()
    afraid[0, POLICY_FIELDS.index("suds")] = 0.6
    afraid[0, POLICY_FIELDS.index("has_suds")] = 1.0
    col = {n: POLICY_FIELDS.index(n) for n in ("shield_changed_last", "shield_share", "aroused_at_level")}
    first = m.update(afraid, np.array([True]))[0]
    assert first[col["shield_changed_last"]] == 0.0  # no earlier proposal to have been changed
    second = m.update(afraid, np.array([True]))[0]
    third = m.update(afraid, np.array([False]))[0]
    assert second[col["shield_changed_last"]] == 1.0 and third[col["shield_changed_last"]] == 0.0
    assert third[col["shield_share"]] == pytest.approx(0.5)
    assert third[col["aroused_at_level"]] == pytest.approx(10.0 / 300.0)
    moved = afraid.copy()
    moved[0, POLICY_FIELDS.index("level")] = 0.1
    assert m.update(moved, np.array([False]))[0][col["aroused_at_level"]] == 0.0  # a new level starts at 0


def test_training_sees_the_shields_changes_and_charges_the_constraint_costs():
    rng = np.random.default_rng(5)
    constraints = Constraints(enabled=True, escape_lambda=1000.0, interventions_lambda=0.5)
    core = ShieldedSessions(6, DEFAULT, SessionConfig(holds_per_hour=0.0), SHIELD, RewardWeights(), rng, constraints)
    twin = ShieldedSessions(
        6, DEFAULT, SessionConfig(holds_per_hour=0.0), SHIELD, RewardWeights(), np.random.default_rng(5)
    )
    changed_col = POLICY_FIELDS.index("shield_changed_last")
    flags = 0.0
    for _ in range(30):
        before = core.session_costs.copy()
        r, _ = core.step(np.full(6, 2))  # always up: the shield slows it
        r_plain, _ = twin.step(np.full(6, 2))
        cost = core.session_costs - before
        np.testing.assert_allclose(r, r_plain - cost @ np.array([1000.0, 0.5]), rtol=1e-9, atol=1e-9)
        flags += core.observation[:, changed_col].sum()
    np.testing.assert_array_equal(core.session_costs[:, 1], core.interventions)
    assert flags > 0


def test_multipliers_grow_over_budget_and_shrink_under_it():
    c = Constraints(enabled=True, escape_budget=0.01, interventions_budget=5.0, escape_lr=0.5, interventions_lr=0.5)
    lam = c.initial()
    up = c.update(lam, np.array([0.05, 20.0]))
    down = c.update(lam, np.array([0.0, 1.0]))
    assert (up > lam).all() and (down < lam).all()
    assert (c.update(np.full(2, 1e9), np.array([1.0, 1e3])) == c.lambda_max).all()
    assert (Constraints(enabled=False).update(lam, np.array([1.0, 1.0])) == lam).all()
    with pytest.raises(ValueError, match="escape_budget"):
        Constraints(escape_budget=0.0)


def test_the_shipped_format_1_policy_still_loads_and_decides_on_its_own_columns():
    policy = NumpyPolicy.load(SHIPPED)
    assert policy.fields == V1_POLICY_FIELDS and policy.decision_s == 5.0
    batch = _batch(8, 21)
    batch.set_targets(np.full(8, 0.4))
    controller = PolicyController(policy)
    for _ in range(5):
        batch.advance()
    obs = batch.observation(0)
    memory = SessionMemory(1)
    full = np.append(memory.update(encode(obs)[None], np.zeros(1))[0], 0.0)  # + raise_held: none
    expected = int(np.argmax(policy.forward(policy.normalise(full[policy.columns]))))
    decision = controller.decide(obs)
    assert decision.target == pytest.approx(obs.levels[min(max(obs.level + policy.actions[expected], 0), 10)])
    # the full vector of this vrex and the policy's own layout give the same logits
    np.testing.assert_array_equal(policy.logits(full), policy.logits(full[policy.columns]))


def _random_policy(decision_s: float = 2.0, fields=POLICY_FIELDS) -> NumpyPolicy:
    rng = np.random.default_rng(0)
    w = len(fields)
    return NumpyPolicy(
        [(rng.normal(size=(8, w)), rng.normal(size=8))],
        (rng.normal(size=(3, 8)), rng.normal(size=3)),
        "tanh",
        (-1, 0, 1),
        rng.normal(size=w),
        rng.uniform(0.5, 2, w),
        fields=fields,
        decision_s=decision_s,
    )


def test_format_2_records_the_layout_and_the_decision_interval(tmp_path):
    p = _random_policy(2.5)
    p.save(tmp_path / "p.npz")
    with np.load(tmp_path / "p.npz") as z:
        assert str(z["format"]) == "vrex-policy/2"
    again = NumpyPolicy.load(tmp_path / "p.npz")
    assert again.fields == POLICY_FIELDS and again.decision_s == 2.5
    x = np.random.default_rng(1).uniform(-3, 3, (200, len(POLICY_FIELDS))).astype(np.float32)
    np.testing.assert_array_equal(again.act(x), p.act(x))
    assert PolicyController(again).decision_s == 2.5


def test_format_2_files_without_an_interval_or_with_unknown_fields_are_refused(tmp_path):
    p = _random_policy()
    p.save(tmp_path / "p.npz")
    with np.load(tmp_path / "p.npz") as z:
        data = {k: z[k] for k in z.files}
    no_interval = {k: v for k, v in data.items() if k != "decision_s"}
    np.savez(tmp_path / "a.npz", **no_interval)
    with pytest.raises(PolicyError, match=r"a\.npz: missing 'decision_s'"):
        NumpyPolicy.load(tmp_path / "a.npz")
    fields = data["fields"].copy()
    fields[3] = "heart_of_gold"
    np.savez(tmp_path / "b.npz", **{**data, "fields": fields})
    with pytest.raises(PolicyError, match=r"b\.npz: reads fields this vrex does not compute \(heart_of_gold"):
        NumpyPolicy.load(tmp_path / "b.npz")
    np.savez(tmp_path / "c.npz", **{**data, "decision_s": np.array(-1.0)})
    with pytest.raises(PolicyError, match=r"c\.npz: decision_s = -1.0"):
        NumpyPolicy.load(tmp_path / "c.npz")


def test_a_live_session_decides_at_the_policys_interval():
    from engine.session.core import Phase, Plan, SessionCore
    from sensors.types import Features, Quality

    levels = tuple(i / 10 for i in range(11))
    events: list[dict] = []

    def log(source, kind, reason="", **fields):
        events.append({"source": source, "kind": kind, **fields})
        return events[-1]

    plan = Plan(levels, tuple(f"L{i}" for i in range(11)), baseline_s=30.0, exposure_s=300.0)
    rule = SessionCore(plan, __import__("adaptation.controllers", fromlist=["x"]).ThresholdRule(), log)
    assert rule.plan.decision_s == 5.0  # a rule controller: the plan's
    core = SessionCore(plan, PolicyController(_random_policy(decision_s=15.0)), log, shield=SHIELD)
    assert core.plan.decision_s == 15.0
    core.start(0.0)
    for t in range(0, 121):
        f = Features(
            time=float(t),
            hr_bpm=70.0,
            hr_source="ecg",
            quality={"ecg": Quality(1.0, "ok")},
            age_s={"ecg": 0.2},
            relative={"hr_bpm": 0.0},
        )
        core.tick(float(t), f, core.target)
        if t == 10:
            core.suds_answer(25)  # during the baseline phase
    assert core.phase is Phase.EXPOSURE
    decisions = [e for e in events if e["kind"] == "decision"]  # the policy's, or the shield's change of it
    assert 5 <= len(decisions) <= 7  # 90 s of exposure at one decision per 15 s (not 18 at 5 s)
    obs = core.observation(121.0, f, core.target)
    assert obs.baseline_suds == 25.0 and obs.rest_hr_bpm == pytest.approx(70.0)
    assert obs.therapist is Therapist.CLEAR


def test_randomisation_widens_and_mixes_populations():
    wide = widened(DEFAULT, 2.0)
    rng = np.random.default_rng(0)
    a, b = DEFAULT.sample(4000, rng), wide.sample(4000, np.random.default_rng(0))
    assert np.std(b["fear_threshold"]) > 1.3 * np.std(a["fear_threshold"])
    lo, hi = DEFAULT.parameters["fear_threshold"].bounds
    assert b["fear_threshold"].min() >= lo and b["fear_threshold"].max() <= hi  # bounds kept
    assert b["fear_max"].max() <= 1.0  # a fraction stays a fraction
    mixed = MixedPopulation((DEFAULT, widened(DEFAULT, 1.5)))
    draws = mixed.sample(100, np.random.default_rng(1))
    assert all(v.shape == (100,) for v in draws.values())
    with pytest.raises(ValueError, match="widen"):
        widened(DEFAULT, 0.0)
    assert not math.isnan(float(draws["arousal_rest"].mean()))
