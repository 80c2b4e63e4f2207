// The one flag parser (tasks/cli/flags.ts): typed values, aliases, -h/--help, "did you mean", bad values,
// required flags and conflicts, the shared help layout, and that every command uses it.
import assert from "node:assert/strict";
import {
  closestName,
  ConfigError,
  formatHelp,
  integerAtLeast,
  numberWhere,
  oneOf,
  parseFlags,
  PATH,
  SWITCH,
} from "../../tasks/cli/flags.ts";

const TABLE = {
  out: { flag: "out", short: "o", kind: PATH, default: "a.png", help: "the PNG" },
  n: { flag: "n", short: "n", kind: integerAtLeast(1), default: 64, help: "images" },
  batchSize: { flag: "batch-size", kind: integerAtLeast(1), help: "images per step" },
  rate: { flag: "rate", kind: numberWhere((x) => x > 0 && x < 1, "a number in (0, 1)"), help: "a rate" },
  mode: { flag: "mode", kind: oneOf(["fast", "slow"]), default: "fast", help: "how" },
  dry: { flag: "dry-run", kind: SWITCH, help: "no writes" },
  half: {
    flag: "half",
    kind: integerAtLeast(0),
    default: (values: { n: number }) => Math.floor(values.n / 2),
    defaultText: "half of --n",
    help: "a computed default",
    conflict: (half: number, values: { n: number }, name: (field: string) => string) =>
      half > values.n ? `${name("half")} must not pass ${name("n")}` : undefined,
  },
} as const;

Deno.test("parseFlags reads long flags, aliases and = values straight into typed values with defaults", () => {
  assert.deepEqual(parseFlags(TABLE, []), {
    out: "a.png",
    n: 64,
    batchSize: undefined,
    rate: undefined,
    mode: "fast",
    dry: false,
    half: 32,
  });
  const values = parseFlags(TABLE, [
    "-o",
    "b.png",
    "-n",
    "8",
    "--batch-size=4",
    "--rate",
    "0.5",
    "--dry-run",
  ]);
  assert.deepEqual(values, {
    out: "b.png",
    n: 8,
    batchSize: 4,
    rate: 0.5,
    mode: "fast",
    dry: true,
    half: 4,
  });
  assert.equal(parseFlags(TABLE, ["--n", "3", "--n", "5"])?.n, 5, "the last of a repeated flag wins");
  // a value that starts with a dash is read as a value when it is a number
  assert.throws(() => parseFlags(TABLE, ["-n", "-1"]), /--n must be an integer >= 1, got "-1"/);
});

Deno.test("-h and --help return undefined instead of values, even beside other flags", () => {
  assert.equal(parseFlags(TABLE, ["-h"]), undefined);
  assert.equal(parseFlags(TABLE, ["-n", "4", "--help"]), undefined);
});

const BAD: [string[], RegExp][] = [
  [["--ot", "x"], /^Unknown option '--ot'; did you mean --out\?$/],
  [["--batch", "4"], /^Unknown option '--batch'; did you mean --batch-size\?$/],
  [["--dryrun"], /^Unknown option '--dryrun'; did you mean --dry-run\?$/],
  [["--bogus"], /^Unknown option '--bogus'; see --help$/],
  [["-x"], /^Unknown option '-x'; see --help$/],
  [["-n", "0"], /^--n must be an integer >= 1, got "0"$/],
  [["--rate", "1"], /^--rate must be a number in \(0, 1\), got "1"$/],
  [["--rate", "abc"], /^--rate must be a number in \(0, 1\), got "abc"$/],
  [["--rate="], /^--rate must be a number in \(0, 1\), got ""$/],
  [["--mode", "medium"], /^--mode must be one of fast, slow, got "medium"$/],
  [["--rate"], /^--rate needs a value: --rate <value>$/],
  [["--rate", "--dry-run"], /^--rate needs a value: --rate <value>$/],
  [["--dry-run=yes"], /^--dry-run takes no value: drop "=yes"$/],
  [["--no-dry-run=yes"], /^--no-dry-run takes no value: drop "=yes"$/],
  [["--no-rate"], /^Unknown option '--no-rate'; see --help$/],
  [["stray"], /^Unexpected argument 'stray'; see --help$/],
  [["-n", "4", "--half", "5"], /^--half must not pass --n$/],
];

for (const [args, message] of BAD) {
  Deno.test(`parseFlags refuses ${args.join(" ")} with a ConfigError naming the flag`, () => {
    assert.throws(
      () => parseFlags(TABLE, args),
      (error: Error) => error instanceof ConfigError && message.test(error.message),
    );
  });
}

Deno.test("--no-NAME turns off a switch, e.g. one a recipe turns on; the help shows --[no-]NAME there", () => {
  const table = {
    sn: { flag: "spectral-norm", kind: SWITCH, default: () => true, help: "on by recipe" },
    dry: { flag: "dry-run", kind: SWITCH, help: "no writes" },
  };
  assert.equal(parseFlags(table, [])?.sn, true);
  assert.equal(parseFlags(table, ["--no-spectral-norm"])?.sn, false);
  assert.equal(parseFlags(table, ["--no-dry-run"])?.dry, false);
  const help = formatHelp(table, { usage: "x", description: "y" });
  assert.match(help, /--\[no-\]spectral-norm/);
  assert.match(help, / {2}--dry-run /);
});

Deno.test("a required flag that is missing gets its own message", () => {
  const table = {
    z: { flag: "z", kind: PATH, required: "--z is required: pass the latents", help: "latents" },
  };
  assert.throws(() => parseFlags(table, []), /^ConfigError: --z is required: pass the latents$/);
  assert.equal(parseFlags(table, ["--z", "z.safetensors"])?.z, "z.safetensors");
});

Deno.test("closestName suggests within a third of the length, or a flag the typo starts", () => {
  const known = ["epochs", "batch-size", "seed", "out"];
  assert.equal(closestName("epoch", known), "epochs");
  assert.equal(closestName("sede", known), "seed");
  assert.equal(closestName("batch", known), "batch-size");
  assert.equal(closestName("bogus", known), undefined);
  assert.equal(closestName("xy", known), undefined);
});

Deno.test("formatHelp lays out usage, description, then each flag with alias, placeholder, help and default", () => {
  const help = formatHelp(TABLE, { usage: ["deno task x [flags]", "deno task x y"], description: "Does x." });
  const lines = help.split("\n");
  assert.deepEqual(lines.slice(0, 6), [
    "Usage: deno task x [flags]",
    "       deno task x y",
    "",
    "Does x.",
    "",
    "Flags:",
  ]);
  assert.match(help, /^ {2}-o, --out <path> +the PNG \(default a\.png\)$/m);
  assert.match(help, /^ {6}--batch-size <value> +images per step$/m);
  assert.match(help, /^ {6}--dry-run +no writes$/m);
  assert.match(help, /^ {6}--half <value> +a computed default \(default half of --n\)$/m);
  assert.match(help, /^ {2}-h, --help +show this help$/m);
  const column = (flag: string) => lines.find((line) => line.includes(flag))!.search(/ {2}[a-z]/) + 2;
  assert.equal(column("--out"), column("--dry-run"), "the help texts start in one column");
});

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("parseArgs( is called in tasks/cli/flags.ts only", async () => {
  const callers: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(`${ROOT}${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (path.endsWith(".ts") && (await Deno.readTextFile(`${ROOT}${path}`)).includes("parseArgs(")) {
        callers.push(path);
      }
    }
  };
  for (const dir of ["tasks", "models", "ops", "ffi"]) await walk(dir);
  assert.deepEqual(callers, ["tasks/cli/flags.ts"]);
});

Deno.test("every command answers -h with the same layout", async () => {
  const commands = [
    ["tasks/cli/train.ts"],
    ["tasks/cli/sample.ts"],
    ["tasks/cli/sample.ts", "interpolate"],
    ["tasks/cli/sample.ts", "arithmetic"],
    ["tasks/cli/eval.ts"],
    ["tasks/bench/bench.ts"],
    ["tasks/bench/conv.ts"],
  ];
  for (const [program, ...sub] of commands) {
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}${program}`, ...sub, "-h"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stdout);
    assert.equal(code, 0, `${program} ${sub.join(" ")} -h`);
    assert.match(text, /^Usage: /, program);
    assert.match(text, /\n\nFlags:\n/, program);
    assert.match(text, /\n {2}-h, --help +show this help/, program);
  }
});

Deno.test("the CLI answers an unknown command with the closest one and its help", async () => {
  const { main } = await import("../../tasks/cli/main.ts");
  const errors: string[] = [];
  const error = console.error;
  console.error = (line: string) => errors.push(line);
  try {
    assert.equal(await main(["smaple"]), 2);
  } finally {
    console.error = error;
  }
  assert.match(errors.join("\n"), /^error: unknown command "smaple"; did you mean sample\?\n\n@gan\/dcgan /);
});
