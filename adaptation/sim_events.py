"""What happens in a simulated session each second besides the patient's own step, in the
order ``SessionBatch.advance`` (``adaptation.sim``) calls them: the success judgment at the
top level (``judge_top``: long enough there, with the fear it evoked halved from its peak),
the SUDS prompts (``ask_suds``: once a minute and soon after each level change) and the
therapist's holds (``therapist_holds``: now and then, 30–90 s each, drawn from the person's
own stream, so only those who start a hold draw its length).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .sim import SessionBatch


def judge_top(batch: SessionBatch, a: np.ndarray, live: np.ndarray) -> None:
    """Success: at the top level for ``success_time_s`` with fear above rest halved from its peak there."""
    rest = batch.patients.p["arousal_rest"]
    at_top = live & (batch.level == batch.top)
    batch.peak_top = np.where(at_top, np.maximum(batch.peak_top, a), 0.0)
    batch.time_at_top = np.where(at_top, batch.time_at_top + batch.config.dt, 0.0)
    peak_fear = batch.peak_top - rest
    halved = (a - rest <= 0.5 * peak_fear) | (peak_fear < 0.1)
    batch.succeeded |= at_top & (batch.time_at_top >= batch.config.success_time_s) & halved


def ask_suds(batch: SessionBatch, live: np.ndarray) -> None:
    """Ask the sessions whose rating is due; keep the answer, its age and the peak at this level."""
    due = live & (batch.time >= batch.next_suds - 1e-9)
    if due.any():
        rows = np.flatnonzero(due)
        batch.next_suds[rows] = batch.time[rows] + batch.config.suds_interval_s
        answers = batch.patients.ask_suds(rows)
        batch.suds[rows] = answers
        batch.suds_age[rows] = 0.0
        batch.peak_suds[rows] = np.fmax(batch.peak_suds[rows], answers)


def therapist_holds(batch: SessionBatch, live: np.ndarray) -> None:
    """Start a hold, now and then (``holds_per_hour``), in sessions not already held."""
    rate = batch.config.holds_per_hour / 3600.0
    if rate <= 0:
        return
    start = live & ~batch.held & (batch.rng.random(batch.n) < rate * batch.config.dt)
    if start.any():
        rows = np.flatnonzero(start)  # only those holding draw a length: see adaptation.streams
        batch.hold_until[rows] = batch.time[rows] + batch.rng.uniform(30.0, 90.0, rows=rows)
