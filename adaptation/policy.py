"""The learned policy at session time: numpy only, no torch.

Training (``adaptation.train``) exports the PPO actor and the observation normalisation to
one ``.npz`` file (``adaptation.export``); ``NumpyPolicy`` reads it back without pickle and
computes the same action as SB3's ``predict(deterministic=True)`` (a test checks equality
on thousands of observations). ``PolicyController`` puts it behind the ``Controller``
protocol with a reason a therapist can read.

File layout (all plain arrays; strings as unicode arrays, so ``allow_pickle=False``):
``format`` ('vrex-policy/2'; '/1' files still load), ``fields`` (the input layout it was
trained on: names from ``adaptation.observation.POLICY_FIELDS``, which the policy picks out
of the full vector by name; a format-1 file has exactly ``V1_POLICY_FIELDS``),
``decision_s`` (format 2: the decision interval it was trained at, which a live session
adopts; 5 s for format 1), ``frames`` (decisions read at once, oldest
first), ``actions`` (level moves per action),
``activation`` ('tanh' or 'relu'), ``obs_mean``, ``obs_var``, ``clip_obs``, ``epsilon``
(VecNormalize's statistics; absent when training did not normalise), ``w0, b0, w1, b1, …``
(hidden layers, torch's (out, in) layout), ``action_w``, ``action_b`` (logits),
``mask_raises`` (whether training masked "up" while the shield held raises; absent: false
for a file that reads the shield's changes but not ``raise_held``, which predates masking,
else true, as for format 1, whose inputs masking does not change).
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .errors import PolicyError
from .observation import POLICY_FIELDS, V1_POLICY_FIELDS, SessionMemory, encode
from .types import Decision, Observation, step_target

FORMAT = "vrex-policy/2"
FORMATS = ("vrex-policy/1", FORMAT)  # what load reads
V1_DECISION_S = 5.0  # every format-1 policy was trained at one decision per 5 s
_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"tanh": np.tanh, "relu": lambda x: np.maximum(x, 0.0)}
SHIPPED = Path(__file__).parent / "policies" / "ppo_default.npz"


class NumpyPolicy:
    def __init__(
        self,
        layers: list[tuple[np.ndarray, np.ndarray]],
        head: tuple[np.ndarray, np.ndarray],
        activation: str,
        actions: tuple[int, ...],
        obs_mean: np.ndarray | None = None,
        obs_var: np.ndarray | None = None,
        clip_obs: float = 10.0,
        epsilon: float = 1e-8,
        frames: int = 1,
        source: str = "<memory>",
        fields: tuple[str, ...] = POLICY_FIELDS,
        decision_s: float = V1_DECISION_S,
        mask_raises: bool = True,
    ):
        if activation not in _ACTIVATIONS:
            raise PolicyError(f"{source}: activation '{activation}'; expected one of {', '.join(_ACTIVATIONS)}")
        self.layers = [(w.astype(np.float32), b.astype(np.float32)) for w, b in layers]
        self.head = (head[0].astype(np.float32), head[1].astype(np.float32))
        self.activation = activation
        self._act = _ACTIVATIONS[activation]
        self.actions = tuple(int(a) for a in actions)
        self.obs_mean, self.obs_var = obs_mean, obs_var
        self.clip_obs, self.epsilon = float(clip_obs), float(epsilon)
        self.frames = int(frames)
        self.source = source
        self.fields = tuple(fields)
        self.decision_s = float(decision_s)
        # trained with "up" masked while the shield held raises (TrainConfig.mask_raises): then
        # a masked "up" was no change by the shield in its inputs (shield_changed_last, share);
        # a policy trained without must meet the shield's hold as in training, not be masked
        self.mask_raises = bool(mask_raises)
        unknown = [f for f in self.fields if f not in POLICY_FIELDS]
        if unknown:
            raise PolicyError(
                f"{source}: reads fields this vrex does not compute ({', '.join(unknown[:3])}); "
                "retrain with this version or use a newer vrex"
            )
        # where each of its inputs sits in the full vector that encode + SessionMemory build
        self.columns = np.array([POLICY_FIELDS.index(f) for f in self.fields], np.int64)
        if not (math.isfinite(self.decision_s) and self.decision_s > 0):
            raise PolicyError(f"{source}: decision_s = {decision_s}; expected a positive number of seconds")
        if self.frames < 1:
            raise PolicyError(f"{source}: frames = {frames}; expected at least 1")
        self._check_shapes()

    def _check_shapes(self) -> None:
        width = len(self.fields) * self.frames
        for k, (w, b) in enumerate([*self.layers, self.head]):
            if w.ndim != 2 or b.shape != (w.shape[0],) or w.shape[1] != width:
                raise PolicyError(
                    f"{self.source}: layer {k} has weights {w.shape} and bias {b.shape}; "
                    f"expected ({b.shape[0] if b.ndim else '?'}, {width}) — the file is corrupt or from another layout"
                )
            width = w.shape[0]
        if width != len(self.actions):
            raise PolicyError(f"{self.source}: {width} action logits but {len(self.actions)} actions listed")
        for name in ("obs_mean", "obs_var"):
            v = getattr(self, name)
            if v is not None and v.shape != (len(self.fields),):
                raise PolicyError(f"{self.source}: {name} has shape {v.shape}; expected ({len(self.fields)},)")
        arrays = [a for wb in [*self.layers, self.head] for a in wb]
        if self.obs_mean is not None and self.obs_var is not None:
            arrays += [self.obs_mean, self.obs_var]
        if not all(np.isfinite(a).all() for a in arrays):
            raise PolicyError(f"{self.source}: weights or statistics contain NaN or infinity; retrain or re-export")

    @classmethod
    def load(cls, path: str | Path = SHIPPED) -> NumpyPolicy:
        path = Path(path)
        if not path.is_file():
            raise PolicyError(
                f"{path}: no such policy file; train one with 'vrex train CONFIG.yaml' "
                f"or use the shipped {SHIPPED.name}"
            )
        try:
            with np.load(path, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise PolicyError(
                f"{path}: not a readable policy file ({exc.__class__.__name__}: {exc}); re-export it from training"
            ) from None
        where = str(path)
        for key in ("format", "fields", "actions", "activation", "action_w", "action_b", "w0", "b0"):
            if key not in data:
                raise PolicyError(f"{where}: missing '{key}'; this is not a {FORMAT} file")
        version = str(data["format"])
        if version not in FORMATS:
            raise PolicyError(f"{where}: format '{version}'; expected one of {', '.join(FORMATS)}")
        fields = tuple(str(f) for f in data["fields"])
        if version == FORMATS[0] and fields != V1_POLICY_FIELDS:
            raise PolicyError(
                f"{where}: trained on another observation layout ({len(fields)} fields, "
                f"format 1 has {len(V1_POLICY_FIELDS)}); retrain with this version"
            )
        if version != FORMATS[0] and "decision_s" not in data:
            raise PolicyError(f"{where}: missing 'decision_s'; a {FORMAT} file records its decision interval")
        decision_s = float(data["decision_s"]) if version != FORMATS[0] else V1_DECISION_S
        layers = []
        k = 0
        while f"w{k}" in data:
            layers.append((data[f"w{k}"], data[f"b{k}"]))
            k += 1
        normalised = "obs_mean" in data
        return cls(
            layers,
            (data["action_w"], data["action_b"]),
            str(data["activation"]),
            tuple(data["actions"]),
            data["obs_mean"].astype(np.float64) if normalised else None,
            data["obs_var"].astype(np.float64) if normalised else None,
            float(data["clip_obs"]) if normalised else 10.0,
            float(data["epsilon"]) if normalised else 1e-8,
            frames=int(data["frames"]) if "frames" in data else 1,
            source=where,
            fields=fields,
            decision_s=decision_s,
            mask_raises=bool(data["mask_raises"]) if "mask_raises" in data else _masked_before_record(fields),
        )

    def save(self, path: str | Path) -> None:
        arrays = {
            "format": np.array(FORMAT),
            "fields": np.array(self.fields),
            "decision_s": np.array(self.decision_s),
            "actions": np.array(self.actions),
            "activation": np.array(self.activation),
            "action_w": self.head[0],
            "action_b": self.head[1],
            "frames": np.array(self.frames),
            "mask_raises": np.array(self.mask_raises),
        }
        for k, (w, b) in enumerate(self.layers):
            arrays[f"w{k}"], arrays[f"b{k}"] = w, b
        if self.obs_mean is not None and self.obs_var is not None:
            arrays.update(
                obs_mean=self.obs_mean,
                obs_var=self.obs_var,
                clip_obs=np.array(self.clip_obs),
                epsilon=np.array(self.epsilon),
            )
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds as allow_pickle

    def normalise(self, x: np.ndarray) -> np.ndarray:
        if self.obs_mean is None or self.obs_var is None:
            return x.astype(np.float32)
        # same arithmetic as SB3's VecNormalize.normalize_obs
        z = (x - self.obs_mean) / np.sqrt(self.obs_var + self.epsilon)
        return np.clip(z, -self.clip_obs, self.clip_obs).astype(np.float32)

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Action logits for raw observation vectors (n, width) or (width,), in the policy's
        own layout or this vrex's full one (``POLICY_FIELDS``); a policy that
        reads several frames sees each as the first of a session (older frames zero)."""
        x = np.asarray(x, dtype=np.float32)
        if x.shape[-1] == len(POLICY_FIELDS) and len(self.fields) != len(POLICY_FIELDS):
            x = x[..., self.columns]  # the full vector of this vrex: pick the policy's fields
        if not np.isfinite(x).all():
            raise PolicyError("observation contains NaN or infinity; encode it with adaptation.observation")
        z = self.normalise(x)
        if self.frames > 1:
            z = np.concatenate([np.zeros((*z.shape[:-1], (self.frames - 1) * z.shape[-1]), np.float32), z], axis=-1)
        return self.forward(z)

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Logits for normalised, stacked input (oldest frame first), as SB3's network sees it."""
        h = np.asarray(z, dtype=np.float32)
        for w, b in self.layers:
            h = self._act(h @ w.T + b)
        return h @ self.head[0].T + self.head[1]

    def act(self, x: np.ndarray) -> np.ndarray:
        """Deterministic actions (indices), as SB3's ``predict(deterministic=True)``."""
        return np.argmax(self.logits(x), axis=-1)


def _masked_before_record(fields: tuple[str, ...]) -> bool:
    """Whether to mask a policy whose file does not say how it was trained: one that reads
    the shield's changes but not ``raise_held`` predates masking (trained unmasked, and
    masking would change those inputs); one reading neither (format 1) is not changed by it."""
    return "raise_held" in fields or not {"shield_changed_last", "shield_share"} & set(fields)


class PolicyController:
    """The learned policy behind the ``Controller`` protocol."""

    name = "policy"
    # Ask the shield, before each decision, whether a raise would pass (Observation.raise_held):
    # "up" when the rules hold raises becomes a hold of the last target, what the shield's hold
    # would give, without an intervention (invalid-action masking, as in training: adaptation.env;
    # only for a policy trained so, ``NumpyPolicy.mask_raises``, which still reads the verdict).
    reads_raise_hold = True

    def __init__(self, policy: NumpyPolicy | str | Path | None = None):
        self.policy = policy if isinstance(policy, NumpyPolicy) else NumpyPolicy.load(policy or SHIPPED)
        self.reset()

    @property
    def decision_s(self) -> float:
        """The decision interval the policy was trained at: a live session decides at it."""
        return self.policy.decision_s

    def reset(self) -> None:
        # the frames a multi-frame policy reads: zeros before the session's first decision,
        # as SB3's VecFrameStack gives at a reset. One frame per decision: call decide at the
        # decision interval the policy was trained with (``decision_s``).
        self._stack = np.zeros(self.policy.frames * len(self.policy.fields), np.float32)
        self._memory = SessionMemory(1, self.policy.decision_s)
        self._proposed: float | None = None  # the last target proposed, to see the shield change it
        self.held_raises = 0  # decisions this session where it wanted up and the rules held raises

    def decide(self, obs: Observation) -> Decision:
        x = encode(obs)
        if not np.isfinite(x).all():
            raise PolicyError(
                f"observation at {obs.time:.1f} s has NaN or infinity outside the features "
                "(intensity, level, times); not acting on it"
            )
        width = len(self.policy.fields)
        # obs.target is what the shield made of the last proposal (as training's flag)
        changed = self._proposed is not None and abs(obs.target - self._proposed) > 1e-9
        full = np.append(self._memory.update(x, np.array([changed]))[0], np.float32(bool(obs.raise_held)))
        self._stack[:-width] = self._stack[width:]
        self._stack[-width:] = self.policy.normalise(full[self.policy.columns])
        logits = self.policy.forward(self._stack)
        k = int(np.argmax(logits))
        p = np.exp(logits - logits.max())
        p /= p.sum()
        move = self.policy.actions[k]
        word = {-1: "step down", 0: "stay", 1: "step up"}.get(move, f"move {move:+d} levels")
        masked = self.policy.mask_raises and move > 0 and bool(obs.raise_held) and math.isfinite(obs.target)
        if masked:  # hold the last target, as the shield's hold of the raise would
            why = obs.raise_held.removeprefix("hold: ")
            word = f"hold (it would step up, but the shield holds raises now: {why})"
            self.held_raises += 1
        rel = obs.features.relative
        hr = rel.get("hr_bpm", math.nan)
        eda = rel.get("eda_tonic_us", math.nan)
        evidence = [
            f"HR {hr:+.0%}" if math.isfinite(hr) else "HR unknown",
            f"EDA {eda:+.0%}" if math.isfinite(eda) else "EDA unknown",
            f"SUDS {obs.suds:.0f} ({obs.suds_age:.0f} s ago)" if math.isfinite(obs.suds) else "no SUDS yet",
        ]
        reason = f"learned policy: {word} (confidence {p[k]:.0%}); {', '.join(evidence)}"
        target = obs.target if masked else step_target(obs, move)
        self._proposed = target
        return Decision(target, reason, self.name)
