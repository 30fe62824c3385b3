"""The report's figures as PNG bytes: the session timeline, the per-level chart and, when
the head moved, where it pointed during exposure (``headpose.py``).

Figures are built on ``matplotlib.figure.Figure`` with the Agg canvas and never through
pyplot, so a report made inside a running session (which may own a GUI backend) changes no
global matplotlib state.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from engine.report.load import SessionData, is_number
from engine.report.summary import Summary, display_level

DPI = 110
_PHASE_COLOURS = {"baseline": "#d9d9d9", "recovery": "#d4ecd4"}
_AVOID = "#f4a259"


def render_plots(data: SessionData, summary: Summary) -> dict[str, bytes]:
    """``{"timeline": png, "levels": png, "headpose": png}``, leaving out a figure with nothing to show."""
    out = {}
    if summary.steps or len(data.ticks) or summary.suds:
        out["timeline"] = _png(timeline_figure(data, summary))
    if summary.levels:
        out["levels"] = _png(levels_figure(summary))
    if summary.head is not None:
        out["headpose"] = _png(headpose_figure(summary.head))
    return out


def headpose_figure(heat) -> Figure:
    """Seconds the head pointed into each 5° × 5° cell of heading × pitch during exposure,
    drawn as the patient would see it (left on the left), with the gaze target and the
    30° circle around it beyond which the session counts the patient as looking away."""
    from engine.report.headpose import LOOK_AWAY_DEG, angle_from, extent

    fig = Figure(figsize=(8.5, 5.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    seconds = np.ma.masked_equal(heat.seconds.T, 0.0)  # empty cells stay blank
    mesh = ax.pcolormesh(heat.heading_edges, heat.pitch_edges, seconds, cmap="magma_r", shading="flat")
    fig.colorbar(mesh, ax=ax, label=f"seconds (one sample every {heat.period_s:g} s)")
    lo_h, hi_h, lo_p, hi_p = extent(heat)
    if heat.target is not None:
        th, tp = heat.target
        hh, pp = np.meshgrid(np.linspace(lo_h, hi_h, 181), np.linspace(lo_p, hi_p, 121))
        ax.contour(
            hh,
            pp,
            angle_from(hh, pp, heat.target),
            levels=[LOOK_AWAY_DEG],
            colors="#1f4e79",
            linestyles="--",
            linewidths=1.2,
        )
        ax.plot(
            [th],
            [tp],
            marker="+",
            markersize=16,
            markeredgewidth=2.5,
            color="#1f4e79",
            linestyle="none",
            label="gaze target; dashed: 30° around it (beyond: looking away)",
        )
        fig.legend(loc="outside lower center", fontsize=8, frameon=False)
    else:
        ax.text(0.01, 0.01, f"gaze target {heat.target_source}", transform=ax.transAxes, fontsize=8, color="#555555")
    ax.set_xlim(hi_h, lo_h)  # heading + is to the left: left on the left
    ax.set_ylim(lo_p, hi_p)
    ax.set_aspect("equal")
    ax.set_xlabel("heading (degrees; ← left, right →)")
    ax.set_ylabel("pitch (degrees; + up)")
    ax.set_title(
        f"Where the head pointed during exposure ({heat.samples * heat.period_s / 60:.1f} min sampled)", fontsize=10
    )
    return fig


def timeline_figure(data: SessionData, summary: Summary) -> Figure:
    """Intensity and level, HR, EDA and SUDS against session minutes, events marked."""
    fig = Figure(figsize=(11, 8.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(4, 1, sharex=True, gridspec_kw={"height_ratios": [2.2, 1, 1, 1.3]})
    top, hr, eda, suds = axes
    minutes = data.ticks.t / 60.0
    for ax in axes:
        _shade(ax, summary)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#eeeeee", linewidth=0.8)
        ax.set_axisbelow(True)
        for t, _ in summary.stops:
            ax.axvline(t / 60, color="black", linewidth=1.2)
        for t in summary.escapes:
            ax.axvline(t / 60, color="#c0392b", linewidth=1.2, linestyle="--")

    if len(data.ticks):
        top.plot(minutes, data.ticks.intensity, color="#1f4e79", linewidth=1.6)
    top.set_ylim(-0.03, 1.05)
    top.set_ylabel("intensity shown (0–1)")
    _decisions(top, data)
    level_axis = top.twinx()
    level_axis.spines[["top"]].set_visible(False)
    if summary.steps:
        xs, ys = [], []
        for prev, s in zip([None] + summary.steps, summary.steps):
            if prev is not None and s.start - prev.end > 1e-6:  # lost ticks: a gap, not a slope
                xs.append(np.nan), ys.append(np.nan)
            xs += [s.start / 60, s.end / 60]
            ys += [s.level + 1, s.level + 1]  # 1-based, as people count levels
        level_axis.plot(xs, ys, color="#e67e22", linewidth=1.4, linestyle=(0, (4, 2)))
        top_level = max(max(s.level for s in summary.steps), max(summary.level_names, default=0)) + 1
        level_axis.set_ylim(0.7, top_level + 0.6)
        level_axis.yaxis.get_major_locator().set_params(integer=True)
    level_axis.set_ylabel("level (1 = calmest)")
    for s in summary.phases:
        top.text(
            (s.start + s.end) / 120,
            1.04,
            s.label,
            ha="center",
            va="bottom",
            fontsize=8,
            color="#555555",
            transform=top.get_xaxis_transform(),
        )

    _series(hr, minutes, data.ticks.hr_bpm, "#c0392b", "heart rate (bpm)")
    _series(eda, minutes, data.ticks.eda_tonic_us, "#2e8b57", "skin conductance,\ntonic (µS)")
    if summary.suds:
        ts, vs = zip(*summary.suds)
        suds.plot(np.array(ts) / 60, vs, color="#6c3483", marker="o", markersize=5, linewidth=0.8, linestyle=":")
    suds.set_ylim(-3, 103)
    suds.set_ylabel("SUDS (0–100)")
    suds.set_xlabel("session time (minutes)")
    suds.set_xlim(0, max(summary.duration_s, 1.0) / 60)
    fig.legend(handles=_legend(summary), loc="outside lower center", ncol=5, fontsize=8, frameon=False)
    return fig


def levels_figure(summary: Summary) -> Figure:
    """Minutes at each level beside peak and end SUDS at that level (exposure phase)."""
    rows = summary.levels
    fig = Figure(figsize=(11, 0.9 + 0.38 * len(rows) + 1.0), layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1.3, 1]})
    y = np.arange(len(rows))
    labels = [f"{display_level(r.level)} {r.name}".strip() for r in rows]
    left.barh(y, [r.time_s / 60 for r in rows], color="#1f4e79", height=0.6)
    left.set_yticks(y, labels)
    left.invert_yaxis()
    left.set_xlabel("time at level during exposure (minutes)")
    # Peak as a ring around end's dot, so that both show when they are equal.
    for attr, style in (
        ("peak_suds", dict(s=110, facecolors="none", edgecolors="#c0392b", linewidths=1.5)),
        ("end_suds", dict(s=30, color="#6c3483")),
    ):
        pts = [(getattr(r, attr), i) for i, r in enumerate(rows) if getattr(r, attr) is not None]
        if pts:
            right.scatter(*zip(*pts), marker="o", label=attr.replace("_suds", " SUDS"), zorder=3, **style)
    right.set_xlim(-3, 103)
    right.set_xlabel("SUDS at that level (0–100)")
    if any(r.ratings for r in rows):
        right.legend(fontsize=8, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    else:
        right.text(50, (len(rows) - 1) / 2, "no SUDS ratings during exposure", ha="center", color="#888888")
    for ax in (left, right):
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color="#eeeeee", linewidth=0.8)
        ax.set_axisbelow(True)
    return fig


def with_gaps(minutes: np.ndarray, values: np.ndarray, hole_min: float = 2.5 / 60) -> tuple[np.ndarray, np.ndarray]:
    """The series with a NaN wherever ticks were lost (no tick for more than 2.5 scheduled
    1-s ticks), so the plot shows a hole as a hole, not a straight line across it."""
    if len(minutes) < 2:
        return minutes, values
    breaks = np.nonzero(np.diff(minutes) > hole_min)[0] + 1
    return (np.insert(minutes.astype(float), breaks, np.nan), np.insert(values.astype(float), breaks, np.nan))


def _series(ax, minutes: np.ndarray, values: np.ndarray, colour: str, label: str) -> None:
    if len(values) and not np.isnan(values).all():
        ax.plot(*with_gaps(minutes, values), color=colour, linewidth=1.1)  # NaN (unknown, or lost ticks): a gap
    else:
        ax.text(0.5, 0.5, "not recorded", ha="center", va="center", color="#888888", transform=ax.transAxes)
    ax.set_ylabel(label)


def _decisions(ax, data: SessionData) -> None:
    for applied, face in ((True, "#1f4e79"), (False, "none")):
        pts = [
            (e["t"] / 60, e["target"])
            for e in data.of("decision")
            if bool(e.get("applied")) == applied and is_number(e.get("target"))
        ]
        if pts:
            ax.scatter(*zip(*pts), marker="^", s=22, facecolors=face, edgecolors="#1f4e79", linewidths=0.8, zorder=3)
    pts = [(e["t"] / 60, e["target"]) for e in data.of("shield") if is_number(e.get("target"))]
    if pts:
        ax.scatter(*zip(*pts), marker="X", s=60, color="#c0392b", zorder=4)


def _shade(ax, summary: Summary) -> None:
    for s in summary.phases:
        if s.label in _PHASE_COLOURS:
            ax.axvspan(s.start / 60, s.end / 60, color=_PHASE_COLOURS[s.label], alpha=0.6, linewidth=0, zorder=0)
    for s in summary.avoidance:
        ax.axvspan(s.start / 60, s.end / 60, color=_AVOID, alpha=0.35, linewidth=0, zorder=0)


def _legend(summary: Summary) -> list:
    handles = [
        Line2D([], [], color="#1f4e79", linewidth=1.6, label="intensity shown"),
        Line2D([], [], color="#e67e22", linewidth=1.4, linestyle=(0, (4, 2)), label="level (right axis)"),
        Line2D(
            [], [], marker="^", color="#1f4e79", linestyle="none", label="controller decision (its target), applied"
        ),
        Line2D(
            [], [], marker="^", markerfacecolor="none", color="#1f4e79", linestyle="none", label="decision not applied"
        ),
        Line2D(
            [],
            [],
            marker="X",
            color="#c0392b",
            linestyle="none",
            markersize=8,
            label="shield intervention (target it set)",
        ),
        Line2D([], [], marker="o", color="#6c3483", linestyle=":", label="SUDS rating"),
        Patch(color=_AVOID, alpha=0.35, label="looking away (avoidance)"),
    ]
    handles += [Patch(color=c, alpha=0.6, label=f"{p} phase") for p, c in _PHASE_COLOURS.items()]
    if summary.stops:
        handles.append(Line2D([], [], color="black", linewidth=1.2, label="stop"))
    if summary.escapes:
        handles.append(Line2D([], [], color="#c0392b", linewidth=1.2, linestyle="--", label="escape"))
    return handles


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
