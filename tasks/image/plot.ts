/**
 * The training-loss plot, drawn in pure TypeScript: two panels over the iterations, "Loss_D, Loss_G" and
 * "D(x), D(G(z))", with ticks, grid lines and a legend, written as a PNG. Long noisy series are drawn
 * light, with a moving average on top.
 *
 * @module
 */

import { Image } from "imagescript";
import { drawLine, fillRect } from "./draw.ts";
import { drawText, GLYPH_HEIGHT, textWidth } from "./font.ts";
import { writeImage } from "./png.ts";

/** What the training loop logs each iteration, as in pytorch/examples dcgan. */
export interface LossHistory {
  /** Discriminator loss per iteration. */
  lossD: number[];
  /** Generator loss per iteration. */
  lossG: number[];
  /** Mean D output on real images per iteration. */
  dx: number[];
  /** Mean D output on fakes per iteration. */
  dgz: number[];
}

/** Options for {@linkcode writeLossPlot}. */
export interface LossPlotOptions {
  /** Image width in pixels; default 960. */
  width?: number;
  /** Image height in pixels; default 720. */
  height?: number;
  /** Title line; default "DCGAN training". */
  title?: string;
}

interface Series {
  label: string;
  values: number[];
  color: number;
}

/** Colours (0xRRGGBBAA) that stay apart for common colour-vision deficiencies (Okabe–Ito). */
export const SERIES_COLORS = {
  lossD: 0x0072b2ff,
  lossG: 0xd55e00ff,
  dx: 0x009e73ff,
  dgz: 0xcc79a7ff,
} as const;

const SCALE = 2; // font pixels are 2x2
const TEXT_H = GLYPH_HEIGHT * SCALE;
const INK = 0x222222ff;
const GRID = 0xe4e4e4ff;

/** Mixes a colour with white: `amount` 1 keeps the colour, 0 gives white. */
function tint(color: number, amount: number): number {
  const mix = (shift: number) => Math.round(255 - (255 - ((color >>> shift) & 255)) * amount);
  return ((mix(24) << 24) | (mix(16) << 16) | (mix(8) << 8) | 0xff) >>> 0;
}

/** About `count` round tick values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi]. */
function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  }
  return ticks;
}

/** A tick label: integers plainly (thousands as "k"), others with the digits the step needs. */
function formatTick(value: number, step: number): string {
  if (Math.abs(value) >= 10000 && value % 1000 === 0) return `${value / 1000}k`;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return value.toFixed(Math.min(decimals, 6));
}

/** A centred moving average over `window` points, ignoring non-finite values. */
function movingAverage(values: number[], window: number): number[] {
  const half = Math.floor(window / 2);
  const out = new Array<number>(values.length);
  let sum = 0;
  let count = 0;
  const add = (i: number, sign: number) => {
    const v = values[i];
    if (v !== undefined && Number.isFinite(v)) {
      sum += sign * v;
      count += sign;
    }
  };
  for (let i = 0; i < Math.min(half, values.length); i++) add(i, 1);
  for (let i = 0; i < values.length; i++) {
    if (i + half < values.length) add(i + half, 1);
    if (i - half - 1 >= 0) add(i - half - 1, -1);
    out[i] = count > 0 ? sum / count : NaN;
  }
  return out;
}

function finiteRange(series: Series[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (const v of s.values) {
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo > hi) return [0, 1];
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

function drawPolyline(
  image: Image,
  values: number[],
  map: (i: number, v: number) => [number, number],
  options: { color: number; thickness: number },
): void {
  let previous: [number, number] | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      previous = undefined; // a gap where the value is missing
      continue;
    }
    const point = map(i, v);
    if (previous) {
      drawLine(image, { from: previous, to: point }, options);
    } else if (!Number.isFinite(values[i + 1] ?? NaN)) {
      // an isolated value: a dot big enough to see
      drawLine(image, { from: point, to: point }, { ...options, thickness: options.thickness + 3 });
    }
    previous = point;
  }
}

/** Draws one panel: frame, grid, ticks, the series and a legend. */
function drawPanel(
  image: Image,
  box: { x: number; y: number; width: number; height: number },
  panel: { series: Series[]; iterations: number; yRange?: [number, number]; xLabels: boolean },
): void {
  const { x, y, width, height } = box;
  const [lo, hi] = panel.yRange ?? finiteRange(panel.series);
  const xMax = Math.max(1, panel.iterations - 1);
  const px = (i: number) => x + (i / xMax) * (width - 1);
  const py = (v: number) => y + height - 1 - ((v - lo) / (hi - lo)) * (height - 1);

  const yTicks = niceTicks(lo, hi, 5);
  const yStep = yTicks.length > 1 ? yTicks[1]! - yTicks[0]! : 1;
  for (const t of yTicks) {
    const ty = Math.round(py(t));
    drawLine(image, { from: [x, ty], to: [x + width - 1, ty] }, { color: GRID });
    const label = formatTick(t, yStep);
    drawText(image, label, {
      x: x - 8 - textWidth(label, SCALE),
      y: ty - TEXT_H / 2,
      color: INK,
      scale: SCALE,
    });
  }
  const xTicks = niceTicks(0, xMax, 6).filter((t) => Number.isInteger(t));
  const xStep = xTicks.length > 1 ? xTicks[1]! - xTicks[0]! : 1;
  for (const t of xTicks) {
    const tx = Math.round(px(t));
    drawLine(image, { from: [tx, y], to: [tx, y + height - 1] }, { color: GRID });
    drawLine(image, { from: [tx, y + height], to: [tx, y + height + 4] }, { color: INK });
    if (panel.xLabels) {
      const label = formatTick(t, xStep);
      drawText(image, label, {
        x: tx - textWidth(label, SCALE) / 2,
        y: y + height + 8,
        color: INK,
        scale: SCALE,
      });
    }
  }

  const plotWidth = width;
  for (const s of panel.series) {
    const map = (i: number, v: number): [number, number] => [px(i), py(Math.min(hi, Math.max(lo, v)))];
    if (s.values.length > plotWidth / 2) {
      drawPolyline(image, s.values, map, { color: tint(s.color, 0.3), thickness: 1 });
      const window = Math.max(3, Math.round((s.values.length / plotWidth) * 8));
      drawPolyline(image, movingAverage(s.values, window), map, { color: s.color, thickness: 2 });
    } else {
      drawPolyline(image, s.values, map, { color: s.color, thickness: 2 });
    }
  }

  // frame on top of the data
  drawLine(image, { from: [x, y], to: [x + width - 1, y] }, { color: INK });
  drawLine(image, { from: [x, y + height - 1], to: [x + width - 1, y + height - 1] }, { color: INK });
  drawLine(image, { from: [x, y], to: [x, y + height - 1] }, { color: INK });
  drawLine(image, { from: [x + width - 1, y], to: [x + width - 1, y + height - 1] }, { color: INK });

  // legend, top right
  const swatch = 24;
  const rowH = TEXT_H + 8;
  const legendW = 16 + swatch + 8 + Math.max(...panel.series.map((s) => textWidth(s.label, SCALE))) + 12;
  const legendH = panel.series.length * rowH + 8;
  const lx = x + width - legendW - 10;
  const ly = y + 10;
  fillRect(image, { x: lx, y: ly, width: legendW, height: legendH }, { color: 0xffffffe6 });
  const edge = { color: 0xbbbbbbff };
  drawLine(image, { from: [lx, ly], to: [lx + legendW - 1, ly] }, edge);
  drawLine(image, { from: [lx, ly + legendH - 1], to: [lx + legendW - 1, ly + legendH - 1] }, edge);
  drawLine(image, { from: [lx, ly], to: [lx, ly + legendH - 1] }, edge);
  drawLine(image, { from: [lx + legendW - 1, ly], to: [lx + legendW - 1, ly + legendH - 1] }, edge);
  panel.series.forEach((s, k) => {
    const rowY = ly + 8 + k * rowH;
    const mid = rowY + TEXT_H / 2;
    drawLine(image, { from: [lx + 12, mid], to: [lx + 12 + swatch, mid] }, { color: s.color, thickness: 3 });
    drawText(image, s.label, { x: lx + 12 + swatch + 8, y: rowY, color: INK, scale: SCALE });
  });
}

function checkHistory(history: LossHistory): void {
  for (const key of ["lossD", "lossG", "dx", "dgz"] as const) {
    if (!Array.isArray(history[key])) {
      throw new TypeError(
        `Loss history field "${key}" must be an array of numbers, got ${typeof history[key]}`,
      );
    }
  }
}

/** Draws the loss plot on a new imagescript image. */
function drawLossPlot(history: LossHistory, options: LossPlotOptions): Image {
  checkHistory(history);
  const { width = 960, height = 720, title = "DCGAN training" } = options;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 320 || height < 240) {
    throw new RangeError(`Plot size must be whole pixels, at least 320x240, got ${width}x${height}`);
  }
  const image = new Image(width, height).fill(0xffffffff);
  const iterations = Math.max(
    history.lossD.length,
    history.lossG.length,
    history.dx.length,
    history.dgz.length,
  );
  drawText(image, title, { x: (width - textWidth(title, SCALE)) / 2, y: 14, color: INK, scale: SCALE });

  const left = 86;
  const right = 24;
  const top = 14 + TEXT_H + 16;
  const bottom = 30 + 2 * TEXT_H;
  const gap = 28;
  const panelH = Math.floor((height - top - bottom - gap) / 2);
  const panelW = width - left - right;
  drawPanel(image, { x: left, y: top, width: panelW, height: panelH }, {
    series: [
      { label: "Loss_D", values: history.lossD, color: SERIES_COLORS.lossD },
      { label: "Loss_G", values: history.lossG, color: SERIES_COLORS.lossG },
    ],
    iterations,
    xLabels: false,
  });
  drawPanel(image, { x: left, y: top + panelH + gap, width: panelW, height: panelH }, {
    series: [
      { label: "D(x)", values: history.dx, color: SERIES_COLORS.dx },
      { label: "D(G(z))", values: history.dgz, color: SERIES_COLORS.dgz },
    ],
    iterations,
    yRange: [-0.04, 1.04],
    xLabels: true,
  });
  const xTitle = iterations === 0 ? "iterations (no data yet)" : "iterations";
  drawText(image, xTitle, {
    x: left + (panelW - textWidth(xTitle, SCALE)) / 2,
    y: height - TEXT_H - 10,
    color: INK,
    scale: SCALE,
  });
  return image;
}

/**
 * Draws the loss plot and writes it as a PNG, atomically: Loss_D and Loss_G in the top panel, D(x) and
 * D(G(z)) (on [0, 1]) in the bottom panel, iterations along x.
 *
 * @param history the per-iteration Loss_D, Loss_G, D(x) and D(G(z)); series may have different lengths;
 *   non-finite values leave gaps
 * @param path the PNG file to create or replace
 * @param options `width`, `height`, `title`
 * @returns a promise that resolves once the file is in place
 * @example
 * ```ts
 * import { writeLossPlot } from "./plot.ts";
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * await writeLossPlot({ lossD: [1.4, 0.9], lossG: [2, 3], dx: [0.5, 0.7], dgz: [0.5, 0.3] }, path);
 * await Deno.remove(path);
 * ```
 */
export async function writeLossPlot(
  history: LossHistory,
  path: string,
  options: LossPlotOptions = {},
): Promise<void> {
  await writeImage(drawLossPlot(history, options), path);
}
