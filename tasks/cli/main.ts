/**
 * The package's command line: `deno run -A jsr:@gan/dcgan <command>`, with the commands `sample` (and
 * its subcommands), `train`, `eval` and `board`.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import { closestName } from "./flags.ts";

/** The CLI's help. */
export const CLI_HELP = `@gan/dcgan ${denoJson.version}: train and sample DCGANs on libtorch

Usage: deno run -A jsr:@gan/dcgan <command> [flags]

Commands:
  sample              write a grid of generated images (sample --help)
  sample interpolate  a latent walk between two seeds, as a PNG strip or GIF
  sample arithmetic   add and subtract saved latent vectors, and draw the result
  train               train a DCGAN (train --help)
  eval                FID, KID and a memorization report for a generator (eval --help)
  board               a live dashboard of the runs in a folder (board --help)`;

/**
 * Runs a command of the CLI.
 *
 * @param args the command and its flags
 * @returns the process exit code
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["sample", "--checkpoint", "runs/emoji-1"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "sample":
      return (await import("./sample.ts")).main(rest);
    case "train":
      return (await import("./train.ts")).main(rest);
    case "eval":
      return (await import("./eval.ts")).main(rest);
    case "board":
      return (await import("./board.ts")).main(rest);
    case "--version":
      console.log(denoJson.version);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(CLI_HELP);
      return 0;
    default: {
      const guess = closestName(command, ["sample", "train", "eval", "board"]);
      const hint = guess ? `; did you mean ${guess}?` : "";
      console.error(`error: unknown command "${command}"${hint}\n\n${CLI_HELP}`);
      return 2;
    }
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
