"""Time per decision of the learned policy: numpy (what sessions run) against SB3's ``predict``.

    python benchmarks/policy_latency.py [--calls 5000] [--core 0] [--import-runs 5] [--json OUT]

Weights: a freshly initialised SB3 PPO (MlpPolicy, net_arch [64, 64], tanh, as
``adaptation/configs/ppo_default.yaml``) over ``ExposureVecEnv(16)`` behind ``VecNormalize``
whose statistics were updated on 300 vector steps of random actions, exported with
``adaptation.export.to_numpy``: the numpy and torch sides hold the same weights and the
same normalisation, and the script checks that they choose the same action on every
benchmark input (it fails otherwise). Inputs: observations of simulated sessions under
random actions, both as vectors and as ``Observation`` objects (``SessionBatch.observation``).

Timed per call (``time.perf_counter_ns`` around each one, ``--calls`` calls, at least 2000,
after a warm-up of 200), one observation at a time as in a live session:

a. ``NumpyPolicy.act(x)`` on one observation vector (normalise, MLP, argmax);
b. ``PolicyController.decide(obs)`` on one ``Observation`` (encode + logits + reason text);
   ``encode(obs)`` alone is timed too, to split (b);
c. SB3: ``model.predict(normaliser.normalize_obs(x), deterministic=True)`` (torch, one thread);
d. the import of ``adaptation.policy`` in a fresh interpreter (``--import-runs`` times; numpy's
   share is timed apart by importing it first), and
   whether ``torch`` (or gymnasium, stable_baselines3) ended up in ``sys.modules``: sessions
   must not pay for torch, so torch there fails the benchmark.

Reported: median, p95, mean and max in µs. Pinned to one core (``--core``, −1 leaves
affinity alone), BLAS and torch to one thread; the JSON records the machine and its load.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _machine import machine_info, pin, write_result  # noqa: E402

MIN_CALLS = 2000
WARMUP = 200
IMPORT_PROBE = """
import json, sys, time
t0 = time.perf_counter()
import numpy
t1 = time.perf_counter()
import adaptation.policy
t2 = time.perf_counter()
print(json.dumps({"import_s": t2 - t0, "numpy_s": t1 - t0, "own_s": t2 - t1, "modules": len(sys.modules),
                  **{m: m in sys.modules for m in ("torch", "stable_baselines3", "gymnasium", "scipy")}}))
"""


def stats_us(ns: np.ndarray) -> dict:
    us = ns / 1000.0
    return {
        "calls": int(us.size),
        "median_us": round(float(np.median(us)), 2),
        "p95_us": round(float(np.percentile(us, 95)), 2),
        "mean_us": round(float(us.mean()), 2),
        "max_us": round(float(us.max()), 1),
        "load1": round(os.getloadavg()[0], 2),
    }


def timed(fn, inputs: list, calls: int) -> tuple[np.ndarray, list]:
    """Per-call times (ns) of ``fn(inputs[i % len])`` after a warm-up, and the results."""
    m = len(inputs)
    for i in range(WARMUP):
        fn(inputs[i % m])
    clock = time.perf_counter_ns
    ns = np.empty(calls, np.int64)
    results = [None] * calls
    for i in range(calls):
        x = inputs[i % m]
        t0 = clock()
        r = fn(x)
        ns[i] = clock() - t0
        results[i] = r
    return ns, results


def build(seed: int, n_envs: int = 16, stat_steps: int = 300, samples: int = 2000):
    """(model, normaliser, numpy policy, observation vectors, Observation objects)."""
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecNormalize

    from adaptation.export import to_numpy
    from adaptation.vec_env import ExposureVecEnv

    torch.set_num_threads(1)
    raw = ExposureVecEnv(n_envs, seed=seed)
    env = VecNormalize(raw, norm_obs=True, norm_reward=True, clip_obs=10.0, gamma=0.995)
    model = PPO(
        "MlpPolicy",
        env,
        seed=seed,
        device="cpu",
        n_steps=64,
        batch_size=64,
        policy_kwargs={"net_arch": [64, 64], "activation_fn": torch.nn.Tanh},
    )
    rng = np.random.default_rng(seed)
    env.reset()
    for _ in range(stat_steps):  # non-trivial running mean and variance
        env.step(rng.integers(0, 3, n_envs))
    env.training = False
    policy = to_numpy(model, env)
    vectors, observations = [], []
    batch = raw._core.batch
    while len(vectors) < samples:
        vectors.extend(raw._core.observation.copy())  # the policy's input (observation + session peaks)
        observations.extend(batch.observation(i) for i in range(n_envs))
        env.step(rng.integers(0, 3, n_envs))
    return model, env, policy, vectors[:samples], observations[:samples]


def import_probe(runs: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rows = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", IMPORT_PROBE], cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            return {"error": p.stderr.strip()[-500:]}
        r = json.loads(p.stdout.strip().splitlines()[-1])
        r["process_wall_s"] = wall
        rows.append(r)
    imp = np.array([r["import_s"] for r in rows])
    return {
        "runs": runs,
        "import_ms_median": round(1000 * float(np.median(imp)), 1),
        "import_ms_min": round(1000 * float(imp.min()), 1),
        "import_ms_first": round(1000 * float(imp[0]), 1),
        "of_which_numpy_ms_median": round(1000 * float(np.median([r["numpy_s"] for r in rows])), 1),
        "after_numpy_ms_median": round(1000 * float(np.median([r["own_s"] for r in rows])), 1),
        "process_wall_ms_median": round(1000 * float(np.median([r["process_wall_s"] for r in rows])), 1),
        "modules_loaded": rows[-1]["modules"],
        "torch_imported": any(r["torch"] for r in rows),
        "stable_baselines3_imported": any(r["stable_baselines3"] for r in rows),
        "gymnasium_imported": any(r["gymnasium"] for r in rows),
        "scipy_imported": any(r["scipy"] for r in rows),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--calls", type=int, default=5000, help=f"timed calls per case (at least {MIN_CALLS}; default 5000)"
    )
    ap.add_argument("--core", type=int, default=0, help="core to pin to; -1 leaves affinity alone (default 0)")
    ap.add_argument("--import-runs", type=int, default=5, help="fresh interpreters for the import probe (default 5)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "policy_latency_cpu.json")
    args = ap.parse_args()
    if args.calls < MIN_CALLS:
        ap.error(f"--calls {args.calls}: at least {MIN_CALLS}")
    cores = pin(args.core)
    load_before = [round(x, 2) for x in os.getloadavg()]
    import torch

    from adaptation.observation import encode
    from adaptation.policy import PolicyController

    model, normaliser, policy, vectors, observations = build(args.seed)
    controller = PolicyController(policy)

    ns_np, act_np = timed(policy.act, vectors, args.calls)
    ns_enc, _ = timed(encode, observations, args.calls)
    ns_ctl, decisions = timed(controller.decide, observations, args.calls)
    ns_sb3, act_sb3 = timed(
        lambda x: model.predict(normaliser.normalize_obs(x), deterministic=True)[0], vectors, args.calls
    )
    # Same weights, same answers: numpy vs torch on every benchmark input.
    a_np = np.array([int(a) for a in act_np])
    a_sb3 = np.array([int(a) for a in act_sb3])
    disagree = int((a_np != a_sb3).sum())
    batch_np = policy.act(np.stack(vectors))
    batch_sb3 = model.predict(normaliser.normalize_obs(np.stack(vectors)), deterministic=True)[0]
    disagree += int((batch_np != batch_sb3).sum())
    assert disagree == 0, f"numpy and SB3 disagree on {disagree} of {2 * args.calls + len(vectors)} inputs"
    imports = import_probe(args.import_runs)

    info = machine_info()
    cases = {
        "numpy_act": stats_us(ns_np),
        "encode_observation": stats_us(ns_enc),
        "policy_controller_decide": stats_us(ns_ctl),
        "sb3_predict_with_vecnormalize": stats_us(ns_sb3),
    }
    out = {
        "benchmark": "policy_latency",
        "machine": info,
        "pinned_cores": cores,
        "torch_threads": torch.get_num_threads(),
        "load_average_before": load_before,
        "load_average_after": info["load_average"],
        "warmup_calls": WARMUP,
        "distinct_inputs": len(vectors),
        "network": {
            "net_arch": [64, 64],
            "activation": policy.activation,
            "observation_size": int(len(vectors[0])),
            "actions": list(policy.actions),
            "weights": "fresh SB3 PPO, VecNormalize stats from 300 random steps",
        },
        "actions_agree": {
            "inputs_checked": 2 * args.calls + len(vectors),
            "disagreements": disagree,
            "action_counts": np.bincount(a_np, minlength=3).tolist(),
        },
        "cases": cases,
        "speedup_numpy_vs_sb3_median": round(
            cases["sb3_predict_with_vecnormalize"]["median_us"] / cases["numpy_act"]["median_us"], 1
        ),
        "import_adaptation_policy": imports,
    }

    labels = {
        "numpy_act": "a  NumpyPolicy.act(vector)",
        "encode_observation": "   encode(Observation) alone",
        "policy_controller_decide": "b  PolicyController.decide(obs)",
        "sb3_predict_with_vecnormalize": "c  SB3 predict (+normalize_obs)",
    }
    print(f"per decision, one observation, pinned to {cores}, torch threads {torch.get_num_threads()}")
    print(f"{'case':34} {'median µs':>10} {'p95 µs':>9} {'mean µs':>9} {'calls':>7}")
    for k, r in cases.items():
        print(f"{labels[k]:34} {r['median_us']:>10.1f} {r['p95_us']:>9.1f} {r['mean_us']:>9.1f} {r['calls']:>7}")
    print(
        f"numpy vs SB3 (median): {out['speedup_numpy_vs_sb3_median']}× faster; actions agree on "
        f"{out['actions_agree']['inputs_checked']} inputs (counts per action {out['actions_agree']['action_counts']})"
    )
    ok = "error" not in imports and not imports["torch_imported"]
    if "error" in imports:
        print(f"d  import adaptation.policy failed: {imports['error']}")
    else:
        print(
            f"d  import adaptation.policy, fresh interpreter: median {imports['import_ms_median']} ms "
            f"(numpy {imports['of_which_numpy_ms_median']} ms + the rest {imports['after_numpy_ms_median']} ms; "
            f"first run {imports['import_ms_first']} ms; whole process {imports['process_wall_ms_median']} ms); "
            f"torch imported: {imports['torch_imported']}, gymnasium: {imports['gymnasium_imported']}, "
            f"SB3: {imports['stable_baselines3_imported']}, scipy: {imports['scipy_imported']}"
            + ("" if ok else "   FAIL: sessions must not import torch")
        )
    print(
        f"load average before {load_before}, after {info['load_average']} on {info['cpus']} CPUs"
        + (f"; training running: {len(info['training_runs_active'])}" if info["training_runs_active"] else "")
    )
    write_result(args.json, out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
