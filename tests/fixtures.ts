/**
 * Test fixtures shared by the test files: temporary folders, folders of generated PNG images, the
 * reference Python interpreter, and `deno` subcommands run with their output captured.
 *
 * Nothing here loads libtorch, so the data and image tests that use it stay free of the shim.
 *
 * @module
 */

import { join } from "node:path";
import { Image } from "imagescript";

import { PYTHON } from "../tasks/bench/python.ts";

export { PYTHON };

/**
 * `deno task train` flags for the tiny networks the tests train: the seed recipe (whose numbers the tests
 * check), 32x32 images, ngf 4, ndf 4, nz 8.
 */
export const TINY_NETWORKS: readonly string[] = [
  "--recipe",
  "seed",
  "--image-size",
  "32",
  "--ngf",
  "4",
  "--ndf",
  "4",
  "--nz",
  "8",
];

/**
 * Runs a Python script as `script.py` in `dir` (its working directory); fails with its stderr.
 *
 * @param dir the working directory; the script is written there
 * @param script the Python source
 * @example
 * ```ts
 * await python(dir, "from PIL import Image; Image.new('RGB', (4, 4)).save('a.png')");
 * ```
 */
export async function python(dir: string, script: string): Promise<void> {
  await Deno.writeTextFile(join(dir, "script.py"), script);
  const result = await new Deno.Command(PYTHON, { args: ["script.py"], cwd: dir, stderr: "piped" }).output();
  if (!result.success) {
    throw new Error(`Python reference failed:\n${new TextDecoder().decode(result.stderr)}`);
  }
}

/**
 * Calls `fn` with a fresh temporary folder and removes the folder afterwards, whatever `fn` did.
 *
 * @param fn the test body
 * @param options `prefix` of the folder's name (default `dcgan-test-`)
 * @example
 * ```ts
 * await withTempDir(async (dir) => await Deno.writeTextFile(`${dir}/a.txt`, "a"));
 * ```
 */
export async function withTempDir(
  fn: (dir: string) => Promise<void>,
  options: { prefix?: string } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: options.prefix ?? "dcgan-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** What {@link makeImageFolder} draws. */
export interface ImageFolderOptions {
  /** Image width in pixels; default 40. */
  width?: number;
  /** Image height in pixels; default 36. */
  height?: number;
  /** Prefix of the temporary folder's name; default `dcgan-images-`. */
  prefix?: string;
}

/**
 * Makes a temporary folder of `count` RGB PNGs, `img_0.png` ... , each a different colour gradient; the
 * caller removes it.
 *
 * @param count how many images
 * @param options their size and the folder's name prefix
 * @returns the folder's path
 * @example
 * ```ts
 * const data = await makeImageFolder(8, { width: 36, height: 36 });
 * ```
 */
export async function makeImageFolder(count: number, options: ImageFolderOptions = {}): Promise<string> {
  const { width = 40, height = 36, prefix = "dcgan-images-" } = options;
  const dir = await Deno.makeTempDir({ prefix });
  for (let i = 0; i < count; i++) {
    const image = new Image(width, height);
    for (let y = 1; y <= height; y++) {
      for (let x = 1; x <= width; x++) {
        image.setPixelAt(x, y, Image.rgbaToColor((x * 6 + i * 20) % 256, (y * 7) % 256, (i * 50) % 256, 255));
      }
    }
    await Deno.writeFile(join(dir, `img_${i}.png`), await image.encode());
  }
  return dir;
}

/**
 * The width and height of an image file.
 *
 * @param path a PNG (or any format imagescript decodes)
 * @returns `[width, height]`
 * @example
 * ```ts
 * assert.deepEqual(await imageSize("grid.png"), [66, 66]);
 * ```
 */
export async function imageSize(path: string): Promise<[number, number]> {
  const image = await Image.decode(await Deno.readFile(path));
  return [image.width, image.height];
}

/**
 * The lines of a run folder's metrics.jsonl, parsed.
 *
 * @param out the run folder
 * @returns one record per logged step
 * @example
 * ```ts
 * const last = (await readMetrics<{ lossD: number }>(run)).at(-1);
 * ```
 */
export async function readMetrics<T = Record<string, number>>(out: string): Promise<T[]> {
  const text = await Deno.readTextFile(join(out, "metrics.jsonl"));
  return text.trim().split("\n").map((line) => JSON.parse(line));
}

/** What a {@link runDeno} run printed and how it exited. */
export interface DenoOutput {
  /** The exit code. */
  code: number;
  /** Standard output, decoded. */
  stdout: string;
  /** Standard error, decoded. */
  stderr: string;
}

/**
 * Runs `deno` (this one) with `args` to the end and captures its output.
 *
 * @param args the arguments, e.g. `["run", "-A", "tasks/cli/eval.ts", "--help"]`
 * @param options the working directory, and variables added to the environment
 * @returns the exit code and the decoded stdout and stderr
 * @example
 * ```ts
 * const { code, stdout } = await runDeno(["run", "-A", "tasks/cli/train.ts", "--help"]);
 * ```
 */
export async function runDeno(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<DenoOutput> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}
