"""Environment steps per second: ExposureEnv, ExposureVecEnv, SB3's DummyVecEnv, and evaluation.

    python benchmarks/env_speed.py [--seconds 3] [--core 0] [--episodes 64] [--profile] [--json OUT]

One environment step is one decision (5 s of simulated session): the action passes the
safety shield, the scene eases, the patient, sensors, SUDS and therapist advance 5 s, and
the next observation is measured and encoded. Actions are uniformly random.

- ``ExposureEnv``: one session behind Gymnasium's API; a finished episode is reset at once
  (the reset, which draws a new person, is timed too).
- ``ExposureVecEnv`` with ``n_envs`` = 1, 8, 16, 64: the sessions of every env are one numpy
  batch; env steps per second = ``n_envs`` × vector steps per second (SB3's auto reset).
- SB3 ``DummyVecEnv`` of 16 ``ExposureEnv``: SB3's stock way, for comparison with
  ``ExposureVecEnv(16)``.
- ``adaptation.evaluate.run_episodes``: decisions per second of ``--episodes`` people run to
  the end in lockstep with the rule controller ``threshold`` and with the learned policy
  (``NumpyPolicy`` behind ``PolicyController``; ``adaptation/policies/ppo_default.npz`` when
  it exists, else a freshly initialised SB3 PPO, net_arch [64, 64], exported with
  ``adaptation.export.to_numpy`` — the same arithmetic, untrained weights). A decision is
  one ``SafetyShield.decide`` call; each is followed by 5 s of simulation.

``--profile`` also runs cProfile on ``ExposureVecEnv(16)`` steps and on
``ExposureEnv`` steps and prints (and stores) the top functions by own time and by
cumulative time.

Pinned to one core (``--core``; −1 leaves affinity alone), BLAS and torch to one thread.
The JSON records the machine and the load average before and after each case.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _machine import machine_info, pin, write_result  # noqa: E402

VEC_SIZES = (1, 8, 16, 64)


def load1() -> float:
    return round(os.getloadavg()[0], 2)


# -- the cases -----------------------------------------------------------------------------


def bench_env(seconds: float, seed: int = 0) -> dict:
    from adaptation.env import ExposureEnv

    env = ExposureEnv()
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    for _ in range(20):
        env.step(int(rng.integers(3)))
    steps = episodes = 0
    la = load1()
    t0 = time.perf_counter()
    while True:
        for _ in range(50):
            _, _, term, trunc, _ = env.step(int(rng.integers(3)))
            steps += 1
            if term or trunc:
                env.reset()
                episodes += 1
        el = time.perf_counter() - t0
        if el >= seconds:
            break
    return {
        "case": "ExposureEnv",
        "n_envs": 1,
        "env_steps": steps,
        "episodes_finished": episodes,
        "seconds": round(el, 2),
        "env_steps_per_s": round(steps / el, 1),
        "us_per_env_step": round(1e6 * el / steps, 1),
        "load1_before_after": [la, load1()],
    }


def _run_vec(venv, n: int, seconds: float, label: str, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    venv.reset()
    for _ in range(10):
        venv.step(rng.integers(0, 3, n))
    vsteps = finished = 0
    la = load1()
    t0 = time.perf_counter()
    while True:
        for _ in range(10):
            _, _, dones, _ = venv.step(rng.integers(0, 3, n))
            finished += int(np.sum(dones))
            vsteps += 1
        el = time.perf_counter() - t0
        if el >= seconds:
            break
    venv.close()
    return {
        "case": label,
        "n_envs": n,
        "vector_steps": vsteps,
        "env_steps": vsteps * n,
        "episodes_finished": finished,
        "seconds": round(el, 2),
        "env_steps_per_s": round(vsteps * n / el, 1),
        "vector_steps_per_s": round(vsteps / el, 1),
        "us_per_env_step": round(1e6 * el / (vsteps * n), 1),
        "load1_before_after": [la, load1()],
    }


def bench_vec(n: int, seconds: float, seed: int = 0) -> dict:
    from adaptation.vec_env import ExposureVecEnv

    return _run_vec(ExposureVecEnv(n, seed=seed), n, seconds, "ExposureVecEnv", seed)


def bench_dummy(n: int, seconds: float, seed: int = 0) -> dict:
    from stable_baselines3.common.vec_env import DummyVecEnv

    from adaptation.env import ExposureEnv

    venv = DummyVecEnv([ExposureEnv for _ in range(n)])
    venv.seed(seed)
    return _run_vec(venv, n, seconds, "SB3 DummyVecEnv(ExposureEnv)", seed)


def numpy_policy(seed: int = 0):
    """The shipped policy, or a fresh SB3 PPO (net_arch [64, 64]) exported to numpy."""
    from adaptation.policy import SHIPPED, NumpyPolicy

    if SHIPPED.is_file():
        return NumpyPolicy.load(SHIPPED), str(SHIPPED.relative_to(ROOT))
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecNormalize

    from adaptation.export import to_numpy
    from adaptation.vec_env import ExposureVecEnv

    torch.set_num_threads(1)
    env = VecNormalize(ExposureVecEnv(8, seed=seed), norm_obs=True, norm_reward=False)
    model = PPO("MlpPolicy", env, seed=seed, device="cpu", policy_kwargs={"net_arch": [64, 64]}, n_steps=64)
    return to_numpy(model, env), "fresh SB3 PPO net_arch [64, 64] (untrained), exported with adaptation.export.to_numpy"


class _Counting:
    """A controller wrapper that counts ``decide`` calls (one per decision of a session)."""

    def __init__(self, inner, counter: list[int]):
        self.inner, self.counter, self.name = inner, counter, inner.name

    def reset(self) -> None:
        self.inner.reset()

    def decide(self, obs):
        self.counter[0] += 1
        return self.inner.decide(obs)


def bench_run_episodes(name: str, episodes: int, seed: int, policy=None) -> dict:
    from adaptation.evaluate import controller_factory, run_episodes
    from adaptation.policy import PolicyController
    from adaptation.population import Population

    make = (lambda: PolicyController(policy)) if name == "policy" else controller_factory(name)
    counter = [0]
    params = Population.builtin("default").sample(episodes, np.random.default_rng(seed))
    la = load1()
    t0 = time.perf_counter()
    ep = run_episodes(lambda: _Counting(make(), counter), params, seed=seed + 1)
    el = time.perf_counter() - t0
    return {
        "case": f"run_episodes({name})",
        "episodes": episodes,
        "decisions": counter[0],
        "seconds": round(el, 2),
        "decisions_per_s": round(counter[0] / el, 1),
        "us_per_decision": round(1e6 * el / counter[0], 1),
        "simulated_patient_s_per_s": round(5.0 * counter[0] / el),
        "success_rate": round(float(ep.success.mean()), 3),
        "escape_rate": round(float(ep.escaped.mean()), 3),
        "load1_before_after": [la, load1()],
    }


def profile(fn, top: int) -> dict:
    pr = cProfile.Profile()
    t0 = time.perf_counter()
    pr.enable()
    fn()
    pr.disable()
    wall = time.perf_counter() - t0
    st = pstats.Stats(pr)
    total = st.total_tt
    rows = []
    for (file, line, func), (_cc, nc, tt, ct, _) in st.stats.items():
        where = f"{Path(file).name}:{line}({func})" if line else func
        if "site-packages" in file:
            where = f"{file.split('site-packages/')[1]}:{line}({func})"
        rows.append(
            {
                "function": where,
                "calls": nc,
                "tottime_s": round(tt, 4),
                "cumtime_s": round(ct, 4),
                "tottime_share": round(tt / total, 3),
            }
        )
    by_own = sorted(rows, key=lambda r: -r["tottime_s"])[:top]
    by_cum = sorted(rows, key=lambda r: -r["cumtime_s"])[:top]
    return {
        "wall_s_under_profiler": round(wall, 2),
        "profiled_s": round(total, 3),
        "top_by_own_time": by_own,
        "top_by_cumulative_time": by_cum,
    }


def profile_cases(seconds: float, top: int) -> dict:
    from adaptation.env import ExposureEnv
    from adaptation.vec_env import ExposureVecEnv

    rng = np.random.default_rng(0)
    venv = ExposureVecEnv(16, seed=0)
    venv.reset()
    k = max(20, int(seconds * 150))

    def vec():
        for _ in range(k):
            venv.step(rng.integers(0, 3, 16))

    env = ExposureEnv()
    env.reset(seed=0)

    def single():
        for _ in range(k * 4):
            _, _, term, trunc, _ = env.step(int(rng.integers(3)))
            if term or trunc:
                env.reset()

    return {
        "ExposureVecEnv(16)": {"vector_steps": k, **profile(vec, top)},
        "ExposureEnv": {"env_steps": k * 4, **profile(single, top)},
    }


def print_profile(name: str, p: dict, top: int) -> None:
    print(f"\ncProfile {name}: {p['profiled_s']:.2f} s profiled — top {top} by own time")
    print(f"  {'own s':>7} {'share':>6} {'cum s':>7} {'calls':>9}  function")
    for r in p["top_by_own_time"][:top]:
        print(
            f"  {r['tottime_s']:7.3f} {r['tottime_share']:6.1%} {r['cumtime_s']:7.3f} {r['calls']:>9}  {r['function']}"
        )
    print("  by cumulative time:")
    for r in p["top_by_cumulative_time"][:top]:
        print(f"  {'':7} {'':6} {r['cumtime_s']:7.3f} {r['calls']:>9}  {r['function']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=3.0, help="timed seconds per step case (default 3)")
    ap.add_argument("--episodes", type=int, default=64, help="people per run_episodes case (default 64)")
    ap.add_argument("--core", type=int, default=0, help="core to pin to; -1 leaves affinity alone (default 0)")
    ap.add_argument("--vec", default=",".join(map(str, VEC_SIZES)), help="ExposureVecEnv sizes (default 1,8,16,64)")
    ap.add_argument("--profile", action="store_true", help="also cProfile env steps and print the top costs")
    ap.add_argument("--top", type=int, default=15, help="rows of the profile to print (default 15)")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "env_speed_cpu.json")
    args = ap.parse_args()
    cores = pin(args.core)
    import torch

    torch.set_num_threads(1)
    load_before = [round(x, 2) for x in os.getloadavg()]

    steps = [bench_env(args.seconds)]
    steps += [bench_vec(int(n), args.seconds) for n in args.vec.split(",") if n]
    steps.append(bench_dummy(16, args.seconds))
    policy, policy_source = numpy_policy()
    evals = [
        bench_run_episodes("threshold", args.episodes, seed=1001),
        bench_run_episodes("policy", args.episodes, seed=1001, policy=policy),
    ]
    prof = profile_cases(min(args.seconds, 3.0), args.top) if args.profile else None

    info = machine_info()
    out = {
        "benchmark": "env_speed",
        "machine": info,
        "pinned_cores": cores,
        "torch_threads": torch.get_num_threads(),
        "load_average_before": load_before,
        "load_average_after": info["load_average"],
        "seconds_per_case": args.seconds,
        "decision_interval_s": 5.0,
        "actions": "uniform random",
        "step_throughput": steps,
        "policy_source": policy_source,
        "run_episodes": evals,
    }
    if prof:
        out["profile"] = prof

    print(f"env steps per second (one step = one decision = 5 s simulated), pinned to {cores}")
    print(f"{'case':32} {'n_envs':>6} {'env steps/s':>12} {'µs/env step':>12} {'episodes':>9}")
    for r in steps:
        print(
            f"{r['case']:32} {r['n_envs']:>6} {r['env_steps_per_s']:>12,.0f} {r['us_per_env_step']:>12.1f} "
            f"{r['episodes_finished']:>9}"
        )
    vec16 = next((r for r in steps if r["case"] == "ExposureVecEnv" and r["n_envs"] == 16), None)
    if vec16:
        print(f"ExposureVecEnv(16) / DummyVecEnv(16): {vec16['env_steps_per_s'] / steps[-1]['env_steps_per_s']:.2f}×")
    print(f"\nrun_episodes, {args.episodes} people, policy: {policy_source}")
    print(f"{'case':24} {'decisions/s':>12} {'µs/decision':>12} {'decisions':>10} {'success':>8} {'escape':>7}")
    for r in evals:
        print(
            f"{r['case']:24} {r['decisions_per_s']:>12,.0f} {r['us_per_decision']:>12.1f} {r['decisions']:>10} "
            f"{r['success_rate']:>8.1%} {r['escape_rate']:>7.1%}"
        )
    if prof:
        for name, p in prof.items():
            print_profile(name, p, args.top)
    print(
        f"\nload average before {load_before}, after {info['load_average']} on {info['cpus']} CPUs"
        + (f"; training running: {len(info['training_runs_active'])}" if info["training_runs_active"] else "")
    )
    write_result(args.json, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
