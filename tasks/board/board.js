// The board's page script (served by tasks/board/handler.ts, run in the browser after charts.js). Every
// POLL_MS it asks /api/runs for the runs, has charts.js read the shown run's and the compared run's new
// metrics and redraw the curves, and shows the per-epoch grids with a slider, the eval report and the
// config. The address keeps the choice: #run=ID&compare=ID.
/* global drawCharts, pullMetrics */
"use strict";

const POLL_MS = Number(document.body.dataset.pollMs) || 2000;

const state = {
  runs: [],
  selected: undefined,
  compare: undefined,
  /** Per run id: { token, next, rows, columns } as read so far. */
  series: new Map(),
  /** Per chart key: { plot, signature }. */
  charts: new Map(),
  /** The grid the slider shows, by file name; undefined follows the latest. */
  gridFile: undefined,
  evalShown: undefined,
  imagesShown: undefined,
};

globalThis.boardState = state; // for a look from the console (and the browser test)

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

async function getJson(url) {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `${url}: ${response.status}`);
  return body;
}

function fileUrl(run, path, mtime) {
  return `/file?${new URLSearchParams({ run, path, v: String(mtime ?? 0) })}`;
}

function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

// ---- the address: #run=ID&compare=ID

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  state.selected = params.get("run") ?? undefined;
  state.compare = params.get("compare") ?? undefined;
}

function writeHash() {
  const params = new URLSearchParams();
  if (state.selected) params.set("run", state.selected);
  if (state.compare) params.set("compare", state.compare);
  history.replaceState(null, "", `#${params}`);
}

// ---- runs list, samples, eval, config

function renderRuns(root) {
  $("root").textContent = root;
  const list = $("run-list");
  list.replaceChildren(
    ...state.runs.map((run) => {
      const step = run.last?.step !== undefined ? `step ${run.last.step}` : "no steps yet";
      const item = el(
        "li",
        { "data-run": run.id },
        el("div", { class: "name" }, run.id),
        el("span", { class: `status ${run.status}` }, run.status),
        el("div", { class: "meta" }, `${step} · ${run.grids.length} grids · ${ago(run.updated)}`),
      );
      if (run.id === state.selected) item.classList.add("selected");
      if (run.id === state.compare) item.classList.add("compared");
      item.addEventListener("click", () => select(run.id));
      return item;
    }),
  );
  if (state.runs.length === 0) list.replaceChildren(el("li", {}, "No runs in this folder yet"));
  const compare = $("compare");
  compare.replaceChildren(
    el("option", { value: "" }, "none"),
    ...state.runs.filter((run) => run.id !== state.selected).map((run) =>
      el("option", { value: run.id }, run.id)
    ),
  );
  compare.value = state.compare ?? "";
}

function renderHead(run) {
  $("run-title").textContent = run ? run.id : "No runs yet";
  $("run-status").textContent = run?.status ?? "";
  $("run-status").className = `status ${run?.status ?? ""}`;
  $("run-reason").textContent = run?.statusReason ?? "";
}

function renderSamples(run) {
  const slider = $("grid-slider");
  const image = $("grid-image");
  const grids = run?.grids ?? [];
  if (grids.length === 0) {
    slider.hidden = true;
    const last = run?.images.find((i) => i.file === "fake_samples_last.png");
    $("grid-label").textContent = run ? "No epoch finished yet" + (last ? ": the latest samples" : "") : "";
    if (last) image.src = fileUrl(run.id, last.file, last.mtime);
    else image.removeAttribute("src");
  } else {
    slider.hidden = false;
    const following = state.gridFile === undefined || Number(slider.value) === Number(slider.max);
    slider.max = String(grids.length - 1);
    let index = grids.findIndex((g) => g.file === state.gridFile);
    if (following || index < 0) index = grids.length - 1;
    slider.value = String(index);
    const grid = grids[index];
    state.gridFile = grid.file;
    const epochs = run.config?.epochs;
    $("grid-label").textContent = `epoch ${grid.epoch}${epochs ? ` of ${epochs}` : ""} (${grid.file})`;
    const src = fileUrl(run.id, grid.file, grid.mtime);
    if (image.getAttribute("src") !== src) image.src = src;
  }
  image.alt = run ? `samples of ${run.id}` : "";
  // redrawn only when a file changed, so that images do not reload (and flicker) on every poll
  const shown = JSON.stringify([run?.id, run?.images]);
  if (shown === state.imagesShown) return;
  state.imagesShown = shown;
  $("other-images").replaceChildren(
    ...(run?.images ?? []).map((i) =>
      el(
        "figure",
        {},
        el("img", { src: fileUrl(run.id, i.file, i.mtime), alt: i.file }),
        el("figcaption", {}, i.file),
      )
    ),
  );
}

function number(x, digits = 4) {
  return typeof x === "number"
    ? (Math.abs(x) >= 0.001 || x === 0 ? x.toFixed(digits) : x.toExponential(3))
    : "–";
}

async function renderEval(run) {
  const body = $("eval-body");
  const key = run?.evalReport ? `${run.id}:${run.updated}` : run?.id;
  if (key === state.evalShown) return;
  state.evalShown = key;
  if (!run?.evalReport) {
    body.replaceChildren(
      el(
        "p",
        { class: "hint" },
        "No eval report for this run: ",
        el("code", {}, `deno task eval --checkpoint ${run?.id ?? "RUN"}`),
      ),
    );
    return;
  }
  const r = await getJson(`/api/eval?${new URLSearchParams({ run: run.id })}`);
  const rows = [
    [r.fidName ?? "FID", number(r.fid, 3)],
    ["KID", r.kid ? `${number(r.kid.mean, 5)} ± ${number(r.kid.std, 5)}` : "–"],
    [
      "IS",
      r.inceptionScore ? `${number(r.inceptionScore.mean, 3)} ± ${number(r.inceptionScore.std, 3)}` : "–",
    ],
    [
      "Precision / recall",
      r.precisionRecall
        ? `${number(r.precisionRecall.precision, 3)} / ${number(r.precisionRecall.recall, 3)}`
        : "–",
    ],
    ["Accuracy", typeof r.accuracy === "number" ? `${(100 * r.accuracy).toFixed(1)}%` : "–"],
    [
      "Images",
      r.images ? `${r.images.generated} generated vs ${r.images.real} real at ${r.images.size}px` : "–",
    ],
    ["Network", r.inception ? `${r.inception.variant} Inception` : r.network?.name ?? "–"],
    ["Made", r.createdAt ?? "–"],
  ];
  const table = el("table", {}, ...rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
  const nodes = [table];
  if (r.memorization?.grid) {
    nodes.push(
      el("img", {
        src: fileUrl(run.id, `${run.evalReport.replace(/eval\.json$/, "")}memorization.png`),
        alt: "memorization",
      }),
    );
  }
  body.replaceChildren(...nodes);
}

function show(value) {
  return value === undefined ? "–" : typeof value === "string" ? value : JSON.stringify(value);
}

function renderConfig(run, other) {
  const keys = [...new Set([...Object.keys(run?.config ?? {}), ...Object.keys(other?.config ?? {})])];
  const head = el(
    "tr",
    {},
    el("th", {}, ""),
    el("th", {}, run?.id ?? ""),
    ...(other ? [el("th", {}, other.id)] : []),
  );
  $("config-table").replaceChildren(
    head,
    ...keys.map((key) => {
      const a = show(run?.config?.[key]);
      const cells = [el("th", {}, key), el("td", {}, a)];
      if (other) cells.push(el("td", {}, show(other.config?.[key])));
      const row = el("tr", {}, ...cells);
      if (other && a !== show(other.config?.[key])) row.classList.add("differs");
      return row;
    }),
  );
}

// ---- the loop

function select(id) {
  state.selected = id;
  if (state.compare === id) state.compare = undefined;
  state.gridFile = undefined;
  writeHash();
  refresh();
}

async function refresh() {
  const { root, runs } = await getJson("/api/runs");
  state.runs = runs;
  const ids = new Set(runs.map((run) => run.id));
  if (!ids.has(state.selected)) {
    const latest = [...runs].sort((a, b) =>
      Number(b.status === "training") - Number(a.status === "training") || b.updated - a.updated
    )[0];
    state.selected = latest?.id;
    state.gridFile = undefined;
  }
  if (!ids.has(state.compare)) state.compare = undefined;
  const run = runs.find((r) => r.id === state.selected);
  const other = runs.find((r) => r.id === state.compare);
  renderRuns(root);
  renderHead(run);
  let changed = false;
  for (const id of [state.selected, state.compare]) if (id && await pullMetrics(id)) changed = true;
  if (changed || state.charts.size === 0) drawCharts();
  renderSamples(run);
  renderConfig(run, other);
  await renderEval(run);
  $("live").textContent = `live · polled ${new Date().toLocaleTimeString()}`;
  $("live").className = "";
  document.body.dataset.polls = String(Number(document.body.dataset.polls ?? 0) + 1);
}

async function loop() {
  try {
    await refresh();
  } catch (error) {
    $("live").textContent = `cannot reach the board: ${error.message}`;
    $("live").className = "offline";
  }
  setTimeout(loop, POLL_MS);
}

$("compare").addEventListener("change", (event) => {
  state.compare = event.target.value || undefined;
  writeHash();
  drawCharts();
  refresh();
});
$("smoothing").addEventListener("input", (event) => {
  $("smoothing-value").textContent = Number(event.target.value).toFixed(2);
  drawCharts();
});
$("grid-slider").addEventListener("input", (event) => {
  const run = state.runs.find((r) => r.id === state.selected);
  state.gridFile = run?.grids[Number(event.target.value)]?.file;
  renderSamples(run);
});
addEventListener("hashchange", () => {
  readHash();
  state.gridFile = undefined;
  refresh();
});
readHash();
loop();
