"""``ExposureVecEnv``: ``n_envs`` exposure sessions as one SB3 ``VecEnv``, simulated as one batch.

SB3's ``DummyVecEnv`` would step ``n_envs`` separate ``ExposureEnv``s in a Python loop; here
the patients of every env are one numpy batch (``ShieldedSessions``), which is what makes
training on two cores fast. Semantics follow SB3's ``VecEnv``: a finished session is
restarted at once with a new person, and its last observation is in
``infos[i]["terminal_observation"]``. ``ExposureEnv`` is the same core with ``n = 1``
(tests compare the two).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnv

from .env import ACTIONS, Constraints, RewardWeights, ShieldedSessions
from .observation import POLICY_SIZE
from .population import Population
from .randomise import MixedPopulation
from .shield import ShieldConfig
from .sim import SessionConfig


class ExposureVecEnv(VecEnv):
    def __init__(
        self,
        n_envs: int,
        population: Population | MixedPopulation | str = "default",
        config: SessionConfig | None = None,
        shield: ShieldConfig | None = None,
        reward: RewardWeights | None = None,
        seed: int | None = None,
        constraints: Constraints | None = None,
        mask_raises: bool = False,
    ):
        if not (isinstance(n_envs, int) and n_envs >= 1):
            raise ValueError(f"n_envs = {n_envs!r}; expected a positive whole number")
        self.population = Population.builtin(population) if isinstance(population, str) else population
        self.config = config or SessionConfig()
        self.shield_config = shield or ShieldConfig()
        self.reward_weights = reward or RewardWeights()
        self.constraints = constraints or Constraints()
        self.mask_raises = mask_raises
        self.lambdas = self.constraints.initial()  # kept across resets; the trainer updates them
        self._recent: deque[np.ndarray] = deque(maxlen=max(self.constraints.horizon_sessions, 1))
        self.render_mode = None
        super().__init__(n_envs, spaces.Box(-3.0, 3.0, (POLICY_SIZE,), np.float32), spaces.Discrete(len(ACTIONS)))
        self._seed = seed
        self._core: ShieldedSessions | None = None
        self._actions: np.ndarray | None = None
        self._returns = np.zeros(n_envs)
        self._lengths = np.zeros(n_envs, np.int64)

    def _new_core(self) -> ShieldedSessions:
        rng = np.random.default_rng(self._seed)
        core = ShieldedSessions(
            self.num_envs,
            self.population,
            self.config,
            self.shield_config,
            self.reward_weights,
            rng,
            self.constraints,
            self.mask_raises,
        )
        core.lambdas = self.lambdas
        return core

    def update_lambdas(self) -> dict[str, float]:
        """Move the constraint multipliers by the sessions finished since the last call
        (``Constraints.update``); returns the mean costs and the new multipliers."""
        core = self._core
        if core is None or not core.finished_costs:
            return {}
        finished = list(core.finished_costs)
        core.finished_costs.clear()
        count = len(finished)
        self._recent.extend(finished)
        # the mean cost over the constraint's horizon (its last sessions), else this rollout's
        mean = np.mean(self._recent if self.constraints.horizon_sessions else finished, axis=0)
        self.lambdas = core.lambdas = self.constraints.update(self.lambdas, mean)
        return {
            "sessions": count,
            "expected_escapes": float(mean[0]),
            "interventions": float(mean[1]),
            "lambda_escape": float(self.lambdas[0]),
            "lambda_interventions": float(self.lambdas[1]),
        }

    def reset(self) -> np.ndarray:
        self._core = self._new_core()
        self._returns[:] = 0.0
        self._lengths[:] = 0
        return self._core.observation.copy()

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions).reshape(self.num_envs)

    def step_wait(self):
        if self._core is None:
            raise RuntimeError("call reset() before step()")
        core = self._core
        rewards, _ = core.step(self._actions)
        batch = core.batch
        self._returns += rewards
        self._lengths += 1
        dones = batch.done.copy()
        obs = core.observation.copy()
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        finished = np.flatnonzero(dones)
        for i in finished:
            terminated = bool(batch.escaped[i] or batch.succeeded[i])
            infos[i] = {
                "terminal_observation": obs[i].copy(),
                "TimeLimit.truncated": not terminated,
                "escaped": bool(batch.escaped[i]),
                "succeeded": bool(batch.succeeded[i]),
                "top_reached": int(batch.top_reached[i]),
                "episode": {"r": float(self._returns[i]), "l": int(self._lengths[i])},
            }
        if len(finished):
            core.reset(finished)
            self._returns[finished] = 0.0
            self._lengths[finished] = 0
            obs = core.observation.copy()
        return obs, rewards.astype(np.float32), dones, infos

    def close(self) -> None:
        self._core = None

    def seed(self, seed: int | None = None) -> Sequence[None | int]:
        self._seed = seed
        return [seed] * self.num_envs

    # SB3 asks these of wrapped envs; a batch has no sub-envs to ask.
    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        return [getattr(self, attr_name)] * len(self._indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs) -> list[Any]:
        raise AttributeError(f"ExposureVecEnv has no sub-environments to call {method_name!r} on")

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False] * len(self._indices(indices))

    def _indices(self, indices) -> list[int]:
        if indices is None:
            return list(range(self.num_envs))
        return [indices] if isinstance(indices, int) else list(indices)
