/**
 * `deno task board [runs/]`: serves the live dashboard of a runs folder on 127.0.0.1 and prints its
 * address; Ctrl-C stops it. The page, the JSON and the refusals of paths outside the folder are
 * tasks/board/handler.ts.
 *
 * @module
 */

import { createBoardHandler } from "../board/handler.ts";
import { ConfigError, formatHelp, integerIn, parseFlags, PATH, TEXT } from "./flags.ts";

const FLAGS = {
  runs: { flag: "runs", kind: PATH, default: "runs", help: "the runs folder (or one run's folder)" },
  port: {
    flag: "port",
    short: "p",
    kind: integerIn(0, 65535),
    default: 6006,
    help: "port; 0 picks a free one",
  },
  hostname: {
    flag: "host",
    kind: TEXT,
    default: "127.0.0.1",
    help: "address to listen on; 0.0.0.0 shows the board to the network",
  },
} as const;

const HELP = {
  usage: ["deno task board [runs/] [flags]"],
  description:
    "Serves a live dashboard of the training runs in a folder: curves, sample grids, eval reports.",
  footer: "Example:\n  deno task board runs/ --port 8080",
};

/** The runs folder given as the first plain argument (`board runs/`), moved into `--runs`. */
function folderArgument(args: string[]): string[] {
  const [first, ...rest] = args;
  return first !== undefined && !first.startsWith("-") ? ["--runs", first, ...rest] : args;
}

/**
 * The command line: parses flags, serves the board until Ctrl-C.
 *
 * @param args command-line arguments
 * @returns the process exit code: 0, 2 for a bad flag, 1 when the server cannot start
 * @example
 * ```ts ignore
 * import { main } from "./board.ts";
 * Deno.exit(await main(["runs", "--port", "8080"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    const config = parseFlags(FLAGS, folderArgument(args));
    if (!config) {
      console.log(formatHelp(FLAGS, HELP));
      return 0;
    }
    const { runs, port, hostname } = config;
    try {
      if (!(await Deno.stat(runs)).isDirectory) {
        throw new ConfigError(`"${runs}" is a file, not a runs folder`);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      console.error(`note: "${runs}" does not exist yet; the board lists runs as they appear there`);
    }
    const handler = createBoardHandler(runs, { hostname });
    server = Deno.serve({
      hostname,
      port,
      onListen: ({ hostname: host, port }) => {
        const shown = host.includes(":") ? `[${host}]` : host;
        console.log(
          `Board of "${runs}" at http://${shown === "0.0.0.0" ? "127.0.0.1" : shown}:${port}/ (Ctrl-C stops)`,
        );
      },
    }, handler);
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      console.error(`error: the port is in use: pass another --port, or --port 0 for any free one`);
      return 1;
    }
    console.error(`error: ${(error as Error).message}`);
    return error instanceof ConfigError ? 2 : 1;
  }
  const stop = () => server.shutdown();
  Deno.addSignalListener("SIGINT", stop);
  await server.finished;
  Deno.removeSignalListener("SIGINT", stop);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
