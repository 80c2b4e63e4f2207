/**
 * `deno task eval`: parses the flags, evaluates a generator, and turns known errors into a message and an
 * exit code.
 *
 * @module
 */

import { join } from "node:path";
import { ConfigError } from "../gan/config.ts";
import { type EvalReport, evaluate } from "../metrics/evaluate.ts";
import { evalHelp, parseEvalArgs } from "./eval_config.ts";

/** `x` with `digits` decimals, without printing a rounding residue as "-0.000". */
function fixed(x: number, digits: number): string {
  return (Math.abs(x) < 0.5 * 10 ** -digits ? 0 : x).toFixed(digits);
}

/** KID-sized numbers: 5 decimals, or 4 significant digits below 0.001. */
function small(x: number): string {
  return x === 0 || Math.abs(x) >= 1e-3 ? x.toFixed(5) : x.toExponential(3);
}

/**
 * The lines `deno task eval` prints after an evaluation: each metric with what it was computed on.
 *
 * @param report the evaluation's report
 * @returns the lines, in order
 */
export function reportLines(report: EvalReport): string[] {
  const { fid, fidName, kid, inceptionScore: is, precisionRecall: pr, accuracy, memorization } = report;
  const images = `${report.images.generated} generated vs ${report.images.real} real images`;
  const network = report.inception ? `${report.inception.variant} Inception` : report.network.name;
  const lines = [`${fidName} ${fixed(fid, 3)} (${images}, ${network})`];
  if (report.network.kind === "fashion-mnist-classifier") {
    lines.push(`  (features of the shipped ${report.network.name}: never compare with Inception FIDs)`);
  } else if (report.network.kind === "pixels") {
    lines.push(
      "  (16x16 pixels see colour and layout, not content: rank generators of one data set with it)",
    );
  }
  lines.push(`KID ${small(kid.mean)} ± ${small(kid.std)} (${kid.subsets} subsets of ${kid.subsetSize})`);
  if (is) {
    lines.push(
      `IS ${is.mean.toFixed(3)} ± ${is.std.toFixed(3)} (${is.splits} splits; real images ` +
        `${is.real.mean.toFixed(3)} ± ${is.real.std.toFixed(3)})`,
    );
  }
  if (pr) {
    lines.push(`Precision ${pr.precision.toFixed(3)}, recall ${pr.recall.toFixed(3)} (k = ${pr.k})`);
  }
  if (report.realBaseline) {
    const { images: count, fid: ceilingFid, kid: ceilingKid, precisionRecall: ceilingPr } =
      report.realBaseline;
    const parts = [`${fidName} ${fixed(ceilingFid, 3)}`, `KID ${small(ceilingKid)}`];
    if (ceilingPr) {
      parts.push(`precision ${ceilingPr.precision.toFixed(3)}, recall ${ceilingPr.recall.toFixed(3)}`);
    }
    lines.push(`A second real sample (${count} images), the ceiling: ${parts.join(", ")}`);
  }
  if (accuracy !== undefined) {
    lines.push(`Accuracy ${(100 * accuracy).toFixed(1)}% (the classifier's class is the one asked for)`);
  }
  if (memorization) {
    const { k, minDistance, medianDistance, grid } = memorization;
    lines.push(
      `Memorization: nearest training image of ${k} samples at L2 min ${fixed(minDistance, 3)}, ` +
        `median ${fixed(medianDistance, 3)} -> ${grid}`,
    );
  }
  lines.push(`Report: ${join(report.out, "eval.json")} (${report.seconds}s)`);
  return lines;
}

/**
 * The command line: parses flags, evaluates, and turns known errors into a message and exit code.
 *
 * @param args command-line arguments
 * @returns the process exit code: 0, 2 for a bad flag, 1 for any other failure
 * @example
 * ```ts ignore
 * import { main } from "./eval.ts";
 * Deno.exit(await main(["--checkpoint", "runs/emoji-1", "--inception", "pt_inception.safetensors"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  try {
    const config = parseEvalArgs(args);
    if (!config) {
      console.log(evalHelp());
      return 0;
    }
    const report = await evaluate(config, (line) => console.log(line));
    for (const line of reportLines(report)) console.log(line);
    return 0;
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return error instanceof ConfigError ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
