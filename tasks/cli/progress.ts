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
    const now = performance.now();
    // a terminal redraws one line up to 10 times a second; a pipe or file gets a plain line every ~10 s
    const every = this.#tty ? 100 : 10_000;
    if (now - this.#lastDraw < every && step < this.#total) return;
    if (!this.#tty && this.#lastDraw === 0) {
      this.#lastDraw = now; // the first plain line after ~10 s, not at the first step
      return;
    }
    this.#lastDraw = now;
    const line = this.line(step, suffix);
    const text = this.#tty ? `\r\x1b[2K${fitLine(line, terminalColumns())}` : `${line}\n`;
    Deno.stderr.writeSync(this.#encoder.encode(text));
  }

  /** Clears the bar so a log line can be printed. */
  clear(): void {
    if (this.#tty) Deno.stderr.writeSync(this.#encoder.encode("\r\x1b[2K"));
  }
}

/** The terminal's width in columns, or 80 when it cannot be read. */
function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

/**
 * Cuts a progress line to fit a terminal row: a line as wide as the terminal wraps, and `\r\x1b[2K` then
 * erases only its last row, so every redraw would leave a new line behind.
 *
 * @param line the progress line
 * @param columns the terminal's width
 * @returns the line, at most `columns - 1` characters, ending in "…" when cut
 * @example
 * ```ts
 * import { fitLine } from "./progress.ts";
 * console.log(fitLine("[####....] 50% 10/20 2.00 it/s ETA 5s Loss_D 1.234", 20)); // "[####....] 50% 10/…"
 * ```
 */
export function fitLine(line: string, columns: number): string {
  const room = Math.max(columns - 1, 1);
  return line.length <= room ? line : `${line.slice(0, room - 1)}…`;
}
