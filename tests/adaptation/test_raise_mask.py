"""Issue 15: the policy sees the shield's verdict on a raise before it acts, and stays where
the rules hold raises (invalid-action masking), in sessions and in training alike; and the
escape multiplier moves with a window of sessions, not one rollout's handful.

The masked policy must reach exactly the targets the shield would have given it unmasked
(the rules still decide), with the protocol's holds no longer counted as interventions.
"""

from __future__ import annotations

import numpy as np
import pytest

from adaptation.controllers import ThresholdRule
from adaptation.env import RewardWeights, ShieldedSessions
from adaptation.evaluate import run_episodes
from adaptation.observation import POLICY_FIELDS
from adaptation.policy import PolicyController
from adaptation.population import Population
from adaptation.shield import SafetyShield, ShieldConfig
from adaptation.sim import SessionBatch, SessionConfig
from adaptation.types import Decision, Therapist, step_target

DEFAULT = Population.builtin("default")
SHIELD_MEMORY = [POLICY_FIELDS.index(n) for n in ("shield_changed_last", "shield_share")]


class Unmasked(PolicyController):
    """The same policy, not told the shield's verdict: it proposes "up" whatever the rules say."""

    reads_raise_hold = False


class AlwaysUp:
    name = "always-up"
    reads_raise_hold = True

    def __init__(self) -> None:
        self.seen: list[str] = []

    def reset(self) -> None:
        self.seen.clear()

    def decide(self, obs):
        self.seen.append(obs.raise_held)
        return Decision(step_target(obs, +1), "up", self.name)


def _people(n: int, seed: int):
    return DEFAULT.sample_people(seed, range(n))


def test_the_masked_policy_reaches_the_same_targets_with_far_fewer_interventions():
    params = _people(24, 515)
    masked = run_episodes(PolicyController, params, seed=516)
    plain = run_episodes(Unmasked, params, seed=516)
    for field in ("success", "escaped", "escape_risk", "top_level", "time_in_band", "violations"):
        np.testing.assert_array_equal(getattr(masked, field), getattr(plain, field), err_msg=field)
    # the protocol's holds (no rating at this level yet, too soon after a raise) were most
    # of the unmasked policy's interventions; what remains is the shield's own steps down
    assert masked.interventions.sum() < 0.5 * plain.interventions.sum()
    assert masked.interventions.mean() <= 10
    # nothing hidden: the raises it held back are counted beside the interventions, and they
    # are the interventions that went away
    assert masked.held_raises.sum() > 0 and plain.held_raises.sum() == 0
    assert masked.held_raises.sum() >= plain.interventions.sum() - masked.interventions.sum()


def test_raise_hold_is_a_trial_that_leaves_the_shield_as_it_was():
    rng = np.random.default_rng(8)
    batch = SessionBatch(DEFAULT.sample(2, rng), SessionConfig(holds_per_hour=0.0), rng)
    asked, twin = (SafetyShield(AlwaysUp(), ThresholdRule(), ShieldConfig()) for _ in range(2))
    twin.guard.controller.reads_raise_hold = False  # type: ignore[union-attr]
    twin._tells_raise_hold = False
    held_reasons = set()
    for _ in range(80):
        obs = batch.observation(0)
        for _ in range(3):  # asking again and again changes nothing
            held_reasons.add(asked.raise_hold(obs))
        why = asked.raise_hold(obs)
        a, b = asked.decide(obs), twin.decide(obs)
        assert a.target == b.target and a.interventions == b.interventions
        # the verdict is the shield's own: held exactly when it does not let "up" rise
        assert bool(why) == (b.target <= obs.target) or step_target(obs, +1) <= obs.target
        batch.set_targets(np.array([a.target, 0.0]))
        batch.advance()
    assert "" in held_reasons and any("no SUDS rating at this level" in r for r in held_reasons)


def test_the_shield_tells_a_controller_that_asks_why_a_raise_would_be_held():
    rng = np.random.default_rng(9)
    batch = SessionBatch(DEFAULT.sample(1, rng), SessionConfig(holds_per_hour=0.0), rng)
    up = AlwaysUp()
    shield = SafetyShield(up, ThresholdRule(), ShieldConfig())
    for _ in range(60):
        d = shield.decide(batch.observation(0))
        batch.set_targets(np.array([d.target]))
        batch.advance()
    assert any(up.seen) and "" in up.seen
    held = next(r for r in up.seen if r)
    assert "hold" in held or "SUDS" in held
    # HOLD: the verdict names the therapist; STOP: the controller is not asked at all
    obs = batch.observation(0)
    from dataclasses import replace

    shield.decide(replace(obs, therapist=Therapist.HOLD, time=obs.time + 30))
    assert up.seen[-1]  # held (the therapist's hold, or a rule before it)
    before = len(up.seen)
    shield.decide(replace(obs, therapist=Therapist.STOP, time=obs.time + 35))
    assert len(up.seen) == before


def test_a_rule_controller_is_not_told_and_decides_as_before():
    up = AlwaysUp()
    up.reads_raise_hold = False
    shield = SafetyShield(up, ThresholdRule(), ShieldConfig())
    rng = np.random.default_rng(10)
    batch = SessionBatch(DEFAULT.sample(1, rng), SessionConfig(holds_per_hour=0.0), rng)
    for _ in range(20):
        d = shield.decide(batch.observation(0))
        batch.set_targets(np.array([d.target]))
        batch.advance()
    assert set(up.seen) == {""}


def _sessions(mask: bool) -> ShieldedSessions:
    rng = np.random.default_rng(31)
    return ShieldedSessions(
        6, DEFAULT, SessionConfig(holds_per_hour=0.0), ShieldConfig(), RewardWeights(), rng, mask_raises=mask
    )


def test_training_masks_up_where_the_shield_holds_raises_and_the_policy_sees_it():
    masked, plain = _sessions(True), _sessions(False)
    column = -1  # raise_held is the policy's last input
    seen_held = 0.0
    for _ in range(90):
        seen_held += masked.observation[:, column].sum()
        # the same inputs, but for the shield's-changes memory (masked "up"s were not changed)
        same = [c for c in range(masked.observation.shape[1]) if c not in SHIELD_MEMORY]
        np.testing.assert_array_equal(masked.observation[:, same], plain.observation[:, same])
        masked.step(np.full(6, 2))  # always "up"
        plain.step(np.full(6, 2))
        np.testing.assert_array_equal(masked.batch.target, plain.batch.target)
    assert seen_held > 0
    assert masked.interventions.sum() < plain.interventions.sum()
    # the flag is exactly the shield's verdict on the observation the policy acts on
    for i in range(6):
        assert masked.observation[i, column] == float(bool(masked.observations[i].raise_held))


@pytest.mark.parametrize("value", ['"yes"', 1, None])
def test_mask_raises_in_a_training_config_must_be_true_or_false(tmp_path, value):
    from adaptation.config import ConfigError
    from adaptation.train_config import load_config

    path = tmp_path / "bad.yaml"
    written = "null" if value is None else value
    path.write_text(f"format: vrex-train/1\nalgorithm: PPO\ntotal_timesteps: 1000\nmask_raises: {written}\n")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert "mask_raises" in str(e.value) and "bad.yaml:4" in str(e.value)


def test_the_escape_multiplier_sees_rare_escapes_over_its_horizon():
    """Sessions with escape risk are rare: over 40 rollouts of 12 sessions, one session in 30
    costs 0.1 expected escapes (mean 0.0033, over the budget of 0.002). Moved by each
    rollout's own mean, λ shrinks anyway (most rollouts cost nothing); over a window of
    300 sessions it grows."""
    from adaptation.constraints import Constraints
    from adaptation.vec_env import ExposureVecEnv

    def run(horizon: int) -> float:
        c = Constraints(enabled=True, escape_lambda=100.0, escape_lr=0.1, horizon_sessions=horizon)
        env = ExposureVecEnv(2, seed=1, constraints=c)
        env.reset()
        k = 0
        for _ in range(40):
            for _ in range(12):
                k += 1
                env._core.finished_costs.append(np.array([0.1 if k % 30 == 0 else 0.0, 5.0]))
            env.update_lambdas()
        return float(env.lambdas[0])

    assert run(0) < 100.0 < run(300)


def _always_up(mask_raises: bool):
    from adaptation.policy import NumpyPolicy

    width = len(POLICY_FIELDS)
    layer = (np.zeros((4, width), np.float32), np.zeros(4, np.float32))
    head = (np.zeros((3, 4), np.float32), np.array([0.0, 0.0, 1.0], np.float32))  # argmax: "up"
    return NumpyPolicy([layer], head, "tanh", (-1, 0, 1), decision_s=5.0, mask_raises=mask_raises)


def test_only_a_policy_trained_with_raises_masked_is_masked_and_the_file_says_which(tmp_path):
    """A policy trained with ``mask_raises: false`` met the shield's hold in training (and saw
    it as a change in ``shield_changed_last``): masking it live would feed it inputs it never
    saw. The target is the shield's either way; the file records how it was trained."""
    from dataclasses import replace

    from adaptation.policy import NumpyPolicy

    rng = np.random.default_rng(12)
    batch = SessionBatch(DEFAULT.sample(1, rng), SessionConfig(holds_per_hour=0.0), rng)
    obs = replace(batch.observation(0), raise_held="hold: therapist hold")
    assert step_target(obs, +1) > obs.target
    for trained_masked, expected in ((True, obs.target), (False, step_target(obs, +1))):
        path = tmp_path / f"{trained_masked}.npz"
        _always_up(trained_masked).save(path)
        policy = NumpyPolicy.load(path)
        assert policy.mask_raises is trained_masked
        c = PolicyController(policy)
        d = c.decide(obs)
        assert d.target == expected and c.held_raises == int(trained_masked), d.reason
    # a file without the record: masked unless it reads the shield's changes but not the
    # verdict (format 2 before masking existed, trained unmasked); format 1 reads neither
    with np.load(tmp_path / "False.npz") as z:
        arrays = {k: z[k] for k in z.files if k != "mask_raises"}
    np.savez(tmp_path / "old.npz", **arrays)
    assert NumpyPolicy.load(tmp_path / "old.npz").mask_raises is True
    before = [POLICY_FIELDS.index(f) for f in POLICY_FIELDS if f != "raise_held"]
    arrays |= {"fields": np.array(POLICY_FIELDS[:-1]), "w0": arrays["w0"][:, before]}
    np.savez(tmp_path / "pre_mask.npz", **arrays)
    assert NumpyPolicy.load(tmp_path / "pre_mask.npz").mask_raises is False
    assert NumpyPolicy.load().mask_raises is True  # the shipped format-1 policy
