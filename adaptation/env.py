"""``ExposureEnv``: one simulated exposure session as a Gymnasium environment.

``ShieldedSessions`` holds the logic for ``n`` sessions at once (actions → shield → scene →
patient → reward); ``ExposureEnv`` is it with ``n = 1`` behind Gymnasium's API, and
``adaptation.vec_env.ExposureVecEnv`` is it with ``n = n_envs`` behind SB3's ``VecEnv``
(no per-env Python loop in the simulation), so training and checking share one code path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import gymnasium as gym
import numpy as np

from .constraints import Constraints
from .controllers import ThresholdRule
from .observation import POLICY_SIZE, SessionMemory
from .population import Population
from .randomise import MixedPopulation
from .shield import SafetyShield, ShieldConfig
from .sim import SessionBatch, SessionConfig, Tally
from .types import Decision, Observation, Therapist, step_target

ACTIONS = (-1, 0, +1)  # one level down, stay, one level up
ACTION_WORDS = ("step down", "stay", "step up")


@dataclass(frozen=True)
class RewardWeights:
    """The reward, following the clinic (see ``ExposureEnv``'s Rewards)."""

    progress: float = 1.0  # per level of the hierarchy reached for the first time
    in_band: float = 0.01  # per second at therapeutic (moderate) arousal while exposed
    success: float = 10.0  # habituated at the top level: the session's goal
    escape: float = -100.0  # the person panicked and left: the worst outcome
    escape_expected: bool = False  # True: charge the escape's probability each second instead
    panic: float = -0.5  # per second above the person's panic level
    sensitising: float = -0.01  # per second above the person's habituation band
    change: float = -0.02  # per level the target moves (abrupt changes)
    overruled: float = -0.05  # the shield had to change the proposed target

    def __call__(self, tally: Tally, level_moves: np.ndarray, overruled: np.ndarray) -> np.ndarray:
        # success ends the session early: the time it saves counts as time in band, or
        # finishing would cost the policy the in-band reward it could have lingered for
        finished = self.success * tally.succeeded
        if tally.remaining_s is not None:
            finished = finished + self.in_band * tally.remaining_s
        return (
            self.progress * tally.new_levels
            + self.in_band * tally.in_band_s
            + finished
            + self.escape * (tally.escape_risk if self.escape_expected else tally.escaped)
            + self.panic * tally.panic_s
            + self.sensitising * tally.sensitising_s
            + self.change * level_moves
            + self.overruled * overruled
        )


class ShieldedSessions:
    """``n`` sessions with their shields; ``step(actions)`` is one decision for each.

    ``lambdas`` (escape, interventions) charge the ``Constraints`` costs in the reward;
    ``session_costs`` sums each running session's costs, ``finished_costs`` collects those
    of sessions that ended (for the multiplier update; the trainer empties it).
    """

    def __init__(
        self,
        n: int,
        population: Population | MixedPopulation,
        config: SessionConfig,
        shield: ShieldConfig,
        reward: RewardWeights,
        rng: np.random.Generator,
        constraints: Constraints | None = None,
        mask_raises: bool = False,
    ):
        self.population = population
        self.mask_raises = mask_raises
        self.constraints = constraints or Constraints()
        self.lambdas = self.constraints.initial()
        self.session_costs = np.zeros((n, 2))
        self.finished_costs: list[np.ndarray] = []
        self.rng = rng
        self.reward = reward
        self.batch = SessionBatch(population.sample(n, rng), config, rng)
        self.shields = [SafetyShield(None, ThresholdRule(), shield) for _ in range(n)]
        self.interventions = np.zeros(n, np.int64)
        self.memory = SessionMemory(n, config.decision_interval_s)
        self.observations: list[Observation] = [self.batch.observation(i) for i in range(n)]
        self.raise_held = np.zeros(n, bool)
        self.observation = self._with_shield(self.memory.update(self.batch.vectors(), np.zeros(n)), range(n))

    def _with_shield(self, memory_rows: np.ndarray, rows: Iterable[int]) -> np.ndarray:
        """``memory_rows`` (one per row of ``rows``) with the shield's verdict on a raise
        appended: the policy sees it before acting, as ``PolicyController`` does live."""
        for i in rows:
            why = self.shields[i].raise_hold(self.observations[i])
            self.raise_held[i] = bool(why)
            self.observations[i] = replace(self.observations[i], raise_held=why)
        held = self.raise_held[list(rows)].astype(np.float32)[:, None]
        return np.concatenate([memory_rows, held], axis=1)

    @property
    def n(self) -> int:
        return self.batch.n

    def reset(self, rows: np.ndarray | None = None) -> None:
        rows = np.arange(self.n) if rows is None else np.asarray(rows)
        self.batch.reset(rows, self.population.sample(len(rows), self.rng))
        for i in rows:
            self.shields[i].reset()
        self.interventions[rows] = 0
        self.finished_costs.extend(self.session_costs[rows])
        self.session_costs[rows] = 0.0
        # the other rows' memory must not advance: update a copy and keep only these rows
        vectors = self.batch.vectors()
        self.memory.reset(rows)
        for i in rows:
            self.observations[i] = self.batch.observation(int(i))
        self.observation[rows] = self._with_shield(_memory_rows(self.memory, vectors, rows), rows.tolist())

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, Tally]:
        batch = self.batch
        before = batch.target.copy()
        targets = before.copy()
        overruled = np.zeros(self.n, bool)
        changed = np.zeros(self.n, bool)  # what the policy sees: its proposal was not what happened
        intervened = np.zeros(self.n, bool)  # what evaluation counts (shield_interventions) and the cost
        for i in range(self.n):
            obs = self.observations[i]
            move = ACTIONS[int(actions[i])]
            if move > 0 and self.mask_raises and self.raise_held[i]:
                # masked: the policy saw that the rules hold raises now; hold the last target,
                # as the shield's hold would (and as PolicyController does live)
                move, proposed = 0, obs.target
            else:
                proposed = step_target(obs, move)
            decision = self.shields[i].filter(Decision(proposed, f"policy: {ACTION_WORDS[move + 1]}", "policy"), obs)
            targets[i] = decision.target
            changed[i] = abs(decision.target - proposed) > 1e-9
            if decision.interventions:
                intervened[i] = True
                self.interventions[i] += 1
                # a hold or stop is the therapist's, not the policy's fault
                overruled[i] = obs.therapist is Therapist.CLEAR and abs(decision.target - proposed) > 1e-9
        batch.set_targets(targets)
        levels = batch.levels
        moves = np.abs(np.searchsorted(levels, batch.target + 1e-6) - np.searchsorted(levels, before + 1e-6))
        tally = batch.advance()
        self.observations = [batch.observation(i) for i in range(self.n)]
        self.observation = self._with_shield(self.memory.update(batch.vectors(), changed), range(self.n))
        costs = np.stack([tally.escape_risk, intervened.astype(float)], axis=1)
        self.session_costs += costs
        return self.reward(tally, moves, overruled) - costs @ self.lambdas, tally


def _memory_rows(memory: SessionMemory, vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """First-decision memory rows for restarted sessions, leaving the others' state as it was."""
    keep = {k: v.copy() for k, v in vars(memory).items() if isinstance(v, np.ndarray)}
    out = memory.update(vectors, np.zeros(len(vectors)))[rows]
    for k, old in keep.items():
        new = getattr(memory, k)
        fresh = new[rows].copy()
        new[:] = old
        new[rows] = fresh
    return out


class ExposureEnv(gym.Env):
    """One supervised exposure session with a simulated patient.

    The patient (``adaptation.patient``) is drawn from a population (YAML, default
    ``adaptation/populations/default.yaml``) at each reset. Every decision passes through
    the safety shield (``adaptation.shield``) before it reaches the scene, as in a session.

    ## Action Space

    ``Discrete(3)``: 0 one level down, 1 stay, 2 one level up the fear hierarchy. The
    shield may hold, lower or slow the result; the scene then eases toward it at
    ``SessionConfig.ramp_rate`` per second.

    ## Observation Space

    ``Box(-3, 3, (41,), float32)``, laid out in ``adaptation.observation`` (``POLICY_FIELDS``): the features
    ``sensors`` produces relative to the baseline (HR, RMSSD, tonic EDA, SCR rate and
    amplitude, breathing) with a known-flag each, quality and age of heart, EDA and
    breathing signals, the intensity and level, time at this level, time in session, the
    last SUDS answer with its age, the peak SUDS at this level, the highest level reached,
    whether the therapist holds, the resting HR and EDA and the SUDS of the baseline phase,
    the share of recent time spent looking away, the session's peaks of relative HR, EDA,
    SCR rate and SUDS so far, whether the shield changed the last proposal and how often it
    has, the time spent aroused at this level, and whether the shield would hold a raise now
    (``mask_raises``: "up" then holds the last target, as ``PolicyController`` does live).

    ## Rewards

    Per decision (``RewardWeights``): +1 for each hierarchy level reached for the first
    time (progress); +0.01 per second with arousal in the therapeutic band (SUDS 35–70)
    while exposed; +10 on success (habituated at the top level) plus the in-band reward
    for the session time it saves (else finishing early would cost the policy the reward
    it could have lingered for); −100 on escape (``escape_expected=True`` charges instead
    its probability in every second at risk: the same expectation with less variance, but
    in our runs it froze the policy half-way up the hierarchy); −0.5 per second above the person's panic
    level and −0.01 per second above their habituation band (where exposure sensitises
    instead of habituating); −0.02 per level the target moves (abrupt changes); −0.05 when
    the shield had to change the proposed target (not counting therapist holds). Rewards
    are computed from the simulated person's true arousal. With ``Constraints`` enabled
    (training's ``constraints:``), each decision's expected escapes and shield intervention
    are charged too, at the multipliers λ the trainer adjusts (``ShieldedSessions.lambdas``).

    ## Starting State

    A new person at rest in the calm state (level 0), baseline already measured.

    ## Episode End

    Terminated on escape or on success (at the top level for 60 s with the fear it evokes
    halved from its peak there). Truncated after ``SessionConfig.duration_s`` (30 minutes,
    360 decisions at 5 s).

    ## Arguments

    ``population``: a ``Population`` or the name of a built-in one (``"default"``);
    ``config``: ``SessionConfig`` (levels, duration, decision interval, SUDS interval,
    ramp rate, therapeutic band, therapist holds); ``shield``: ``ShieldConfig``;
    ``reward``: ``RewardWeights``; ``render_mode``: ``None`` or ``"ansi"``.
    """

    metadata = {"render_modes": ["ansi"]}

    def __init__(
        self,
        population: Population | MixedPopulation | str = "default",
        config: SessionConfig | None = None,
        shield: ShieldConfig | None = None,
        reward: RewardWeights | None = None,
        render_mode: str | None = None,
        mask_raises: bool = False,
    ):
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode {render_mode!r}: expected None or 'ansi'")
        self.render_mode = render_mode
        self.mask_raises = mask_raises
        self.population = Population.builtin(population) if isinstance(population, str) else population
        self.config = config or SessionConfig()
        self.shield_config = shield or ShieldConfig()
        self.reward_weights = reward or RewardWeights()
        self.action_space = gym.spaces.Discrete(len(ACTIONS))
        self.observation_space = gym.spaces.Box(-3.0, 3.0, (POLICY_SIZE,), np.float32)
        self._core: ShieldedSessions | None = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._core = ShieldedSessions(
            1,
            self.population,
            self.config,
            self.shield_config,
            self.reward_weights,
            self.np_random,
            mask_raises=self.mask_raises,
        )
        return self._core.observation[0].copy(), self._info()

    def step(self, action):
        if self._core is None:
            raise RuntimeError("call reset() before step()")
        if not self.action_space.contains(action):
            raise ValueError(f"action {action!r} is not in {self.action_space}")
        reward, tally = self._core.step(np.array([action]))
        batch = self._core.batch
        terminated = bool(batch.escaped[0] or batch.succeeded[0])
        truncated = bool(batch.done[0] and not terminated)
        return self._core.observation[0].copy(), float(reward[0]), terminated, truncated, self._info()

    def _info(self) -> dict:
        assert self._core is not None  # reset() made it
        b = self._core.batch
        return {
            "time": float(b.time[0]),
            "level": int(b.level[0]),
            "intensity": float(b.intensity[0]),
            "arousal": float(b.patients.arousal[0]),
            "escaped": bool(b.escaped[0]),
            "succeeded": bool(b.succeeded[0]),
            "top_reached": int(b.top_reached[0]),
            "shield_interventions": int(self._core.interventions[0]),
        }

    def render(self):
        if self.render_mode == "ansi" and self._core is not None:
            i = self._info()
            return (
                f"t={i['time']:6.0f}s level {i['level']:2d} intensity {i['intensity']:.2f} "
                f"arousal {i['arousal']:.2f}{' ESCAPED' if i['escaped'] else ''}{' SUCCESS' if i['succeeded'] else ''}"
            )
        return None
