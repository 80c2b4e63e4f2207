// One flag cannot ask for unbounded work or an empty run folder (issue 17, items 5 and 11): each value
// is refused by the flag table's checks, with a message naming the flag and the range, before anything
// is loaded or allocated.
import assert from "node:assert/strict";
import { ConfigError, parseTrainArgs } from "../../tasks/gan/config.ts";
import { main as sample } from "../../tasks/cli/sample.ts";

const TRAIN_CASES: [string[], RegExp][] = [
  [["--epochs", "1e20"], /--epochs must be a positive integer up to 100,000, got "1e20"/],
  [["--batch-size", "1e9"], /--batch-size must be a positive integer up to 4,096, got "1e9"/],
  [["--out", ""], /--out must be a non-empty path, got ""/],
  [["--out", "  "], /--out must be a non-empty path, got " {2}"/],
  [["--resume", "--overwrite"], /--resume continues the run in --out and --overwrite deletes it: pass one/],
];

for (const [args, message] of TRAIN_CASES) {
  Deno.test(`train refuses ${JSON.stringify(args.join(" "))} naming the flag and its range`, () => {
    assert.throws(
      () => parseTrainArgs(args),
      (e: Error) => e instanceof ConfigError && message.test(e.message),
    );
  });
}

Deno.test("train still takes the largest values in range", () => {
  const config = parseTrainArgs([
    "--epochs",
    "100000",
    "--batch-size",
    "4096",
    "--out",
    "runs/x",
    "--overwrite",
  ]);
  assert.equal(config?.epochs, 100000);
  assert.equal(config?.batchSize, 4096);
  assert.equal(config?.overwrite, true);
});

const SAMPLE_CASES: [string[], RegExp][] = [
  [["interpolate", "--steps", "100000"], /--steps must be an integer from 2 to 512, got "100000"/],
  [["interpolate", "--steps", "1e9"], /--steps must be an integer from 2 to 512, got "1e9"/],
  [["--n", "1000000"], /--n must be a positive integer up to 4,096, got "1000000"/],
  [["--nrow", "5000"], /--nrow must be a positive integer up to 256, got "5000"/],
  [["--per-class", "100000"], /--per-class must be a positive integer up to 256/],
];

Deno.test("sample refuses unbounded --steps, --n, --nrow and --per-class before loading a generator", async () => {
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.map(String).join(" "));
  try {
    for (const [args, message] of SAMPLE_CASES) {
      errors.length = 0;
      assert.equal(await sample(args), 2, args.join(" "));
      assert.match(errors.join("\n"), message);
      assert.doesNotMatch(errors.join("\n"), /pretrained/, "it stopped before loading a generator");
    }
  } finally {
    console.error = original;
  }
});
