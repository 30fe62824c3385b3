"""SB3 policy → ``NumpyPolicy`` (training side; imports torch through SB3).

Only the actor is exported: the observation normalisation (VecNormalize's running mean
and variance), the policy MLP and the action head. Deterministic actions are the argmax
of the logits, as in SB3's ``predict(deterministic=True)`` for a ``Discrete`` space.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.torch_layers import FlattenExtractor
from stable_baselines3.common.vec_env import VecNormalize

from .env import ACTIONS
from .errors import PolicyError
from .policy import NumpyPolicy

_NAMES = {torch.nn.Tanh: "tanh", torch.nn.ReLU: "relu"}


def to_numpy(
    model: BaseAlgorithm, normaliser: VecNormalize | None = None, frames: int = 1, decision_s: float = 5.0
) -> NumpyPolicy:
    """The actor of ``model``; ``frames`` is VecFrameStack's ``n_stack`` when training stacked,
    ``decision_s`` the decision interval it was trained at (recorded in the file)."""
    policy: Any = model.policy  # an ActorCriticPolicy; SB3 types its parts as Module | Tensor
    if not isinstance(policy.features_extractor, FlattenExtractor):
        raise PolicyError(
            f"cannot export a {type(policy.features_extractor).__name__}; only MLP policies are supported"
        )
    layers, activations = [], set()
    for module in policy.mlp_extractor.policy_net:
        if isinstance(module, torch.nn.Linear):
            layers.append((module.weight.detach().cpu().numpy().copy(), module.bias.detach().cpu().numpy().copy()))
        elif type(module) in _NAMES:
            activations.add(_NAMES[type(module)])
        else:
            raise PolicyError(f"cannot export layer {module!r}; use net_arch with tanh or relu")
    if len(activations) > 1:
        raise PolicyError(f"mixed activations {sorted(activations)}; export supports one")
    head = policy.action_net
    mean = var = None
    clip, eps = 10.0, 1e-8
    if normaliser is not None and normaliser.norm_obs:
        rms: Any = normaliser.obs_rms  # one RunningMeanStd for a flat Box observation
        mean = rms.mean.astype(np.float64).copy()
        var = rms.var.astype(np.float64).copy()
        clip, eps = float(normaliser.clip_obs), float(normaliser.epsilon)
    return NumpyPolicy(
        layers,
        (head.weight.detach().cpu().numpy().copy(), head.bias.detach().cpu().numpy().copy()),
        activations.pop() if activations else "tanh",
        ACTIONS,
        mean,
        var,
        clip,
        eps,
        frames=frames,
        source="export",
        decision_s=decision_s,
    )
