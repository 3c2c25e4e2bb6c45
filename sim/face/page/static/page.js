// The what-if page. Its whole state is the URL query (base, seed, reps, metric, and one
// KEY=VALUE per moved lever, the value as TOML text, as after `evacsim run --set`). After
// a change it asks for the answers as they come (`after=N`: the next answer on more than
// N replications): the server sizes them by what the scenario costs, a first one in about
// 0.3 s, then refined ones until the state's replications or precision; a newer change
// cancels them (the fetch is aborted and the server stops the run).
"use strict";

const FAN = ["p5", "p25", "p50", "p75", "p95"];
const client = Math.random().toString(36).slice(2);
let seq = 0;
let inFlight = null; // the AbortController of the answer being fetched
let page = null; // the levers, metrics and seed of the base
let plot = null;
let timer = null;
const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- state and URL

function readState() {
  const q = new URLSearchParams(location.search);
  const settings = {};
  for (const [k, v] of q) if (k.includes(".")) settings[k] = v;
  return {
    base: q.get("base") || "",
    seed: q.get("seed") || "",
    reps: q.get("reps") || "1000",
    precision: q.get("precision") || "",
    metrics: q.getAll("metric"),
    settings,
  };
}

function query(state, reps) {
  const q = new URLSearchParams();
  q.set("base", state.base);
  if (state.seed !== "") q.set("seed", state.seed);
  q.set("reps", String(reps ?? state.reps));
  if (state.precision) q.set("precision", state.precision);
  for (const m of state.metrics) q.append("metric", m);
  for (const [k, v] of Object.entries(state.settings)) q.set(k, v);
  return q;
}

let state = readState();

function writeURL() {
  history.replaceState(null, "", "?" + query(state).toString());
}

// ---------------------------------------------------------------- controls

function fmtBase(lever) {
  const b = lever.base;
  if (b === null) return "any hour";
  if (typeof b === "boolean") return b ? "yes" : "no";
  if (Array.isArray(b)) return `${b[0]}–${b[1]} h`;
  if (b === "inf") return "no limit";
  if (typeof b === "number" && b >= 1e6) return "no limit";
  return String(b);
}

function tomlOf(lever, value) {
  if (lever.kind === "choice") return JSON.stringify(value);
  return String(value);
}

function baseText(lever) {
  const b = lever.base;
  if (b === null) return "";
  if (Array.isArray(b)) return `[${b[0]}, ${b[1]}]`;
  return lever.kind === "choice" ? JSON.stringify(b) : String(b);
}

function setLever(lever, text, delay = 120) {
  if (text === baseText(lever) || text === "") delete state.settings[lever.key];
  else state.settings[lever.key] = text;
  const div = document.querySelector(`.lever[data-key="${lever.key}"]`);
  if (div) div.classList.toggle("changed", lever.key in state.settings);
  changed(delay);
}

function leverControl(lever) {
  const div = document.createElement("div");
  div.className = "lever";
  div.dataset.key = lever.key;
  div.innerHTML = `<div class="name"><span>${lever.label}</span>
    <span class="unit">${lever.unit}</span></div><div class="row"></div>
    <div class="base">base: ${fmtBase(lever)}</div>`;
  const row = div.querySelector(".row");
  const current = state.settings[lever.key];
  const reset = document.createElement("button");
  reset.type = "button";
  reset.textContent = "base";
  reset.title = "back to the base's value";
  if (lever.kind === "choice") {
    const select = document.createElement("select");
    select.name = lever.key;
    for (const c of lever.choices) select.add(new Option(c, c));
    select.value = current ? JSON.parse(current) : lever.base;
    select.addEventListener("change", () => setLever(lever, tomlOf(lever, select.value)));
    reset.addEventListener("click", () => { select.value = lever.base; setLever(lever, baseText(lever)); });
    row.append(select, reset);
  } else if (lever.kind === "boolean") {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = lever.key;
    box.setAttribute("aria-label", lever.label);
    box.checked = current ? current === "true" : lever.base;
    box.addEventListener("change", () => setLever(lever, String(box.checked), 0));
    reset.addEventListener("click", () => { box.checked = lever.base; setLever(lever, baseText(lever)); });
    row.append(box, reset);
  } else if (lever.kind === "hours") {
    const on = document.createElement("input");
    on.type = "checkbox";
    on.title = "restrict departures to these hours";
    const open = numberBox(lever, "opening hour"), close = numberBox(lever, "closing hour");
    const value = current ? JSON.parse(current) : lever.base;
    on.checked = value !== null;
    [open.value, close.value] = value ? value.map(String) : ["6", "18"];
    const update = () => {
      open.disabled = close.disabled = !on.checked;
      setLever(lever, on.checked ? `[${open.value}, ${close.value}]` : "");
    };
    for (const el of [on, open, close]) el.addEventListener("change", update);
    open.disabled = close.disabled = !on.checked;
    reset.addEventListener("click", () => {
      on.checked = lever.base !== null;
      [open.value, close.value] = lever.base ? lever.base.map(String) : ["6", "18"];
      open.disabled = close.disabled = !on.checked;
      setLever(lever, baseText(lever));
    });
    row.append(on, open, "to", close, reset);
  } else {
    const slider = document.createElement("input");
    slider.type = "range";
    slider.min = lever.low;
    slider.max = lever.high;
    slider.step = lever.step;
    slider.setAttribute("aria-label", lever.label);
    const box = numberBox(lever, lever.label);
    box.value = current ?? String(lever.base);
    slider.value = isFinite(Number(box.value)) ? box.value : lever.high;
    slider.addEventListener("input", () => { box.value = slider.value; setLever(lever, slider.value); });
    slider.addEventListener("change", () => setLever(lever, slider.value, 0)); // let go: at once
    box.addEventListener("change", () => {
      if (isFinite(Number(box.value))) slider.value = box.value;
      setLever(lever, box.value.trim(), 0);
    });
    reset.addEventListener("click", () => {
      box.value = String(lever.base);
      slider.value = isFinite(Number(box.value)) ? box.value : lever.high;
      setLever(lever, baseText(lever));
    });
    const mark = document.createElement("span");
    mark.className = "mark";
    mark.textContent = "▲";
    const b = Number(lever.base);
    const share = isFinite(b) ? Math.min(Math.max((b - lever.low) / (lever.high - lever.low), 0), 1) : 1;
    row.append(slider, box, reset, mark);
    requestAnimationFrame(() => { // place the mark under the slider's base position
      const w = slider.offsetWidth;
      mark.style.left = `${slider.offsetLeft + 8 + share * (w - 16)}px`;
    });
  }
  div.classList.toggle("changed", lever.key in state.settings);
  return div;
}

function numberBox(lever, label) {
  const box = document.createElement("input");
  box.type = "text";
  box.inputMode = "decimal";
  box.name = lever.key;
  box.setAttribute("aria-label", label);
  return box;
}

function metricChoice() {
  const chosen = state.metrics.length ? state.metrics : page.default_metrics;
  const div = $("metrics");
  div.replaceChildren();
  for (const m of page.metrics) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = m.metric;
    box.checked = chosen.includes(m.metric);
    box.addEventListener("change", () => {
      state.metrics = [...div.querySelectorAll("input:checked")].map((b) => b.value);
      changed();
    });
    label.append(box, ` ${m.label}`);
    div.append(label);
  }
}

async function loadBase() {
  const r = await fetch("/api/levers?" + new URLSearchParams({ base: state.base }));
  const body = await r.json();
  if (!r.ok) return showError(body.error);
  page = body;
  state.base = body.base;
  $("base").value = body.base;
  $("seed").placeholder = String(body.seed);
  $("seed").value = state.seed;
  $("reps").value = state.precision ? "p" + state.precision : state.reps;
  for (const group of ["planner", "teacher"]) {
    $(group).replaceChildren(...body.levers.filter((l) => l.group === group).map(leverControl));
  }
  metricChoice();
  changed(0);
}

// ---------------------------------------------------------------- answers

function changed(delay = 120) {
  writeURL();
  clearTimeout(timer);
  timer = setTimeout(ask, delay);
}

let shownReps = 0; // the replications of the answer on the page (the download's)

async function ask() {
  if (inFlight) inFlight.abort();
  const controller = (inFlight = new AbortController());
  const mine = ++seq;
  const began = performance.now();
  document.body.dataset.status = "running";
  let after = 0;
  for (;;) {
    const q = query(state);
    q.set("after", String(after));
    q.set("client", client);
    q.set("seq", String(mine));
    let r;
    try {
      r = await fetch("/api/answer?" + q.toString(), { signal: controller.signal });
    } catch (e) {
      return; // aborted by a newer change
    }
    const body = await r.json();
    if (mine !== seq || r.status === 409) return;
    if (!r.ok) {
      document.body.dataset.status = "error";
      return showError(body.error);
    }
    showError(null);
    draw(body);
    shownReps = body.reps;
    const ms = performance.now() - began;
    $("status").textContent = statusLine(body, ms);
    window.evacsimTimings = window.evacsimTimings || [];
    window.evacsimTimings.push({ seq: mine, reps: body.reps, ms, final: body.final, server: body.progress });
    if (body.final) break;
    after = body.reps;
  }
  document.body.dataset.status = "ready";
}

// What the answer on the page rests on, said plainly: its replications, how soon it came,
// what was run for it, and what comes next.
function statusLine(body, ms) {
  const n = body.reps.toLocaleString("en");
  const p = body.progress;
  const share = state.precision ? `±${Number(state.precision) * 100}% of the base` : "";
  const run = p.replications_run
    ? `${p.replications_run.toLocaleString("en")} run for it (${p.engine_cpu_s.toFixed(2)} s of engine CPU), the rest from the cache.`
    : "All from the cache.";
  let next = "";
  if (!body.final) {
    const goal = state.precision ? `${share} (judged at ${body.goal.toLocaleString("en")})` : body.goal.toLocaleString("en");
    next = ` Refining to ${goal}: next from ${body.next.toLocaleString("en")}…`;
  } else if (state.precision) {
    next = body.precise ? ` Within ${share}.` : ` The most the page runs, short of ${share}.`;
  }
  return `${body.final ? "Final answer" : "Answer so far"} from ${n} paired replications (seed ` +
    `${body.seed}), ${(ms / 1000).toFixed(2)} s after the change: its 95% CIs are those of ` +
    `${n} pairs. ${run}${next}`;
}

function showError(message) {
  $("error").hidden = !message;
  $("error").textContent = message || "";
}

function fmt(value, unit) {
  if (value === null || value === undefined) return "n/a";
  const digits = Math.abs(value) >= 100 || ["people", "convoys"].includes(unit) ? 0 : 2;
  return value.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function signed(value, unit) {
  if (value === null || value === undefined) return "n/a";
  const text = fmt(Math.abs(value), unit);
  return value > 0 ? "+" + text : value < 0 ? "\u2212" + text : text;
}

function draw(body) {
  window.evacsimAnswer = body;
  (window.evacsimDrawn = window.evacsimDrawn || []).push({ reps: body.reps, at: performance.now() });
  $("words").textContent = body.same ? "The what-if is the base: move a control." : body.words;
  const pairs = document.createElement("span"); // what this answer rests on, beside it
  pairs.className = "pairs";
  pairs.textContent = ` from ${body.reps.toLocaleString("en")} paired replications` +
    (body.final === false ? ", refining…" : "");
  $("words").append(pairs);
  const rows = body.differences.map((d) => {
    const tr = document.createElement("tr");
    tr.dataset.metric = d.metric;
    tr.dataset.difference = String(d.difference);
    tr.dataset.ciLow = String(d.ci_low);
    tr.dataset.ciHigh = String(d.ci_high);
    const sure = d.ci_low !== null && (d.ci_low > 0 || d.ci_high < 0);
    const cls = sure ? "clear" : ""; // the CI excludes zero (better or worse is the reader's call)
    tr.innerHTML = `<td>${d.label}</td><td>${d.unit}</td><td>${fmt(d.base_mean, d.unit)}</td>` +
      `<td>${fmt(d.whatif_mean, d.unit)}</td><td class="${cls}">${signed(d.difference, d.unit)}</td>` +
      `<td>${signed(d.ci_low, d.unit)} to ${signed(d.ci_high, d.unit)}</td>`;
    return tr;
  });
  $("differences").tBodies[0].replaceChildren(...rows);
  $("pairs").textContent = body.reps.toLocaleString("en");
  $("command").textContent = body.command;
  $("chart").dataset.reps = String(body.reps);
  chart(body);
}

let charted = null; // the answer the chart draws (its hooks read it, from the first draw on)

function chart(body) {
  const data = [body.x, ...FAN.map((p) => body.base[p]), ...FAN.map((p) => body.whatif[p])];
  charted = body;
  if (plot && plot.evacsim === body.x.length) {
    plot.setData(data);
    return;
  }
  if (plot) plot.destroy();
  const line = (label, stroke, width) => ({ label, stroke, width, points: { show: false } });
  const band = (label) => ({ label, stroke: "transparent", width: 0, points: { show: false } });
  const series = [{}];
  for (const [who, stroke] of [["base", "#444"], ["what-if", "#08519c"]]) {
    series.push(band(`${who} p5`), band(`${who} p25`), line(`${who} median`, stroke, 2),
      band(`${who} p75`), band(`${who} p95`));
  }
  const opts = {
    width: Math.max($("chart").clientWidth, 400),
    height: 380,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"), // the scenario's local clock
    series,
    bands: [
      { series: [5, 1], fill: "rgba(90,90,90,0.15)" },
      { series: [4, 2], fill: "rgba(90,90,90,0.25)" },
      { series: [10, 6], fill: "rgba(49,130,189,0.18)" },
      { series: [9, 7], fill: "rgba(49,130,189,0.3)" },
    ],
    scales: { y: { range: (u, lo, hi) => [0, Math.max(hi, charted.people) * 1.08] } },
    axes: [{ values: (u, ticks) => ticks.map(clockTick) }, { label: "people evacuated (cumulative)", size: 70,
      values: (u, ticks) => ticks.map((t) => t.toLocaleString("en")) }],
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    hooks: { drawClear: [shadeSuspensions], draw: [markFigures] },
  };
  plot = new uPlot(opts, data, $("chart"));
  plot.evacsim = body.x.length;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function clockTick(ts) { // the scenario's local clock, as the figures write it: Thu 15 Dec, 06:00
  const d = new Date(ts * 1e3);
  const hm = `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
  if (hm !== "00:00") return hm;
  return `${DAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

function shadeSuspensions(u) {
  const body = charted;
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  const x = body.x;
  for (let i = 0; i < x.length; i++) {
    const a = u.valToPos(x[i], "x", true);
    const b = u.valToPos(i + 1 < x.length ? x[i + 1] : x[i] + 3600, "x", true);
    const w = Math.min(b, left + width) - a;
    if (w <= 0) continue;
    const s = body.whatif.suspended[i], t = body.base.suspended[i];
    if (s > 0) { ctx.fillStyle = `rgba(214,39,40,${0.25 * s})`; ctx.fillRect(a, top, w, height); }
    if (t > 0) { ctx.fillStyle = `rgba(60,60,60,${0.6 * t})`; ctx.fillRect(a, top, w, 6 * devicePixelRatio); }
  }
  ctx.restore();
}

function markFigures(u) {
  const body = charted;
  const ctx = u.ctx;
  ctx.save();
  const dpr = devicePixelRatio;
  // everyone: the whole population
  const yAll = u.valToPos(body.people, "y", true);
  ctx.strokeStyle = "#555";
  ctx.setLineDash([6 * dpr, 4 * dpr]);
  ctx.beginPath();
  ctx.moveTo(u.bbox.left, yAll);
  ctx.lineTo(u.bbox.left + u.bbox.width, yAll);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = "#333";
  ctx.textAlign = "left";
  ctx.textBaseline = "alphabetic";
  ctx.font = `${11 * dpr}px system-ui`;
  ctx.fillText(`everyone (${body.people.toLocaleString("en")})`, u.bbox.left + 6 * dpr, yAll - 4 * dpr);
  for (const r of body.reported) {
    const x = u.valToPos(r.x, "x", true), y = u.valToPos(r.evacuated, "y", true);
    const lo = u.valToPos(r.low, "y", true), hi = u.valToPos(r.high, "y", true);
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    ctx.moveTo(x, lo); ctx.lineTo(x, hi);
    ctx.moveTo(x - 4 * dpr, lo); ctx.lineTo(x + 4 * dpr, lo);
    ctx.moveTo(x - 4 * dpr, hi); ctx.lineTo(x + 4 * dpr, hi);
    ctx.stroke();
    const d = 5 * dpr;
    ctx.beginPath();
    ctx.moveTo(x, y - d); ctx.lineTo(x + d, y); ctx.lineTo(x, y + d); ctx.lineTo(x - d, y);
    ctx.closePath();
    ctx.fill();
    const label = r.source.length > 28 ? r.source.slice(0, 27) + "…" : r.source;
    const right = x > u.bbox.left + 0.75 * u.bbox.width;
    ctx.textAlign = right ? "right" : "left";
    ctx.fillText(label, x + (right ? -8 : 8) * dpr, y - 6 * dpr);
    ctx.textAlign = "left";
  }
  ctx.restore();
}

// ---------------------------------------------------------------- sharing, teaching

async function download() {
  const r = await fetch("/api/whatif.toml?" + query(state, shownReps || state.reps).toString());
  if (!r.ok) return showError((await r.json()).error);
  const name = (r.headers.get("Content-Disposition") || "").match(/filename="(.+)"/)?.[1] || "whatif.toml";
  const url = URL.createObjectURL(await r.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

async function showReplication() {
  const rep = $("rep").value || "0";
  const q = query(state);
  q.set("rep", rep);
  $("rep-status").textContent = "telling replication " + rep + "… (the animation takes a few seconds)";
  const r = await fetch("/api/replication?" + q.toString());
  const body = await r.json();
  if (!r.ok) return showError(body.error);
  $("narration").textContent = body.narration.join("\n");
  $("one-run").textContent = oneRun(body);
  const img = $("animation");
  img.onload = () => { $("rep-status").textContent = `replication ${rep}, seed ${body.seed}`; };
  img.src = "/api/animation.gif?" + q.toString();
  img.hidden = false;
}

// One replication set against all of them: the "why one run is not enough" moment.
function oneRun(body) {
  const answer = window.evacsimAnswer;
  const one = body.metrics[0];
  const all = answer && answer.differences.find((d) => d.metric === one?.metric);
  if (!one || !all) return "";
  return `Replication ${body.rep}: ${fmt(one.value, one.unit)} ${one.unit} (${one.label}). ` +
    `Over the what-if's ${answer.reps.toLocaleString("en")} replications: mean ` +
    `${fmt(all.whatif_mean, all.unit)}, 90% of them between ${fmt(all.whatif_p5, all.unit)} and ` +
    `${fmt(all.whatif_p95, all.unit)}. One run is one draw of the breaches, delays and loading ` +
    "times; try replications 0, 1, 2.";
}

async function upload(file) {
  const r = await fetch("/api/upload?" + new URLSearchParams({ name: file.name }), {
    method: "POST", body: await file.arrayBuffer(),
  });
  const body = await r.json();
  if (!r.ok) return showError(body.error);
  await listScenarios(body.base);
  state = { ...state, base: body.base, seed: "", metrics: [], settings: {} };
  await loadBase();
}

async function listScenarios(extra) {
  const r = await fetch("/api/scenarios");
  const body = await r.json();
  const names = body.scenarios.includes(extra) || !extra ? body.scenarios : [...body.scenarios, extra];
  $("base").replaceChildren(...names.map((n) => new Option(n, n)));
  if (!state.base) state.base = body.default;
}

async function main() {
  await listScenarios(state.base);
  $("base").addEventListener("change", () => {
    state = { ...state, base: $("base").value, seed: "", metrics: [], settings: {} };
    loadBase();
  });
  $("seed").addEventListener("change", () => { state.seed = $("seed").value.trim(); changed(0); });
  $("reps").addEventListener("change", () => {
    const v = $("reps").value;
    state.precision = v.startsWith("p") ? v.slice(1) : "";
    state.reps = v.startsWith("p") ? "1000" : v;
    changed(0);
  });
  $("reset").addEventListener("click", () => { state.settings = {}; loadBase(); });
  $("download").addEventListener("click", download);
  $("copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(location.href); // needs a secure page: 127.0.0.1
      $("copy").textContent = "Link copied";
    } catch (e) {
      prompt("Copy this link to the state:", location.href); // another machine of a class
    }
  });
  $("show-rep").addEventListener("click", showReplication);
  $("upload").addEventListener("change", (e) => e.target.files[0] && upload(e.target.files[0]));
  window.addEventListener("resize", () => plot && plot.setSize({ width: $("chart").clientWidth, height: 380 }));
  await loadBase();
}

main();
