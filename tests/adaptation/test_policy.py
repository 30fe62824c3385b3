"""The numpy policy: same actions as SB3, no torch at session time, bad files refused."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from adaptation.errors import PolicyError
from adaptation.observation import POLICY_SIZE
from adaptation.policy import SHIPPED, NumpyPolicy, PolicyController

sb3 = pytest.importorskip("stable_baselines3")
from stable_baselines3.common.logger import Logger  # noqa: E402 — only once SB3 is known to be there


@pytest.fixture(scope="module")
def trained():
    """A briefly trained PPO with real normalisation statistics, and its export."""
    import torch
    from stable_baselines3.common.vec_env import VecNormalize

    from adaptation.export import to_numpy
    from adaptation.vec_env import ExposureVecEnv

    torch.set_num_threads(1)
    env = VecNormalize(ExposureVecEnv(4, seed=1), gamma=0.995)
    model = sb3.PPO(
        "MlpPolicy",
        env,
        n_steps=128,
        batch_size=128,
        n_epochs=2,
        seed=1,
        device="cpu",
        policy_kwargs={"net_arch": [32, 32]},
    )
    model.set_logger(Logger(folder=None, output_formats=[]))  # no SB3-<time> folder left in /tmp
    model.learn(1024)
    # observations the policy meets: a rollout, plus extremes of the observation box
    rng = np.random.default_rng(0)
    raw = [env.get_original_obs()]
    for _ in range(150):
        env.step_async(rng.integers(0, 3, 4))
        env.step_wait()
        raw.append(env.get_original_obs())
    raw = np.concatenate(raw + [rng.uniform(-3, 3, (3000, POLICY_SIZE)).astype(np.float32)])
    return model, env, to_numpy(model, env), raw


def test_numpy_actions_equal_sb3_predict(trained):
    model, env, policy, raw = trained
    sb3_actions, _ = model.predict(env.normalize_obs(raw), deterministic=True)
    ours = policy.act(raw)
    assert len(raw) > 3500
    assert np.array_equal(ours, sb3_actions)
    assert len(set(ours.tolist())) >= 2  # a policy that always says one thing proves little


def test_numpy_logits_equal_torch_logits(trained):
    import torch

    model, env, policy, raw = trained
    with torch.no_grad():
        dist = model.policy.get_distribution(torch.as_tensor(env.normalize_obs(raw)))
        logits = dist.distribution.logits.numpy()
    ours = policy.logits(raw)
    # torch returns normalised log-probabilities; compare up to each row's constant
    assert np.allclose(ours - ours.max(1, keepdims=True), logits - logits.max(1, keepdims=True), atol=1e-4)


def test_save_and_load_round_trip(tmp_path, trained):
    _, _, policy, raw = trained
    path = tmp_path / "p.npz"
    policy.save(path)
    again = NumpyPolicy.load(path)
    assert np.array_equal(again.act(raw), policy.act(raw))
    assert again.activation == policy.activation and again.actions == (-1, 0, 1)


def test_loading_the_policy_never_imports_torch(tmp_path, trained):
    _, _, policy, _ = trained
    path = tmp_path / "p.npz"
    policy.save(path)
    code = textwrap.dedent(f"""
        import sys
        from adaptation.policy import NumpyPolicy, PolicyController
        from adaptation.sim import SessionBatch
        from adaptation.population import Population
        import numpy as np
        c = PolicyController(NumpyPolicy.load({str(path)!r}))
        b = SessionBatch(Population.builtin().sample(2, np.random.default_rng(0)))
        d = c.decide(b.observation(0))
        assert 'torch' not in sys.modules and 'stable_baselines3' not in sys.modules, sorted(sys.modules)
        print(d.reason)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "learned policy" in done.stdout


@pytest.mark.skipif(not SHIPPED.exists(), reason="no shipped policy yet")
def test_the_shipped_policy_loads_and_decides():
    from adaptation.population import Population
    from adaptation.sim import SessionBatch

    c = PolicyController()
    b = SessionBatch(Population.builtin().sample(3, np.random.default_rng(1)))
    d = c.decide(b.observation(1))
    assert d.source == "policy" and 0.0 <= d.target <= 1.0
    assert "learned policy" in d.reason and "SUDS" in d.reason


def test_missing_file_says_how_to_get_one(tmp_path):
    with pytest.raises(PolicyError, match="no such policy file.*vrex train"):
        NumpyPolicy.load(tmp_path / "nope.npz")


def test_corrupt_files_are_refused_with_the_file_named(tmp_path, trained):
    _, _, policy, _ = trained
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(PolicyError, match="garbage.npz: not a readable policy file"):
        NumpyPolicy.load(garbage)
    good = tmp_path / "good.npz"
    policy.save(good)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(PolicyError, match="cut.npz"):
        NumpyPolicy.load(cut)
    with np.load(good) as z:
        arrays = {k: z[k] for k in z.files}
    for name, change in {
        "fields": lambda a: a.update(fields=np.array(["a", "b"])),
        "format": lambda a: a.update(format=np.array("other/9")),
        "shape": lambda a: a.update(w1=a["w1"][:, :5]),
        "nan": lambda a: a.update(b0=np.full_like(a["b0"], np.nan)),
        "missing": lambda a: a.pop("action_w"),
    }.items():
        bad = dict(arrays)
        change(bad)
        path = tmp_path / f"{name}.npz"
        np.savez(path, **bad)
        with pytest.raises(PolicyError, match=f"{name}.npz"):
            NumpyPolicy.load(path)


def test_pickled_objects_are_never_loaded(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, format=np.array("vrex-policy/1"), fields=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(PolicyError, match="pickled.npz"):
        NumpyPolicy.load(path)


def test_nan_observation_is_refused_not_acted_on(trained):
    _, _, policy, raw = trained
    x = raw[0].copy()
    x[3] = np.nan
    with pytest.raises(PolicyError, match="NaN"):
        policy.act(x)


def test_a_nan_reaching_the_policy_falls_back_to_the_rule_controller_with_a_reason(trained):
    """An observation the encoder cannot clean (a NaN intensity) makes the policy raise; the
    shield then asks the threshold rule and says why."""
    from dataclasses import replace

    from adaptation.controllers import ThresholdRule
    from adaptation.population import Population
    from adaptation.shield import SafetyShield
    from adaptation.sim import SessionBatch

    _, _, policy, _ = trained
    b = SessionBatch(Population.builtin().sample(1, np.random.default_rng(2)))
    shield = SafetyShield(PolicyController(policy), ThresholdRule())
    d = shield.decide(replace(b.observation(0), intensity=float("nan")))
    assert d.source.startswith("fallback:")
    assert any("NaN" in note for note in d.interventions)
    assert np.isfinite(d.target)


def test_a_multi_frame_policy_stacks_decisions_as_sb3_vecframestack_does():
    """Train briefly on VecFrameStack(VecNormalize(env)); then, along a session, the
    controller's own stack equals SB3's stacked observation and the actions agree."""
    import torch
    from stable_baselines3.common.vec_env import VecFrameStack, VecNormalize

    from adaptation.export import to_numpy
    from adaptation.vec_env import ExposureVecEnv

    torch.set_num_threads(1)
    normaliser = VecNormalize(ExposureVecEnv(2, seed=4, mask_raises=True), gamma=0.995)  # as the controller masks
    env = VecFrameStack(normaliser, n_stack=3)
    model = sb3.PPO(
        "MlpPolicy", env, n_steps=64, batch_size=64, n_epochs=1, seed=2, device="cpu", policy_kwargs={"net_arch": [16]}
    )
    model.set_logger(Logger(folder=None, output_formats=[]))
    model.learn(512)
    policy = to_numpy(model, normaliser, frames=3)
    normaliser.training = False
    stacked = env.reset()
    core = normaliser.venv._core
    controllers = [PolicyController(policy), PolicyController(policy)]
    seen = set()
    for _ in range(40):
        actions, _ = model.predict(stacked, deterministic=True)
        for i, c in enumerate(controllers):
            obs = core.observations[i]  # with the shield's verdict on a raise, as a session's shield gives it
            d = c.decide(obs)
            assert np.allclose(c._stack, stacked[i], rtol=1e-5, atol=1e-5)
            move = (-1, 0, 1)[int(actions[i])]
            from adaptation.types import step_target

            masked = 0 if move > 0 and obs.raise_held else move  # the controller stays where the rules hold raises
            assert d.target == step_target(obs, masked)
            seen.add(move)
        stacked, _, dones, _ = env.step(actions)
        for i in np.flatnonzero(dones):
            controllers[i].reset()
    assert len(seen) >= 2


@pytest.mark.slow
@pytest.mark.skipif(not SHIPPED.exists(), reason="no shipped policy yet")
def test_the_shipped_policy_outdoes_the_classic_protocol_on_fresh_people_and_stays_inside_the_envelope():
    """A small, fresh sample (the full comparison, 500 people per controller, is in
    adaptation/policies/ppo_default.evaluation.json): the policy must still finish the
    hierarchy far more often than the SUDS-gated protocol, with no invariant broken."""
    from adaptation.evaluate import evaluate
    from adaptation.population import Population

    r = evaluate(["suds", "policy"], Population.builtin(), 60, seed=4242)
    policy, suds = r["controllers"]["policy"]["all"], r["controllers"]["suds"]["all"]
    assert policy["invariant_violations"] == 0 == suds["invariant_violations"]
    assert policy["success_rate"] > suds["success_rate"] + 0.15
    assert policy["mean_top_level"] > suds["mean_top_level"]
