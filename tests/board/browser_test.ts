// The board in a real browser: a tiny run trains (32 images, 4 steps an epoch) while `deno task board`
// serves its folder and headless Chromium (Debian's `chromium`, which .ci/setup installs) shows it
// beside a finished run; the page must draw its curves, show an epoch grid, overlay the second run,
// and take in new steps as they are logged. The screenshot goes to $DCGAN_BOARD_SCREENSHOT (default
// $TMPDIR/dcgan_board_screenshot.png). Without chromium the test is skipped, saying so.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Image } from "imagescript";
import { makeImageFolder } from "../fixtures.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

function findChromium(): string | undefined {
  const given = Deno.env.get("DCGAN_CHROMIUM");
  if (given) return given;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
      try {
        if (Deno.statSync(join(dir, name)).isFile) return join(dir, name);
      } catch { /* not here */ }
    }
  }
  return undefined;
}

const CHROMIUM = findChromium();
if (!CHROMIUM) {
  console.warn(
    "Skipping the board's browser test: no chromium on PATH. Install it with `apt-get install -y chromium` " +
      "(.ci/setup does), or set DCGAN_CHROMIUM to a Chrome or Chromium binary",
  );
}

/** Polls `check` every 200 ms until it returns a value, or fails after `seconds`, saying what it waited for. */
async function waitFor<T>(what: string, seconds: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Timed out after ${seconds}s waiting for ${what}${last ? `: ${last}` : ""}`);
}

/** A finished run made here, to overlay: config, metrics with an FID every 4 steps, two grids. */
async function makeBaseline(dir: string, grid: Uint8Array) {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "config.json"),
    JSON.stringify({ epochs: 2, batchSize: 8, maxSteps: 0 }),
  );
  let text = "";
  for (let step = 1; step <= 40; step++) {
    const fid = step % 4 === 0 ? { fid: 300 - 5 * step } : {};
    const lossD = 1.4 - step / 60;
    text += JSON.stringify({
      epoch: 0,
      step,
      lossD,
      lossG: 0.7 + step / 50,
      dx: 0.5,
      dgz1: 0.45,
      dgz2: 0.4,
      ...fid,
    });
    text += "\n";
  }
  await Deno.writeTextFile(join(dir, "metrics.jsonl"), text);
  for (const epoch of ["001", "002"]) {
    await Deno.writeFile(join(dir, `fake_samples_epoch_${epoch}.png`), grid);
  }
}

/** A minimal Chrome DevTools Protocol client over one page's WebSocket. */
class Page {
  #id = 0;
  #pending = new Map<number, (message: { result?: unknown; error?: { message: string } }) => void>();
  private constructor(readonly socket: WebSocket) {
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      this.#pending.get(message.id)?.(message);
      this.#pending.delete(message.id);
    };
  }

  static async open(url: string): Promise<Page> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`Cannot connect to ${url}`));
    });
    return new Page(socket);
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.#id;
    this.socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) =>
      this.#pending.set(
        id,
        (message) =>
          message.error
            ? reject(new Error(`${method}: ${message.error.message}`))
            : resolve(message.result as T),
      )
    );
  }

  /** Evaluates an expression in the page and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const { result } = await this.send<{ result: { value: T } }>("Runtime.evaluate", {
      expression,
      returnByValue: true,
    });
    return result.value;
  }

  async close(): Promise<void> {
    const closed = new Promise((resolve) => this.socket.onclose = resolve);
    this.socket.close();
    await closed;
  }
}

/** What the page shows, read from its DOM and the board script's state. */
interface Shown {
  polls: number;
  status: string;
  charts: string[];
  rows: number;
  compareRows: number;
  gridWidth: number;
  gridLabel: string;
  evalText: string;
}

const SHOWN = `(() => {
  const s = globalThis.boardState;
  return {
    polls: Number(document.body.dataset.polls ?? 0),
    status: document.getElementById("run-status").textContent,
    charts: [...document.querySelectorAll("#charts .u-title")].map((t) => t.textContent),
    rows: s?.series.get(s.selected)?.rows ?? 0,
    compareRows: s?.series.get(s.compare)?.rows ?? 0,
    gridWidth: document.getElementById("grid-image").naturalWidth,
    gridLabel: document.getElementById("grid-label").textContent,
    evalText: document.getElementById("eval-body").textContent,
  };
})()`;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Pixels of an RGBA image within 40 of a colour on each channel. */
function countColour(image: Image, [r, g, b]: [number, number, number]): number {
  let count = 0;
  const pixels = image.bitmap;
  for (let i = 0; i < pixels.length; i += 4) {
    if (
      Math.abs(pixels[i]! - r) < 40 && Math.abs(pixels[i + 1]! - g) < 40 && Math.abs(pixels[i + 2]! - b) < 40
    ) {
      count++;
    }
  }
  return count;
}

Deno.test({
  name: "board in headless Chromium draws a training run's live curves, its grids and a second run overlaid",
  ignore: !CHROMIUM,
  async fn() {
    const base = await Deno.makeTempDir({ prefix: "dcgan-board-" });
    const images = await makeImageFolder(32, { width: 32, height: 32 });
    const runs = join(base, "runs");
    const children: [Deno.ChildProcess, Deno.Signal][] = [];
    let page: Page | undefined;
    let drained: Promise<void> | undefined;
    try {
      // (1) a tiny run that trains for the whole test (it is stopped at the end)
      const trainer = new Deno.Command(Deno.execPath(), {
        args: [
          ...["run", "-A", join(ROOT, "tasks/cli/train.ts"), "--data", images, "--image-size", "32"],
          ...["--ngf", "8", "--ndf", "8", "--nz", "16", "--batch-size", "8", "--epochs", "60"],
          ...["--log-every", "1", "--seed", "1", "-o", join(runs, "tiny")],
        ],
        env: { DCGAN_NUM_THREADS: "1", NO_COLOR: "1" },
        stdout: "null",
        stderr: "piped",
      }).spawn();
      children.push([trainer, "SIGTERM"]);
      let trainerLog = "";
      drained = trainer.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
        new WritableStream({ write: (text) => void (trainerLog += text) }),
      );
      let trainerEnded = false;
      trainer.status.then(() => trainerEnded = true);
      await waitFor("the tiny run's first epoch grid", 150, async () => {
        if (trainerEnded) throw new Error(`the tiny run ended early:\n${trainerLog}`);
        const grids = (await Array.fromAsync(Deno.readDir(join(runs, "tiny"))))
          .filter((e) => /^fake_samples_epoch_\d+\.png$/.test(e.name)); // not a write's temporary file
        return grids.length >= 1 ? grids.length : undefined;
      });
      await makeBaseline(
        join(runs, "baseline"),
        await Deno.readFile(join(runs, "tiny", "fake_samples_epoch_001.png")),
      );
      // an eval report, as `deno task eval --checkpoint runs/tiny` writes it
      await Deno.mkdir(join(runs, "tiny", "eval"));
      await Deno.writeTextFile(
        join(runs, "tiny", "eval", "eval.json"),
        JSON.stringify({
          fidName: "FID (F-MNIST features)",
          fid: 123.456,
          kid: { mean: 0.0125, std: 0.001 },
        }),
      );

      // (2) the board program, on a free port
      const board = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", join(ROOT, "tasks/cli/board.ts"), runs, "--port", "0"],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      children.push([board, "SIGINT"]);
      const reader = board.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let banner = "";
      while (!banner.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        banner += value;
      }
      await reader.cancel();
      const url = banner.match(/http:\/\/127\.0\.0\.1:\d+\//)?.[0];
      assert.ok(url, `the board prints its address: ${banner}`);

      // (3) Chromium on the page, driven through the DevTools protocol
      const devtools = freePort();
      const chromium = new Deno.Command(CHROMIUM!, {
        args: [
          ...["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"],
          `--user-data-dir=${join(base, "chromium")}`,
          `--remote-debugging-port=${devtools}`,
          "--window-size=1400,2000",
          `${url}#run=tiny&compare=baseline`,
        ],
        stdout: "null",
        stderr: "null",
      }).spawn();
      children.push([chromium, "SIGTERM"]);
      const target = await waitFor("Chromium's page target", 30, async () => {
        const targets = await (await fetch(`http://127.0.0.1:${devtools}/json/list`)).json();
        return targets.find((t: { type: string }) => t.type === "page")?.webSocketDebuggerUrl as
          | string
          | undefined;
      });
      page = await Page.open(target);

      const shown = await waitFor("the page to draw curves and a grid", 30, async () => {
        const s = await page!.evaluate<Shown>(SHOWN);
        return s.polls >= 1 && s.charts.length >= 3 && s.rows > 0 && s.gridWidth > 0 ? s : undefined;
      });
      assert.equal(shown.status, "training");
      assert.deepEqual(shown.charts.slice(0, 3), ["Loss", "D(x) and D(G(z)) before / after G's step", "FID"]);
      assert.equal(shown.compareRows, 40, "the second run's records are read for the overlay");
      assert.match(shown.gridLabel, /^epoch \d+ of 60/);
      assert.match(shown.evalText, /FID \(F-MNIST features\)123\.456/, "the eval report is shown");
      // live: the page takes in steps logged after it was drawn
      await waitFor("new steps to reach the page", 40, async () => {
        const s = await page!.evaluate<Shown>(SHOWN);
        return s.rows > shown.rows ? s : undefined;
      });

      const { data } = await page.send<{ data: string }>("Page.captureScreenshot", { format: "png" });
      const png = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const path = Deno.env.get("DCGAN_BOARD_SCREENSHOT") ??
        join(Deno.env.get("TMPDIR") ?? "/tmp", "dcgan_board_screenshot.png");
      await Deno.writeFile(path, png);
      console.log(`board screenshot: ${path}`);
      const image = await Image.decode(png);
      assert.equal(image.width, 1400);
      // the curves are drawn: Loss_D and D(x) in blue, Loss_G and D(G(z)) in red
      assert.ok(countColour(image, [0x09, 0x69, 0xda]) > 400, "blue curves on the screenshot");
      assert.ok(countColour(image, [0xcf, 0x22, 0x2e]) > 400, "red curves on the screenshot");
    } finally {
      await page?.close();
      for (const [child, signal] of children.reverse()) {
        try {
          child.kill(signal);
        } catch { /* already gone */ }
        await child.status;
      }
      await drained;
      await Deno.remove(base, { recursive: true });
      await Deno.remove(images, { recursive: true });
    }
  },
});
