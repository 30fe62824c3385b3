"""Safety as a constraint in training: Lagrange multipliers on expected escapes and shield interventions.

``ShieldedSessions`` charges each decision's costs at the multipliers (−λ·cost in the reward);
the trainer moves them after every rollout (``ExposureVecEnv.update_lambdas``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Constraints:
    """Safety as a constraint, not a reward guess (a Lagrangian; training's ``constraints:``).

    Two costs per session: its expected escapes (each second's escape probability, summed:
    ``Tally.escape_risk``) and the decisions the shield intervened in (therapist
    holds counted, as ``vrex evaluate`` counts them). Each has a budget per session and a
    multiplier λ that charges it in the reward (−λ·cost). After every rollout ``update``
    moves each λ with the mean cost per finished session against its budget: it grows
    while the policy spends more than its
    budget and shrinks once it spends less. ``multiplicative`` (default): λ × exp(lr ·
    clip(cost / budget − 1, −1, 1)), clipped to [lambda_min, lambda_max] — scale-free, and
    as quick down as up. Otherwise additive, λ + lr · (cost / budget − 1) clipped to [0,
    lambda_max]: in our first attempt it shot the interventions' λ from 0.1 to 3.8 in ten
    rollouts (the cost ratio was 8) and would have needed hundreds to come back.
    """

    enabled: bool = False
    escape_budget: float = 0.002  # expected escapes per session
    escape_lambda: float = 100.0  # its multiplier at the start (reward per expected escape)
    escape_lr: float = 200.0
    interventions_budget: float = 8.0  # shield changes per session
    interventions_lambda: float = 0.05
    interventions_lr: float = 0.05
    lambda_max: float = 5000.0
    lambda_min: float = 1e-3
    multiplicative: bool = True
    # Sessions whose mean cost moves λ (0: those finished in the last rollout only). An
    # escape is a rare event: most rollouts finish a dozen sessions with no escape risk at
    # all, so the last rollout's mean is below budget most of the time and a multiplicative
    # λ shrinks to lambda_min whatever the true rate (attempt 4's first run: 100 → 2.3 in 29
    # rollouts at 5 × the budget). A window of a few hundred sessions sees the rate.
    horizon_sessions: int = 0

    def __post_init__(self) -> None:
        for name in ("escape_budget", "interventions_budget"):
            if not getattr(self, name) > 0:
                raise ValueError(f"constraints.{name} = {getattr(self, name)}; expected a positive budget")
        if not (isinstance(self.horizon_sessions, int) and self.horizon_sessions >= 0):
            raise ValueError(f"constraints.horizon_sessions = {self.horizon_sessions!r}; expected a whole number ≥ 0")
        for name in (
            "escape_lambda",
            "escape_lr",
            "interventions_lambda",
            "interventions_lr",
            "lambda_max",
            "lambda_min",
        ):
            if not getattr(self, name) >= 0:
                raise ValueError(f"constraints.{name} = {getattr(self, name)}; expected ≥ 0")

    @property
    def budgets(self) -> np.ndarray:
        return np.array([self.escape_budget, self.interventions_budget])

    @property
    def rates(self) -> np.ndarray:
        return np.array([self.escape_lr, self.interventions_lr])

    def initial(self) -> np.ndarray:
        return np.array([self.escape_lambda, self.interventions_lambda]) if self.enabled else np.zeros(2)

    def update(self, lambdas: np.ndarray, mean_costs: np.ndarray) -> np.ndarray:
        """The multipliers after a rollout whose finished sessions cost ``mean_costs`` on average."""
        if not self.enabled:
            return lambdas
        excess = np.asarray(mean_costs) / self.budgets - 1.0
        if self.multiplicative:
            grown = lambdas * np.exp(self.rates * np.clip(excess, -1.0, 1.0))
            return np.clip(grown, self.lambda_min, self.lambda_max)
        return np.clip(lambdas + self.rates * excess, 0.0, self.lambda_max)
