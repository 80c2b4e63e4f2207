/**
 * A one-line progress bar with rate and ETA for the training loop. On a terminal it redraws in place;
 * otherwise it stays silent and the loop's log lines tell the story.
 *
 * @module
 */

/**
 * Formats seconds as `1h02m`, `3m05s` or `42s`.
 *
 * @param seconds a duration
 * @returns a short human form
 * @example
 * ```ts
 * import { formatDuration } from "./progress.ts";
 * formatDuration(185); // "3m05s"
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Progress of a run of `total` steps, drawn on stderr. */
export class ProgressBar {
  readonly #total: number;
  readonly #start = performance.now();
  readonly #startStep: number;
  readonly #tty: boolean;
  readonly #encoder = new TextEncoder();
  #lastDraw = 0;

  /**
   * @param total steps in the whole run
   * @param startStep steps already done (when resuming)
   */
  constructor(total: number, startStep = 0) {
    this.#total = total;
    this.#startStep = startStep;
    this.#tty = Deno.stderr.isTerminal();
  }

  /**
   * The bar's text for a step: `[#####.....] 50% 120/240 3.1 it/s ETA 38s Loss_D 1.2`.
   *
   * @param step steps done
   * @param suffix text after the ETA
   * @returns the line
   */
  line(step: number, suffix = ""): string {
    const fraction = this.#total > 0 ? Math.min(step / this.#total, 1) : 0;
    const width = 24;
    const filled = Math.round(fraction * width);
    const elapsed = (performance.now() - this.#start) / 1000;
    const rate = (step - this.#startStep) / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (this.#total - step) / rate : NaN;
    const bar = "#".repeat(filled) + ".".repeat(width - filled);
    return `[${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ${step}/${this.#total} ` +
      `${rate.toFixed(2)} it/s ETA ${formatDuration(eta)} ${suffix}`.trimEnd();
  }

  /**
   * Redraws the bar (at most 10 times a second) when stderr is a terminal.
   *
   * @param step steps done
   * @param suffix text after the ETA
   */
  update(step: number, suffix = ""): void {
    if (!this.#tty) return;
    const now = performance.now();
    if (now - this.#lastDraw < 100 && step < this.#total) return;
    this.#lastDraw = now;
    Deno.stderr.writeSync(this.#encoder.encode(`\r\x1b[2K${this.line(step, suffix)}`));
  }

  /** Clears the bar so a log line can be printed. */
  clear(): void {
    if (this.#tty) Deno.stderr.writeSync(this.#encoder.encode("\r\x1b[2K"));
  }
}
