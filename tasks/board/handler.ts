/**
 * `deno task board`'s library half: the HTTP handler of the live dashboard over a runs folder. It serves
 * the page, uPlot (from its npm package, no CDN) and read-only JSON and files:
 *
 * | path | answer |
 * | --- | --- |
 * | `/` | the page |
 * | `/static/{board.js,charts.js,board.css,uplot.js,uplot.css}` | its scripts and styles |
 * | `/api/runs` | `{ root, runs: RunSummary[] }`: every run, its config, status, grids and eval report |
 * | `/api/metrics?run=ID&from=N&token=T` | the metrics.jsonl records after byte `N`, as columns |
 * | `/api/eval?run=ID` | the run's eval.json |
 * | `/file?run=ID&path=NAME` | a PNG, GIF or JSON file of the run |
 *
 * Paths outside the runs folder are refused with 403 (see safe_path.ts); only GET and HEAD are served.
 *
 * @module
 */

import { extname, join } from "node:path";
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import pageHtml from "./page.html" with { type: "text" };
import boardJs from "./board.js" with { type: "text" };
import chartsJs from "./charts.js" with { type: "text" };
import boardCss from "./board.css" with { type: "text" };
import { METRICS_FILE } from "../gan/run_metrics.ts";
import { readMetricsChunk } from "./metrics_reader.ts";
import { findRuns, summarizeRun } from "./runs.ts";
import { OutsideRootError, resolveInside } from "./safe_path.ts";

/** Options of {@linkcode createBoardHandler}. */
export interface BoardOptions {
  /**
   * The address the server listens on. When it is a loopback address (the default, 127.0.0.1), requests
   * whose `Host` is not a loopback name are refused, so a web page cannot reach the board by pointing
   * its own domain name at 127.0.0.1.
   */
  hostname?: string;
  /** How often the page polls for new records, in ms (default 2000). */
  pollMs?: number;
}

const STATIC: Record<string, [string, string]> = {
  "/static/uplot.js": [uplotJs, "text/javascript; charset=utf-8"],
  "/static/uplot.css": [uplotCss, "text/css; charset=utf-8"],
  "/static/board.js": [boardJs, "text/javascript; charset=utf-8"],
  "/static/charts.js": [chartsJs, "text/javascript; charset=utf-8"],
  "/static/board.css": [boardCss, "text/css; charset=utf-8"],
};

const FILE_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".gif": "image/gif",
  ".json": "application/json; charset=utf-8",
};

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
  "referrer-policy": "no-referrer",
};

function reply(body: BodyInit | null, status: number, type: string, cache = "no-store"): Response {
  return new Response(body, {
    status,
    headers: { "content-type": type, "cache-control": cache, ...SECURITY_HEADERS },
  });
}

function json(value: unknown, status = 200): Response {
  return reply(JSON.stringify(value), status, "application/json; charset=utf-8");
}

/** The error of a request: its message as `{ error }`, with 403, 404 or 400. */
class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** A query parameter that must be there. */
function param(url: URL, name: string): string {
  const value = url.searchParams.get(name);
  if (value === null) throw new HttpError(400, `Missing query parameter "${name}"`);
  return value;
}

/**
 * The HTTP handler of the board over `root`: the page, its scripts, and read-only JSON and files of the
 * runs under `root`. It holds no state between requests; each reads the folder afresh.
 *
 * @param root the runs folder (it may not exist yet: the page then lists no runs)
 * @param options the listening address (for the `Host` check) and the page's poll interval
 * @returns a handler for `Deno.serve`
 * @example
 * ```ts
 * import { createBoardHandler } from "./handler.ts";
 * const handler = createBoardHandler(await Deno.makeTempDir());
 * const response = await handler(new Request("http://127.0.0.1/api/runs"));
 * console.log((await response.json()).runs); // []
 * ```
 */
export function createBoardHandler(
  root: string,
  options: BoardOptions = {},
): (request: Request) => Promise<Response> {
  const loopbackOnly = LOOPBACK.has(options.hostname ?? "127.0.0.1");
  const page = pageHtml.replace("__POLL_MS__", String(options.pollMs ?? 2000));

  /** The real folder of run `id`, which must be one that findRuns lists. */
  const runDir = async (id: string): Promise<string> => {
    const dir = await resolveInside(root, id); // refuses "..", absolute paths and links out first
    if (!(await findRuns(root)).includes(id)) throw new HttpError(404, `No run "${id}" in the runs folder`);
    return dir;
  };

  const routes: Record<string, (url: URL) => Promise<Response>> = {
    "/api/runs": async () => {
      const ids = await findRuns(root);
      const runs = [];
      for (const id of ids) {
        try {
          runs.push(await summarizeRun(root, id));
        } catch { /* removed while listing */ }
      }
      return json({ root, runs });
    },
    "/api/metrics": async (url) => {
      const dir = await runDir(param(url, "run"));
      const from = Number(url.searchParams.get("from") ?? 0);
      if (!Number.isSafeInteger(from) || from < 0) throw new HttpError(400, `"from" must be an offset >= 0`);
      const token = url.searchParams.get("token") ?? undefined;
      return json(await readMetricsChunk(join(dir, METRICS_FILE), { from, token }));
    },
    "/api/eval": async (url) => {
      const id = param(url, "run");
      const dir = await runDir(id);
      const summary = await summarizeRun(root, id);
      if (!summary.evalReport) throw new HttpError(404, `Run "${id}" has no eval report: run deno task eval`);
      const path = await resolveInside(dir, summary.evalReport);
      return json(JSON.parse(await Deno.readTextFile(path)));
    },
    "/file": async (url) => {
      const dir = await runDir(param(url, "run"));
      const name = param(url, "path");
      const type = FILE_TYPES[extname(name).toLowerCase()];
      if (!type) {
        throw new HttpError(403, `Refused path ${JSON.stringify(name)}: only PNG, GIF and JSON files`);
      }
      const path = await resolveInside(dir, name);
      if (!(await Deno.stat(path)).isFile) throw new HttpError(404, `"${name}" is not a file`);
      return reply(await Deno.readFile(path), 200, type, "no-cache");
    },
  };

  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return json({ error: `Method ${request.method} not allowed: the board is read-only` }, 405);
    }
    const url = new URL(request.url);
    const host = request.headers.get("host")?.replace(/:\d+$/, "") ?? url.hostname;
    if (loopbackOnly && !LOOPBACK.has(host)) {
      return json({ error: `Host "${host}" refused: open the board at http://127.0.0.1` }, 403);
    }
    if (url.pathname === "/" || url.pathname === "/index.html") {
      return reply(page, 200, "text/html; charset=utf-8", "no-cache");
    }
    const asset = STATIC[url.pathname];
    if (asset) return reply(asset[0], 200, asset[1], "no-cache");
    const route = routes[url.pathname];
    if (!route) return json({ error: `Not found: ${url.pathname}` }, 404);
    try {
      return await route(url);
    } catch (error) {
      if (error instanceof HttpError) return json({ error: error.message }, error.status);
      if (error instanceof OutsideRootError) return json({ error: error.message }, 403);
      if (error instanceof Deno.errors.NotFound) return json({ error: `Not found: ${url.search}` }, 404);
      return json({ error: `Cannot answer ${url.pathname}: ${(error as Error).message}` }, 500);
    }
  };
}
