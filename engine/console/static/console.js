// The console's page: live state over a WebSocket, commands by POST, plots on canvas.
// No libraries and nothing from the network: a clinic's machine may have no internet.
"use strict";
(function () {
  // The token came in the address once; the server has put it in an HttpOnly, SameSite=Strict
  // cookie, so it leaves the address bar (and the page's entry in history) at once. Requests
  // then carry the cookie; a reload works without the token in the address.
  if (new URLSearchParams(location.search).has("token")) history.replaceState(null, "", location.pathname);
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  };
  const fmt = (v, d) => (v === null || v === undefined || !isFinite(v)) ? "—" : Number(v).toFixed(d);
  const clock = (s) => {
    if (s === null || s === undefined || !isFinite(s)) return "—";
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m).padStart(2, "0")) + ":" + String(r).padStart(2, "0");
  };

  let info = null, state = null, points = [], windowS = 300, lastMessage = 0, connected = false;
  const events = [];
  let eye = null, eyeAge = null, eyeAgeAt = 0;       // the newest picture's message; its age and when it was told
  window.vrexConsole = { get state() { return state; }, get info() { return info; }, get points() { return points; },
    get eye() { return eye; } };

  // ---- commands -------------------------------------------------------------------
  function toast(text, ok) {
    const t = $("toast");
    t.textContent = text;
    t.className = "toast " + (ok ? "ok" : "bad");
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, ok ? 3500 : 7000);
  }

  async function send(command, args) {
    let res;
    try {
      res = await fetch("/api/command", { method: "POST", cache: "no-store",
        credentials: "same-origin", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ command: command, args: args || {} }) });
    } catch (e) {
      toast(command + ": NOT SENT — the console cannot reach vrex (" + e + ")", false);
      return null;
    }
    const body = await res.json().catch(() => ({ error: "vrex answered HTTP " + res.status }));
    if (res.status === 200) toast((body.accepted ? "✓ " : "✗ refused: ") + body.reason, body.accepted);
    else if (res.status === 409 && body.confirm) toast(body.error, true);
    else if (res.status === 202) toast(command + ": " + body.reason, true);
    else toast("✗ " + command + ": " + (body.error || res.status), false);
    return body;
  }

  $("stop").addEventListener("click", () => { window.vrexStopClickedAt = performance.timeOrigin + performance.now(); send("stop"); });
  $("hold").addEventListener("click", () => send("hold"));
  $("resume").addEventListener("click", () => send("resume"));
  $("step-up").addEventListener("click", () => send("step_up"));
  $("step-down").addEventListener("click", () => send("step_down"));
  $("end").addEventListener("click", () => { if (confirm("End the exposure now? The scene goes to its calm state for recovery.")) send("end"); });
  $("accept").addEventListener("click", () => send("accept"));
  $("ack-all").addEventListener("click", async () => {      // one logged ack per alert, oldest first
    for (const a of (state ? state.alerts : []).filter((x) => !x.acknowledged)) await send("ack", { index: a.index });
  });
  $("reject").addEventListener("click", () => send("reject"));
  $("ask").addEventListener("click", () => send("ask_suds"));
  $("mode").addEventListener("change", async (e) => {
    const r = await send("mode", { mode: e.target.value });
    if (!r || !r.accepted) e.target.value = state ? state.mode : e.target.value;
  });
  function enterSuds() {
    const v = $("suds-value").value.trim();
    if (v === "" || isNaN(Number(v))) { toast("SUDS: type a number from 0 to 100", false); return; }
    send("suds", { value: Number(v) }).then((r) => { if (r && r.accepted) $("suds-value").value = ""; });
  }
  $("suds-enter").addEventListener("click", enterSuds);
  $("suds-value").addEventListener("keydown", (e) => { if (e.key === "Enter") enterSuds(); });
  $("note-add").addEventListener("click", () => {
    const text = $("note").value;
    if (!text.trim()) { toast("Note: write something first", false); return; }
    send("note", { text: text }).then((r) => { if (r && r.accepted) $("note").value = ""; });
  });
  document.querySelectorAll("button.win").forEach((b) => b.addEventListener("click", () => {
    windowS = Number(b.dataset.min) * 60;
    document.querySelectorAll("button.win").forEach((o) => o.classList.toggle("on", o === b));
    $("win-label").textContent = b.dataset.min;
    drawPlots();
  }));

  // ---- the hierarchy ----------------------------------------------------------------
  let armed = null;
  function buildLadder() {
    const ol = $("ladder");
    ol.textContent = "";
    info.levels.forEach((lv, i) => {
      const li = el("li");
      li.dataset.level = String(i + 1);
      const b = el("button");
      b.type = "button";
      b.append(el("span", "n", String(i + 1)), el("span", "name", lv.name), el("span", "i", lv.intensity.toFixed(2)));
      b.addEventListener("click", () => clickLevel(i + 1, li));
      li.append(b);
      ol.prepend(li);                 // highest level on top, as a fear ladder is drawn
    });
  }
  function clickLevel(level, li) {
    // a jump of 2+ levels up: the server answers the first click with "confirm" (409) and
    // takes the same level again within 5 s; the ring shows which level waits for it
    document.querySelectorAll(".ladder li.armed").forEach((x) => { if (x !== li) x.classList.remove("armed"); });
    send("set_level", { level: level }).then((r) => {
      if (r && r.confirm) {
        armed = level;
        li.classList.add("armed");
        setTimeout(() => { if (armed === level) { armed = null; li.classList.remove("armed"); } }, 5000);
      } else { armed = null; li.classList.remove("armed"); }
    });
  }

  // ---- rendering the state -------------------------------------------------------------
  function setText(id, text) { const e = $(id); if (e.textContent !== text) e.textContent = text; }

  function renderHeader(s) {
    const ph = info.phases_s, total = ph.baseline + ph.exposure + ph.recovery;
    setText("phase", s.phase);
    setText("phase-time", s.phase_length ? clock(s.phase_elapsed) + " / " + clock(s.phase_length) : "");
    setText("clock", clock(s.t));
    $("bar-baseline").style.width = (100 * ph.baseline / total) + "%";
    $("bar-exposure").style.width = (100 * ph.exposure / total) + "%";
    $("bar-recovery").style.width = (100 * ph.recovery / total) + "%";
    $("progress-mark").style.left = "calc(" + (100 * s.progress) + "% - 1px)";
    if (document.activeElement !== $("mode")) $("mode").value = s.mode;
    const standing = $("therapist");
    standing.className = "standing " + s.therapist;
    standing.textContent = s.therapist === "stop" ? "Stopped: calm state. Resume to continue."
      : s.therapist === "hold" ? "On hold: the controller may not raise." : "Controller may act · " + s.mode + " mode";
    $("hold").classList.toggle("on", s.therapist === "hold");
    $("hold").disabled = s.therapist !== "none";
    $("resume").disabled = s.therapist === "none";
    const exposure = s.phase === "exposure" && s.therapist !== "stop";
    ["step-up", "step-down", "end"].forEach((id) => { $(id).disabled = !exposure && !(id === "end" && s.phase === "baseline"); });
  }

  function renderBanners(age) {
    const box = $("banners"), list = [];
    const over = state && (state.done || (state.phase === "recovery" && state.phase_elapsed >= state.phase_length - 2));
    if (!connected && over) list.push(["info", "The session has finished and its console has closed."]);
    else if (!connected) list.push(["bad", "NOT CONNECTED to the session — the values below are old. Reconnecting…"]);
    else if (age > 2.5) list.push(["warn", "No new data from the session for " + age.toFixed(0) + " s — check the session's machine."]);
    if (state && state.done) { if (connected) list.push(["info", "The session has finished."]); }
    else if (state && state.therapist === "stop") list.push(["bad", "STOPPED — the scene is in its calm state. Resume, then set a level, to continue."]);
    else if (state && state.therapist === "hold") list.push(["warn", "ON HOLD — the controller may not raise intensity. Resume to let it act."]);
    const key = JSON.stringify(list);
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.textContent = "";
    list.forEach(([cls, text]) => box.append(el("div", "banner " + cls, text)));
    const c = $("conn");
    c.className = "conn " + (connected ? (age > 2.5 ? "wait" : "ok") : "bad");
    c.textContent = connected ? (age > 2.5 ? "no new data" : "● live") : "not connected";
  }

  function renderTiles(s) {
    setText("v-level", (s.level + 1) + " / " + info.levels.length);
    setText("v-level-name", s.level_name + (s.target_level !== s.level ? "  → level " + (s.target_level + 1) : ""));
    setText("v-int", fmt(s.intensity, 2));
    setText("v-target", fmt(s.target, 2));
    setText("v-int-note", s.calming ? "calm blink in progress" : "ceiling " + fmt(s.ceiling, 2) + " · top reached " + (s.top_reached + 1));
    const v = s.vitals || {};
    setText("v-hr", fmt(v.hr, 0));
    setText("v-hr-rel", v.hr_rel === null || v.hr_rel === undefined ? (s.hr_baseline ? "" : "no baseline yet")
      : (v.hr_rel >= 0 ? "+" : "") + (100 * v.hr_rel).toFixed(0) + " % vs rest " + fmt(s.hr_baseline, 0));
    setText("v-suds", fmt(s.suds, 0));
    setText("v-suds-age", s.suds === null ? "not rated yet" : "rated " + clock(s.suds_age) + " ago");
    setText("pv-hr", fmt(v.hr, 0)); setText("pv-eda", fmt(v.eda, 2)); setText("pv-resp", fmt(v.resp, 0));
    setText("pv-int", fmt(s.intensity, 2)); setText("pv-suds", fmt(s.suds, 0));
    setText("prompt", s.prompt_age !== null ? "Asked " + clock(s.prompt_age) + " ago — waiting for the patient's answer" : "\u00a0");
  }

  function renderLadder(s) {
    const proposed = s.pending ? s.pending.level + 1 : -1;
    document.querySelectorAll("#ladder li").forEach((li) => {
      const n = Number(li.dataset.level), lv = info.levels[n - 1];
      li.classList.toggle("shown", n === s.level + 1);
      li.classList.toggle("target", n === s.target_level + 1);
      li.classList.toggle("proposed", n === proposed);
      li.classList.toggle("reached", n <= s.top_reached + 1);
      li.classList.toggle("above", lv.intensity > s.ceiling + 1e-9);
      li.querySelector("button").disabled = s.phase !== "exposure" || s.therapist === "stop" || lv.intensity > s.ceiling + 1e-9;
    });
  }

  function renderAlerts(list) {
    const ul = $("alerts"), open = list.filter((a) => !a.acknowledged);
    if (unchanged(ul, list)) return;
    ul.textContent = "";
    $("alert-count").hidden = open.length === 0;
    $("alert-count").textContent = String(open.length);
    $("ack-all").hidden = open.length < 2;
    if (!list.length) { ul.append(el("li", "none", "No alerts")); return; }
    const newestFirst = open.slice().reverse().concat(list.filter((a) => a.acknowledged).reverse());
    newestFirst.forEach((a) => {
      const li = el("li", (a.acknowledged ? "acked " : "open ") + a.kind);
      const text = el("div");
      text.append(el("span", "kind", a.kind === "patient" ? "Patient stop" : a.kind), " ", el("span", "when", clock(a.t)),
        " ", a.text);
      li.append(text);
      if (!a.acknowledged) {
        const b = el("button", "btn", "Acknowledge");
        b.addEventListener("click", () => send("ack", { index: a.index }));
        li.append(b);
      }
      ul.append(li);
    });
  }

  function unchanged(node, value) {     // rebuild a part only when what it shows has changed
    const key = JSON.stringify(value);
    if (node.dataset.key === key) return true;
    node.dataset.key = key;
    return false;
  }

  function renderSensors(list) {
    const tb = $("sensors");
    if (unchanged(tb, list)) return;
    tb.textContent = "";
    if (!list.length) { const tr = el("tr"); tr.append(el("td", "muted", "no sensor data yet")); tb.append(tr); return; }
    list.forEach((x) => {
      const tr = el("tr");
      const name = el("td", "name", x.signal.toUpperCase());
      const status = el("td");
      status.append(el("span", "chip " + x.status, x.status));
      if (x.status !== "fresh" && x.why) status.append(el("span", "why", x.why));
      else if (x.now && x.now !== x.status) status.append(el("span", "why", "this second: " + x.now + " (" + x.now_why + ")"));
      tr.append(name, status, el("td", "num", x.quality === null ? "q —" : "q " + x.quality.toFixed(2)),
        el("td", "num", x.age_s === null ? "" : x.age_s.toFixed(1) + " s"));
      tb.append(tr);
    });
  }

  function renderController(s) {
    const d = s.decision, box = $("decision");
    if (!unchanged(box, d)) renderDecision(d, box);
    const p = s.pending;
    $("proposal").hidden = !p;
    if (p) setText("proposal-text", "Go to level " + (p.level + 1) + " '" + info.levels[p.level].name + "' (" + fmt(p.target, 2)
      + ") — " + p.reason + " · " + Math.max(0, p.valid_s - p.age_s).toFixed(0) + " s left to accept");
  }

  function renderDecision(d, box) {
    box.textContent = "";
    if (!d) box.append("no decision yet");
    else {
      box.append(el("b", "", "level " + (d.level + 1) + " (" + fmt(d.target, 2) + ")"), " — " + d.reason);
      if (d.source) box.append(el("div", "muted small", "by " + d.source));
    }
  }

  const LOG_KINDS = { command: 1, intensity: 1, phase: 1, sensor: 1, shield: 1, suds: 1, note: 1, escape: 1,
    prompt: 1, shown: 1, baseline: 1, session_start: 1, session_end: 1, avoidance: 1,
    looked_away: 1, looked_back: 1, stall: 1 };
  function describe(e) {
    switch (e.kind) {
      case "command": return (e.accepted ? "✓ " : "✗ ") + e.command + (e.args && Object.keys(e.args).length ? " " + JSON.stringify(e.args) : "") + (e.reason ? " — " + e.reason : "");
      case "intensity": return "target " + fmt(e.previous, 2) + " → " + fmt(e.target, 2) + " (level " + (e.level + 1) + ") — " + e.reason;
      case "shown": return "level " + (e.level + 1) + " '" + e.level_name + "' shown";
      case "phase": return "phase " + e.phase + (e.reason ? " — " + e.reason : "");
      case "sensor": return e.signal + " " + e.status + (e.reason ? " — " + e.reason : "");
      case "suds": return "SUDS " + fmt(e.value, 0) + " at level " + (e.level + 1);
      case "note": return "note: " + e.text;
      case "shield": return "shield: " + (e.interventions || []).join("; ");
      default: return e.kind.replace("_", " ") + (e.reason ? " — " + e.reason : "");
    }
  }
  function addEvents(list) {
    const tb = $("log");
    list.forEach((e) => {
      if (!LOG_KINDS[e.kind]) return;
      events.push(e);
      const tr = el("tr", e.source + (e.kind === "command" && !e.accepted ? " refused" : "") + (e.kind === "shield" ? " shield" : ""));
      tr.dataset.kind = e.kind;
      if (e.kind === "command") tr.dataset.command = e.command;
      tr.append(el("td", "t", clock(e.t)), el("td", "src", e.source), el("td", "", describe(e)));
      tb.prepend(tr);
    });
    while (tb.children.length > 250) tb.lastChild.remove();
    renderShield();
  }

  function renderShield() {        // the newest interventions; one repeated tick after tick is one line
    const groups = [];
    events.filter((e) => e.kind === "shield").forEach((e) => {
      const text = (e.interventions || []).join("; "), last = groups[groups.length - 1];
      if (last && last.text === text) { last.to = e.t; last.n += 1; } else groups.push({ text: text, from: e.t, to: e.t, n: 1 });
    });
    const ul = $("shield");
    ul.textContent = "";
    if (!groups.length) ul.append(el("li", "none", "no interventions"));
    groups.slice(-5).reverse().forEach((g) => {
      const li = el("li");
      li.append(el("span", "when", clock(g.from) + (g.n > 1 ? "–" + clock(g.to) : "")), g.text);
      if (g.n > 1) li.append(el("span", "times", " (" + g.n + "×)"));
      ul.append(li);
    });
  }

  // ---- plots ------------------------------------------------------------------------
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const plot = (id, series, o) => window.vrexPlot($(id), points, state ? state.t : 0, windowS, series, o);

  function drawPlots() {
    if (!info || !state) return;
    const red = "#b42318", base = state.hr_baseline;
    plot("p-hr", [{ col: 2, color: css("--hr") }], { auto: true, span: 20, digits: 0, floor: 30, lines: [
      { y: base, color: "#6e7781", dash: [2, 3], label: "rest", keep: true },
      { y: base ? base * (1 + info.hr_ceiling_rel) : null, color: red, dash: [6, 4], label: "ceiling +" + Math.round(100 * info.hr_ceiling_rel) + " %", keep: true },
      { y: info.hr_ceiling_bpm, color: red, dash: [2, 2], label: "limit" }] });
    plot("p-eda", [{ col: 3, color: css("--eda") }], { auto: true, span: 0.5, digits: 1, floor: 0 });
    plot("p-resp", [{ col: 4, color: css("--resp") }], { auto: true, span: 8, digits: 0, floor: 0 });
    plot("p-int", [{ col: 6, color: css("--int"), dash: [5, 4], width: 1.5, steps: true }, { col: 5, color: css("--int") }],
      { min: -0.03, max: 1.05, ticks: [0, 0.5, 1], digits: 1, lines: [{ y: state.ceiling < 1 ? state.ceiling : null, color: red, dash: [6, 4], label: "ceiling" }] });
    plot("p-suds", [{ col: 7, color: css("--suds"), steps: true }], { min: -3, max: 105, ticks: [0, 50, 100], digits: 0 });
  }

  // ---- what the patient sees ---------------------------------------------------------
  // The picture comes as its own message five times a second; every state message says how
  // old the newest one is. Between messages the page ages it itself, so a picture from a
  // stalled renderer, or from a session the page lost, turns stale on its own.
  function eyeAgeNow() { return eyeAge === null ? null : eyeAge + (performance.now() - eyeAgeAt) / 1000; }

  function onEye(m) {
    eye = m;
    eyeAge = m.age_s; eyeAgeAt = performance.now();
    const img = $("eye-img");
    img.onload = () => { drawEyeOverlay(); };
    img.src = m.image;
    img.dataset.seq = String(m.seq);
    renderEye();
  }

  function renderEye() {
    const box = $("eye-box"), none = $("eye-none"), staleBox = $("eye-stale");
    const away = !!(state && state.looking_away);
    $("eye-away").hidden = !away;
    box.classList.toggle("away", away);
    if (!info || !info.eye || !eye) {
      box.classList.add("empty");
      none.hidden = false;
      none.textContent = info && !info.eye ? "This session shares no picture of the patient's view." : "waiting for the first picture…";
      staleBox.hidden = true;
      setText("eye-info", "\u00a0");
      return;
    }
    box.classList.remove("empty");
    none.hidden = true;
    const age = eyeAgeNow(), stale = !connected || age === null || age > eye.stale_s;
    box.classList.toggle("stale", stale);
    staleBox.hidden = !stale;
    if (stale) staleBox.textContent = "NOT LIVE — picture from " + (age === null ? "?" : age.toFixed(age < 10 ? 1 : 0)) + " s ago";
    const off = eye.gaze_off_deg;
    setText("eye-info", (stale ? "stale" : "live") + " · " + (eye.eye === "left" ? "left eye" : "screen") + " · "
      + (off === null ? "head direction unknown" : "head " + off.toFixed(0) + "° from where the patient is asked to look")
      + (age === null ? "" : " · " + age.toFixed(1) + " s old")
      + (eye.period_s > 0.25 ? " · one picture every " + eye.period_s.toFixed(1) + " s (slowed to spare the patient's frames)" : ""));
    document.body.dataset.eyeStale = stale ? "1" : "0";
  }

  function drawEyeOverlay() {           // the head's direction and the gaze target, on the picture
    const img = $("eye-img"), c = $("eye-overlay");
    if (!eye) return;
    const w = img.clientWidth, h = img.clientHeight, dpr = window.devicePixelRatio || 1;
    c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const away = !!(state && state.looking_away), colour = away ? "#ff4d3d" : "#ffd24d";
    const hx = eye.head_uv[0] * w, hy = eye.head_uv[1] * h;
    g.lineWidth = 2;
    const halo = (draw) => { g.strokeStyle = "rgba(0,0,0,.6)"; g.lineWidth = 4; draw(); g.strokeStyle = colour; g.lineWidth = 2; draw(); };
    halo(() => { g.beginPath(); g.moveTo(hx - 7, hy); g.lineTo(hx + 7, hy); g.moveTo(hx, hy - 7); g.lineTo(hx, hy + 7); g.stroke(); });
    if (eye.target_uv) {                 // the target in view: a ring there, a line from the head's point
      const tx = eye.target_uv[0] * w, ty = eye.target_uv[1] * h;
      halo(() => { g.beginPath(); g.arc(tx, ty, 11, 0, 2 * Math.PI); g.stroke(); });
      if (Math.hypot(tx - hx, ty - hy) > 14) halo(() => { g.beginPath(); g.moveTo(hx, hy); g.lineTo(tx, ty); g.stroke(); });
    } else if (eye.target_dir) {          // out of view: an arrow toward it from the head's point
      const [dx, dy] = eye.target_dir, len = Math.min(w, h) * 0.38;
      const ex = hx + dx * len, ey = hy + dy * len, a = Math.atan2(dy, dx);
      halo(() => { g.beginPath(); g.moveTo(hx, hy); g.lineTo(ex, ey);
        g.moveTo(ex, ey); g.lineTo(ex - 12 * Math.cos(a - 0.5), ey - 12 * Math.sin(a - 0.5));
        g.moveTo(ex, ey); g.lineTo(ex - 12 * Math.cos(a + 0.5), ey - 12 * Math.sin(a + 0.5)); g.stroke(); });
      g.fillStyle = colour; g.font = "600 12px system-ui, sans-serif";
      g.fillText("target out of view", 8, h - 8);
    }
  }

  // ---- the connection -----------------------------------------------------------------
  function onMessage(m) {
    lastMessage = performance.now();
    if (m.type === "eye") { onEye(m); return; }
    if (m.type === "hello") {
      info = m.info;
      setText("scenario", info.scenario);
      setText("patient", info.patient);
      setText("session-id", info.session_id);
      setText("controller", "(" + info.controller + ")");
      if (info.demo) { $("demo").hidden = false; $("demo").textContent = "DEMO · " + info.speed + "× speed"; }
      document.title = "vrex · " + info.patient + " · " + info.scenario;
      buildLadder();
      events.length = 0; $("log").textContent = ""; points = [];
      addEvents(m.events || []);
      renderEye();
      return;
    }
    state = m.state;
    if (m.eye_age_s !== undefined && m.eye_age_s !== null) { eyeAge = m.eye_age_s; eyeAgeAt = performance.now(); }
    points = points.concat(m.points || []);
    const keepFrom = state.t - (info ? info.window_s : 600);
    while (points.length && points[0][1] < keepFrom) points.shift();
    if (m.events && m.events.length) addEvents(m.events);
    renderHeader(state); renderTiles(state); renderLadder(state); renderAlerts(state.alerts);
    renderSensors(state.sensors); renderController(state); renderBanners(m.age_s || 0); drawPlots(); renderEye();
    drawEyeOverlay();
    document.body.dataset.seq = String(state.seq);
  }

  function connect() {
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");  // the cookie carries the token
    ws.onopen = () => { connected = true; renderBanners(0); };
    ws.onmessage = (ev) => onMessage(JSON.parse(ev.data));
    ws.onclose = () => { connected = false; renderBanners(0); setTimeout(connect, 1000); };
  }
  setInterval(() => {              // no message for a while: say so, whatever the socket thinks
    if (connected && lastMessage && performance.now() - lastMessage > 3000) renderBanners((performance.now() - lastMessage) / 1000);
  }, 1000);
  setInterval(renderEye, 500);     // the picture's age grows between messages: stale shows by itself
  window.addEventListener("resize", () => { drawPlots(); drawEyeOverlay(); });
  connect();
})();
