"""Issue 15, item 3's done-when, measured: the predictive distress alert on simulated people
the forecaster was not fitted on.

    python benchmarks/forecast_alert.py [--people 100] [--episodes 200] [--json OUT] [--figure docs/forecast.png]

The shipped weights (``adaptation/policies/forecast.json``) were fitted on the default
population (seeds 101, 102) and on slow_habituation and physiology_atypical (seed 103)
(``python -m adaptation.forecast_fit fit``). Held out here: new people (seed 201) from every
population in ``adaptation/populations/``; three of them (more_afraid, under_reporting,
noisy_sensors) the fit never saw at all.

1. The alert (on at ``forecast_alert_on``, off below ``forecast_alert_off``), replayed on
   every second of sessions where arousal does reach the panic level: a fixed schedule
   behind a loosened shield (``forecast_fit.LOOSE``), the forecaster passive. Per crossing
   event: recall and lead time (median, p10); per alert: precision; false alerts per session.
   Also swept over ``forecast_alert_on`` (off at half of it) for the figure.
2. The same behind the default shield (rule controllers and, when it loads, the shipped
   policy), where crossings are rare: mostly the false alerts a therapist would see.
3. The shield rule (``panic_forecast``): ``adaptation.evaluate.run_episodes`` with and
   without it (``forecast_step_p`` 0), for the shipped policy (when it loads) and the fixed
   schedule: success, escapes, expected escapes, time in band, top level, violations.
4. The cost of one forecast (µs per call, the live session's every tick).

Prints the numbers, writes the JSON to benchmarks/results/forecast_alert.json and the figure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _machine import machine_info, write_result  # noqa: E402

from adaptation.evaluate import controller_factory, run_episodes, summarise  # noqa: E402
from adaptation.forecast import forecast, shipped  # noqa: E402
from adaptation.forecast_fit import GENERATORS, alert_metrics, collect, labels, probabilities  # noqa: E402
from adaptation.population import Population  # noqa: E402
from adaptation.shield import ShieldConfig  # noqa: E402

SWEEP = (0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4)


SETS = ("default", "more_afraid", "slow_habituation", "under_reporting", "physiology_atypical", "noisy_sensors")
DEEP = ("default", "more_afraid")  # also behind the default shield, and the shield rule's effect
UNSEEN = ("more_afraid", "under_reporting", "noisy_sensors")  # populations the fit never saw


def people(which: str, n: int) -> dict[str, np.ndarray]:
    return Population.builtin(which).sample(n, np.random.default_rng(201))


def controllers() -> tuple[dict, str]:
    """The controllers to run behind the default shield; the policy only if it loads."""
    makes = {name: controller_factory(name) for name in ("fixed", "threshold")}
    try:
        makes["policy"] = controller_factory("policy")
        note = ""
    except Exception as e:  # noqa: BLE001 — a policy for another observation layout: say so, go on
        note = f"shipped policy not run: {e}"
    return makes, note


def forecast_cost(run_obs, n: int = 3000) -> float:
    """µs per ``forecast(obs)`` over real simulated observations."""
    forecast(run_obs[0])
    t0 = time.perf_counter()
    for i in range(n):
        forecast(run_obs[i % len(run_obs)])
    return (time.perf_counter() - t0) / n * 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--people", type=int, default=100, help="people per held-out set for the alert (default 100)")
    ap.add_argument("--episodes", type=int, default=200, help="people per set for the shield rule (default 200)")
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "forecast_alert.json"))
    ap.add_argument("--figure", default=str(ROOT / "docs" / "forecast.png"))
    args = ap.parse_args()
    if args.people < 1 or args.episodes < 1:
        ap.error("--people and --episodes must be at least 1")
    cfg, model = ShieldConfig(), shipped()
    on, off = cfg.forecast_alert_on, cfg.forecast_alert_off
    makes, note = controllers()
    if note:
        print(note)
    out: dict = {
        "command": "python benchmarks/forecast_alert.py " + " ".join(sys.argv[1:]),
        "model": model.meta,
        "thresholds": {"alert_on": on, "alert_off": off, "step_p": cfg.forecast_step_p},
        "note": note,
        "alert": {},
        "alert_default_shield": {},
        "sweep": {},
        "shield_rule": {},
        "machine": machine_info(),
    }
    traces = {}
    sample_obs = []
    for which in SETS:
        params = people(which, args.people)
        make, loose = GENERATORS["fixed"]
        run = collect(make, params, 301, shield=loose)
        p = probabilities(model, run.x)
        m = alert_metrics(run, p, on, off)
        out["alert"][which] = m
        out["sweep"][which] = {f"{s:g}": _short(alert_metrics(run, p, s, s / 2)) for s in SWEEP}
        traces[which] = (run, p)
        seen = "population never fitted on" if which in UNSEEN else "new people"
        print(f"{which} ({seen}), fixed schedule behind the loosened shield: {_line(m)}")
        if which not in DEEP:
            continue
        out["alert_default_shield"][which] = {}
        for name, mk in makes.items():
            # a sample of real observations (every 20th second, all through the session) for the cost
            grab = None if sample_obs else (lambda i, o, sh: o.time % 20 == 0 and sample_obs.append(o))
            r = collect(mk, params, 401, on_tick=grab)
            pr = probabilities(model, r.x)
            mm = alert_metrics(r, pr, on, off)
            # how often the shield rule would have had its say (the forecaster passive here)
            mm["share_of_seconds_at_step_p"] = float(np.mean(pr[np.isfinite(pr)] >= cfg.forecast_step_p))
            out["alert_default_shield"][which][name] = _short(mm)
            print(
                f"{which}, {name} behind the default shield: {_line(mm)}; "
                f"seconds at p ≥ {cfg.forecast_step_p:g}: {mm['share_of_seconds_at_step_p']:.2%}"
            )
    out["forecast_us_per_call"] = forecast_cost(sample_obs)
    print(f"forecast(obs): {out['forecast_us_per_call']:.1f} µs per call ({len(sample_obs)} simulated observations)")
    rule_makes = {k: v for k, v in makes.items() if k in ("policy", "fixed")}
    for which in DEEP:
        params = people(which, args.episodes)
        out["shield_rule"][which] = {}
        for name, mk in rule_makes.items():
            row = {}
            for label, shield in (("with", ShieldConfig()), ("without", ShieldConfig(forecast_step_p=0.0))):
                ep = run_episodes(mk, params, seed=501, shield=shield)
                row[label] = summarise(ep, np.ones(len(ep.success), bool))
            out["shield_rule"][which][name] = row
            w, wo = row["with"], row["without"]
            print(
                f"{which}, {name}: success {wo['success_rate']:.1%} → {w['success_rate']:.1%}, expected escapes "
                f"{wo['expected_escape_rate']:.4f} → {w['expected_escape_rate']:.4f}, "
                f"escapes {wo['escape_rate']:.1%} → "
                f"{w['escape_rate']:.1%}, in band {wo['time_in_band']:.1%} → {w['time_in_band']:.1%}, "
                f"violations {w['invariant_violations']}"
            )
    write_result(Path(args.json), out)
    figure(out, traces, Path(args.figure))
    return 0


def _short(m: dict) -> dict:
    return {k: v for k, v in m.items() if k != "leads_s"}


def _line(m: dict) -> str:
    f = lambda v, fmt: "—" if v is None else format(v, fmt)  # noqa: E731
    return (
        f"{m['crossing_events']} crossings in {m['sessions']} sessions; recall {f(m['recall'], '.2f')}, "
        f"precision {f(m['precision'], '.2f')}, false alerts/session {m['false_alerts_per_session']:.2f}, "
        f"lead median {f(m['lead_s_median'], '.0f')} s, p10 {f(m['lead_s_p10'], '.0f')} s"
    )


def figure(out: dict, traces: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(15, 4.4))
    colours = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:brown", "tab:grey")
    leads = [np.clip(out["alert"][w]["leads_s"], 0, 299) for w in SETS]
    ax[0].hist(leads, bins=np.arange(0, 301, 15), stacked=True, color=colours, label=list(SETS))
    for which, colour in zip(SETS, colours):
        pts = out["sweep"][which]
        xs = [pts[k]["recall"] or 0 for k in pts]
        ys = [pts[k]["precision"] or 0 for k in pts]
        ax[1].plot(xs, ys, "o-", color=colour, ms=3, label=which)
        if which == "default":
            for k, x_, y_ in zip(pts, xs, ys):
                ax[1].annotate(k, (x_, y_), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax[0].set(
        title="lead time: alert onset → crossing", xlabel="s (300 s and more in the last bin)", ylabel="crossings"
    )
    ax[0].legend(fontsize=7)
    on = out["thresholds"]["alert_on"]
    ax[1].set(title=f"per crossing / per alert, alert on at p (shipped {on:g})", xlabel="recall", ylabel="precision")
    ax[1].legend(fontsize=7)
    run, p = traces["default"]
    _, _, events = labels(run)
    s = events[0][0] if events else 0
    idx = np.flatnonzero(run.session == s)
    t = run.time[idx]
    ax[2].plot(t, run.arousal[idx], color="k", lw=0.8, label="true arousal")
    ax[2].plot(t, run.panic[idx], color="r", lw=0.8, ls="--", label="panic level")
    ax[2].plot(t, p[idx], color="tab:purple", lw=0.8, label="forecast p")
    alert = np.zeros(len(idx), bool)
    active = False
    for k, q in enumerate(p[idx]):
        active = q >= on if not active else bool(q >= out["thresholds"]["alert_off"])
        alert[k] = active
    ax[2].fill_between(t, 0, 1, where=alert, color="tab:purple", alpha=0.15, label="alert on")
    ax[2].set(title=f"one held-out session (default, #{s})", xlabel="session time, s", ylim=(0, 1))
    ax[2].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    print(f"wrote {path}")


if __name__ == "__main__":
    raise SystemExit(main())
