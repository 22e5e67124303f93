// tokenprobs playground: the page's only script (served by the app; no other script may run).
// Everything drawn from tokens is either the renderer's escaped HTML (parsed in an inert
// <template>) or text set through textContent.
"use strict";

const $ = (id) => document.getElementById(id);
// running: answers streaming now; redraw: a mode change waits for them (their frames are drawn
// into the columns they opened, which a redraw would replace)
// streams: each running answer's AbortController (a load stops them: their columns are gone)
// instance: the playground's run the page last heard from (every response names it)
// open: the position the alternatives panel shows ({col, cell, index}); drawn again when its
// answer finishes, so the branch buttons come as soon as they can be used
// catching, watch: a look at the session's answers under way, and the next one due (catchUp)
const state = { branches: new Map(), mode: "least-likely", config: null, running: 0, redraw: false, streams: new Set(),
  instance: null, open: null, catching: false, watch: null };
// What the browser test reads: when the last run's first token was drawn, how long frames took.
const perf = (window.__tp = { firstTokenAt: null, frames: 0, longestFrameMs: 0, runs: 0 });

function parse(html) {
  const t = document.createElement("template");
  t.innerHTML = html;
  return t.content;
}

function pct(p) {
  if (p === null || p === undefined) return "n/a";
  if (p > 0 && p < 0.0001) return "<0.01%";
  return (p * 100).toFixed(p >= 0.1 ? 1 : 2) + "%";
}

// a token or a span as the server sent it for display (render.visible: whitespace marked, bidi
// and zero-width characters as escapes), quoted without JSON's doubled backslashes
function quoted(shown) {
  return "“" + shown + "”";
}

function say(text, kind) {
  const div = document.createElement("div");
  div.className = "msg" + (kind === "error" ? " error" : "");
  div.textContent = text;
  $("messages").append(div);
  return div;
}

function sayError(ev) {
  if (ev.kind === "restarted") return; // retire() has said so, when the response named the new run
  const div = say("", "error");
  const what = document.createElement("span");
  what.className = "kind";
  const status = ev.status ? " " + ev.status : "";
  const kinds = { guard: "Refused before sending", api: "The server answered", connection: "Could not reach the server",
    interrupted: "Interrupted" };
  what.textContent = (kinds[ev.kind] || "Error") + status + ":";
  const body = document.createElement("span");
  body.className = "error-message";
  body.textContent = ev.message;
  div.append(what, body);
}

async function api(path, body, signal) {
  const headers = state.instance ? { "X-Playground-Instance": state.instance } : {};
  const init = body === undefined ? { headers } : {
    method: "POST",
    headers: { ...headers, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const r = await fetch(path, { ...init, signal });
  heard(r.headers.get("X-Playground-Instance"));
  return r;
}

// Another instance than the page's: the playground restarted, and has none of the columns drawn
// (it refuses the requests that name them, 409)
function heard(instance) {
  if (!instance) return;
  if (state.instance && instance !== state.instance && state.branches.size) retire();
  state.instance = instance;
}

// A new answer with the id of one drawn: the playground restarted (its ids start again at 1)
// and no longer has the answers drawn before; their links would open the new ones.
function retire() {
  for (const col of state.branches.values()) {
    col.el.dataset.stale = "1";
    col.el.dataset.done = "1";
    col.exp.removeAttribute("href");
    col.exp.hidden = true;
    col.status.textContent = "from before the playground restarted";
  }
  state.branches.clear();
  closeAlternatives(); // an answer of before: its branch buttons would be refused
  say("the playground restarted: it no longer has the answers drawn before, so their " +
    "alternatives, branches and export are gone (Save session keeps answers across restarts)", "error");
}

function column(meta) {
  if (state.branches.has(meta.id)) retire();
  const el = document.createElement("article");
  el.className = "branch";
  el.dataset.branch = meta.id;
  const head = document.createElement("header");
  const title = document.createElement("strong");
  title.textContent = meta.label;
  const status = document.createElement("span");
  status.className = "status muted";
  const exp = document.createElement("a");
  exp.textContent = "export HTML";
  exp.className = "export";
  exp.hidden = true; // until the answer is in (setExport)
  head.append(title, status, exp);
  const note = document.createElement("div");
  note.className = "note";
  if (meta.forced !== null && meta.forced !== undefined) {
    note.textContent = "forced at position " + meta.position + ": " + quoted(meta.forced_shown);
  }
  const box = document.createElement("div");
  box.className = "view";
  const sum = document.createElement("div");
  sum.className = "summary";
  el.append(head, note, box, sum);
  $("branches").append(el);
  // a branch's first frame draws the parent's positions: its own tokens come after them
  const forcedN = meta.position === null || meta.position === undefined ? 0 : meta.position + 1;
  const col = { meta, el, box, tx: null, starts: [], n: 0, done: false, status, sum, exp, forcedN };
  state.branches.set(meta.id, col);
  return col;
}

// the export link: once the answer is in (an export is a finished answer's page); none for an
// answer without tokens (refused, or failed before any): its export is a JSON error page
function setExport(col) {
  if (col.el.dataset.stale || !col.n) return;
  col.exp.hidden = false;
  const instance = state.instance ? "&instance=" + encodeURIComponent(state.instance) : "";
  col.exp.href = "/api/branches/" + col.meta.id + "/export?mode=" + encodeURIComponent(state.mode) + instance;
}

function applyFrame(col, ev) {
  const began = performance.now();
  if (ev.head !== null && ev.head !== undefined) {
    const view = parse(ev.head + ev.tail).firstElementChild;
    const tx = view.querySelector(".tx");
    if (col.tx && ev.cut > 0) {
      while (col.tx.firstChild) tx.append(col.tx.firstChild);
    }
    col.box.replaceChildren(view);
    col.tx = tx;
  }
  const tx = col.tx;
  while (tx.children.length > ev.cut) tx.lastElementChild.remove();
  col.starts.length = ev.cut;
  if (ev.cells.length) tx.append(parse(ev.cells.join("")));
  col.starts.push(...ev.starts);
  col.n = ev.n;
  col.status.textContent = ev.n + " tokens" + (col.done ? "" : "…");
  if (perf.firstTokenAt === null && ev.n > col.forcedN) perf.firstTokenAt = performance.timeOrigin + performance.now();
  perf.frames += 1;
  perf.longestFrameMs = Math.max(perf.longestFrameMs, performance.now() - began);
}

function drawSummary(col, s) {
  col.sum.replaceChildren();
  const line = document.createElement("div");
  // null: infinite (a logprob of -9999 in a short answer: JSON has no infinity), or undefined
  const ppl = s.perplexity !== null ? s.perplexity.toFixed(3) : s.perplexity_infinite ? "∞" : "n/a";
  line.textContent = s.tokens + " tokens · perplexity " + ppl +
    (s.finish_reason ? " · finish " + s.finish_reason : "") + (s.incomplete ? " · incomplete" : "");
  col.sum.append(line);
  if (s.uncertain.length) {
    const t = document.createElement("div");
    t.textContent = "least certain spans:";
    const ul = document.createElement("ul");
    for (const u of s.uncertain) {
      const li = document.createElement("li");
      const where = u.end - u.start > 1 ? "positions " + u.start + "–" + (u.end - 1) : "position " + u.start;
      li.textContent = quoted(u.text) + " (" + where + ", min p " + pct(u.min_p) + ")";
      ul.append(li);
    }
    col.sum.append(t, ul);
  }
}

async function consume(response, stream) {
  if (!response.ok && response.headers.get("content-type") !== "application/x-ndjson") {
    sayError(await response.json());
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let col = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buffer += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line) col = stream.col = handle(JSON.parse(line), col);
    }
    if (done) break;
  }
  if (col) {
    col.done = true;
    col.el.dataset.done = "1";
    setExport(col);
    if (col.status.textContent.endsWith("…")) col.status.textContent = col.status.textContent.slice(0, -1);
    reopen(col);
  }
  refreshCompare();
}

// The panel, opened while `col` was arriving, drawn again now that its answer is whole
function reopen(col) {
  if (!$("alternatives").hidden && state.open && state.open.col === col && state.branches.get(col.meta.id) === col) {
    openAlternatives(state.open);
  }
}

function closeAlternatives() {
  $("alternatives").hidden = true;
  state.open = null;
}

function handle(ev, col) {
  switch (ev.t) {
    case "branch":
      return column(ev);
    case "notice":
      say(ev.message);
      return col;
    case "frame":
      applyFrame(col, ev);
      return col;
    case "done":
      col.done = true;
      col.meta.refusal = ev.refusal;
      drawSummary(col, ev.summary);
      return col;
    case "error":
      sayError(ev);
      if (col) col.status.textContent = "failed";
      return col;
    default:
      return col;
  }
}

function formData() {
  const endpoint = document.querySelector("input[name=endpoint]:checked").value;
  const messages = [];
  if ($("system").value.trim()) messages.push({ role: "system", content: $("system").value });
  messages.push({ role: "user", content: $("user").value });
  const num = (id) => ($(id).value === "" ? null : Number($(id).value));
  return {
    endpoint,
    model: $("model").value,
    prompt: $("prompt").value,
    messages: endpoint === "chat.completions" ? messages : [],
    temperature: num("temperature"),
    max_tokens: num("max_tokens"),
    top_logprobs: num("top_logprobs"),
    seed: num("seed"),
    mode: state.mode,
  };
}

async function streamed(path, body) {
  const stream = new AbortController();
  state.streams.add(stream);
  state.running += 1;
  $("stop").hidden = false;
  try {
    await consume(await api(path, body, stream.signal), stream);
  } catch (e) {
    if (!stream.signal.aborted) throw e;
    if (stream.stopped && stream.col) stopped(stream.col); // else a load aborted it: column gone
  } finally {
    state.streams.delete(stream);
    state.running -= 1;
    $("stop").hidden = !state.running;
    if (!state.running && state.redraw) {
      state.redraw = false;
      await redrawViews();
    }
  }
}

// Stop: the answers arriving stop where they are (the playground keeps what arrived, marked
// interrupted); each can be exported and branched at the positions that arrived
function stop() {
  for (const stream of state.streams) {
    stream.stopped = true;
    stream.abort();
  }
}

function stopped(col) {
  col.done = true;
  col.el.dataset.done = "1";
  col.status.textContent = col.n + " tokens · stopped";
  setExport(col);
  reopen(col);
  refreshCompare();
}

async function run(event) {
  event.preventDefault();
  $("messages").replaceChildren();
  perf.runs += 1;
  perf.firstTokenAt = null;
  await streamed("/api/run", formData());
}

function cellOf(target) {
  const cell = target.closest(".tpv [data-p]");
  if (!cell) return null;
  const el = cell.closest(".branch");
  const col = el && state.branches.get(Number(el.dataset.branch));
  if (!col || col.el !== el || !col.tx) return null; // a column from before a restart: none
  const index = Array.prototype.indexOf.call(col.tx.children, cell);
  return index < 0 ? null : { col, cell, index };
}

async function openAlternatives(hit) {
  const { col, cell, index } = hit;
  state.open = hit;
  document.querySelectorAll(".picked").forEach((el) => el.classList.remove("picked"));
  cell.classList.add("picked");
  const start = col.starts[index];
  const stop = index + 1 < col.starts.length ? col.starts[index + 1] : col.n;
  const r = await api("/api/branches/" + col.meta.id + "/positions?start=" + start + "&stop=" + stop);
  const data = await r.json();
  if (!r.ok) {
    sayError(data);
    return;
  }
  if (state.open !== hit) return; // another position was opened, or the panel closed, meanwhile
  const panel = $("alternatives");
  $("alt-title").textContent = col.meta.label + " · position " + (stop - start > 1 ? start + "–" + (stop - 1) : start);
  const note = !col.done ? "the answer is still arriving: branch when it is done"
    : data.refusal ? data.refusal
    : data.positions.every((pos) => pos.why) ? "no token here can be forced: see why below"
    : "click “branch” to regenerate from here with that token forced";
  $("alt-note").textContent = note;
  const list = $("alt-list");
  list.replaceChildren();
  for (const pos of data.positions) {
    const block = document.createElement("div");
    block.className = "pos";
    const h = document.createElement("div");
    h.textContent = "#" + pos.i + " sampled " + quoted(pos.token) + " p " + pct(pos.p) + (pos.in_top ? "" : " (not in top-k)");
    block.append(h);
    // what the top-k could not see: the mass the returned tokens leave (the popup's "tail")
    const tail = document.createElement("div");
    tail.className = "tail muted";
    tail.textContent = (pos.alternatives.length ? "" : "no alternatives returned · ") +
      "tail (tokens not returned) " + pct(pos.tail);
    block.append(tail);
    if (pos.why && !data.refusal && col.done) { // no branch button below: say why
      const why = document.createElement("div");
      why.className = "why muted";
      why.textContent = "no branch here: " + pos.why;
      block.append(why);
    }
    for (const alt of pos.alternatives) {
      const row = document.createElement("div");
      row.className = "alt" + (alt.sampled ? " sampled" : "");
      const p = document.createElement("span");
      p.className = "p";
      p.textContent = pct(alt.p);
      const tok = document.createElement("span");
      tok.className = "tok";
      tok.textContent = alt.token;
      row.append(p, tok);
      if (!data.refusal && col.done && alt.branch) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "branch-here";
        b.textContent = "branch";
        b.dataset.position = pos.i;
        b.dataset.alternative = alt.j;
        b.addEventListener("click", () => branch(col, pos.i, alt.j));
        row.append(b);
      }
      block.append(row);
    }
    list.append(block);
  }
  panel.hidden = false;
}

async function branch(col, position, alternative) {
  closeAlternatives();
  $("messages").replaceChildren();
  perf.firstTokenAt = null;
  await streamed("/api/branch", { parent: col.meta.id, position, alternative, mode: state.mode });
}

function redraw(list) {
  $("branches").replaceChildren();
  state.branches.clear();
  for (const b of list) {
    const col = column(b);
    if (b.cells) {
      applyFrame(col, b);
      drawSummary(col, b.summary);
    }
    if (b.running) { // still arriving for the page that asked (another tab): drawn as it was
      col.status.textContent = (b.n || 0) + " tokens so far, still arriving in another page";
      col.elsewhere = true; // watched: drawn again as it arrives (watch)
      continue;
    }
    col.done = true;
    col.el.dataset.done = "1";
    setExport(col);
    col.status.textContent = (b.n || 0) + " tokens";
    if (b.error) sayError(b.error);
  }
  refreshCompare();
  watch();
}

function refreshCompare() {
  const done = [...state.branches.values()].filter((c) => c.done && c.n > 0);
  $("compare").hidden = done.length < 2;
  if (done.length < 2) return;
  for (const [id, pick] of [["cmp-a", done.length - 2], ["cmp-b", done.length - 1]]) {
    const sel = $(id);
    const keep = sel.value;
    sel.replaceChildren();
    for (const c of done) {
      const o = document.createElement("option");
      o.value = c.meta.id;
      o.textContent = c.meta.label;
      sel.append(o);
    }
    sel.value = keep && state.branches.has(Number(keep)) ? keep : String(done[pick].meta.id);
  }
  const last = done[done.length - 1];
  if (last.meta.parent !== null && last.meta.parent !== undefined && state.branches.has(last.meta.parent)) {
    $("cmp-a").value = String(last.meta.parent);
    $("cmp-b").value = String(last.meta.id);
  }
  compare();
}

function interval(pair) {
  if (!pair) return "";
  const f = (x) => (x === null ? "∞" : x.toFixed(3));
  return "[" + f(pair[0]) + ", " + f(pair[1]) + "]";
}

async function compare(tries = 20) {
  const r = await api("/api/compare?a=" + $("cmp-a").value + "&b=" + $("cmp-b").value);
  const data = await r.json();
  // an answer just stopped (Stop) is still arriving for the playground until it sees the page
  // stop reading: ask again in a moment
  if (r.status === 404 && tries > 0 && / has not finished arriving/.test(data.message)) {
    setTimeout(() => compare(tries - 1), 100);
    return;
  }
  if (!r.ok) return;
  const rows = data.rows;
  const shown = rows.length && rows.length < data.positions
    ? " (positions " + rows[0].i + "–" + rows[rows.length - 1].i + " of " + data.positions + " shown)" : "";
  $("cmp-summary").textContent = (data.diverge === null
    ? "same tokens at every position"
    : data.common_prefix + (data.common_prefix === 1 ? " position" : " positions") + " in common; they part at position "
      + data.diverge) + shown;
  // tp.compare's intervals: each contains the true divergence, whatever the top-k did not show
  const span = (n) => (n === 1 ? "position 0 is" : "positions 0–" + (n - 1) + " are");
  $("cmp-note").textContent = data.note ? data.note
    : "TV, JS and KL(A‖B) at the shared positions (" + data.compared + ") are tp.compare's intervals [lo, hi]: "
      + "each contains the true divergence for every completion of what the top-k returned"
      + (data.copied ? "; " + span(data.copied) + " one answer's own, copied when branched: "
        + "the same distributions, divergence 0" : "");
  const body = $("cmp-table").tBodies[0];
  body.replaceChildren();
  for (const row of data.rows) {
    const tr = document.createElement("tr");
    if (!row.same) tr.className = "diff";
    else if (row.copied) tr.className = "copied";
    const cells = [row.i, row.a === null ? "" : row.a, pct(row.pa), row.b === null ? "" : row.b, pct(row.pb),
      interval(row.tv), interval(row.js), interval(row.kl)];
    for (const v of cells) {
      const td = document.createElement("td");
      td.textContent = String(v);
      tr.append(td);
    }
    body.append(tr);
  }
}

async function setMode() {
  state.mode = $("mode").value;
  if (!state.branches.size) return;
  if (state.running) {
    state.redraw = true; // redrawn now, a streaming answer would stop where it was
    return;
  }
  await redrawViews();
}

// The session's answers as the page draws them, or null on an error (said, unless `quiet`)
async function views(quiet = false) {
  const r = await api("/api/views", { mode: state.mode });
  const data = await r.json();
  if (r.ok) return data.branches;
  if (!quiet) sayError(data);
  return null;
}

async function redrawViews() {
  const held = await views();
  if (held) redraw(held);
}

// Another page's answers: when this one is looked at again (and none of its own is arriving), it
// draws the session anew if the playground holds other answers than those drawn, or holds them
// further along; while one drawn is arriving in another page, it looks again every WATCH_MS
const WATCH_MS = 1000;

function watch() {
  clearTimeout(state.watch);
  if ([...state.branches.values()].some((c) => c.elsewhere)) state.watch = setTimeout(catchUp, WATCH_MS);
}

async function catchUp() {
  clearTimeout(state.watch);
  if (document.visibilityState !== "visible" || state.catching) return; // hidden: until seen again
  if (state.running) return watch(); // its own answer arriving: after it
  state.catching = true;
  try {
    const held = await views(true);
    if (!held || state.running) return; // a restart: heard() has said so; a new answer: its own
    const drawn = [...state.branches.values()].map((c) => c.meta.id + ":" + c.n + ":" + c.done);
    const now = held.map((b) => b.id + ":" + (b.n || 0) + ":" + !b.running);
    if (drawn.join(" ") === now.join(" ")) return;
    const open = !$("alternatives").hidden && state.open;
    const at = open && { id: open.col.meta.id, index: open.index };
    closeAlternatives();
    redraw(held);
    const col = at && state.branches.get(at.id); // the panel stays on its position, drawn anew
    const cell = col && col.tx && col.tx.children[at.index];
    if (cell) openAlternatives({ col, cell, index: at.index });
  } finally {
    state.catching = false;
    watch();
  }
}

async function load() {
  const file = $("load").files[0];
  if (!file) return;
  let session;
  try {
    session = JSON.parse(await file.text());
  } catch (e) {
    say("not a saved session: the file is not JSON", "error");
    return;
  }
  const r = await api("/api/session", { session, mode: state.mode });
  const data = await r.json();
  if (!r.ok) {
    sayError(data);
    return;
  }
  // the answers still arriving belong to the session just replaced: stop them, not drawn
  for (const stream of state.streams) stream.abort();
  state.redraw = false;
  // a panel of the replaced session: its buttons name a branch id the loaded one may reuse
  closeAlternatives();
  $("messages").replaceChildren();
  redraw(data.branches);
  $("load").value = "";
}

// Fetched first, so that a playground restarted since the page was loaded says so (409) instead
// of handing over its own (empty) session under the page's answers
async function save() {
  const r = await api("/api/session");
  if (!r.ok) {
    sayError(await r.json());
    return;
  }
  const url = URL.createObjectURL(await r.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = "tokenprobs-session.json";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function setEndpoint() {
  const chat = document.querySelector("input[name=endpoint]:checked").value === "chat.completions";
  $("as-chat").hidden = !chat;
  $("as-prompt").hidden = chat;
}

async function init() {
  const config = (state.config = await (await api("/api/config")).json());
  $("server").textContent = "server: " + config.base_url;
  $("model").value = config.model;
  for (const m of config.modes) {
    const o = document.createElement("option");
    o.value = m;
    o.textContent = m.replace("-", " ");
    $("mode").append(o);
  }
  const radio = document.querySelector("input[name=endpoint][value='" + config.endpoint + "']");
  if (radio) radio.checked = true;
  setEndpoint();
  if (config.needs_key) say("no API key: set OPENAI_API_KEY before starting the playground, or pass --base-url for a compatible server", "error");
  $("ask").addEventListener("submit", run);
  document.querySelectorAll("input[name=endpoint]").forEach((r) => r.addEventListener("change", setEndpoint));
  $("mode").addEventListener("change", setMode);
  $("save").addEventListener("click", save);
  $("stop").addEventListener("click", stop);
  $("load").addEventListener("change", load);
  $("alt-close").addEventListener("click", closeAlternatives);
  $("cmp-a").addEventListener("change", () => compare());
  $("cmp-b").addEventListener("change", () => compare());
  $("branches").addEventListener("click", (e) => {
    const hit = cellOf(e.target);
    if (hit) openAlternatives(hit);
  });
  $("branches").addEventListener("keydown", (e) => {
    if (e.key !== "Enter" && e.key !== " ") return;
    const hit = cellOf(e.target);
    if (hit) {
      e.preventDefault();
      openAlternatives(hit);
    }
  });
  // the session's answers so far: a reload, or a second tab, shows what the playground holds,
  // and a page looked at again catches up with the answers other pages asked for
  await redrawViews();
  document.addEventListener("visibilitychange", catchUp);
  window.addEventListener("focus", catchUp);
  document.body.dataset.ready = "1";
}

init();
