// The console's plots: one canvas per signal, the last ``windowS`` seconds of session time
// up to ``t1``, drawn by hand (no chart library: nothing may come from the network).
// ``points`` are the server's rows [n, t, hr, eda, resp, intensity, target, suds]; a series
// reads column ``col``; null leaves a gap (a sensor without good data draws nothing there).
// Options: ``min``/``max`` or ``auto`` (with ``span``, the least range, and ``floor``),
// ``ticks``, ``digits``, and ``lines``: horizontal references (rest, ceiling, limit).
"use strict";
(function () {
  const clock = (s) => {
    s = Math.max(0, Math.floor(s));
    const m = Math.floor(s / 60), r = s % 60;
    return String(m).padStart(2, "0") + ":" + String(r).padStart(2, "0");
  };

  function vrexPlot(c, points, t1, windowS, series, o) {
    const dpr = window.devicePixelRatio || 1, w = c.clientWidth, h = c.clientHeight;
    if (!w || !h) return;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); }
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const t0 = t1 - windowS, padL = 6, padR = 44, padT = 6, padB = 16;
    let lo = o.min, hi = o.max;
    if (o.auto) {
      const vals = [];
      series.forEach((s) => points.forEach((p) => { if (p[1] >= t0 && p[s.col] !== null) vals.push(p[s.col]); }));
      (o.lines || []).forEach((l) => { if (l.y !== null && l.y !== undefined && l.keep) vals.push(l.y); });
      if (vals.length) { lo = Math.min(...vals); hi = Math.max(...vals); }
      const span = Math.max(hi - lo, o.span);
      const mid = (hi + lo) / 2;
      lo = Math.max(o.floor !== undefined ? o.floor : -Infinity, mid - span * 0.6); hi = lo + span * 1.2;
    }
    const X = (t) => padL + (w - padL - padR) * (t - t0) / (t1 - t0);
    const Y = (v) => padT + (h - padT - padB) * (1 - (v - lo) / (hi - lo));
    g.font = "11px system-ui, sans-serif";
    g.lineWidth = 1;
    // grid: a line a minute, labelled with the session clock
    g.strokeStyle = "#e3e8ed"; g.fillStyle = "#6e7781";
    const step = windowS > 360 ? 120 : 60;
    for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      if (t < 0) continue;
      g.beginPath(); g.moveTo(X(t), padT); g.lineTo(X(t), h - padB); g.stroke();
      g.fillText(clock(t), X(t) - 14, h - 3);
    }
    (o.ticks || [lo, (lo + hi) / 2, hi]).forEach((v) => { g.fillText(v.toFixed(o.digits), w - padR + 4, Y(v) + 4); });
    (o.lines || []).forEach((l) => {
      if (l.y === null || l.y === undefined || l.y < lo || l.y > hi) return;
      g.strokeStyle = l.color; g.setLineDash(l.dash || []); g.beginPath(); g.moveTo(padL, Y(l.y)); g.lineTo(w - padR, Y(l.y)); g.stroke();
      g.setLineDash([]);
      if (l.label) { g.fillStyle = l.color; g.fillText(l.label, padL + 4, Y(l.y) - 3); g.fillStyle = "#6e7781"; }
    });
    g.save(); g.beginPath(); g.rect(padL, 0, w - padL - padR, h); g.clip();
    series.forEach((s) => {
      g.strokeStyle = s.color; g.lineWidth = s.width || 2; g.setLineDash(s.dash || []); g.beginPath();
      let on = false, prev = null;
      points.forEach((p) => {
        if (p[1] < t0 - 5) return;
        const v = p[s.col];
        if (v === null) { on = false; return; }
        if (!on) g.moveTo(X(p[1]), Y(v));
        else if (s.steps) { g.lineTo(X(p[1]), Y(prev)); g.lineTo(X(p[1]), Y(v)); }
        else g.lineTo(X(p[1]), Y(v));
        on = true; prev = v;
      });
      g.stroke(); g.setLineDash([]);
    });
    g.restore();
  }

  window.vrexPlot = vrexPlot;
})();
