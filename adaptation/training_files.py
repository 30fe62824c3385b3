"""What a training run writes besides the policy: the evaluations and multipliers as CSV
(rewritten after every evaluation, so a run cut short keeps its curve) and the learning
curve as a PNG. Apart from ``_training.py``, which runs SB3, because none of it needs torch.
"""

from __future__ import annotations

import csv
from pathlib import Path


def write_dicts(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def write_rows(rows: list[dict], path: Path) -> None:
    keys = [
        "timesteps",
        "wall_s",
        "success_rate",
        "escape_rate",
        "expected_escape_rate",
        "mean_top_level",
        "time_in_band",
        "invariant_violations",
        "shield_interventions",
        "held_raises",
        "lambda_escape",
        "lambda_interventions",
        "train_return",
    ]
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def plot(rows: list[dict], path: Path, title: str) -> None:
    """Learning curve: evaluation success and escape rates, and the training return."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["timesteps"] for r in rows]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5.5), sharex=True)
    top.plot(steps, [r["success_rate"] for r in rows], "o-", label="success rate")
    top.plot(steps, [r["escape_rate"] for r in rows], "s-", color="tab:red", label="escape rate")
    if all("expected_escape_rate" in r for r in rows):
        top.plot(steps, [r["expected_escape_rate"] for r in rows], ":", color="tab:red", label="expected escape rate")
    top.set_ylim(-0.02, 1.02)
    top.set_ylabel("evaluation (greedy policy)")
    top.legend(loc="center right")
    top.grid(alpha=0.3)
    bottom.plot(steps, [r["train_return"] for r in rows], ".-", color="tab:green")
    bottom.set_ylabel("training return (last 100 episodes)")
    bottom.set_xlabel("environment steps (one decision = 5 s)")
    bottom.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
