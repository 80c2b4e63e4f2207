// The board's curves (served by tasks/board/handler.ts, loaded before board.js): reads each shown run's
// metrics.jsonl by byte offset through /api/metrics and draws loss, D(x)/D(G(z)) and eval curves with
// uPlot, a second run overlaid dashed. Uses board.js's `state`, `$`, `el` and `getJson` when called.
/* global uPlot, state, $, el, getJson */
"use strict";
const CHARTS = [
  { key: "loss", title: "Loss", fields: [["lossD", "Loss_D"], ["lossG", "Loss_G"]], smooth: true },
  {
    key: "d",
    title: "D(x) and D(G(z)) before / after G's step",
    fields: [["dx", "D(x)"], ["dgz1", "D(G(z)) before"], ["dgz2", "D(G(z)) after"]],
    smooth: true,
  },
];
/** Columns that are not curves of their own. */
const NOT_CURVES = new Set(["epoch", "batch", "step", "time", "lossD", "lossG", "dx", "dgz1", "dgz2"]);
/** Eval-while-training fields come first among the other charts. */
const EVAL_FIELD = /^(fid|kid|is|inception|precision|recall|accuracy)/i;
const COLORS = ["#0969da", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#0598bc"];

// ---- metrics, read by byte offset

/** Appends a chunk's columns to what was read of a run, padding missing fields with nulls. */
function append(series, chunk) {
  for (const [name, values] of Object.entries(chunk.columns)) {
    const column = series.columns[name] ??= new Array(series.rows).fill(null);
    for (const value of values) column.push(value);
  }
  series.rows += chunk.rows;
  for (const column of Object.values(series.columns)) while (column.length < series.rows) column.push(null);
}

/** Reads a run's new records; true when anything changed. */
async function pullMetrics(id) {
  let series = state.series.get(id) ?? { token: undefined, next: 0, rows: 0, columns: {} };
  let changed = false;
  for (let i = 0; i < 64; i++) {
    const query = new URLSearchParams({ run: id, from: String(series.next) });
    if (series.token) query.set("token", series.token);
    const chunk = await getJson(`/api/metrics?${query}`);
    if (chunk.reset) {
      series = { token: chunk.token, next: 0, rows: 0, columns: {} };
      changed = true;
    }
    series.token = chunk.token;
    if (chunk.rows > 0) {
      append(series, chunk);
      changed = true;
    }
    series.next = chunk.next;
    if (chunk.next >= chunk.size || chunk.rows === 0) break;
  }
  state.series.set(id, series);
  return changed;
}

// ---- charts

/** TensorBoard's smoothing: an exponential moving average, debiased at the start. */
function smooth(values, weight) {
  if (weight <= 0) return values;
  let last = 0;
  let count = 0;
  return values.map((value) => {
    if (value === null) return null;
    last = last * weight + (1 - weight) * value;
    count++;
    return last / (1 - weight ** count);
  });
}

/** The x values (steps) and each field's values of a run. */
function table(id, fields, smoothing) {
  const series = state.series.get(id);
  if (!series || series.rows === 0) return undefined;
  const x = series.columns.step ?? series.columns.time?.map((_, i) => i + 1);
  const ys = fields.map(([field]) => {
    const values = series.columns[field] ?? new Array(series.rows).fill(null);
    return smoothing ? smooth(values, smoothing) : values;
  });
  return { x, ys };
}

/** Several runs' tables on one x axis (their steps merged), null where a run has no record. */
function align(tables) {
  const xs = [...new Set(tables.flatMap((t) => t.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns = tables.flatMap((t) =>
    t.ys.map((y) => {
      const column = new Array(xs.length).fill(null);
      t.x.forEach((x, i) => (column[index.get(x)] = y[i]));
      return column;
    })
  );
  return [xs, ...columns];
}

/** Every chart to draw: the fixed ones, then one per other numeric field (eval fields first). */
function chartSpecs() {
  const fields = new Set();
  for (const id of [state.selected, state.compare]) {
    for (const name of Object.keys(state.series.get(id)?.columns ?? {})) {
      if (!NOT_CURVES.has(name)) fields.add(name);
    }
  }
  const others = [...fields].sort((a, b) => Number(!EVAL_FIELD.test(a)) - Number(!EVAL_FIELD.test(b)));
  return [
    ...CHARTS,
    ...others.map((field) => ({ key: `f:${field}`, title: field.toUpperCase(), fields: [[field, field]] })),
  ];
}

function drawCharts() {
  const box = $("charts");
  const smoothing = Number($("smoothing").value);
  const specs = chartSpecs();
  const runs = [state.selected, state.compare].filter((id) => id && state.series.get(id)?.rows);
  if (runs.length === 0) {
    for (const { plot } of state.charts.values()) plot.destroy();
    state.charts.clear();
    box.replaceChildren(
      el("p", { class: "empty" }, "No metrics yet: the curves appear after the first step."),
    );
    return;
  }
  const wanted = new Set(specs.map((spec) => spec.key));
  for (const [key, { plot }] of state.charts) {
    if (!wanted.has(key)) {
      plot.destroy();
      state.charts.delete(key);
    }
  }
  for (const spec of specs) {
    const has = (id) => spec.fields.some(([field]) => state.series.get(id).columns[field]);
    const shown = runs.filter(has); // an eval chart leaves out a run that has no such field
    const data = align(shown.map((id) => table(id, spec.fields, spec.smooth ? smoothing : 0)));
    const series = [{ label: "step" }];
    shown.forEach((id) =>
      spec.fields.forEach(([, label], f) =>
        series.push({
          label: runs.length > 1 ? `${label} · ${id}` : label,
          stroke: COLORS[f % COLORS.length],
          width: 1.5,
          dash: id === state.selected ? undefined : [6, 4],
          spanGaps: true,
          points: { show: !spec.smooth },
        })
      )
    );
    const signature = JSON.stringify(series.map((s) => s.label));
    const existing = state.charts.get(spec.key);
    if (existing && existing.signature === signature) {
      existing.plot.setData(data);
      continue;
    }
    existing?.plot.destroy();
    const holder = el("div", { class: "chart" });
    const columns = Math.max(1, Math.floor(box.clientWidth / 530));
    const width = Math.max(480, box.clientWidth / columns - 24);
    const options = {
      title: spec.title,
      width,
      height: 260,
      series,
      scales: { x: { time: false } },
      legend: { live: false },
    };
    const plot = new uPlot({ ...options, axes: [{ label: "step" }, {}] }, data, holder);
    state.charts.set(spec.key, { plot, signature, holder });
  }
  box.replaceChildren(...specs.map((spec) => state.charts.get(spec.key).holder)); // in the specs' order
}

// what board.js calls
Object.assign(globalThis, { drawCharts, pullMetrics });
