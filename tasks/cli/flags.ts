/**
 * The one flag parser of every command (train, sample, eval, the benches). A command declares a table,
 * one row per flag: its long name, an optional one-letter alias, the kind of value (how text is read and
 * which values are allowed), its default and its help line. {@linkcode parseFlags} parses straight into
 * typed values (a switch is turned off with `--no-NAME`); {@linkcode formatHelp} gives every command the same `--help` layout; an unknown flag gets
 * "did you mean" the closest known one. Errors are {@linkcode ConfigError}s naming the flag and the fix.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { SWITCH, type ValueKind } from "./flag_kinds.ts";

export {
  DEVICE,
  integerAtLeast,
  integerIn,
  NON_EMPTY_PATH,
  NON_NEGATIVE_INTEGER,
  numberWhere,
  oneOf,
  PATH,
  POSITIVE_INTEGER,
  SWITCH,
  TEXT,
  type ValueKind,
} from "./flag_kinds.ts";

/** A flag's value is out of range or malformed; the message names the flag and the fix. */
export class ConfigError extends RangeError {
  /**
   * Reports a bad flag.
   *
   * @param message what is wrong and how to fix it
   */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * One flag: its names, the kind of its value, its default and its help line. `C` is the type of all the
 * command's values, which computed defaults and conflict checks read.
 */
export interface FlagSpec<T, C = Record<string, unknown>> {
  /** The long name, without dashes: `batch-size`. */
  readonly flag: string;
  /** A one-letter alias, without the dash: `o` for `-o`. */
  readonly short?: string;
  /** How the text is read and which values are allowed. */
  readonly kind: ValueKind<NonNullable<T>>;
  /**
   * The value when the flag is not given; a function computes it from the given values and the plain
   * defaults (e.g. a default that depends on `--loss`). None: undefined (false for a switch).
   */
  readonly default?: T | ((values: C) => T);
  /** The default as `--help` shows it, where it is computed or not a plain value. */
  readonly defaultText?: string;
  /** What the flag does, for `--help`. */
  readonly help: string;
  /** The message when the flag is missing; set for a flag that must be given. */
  readonly required?: string;
  /**
   * Checks the value against the other values, once all are known: returns what is wrong (naming
   * settings through `name`, which turns a field into `--flag` on the command line), or undefined.
   */
  conflict?(value: T, values: C, name: (field: string) => string): string | undefined;
}

/** A command's flags: the field each fills to its spec. */
export type FlagTable = Readonly<Record<string, FlagSpec<unknown, never>>>;

/** The value type of a flag spec's kind. */
export type KindOf<S> = S extends { kind: ValueKind<infer V> } ? V : never;

/**
 * What {@linkcode parseFlags} returns for a table: each field typed by its kind; undefined where the flag
 * has no default, is not required and was not given (false for a switch).
 */
export type FlagValues<T extends FlagTable> = {
  -readonly [K in keyof T]: T[K] extends { default: unknown } | { required: string } ? KindOf<T[K]>
    : KindOf<T[K]> extends boolean ? boolean
    : KindOf<T[K]> | undefined;
};

/** The `-h`/`--help` flag every command has. */
const HELP: FlagSpec<boolean, never> = { flag: "help", short: "h", kind: SWITCH, help: "show this help" };

/**
 * The known name (a long flag, a command) closest to an unknown one: within a third of its length in
 * edit distance (a swap of two letters is one edit), or else one that starts with it.
 *
 * @param unknown the name as typed (a flag without its dashes)
 * @param known the names to pick from
 * @returns the suggestion, or undefined when none is close
 * @example
 * ```ts
 * import { closestName } from "./flags.ts";
 * console.log(closestName("epoch", ["epochs", "seed"])); // "epochs"
 * ```
 */
export function closestName(unknown: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(unknown.length / 3)) + 1;
  for (const name of known) {
    const d = editDistance(unknown, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best ?? (unknown.length >= 3 ? known.find((name) => name.startsWith(unknown)) : undefined);
}

/** Edit distance with transpositions (optimal string alignment): `sede` is one edit from `seed`. */
function editDistance(a: string, b: string): number {
  const d = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The value's text as the command line would write it, for messages. */
function show(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : String(value);
}

/**
 * Checks one value against its spec's kind.
 *
 * @param spec the flag's spec
 * @param value the value, from anywhere
 * @param name how the setting is named in the message (`--ema` on the command line, `ema` in a library)
 * @returns the message when the value is refused, else undefined
 * @example
 * ```ts
 * import { checkValue, POSITIVE_INTEGER } from "./flags.ts";
 * const spec = { flag: "epochs", kind: POSITIVE_INTEGER, help: "passes" };
 * console.log(checkValue(spec, 0, "--epochs")); // "--epochs must be a positive integer, got 0"
 * ```
 */
export function checkValue<T>(spec: FlagSpec<T, never>, value: T, name: string): string | undefined {
  if (value === undefined || spec.kind.check(value as NonNullable<T>)) return undefined;
  return `${name} must be ${spec.kind.expected}, got ${show(value)}`;
}

/**
 * Parses `args` against a flag table, straight into typed values: each given flag read and checked by its
 * kind, the rest from the defaults, then the conflict checks. `-h`/`--help` is always there.
 *
 * @param table the command's flags, field name to spec
 * @param args command-line arguments (without the program name and command)
 * @returns the values, or undefined when `-h`/`--help` was given
 * @throws {ConfigError} for an unknown flag (with the closest known one), a missing or malformed value, a
 *   value out of range, a missing required flag, a conflict, or a positional argument
 * @example
 * ```ts
 * import { parseFlags, POSITIVE_INTEGER } from "./flags.ts";
 * const values = parseFlags({ n: { flag: "n", short: "n", kind: POSITIVE_INTEGER, default: 8, help: "images" } }, [
 *   "-n",
 *   "4",
 * ]);
 * console.log(values?.n); // 4
 * ```
 */
export function parseFlags<T extends FlagTable>(table: T, args: string[]): FlagValues<T> | undefined {
  const specs: [string, FlagSpec<unknown, never>][] = [...Object.entries(table), ["help", HELP]];
  const byFlag = new Map(specs.map(([field, spec]) => [spec.flag, { field, spec }]));
  const options: ParseArgsOptionsConfig = {};
  for (const [, spec] of specs) {
    options[spec.flag] = spec.kind === SWITCH
      ? { type: "boolean", ...(spec.short ? { short: spec.short } : {}) }
      : { type: "string", ...(spec.short ? { short: spec.short } : {}) };
  }
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const given = new Map<string, unknown>();
  for (const token of tokens) {
    if (token.kind === "positional") {
      throw new ConfigError(`Unexpected argument '${token.value}'; see --help`);
    }
    if (token.kind !== "option") continue;
    const negated = token.rawName.startsWith("--no-") ? byFlag.get(token.name.slice(3)) : undefined;
    if (!byFlag.has(token.name) && negated?.spec.kind === SWITCH) {
      // --no-spectral-norm: turns off a switch a recipe turns on
      if (token.value !== undefined) {
        throw new ConfigError(`${token.rawName} takes no value: drop "=${token.value}"`);
      }
      given.set(negated.field, false);
      continue;
    }
    const known = byFlag.get(token.name);
    if (!known) {
      const suggestion = token.rawName.startsWith("--")
        ? closestName(token.name, specs.map(([, spec]) => spec.flag))
        : undefined;
      throw new ConfigError(
        `Unknown option '${token.rawName}'; ${suggestion ? `did you mean --${suggestion}?` : "see --help"}`,
      );
    }
    const { field, spec } = known;
    if (spec.kind === SWITCH) {
      if (token.value !== undefined) {
        throw new ConfigError(`--${spec.flag} takes no value: drop "=${token.value}"`);
      }
      given.set(field, true);
      continue;
    }
    const raw = token.value;
    if (raw === undefined || (!token.inlineValue && /^-[^\d.]/.test(raw))) {
      throw new ConfigError(`--${spec.flag} needs a value: --${spec.flag} ${spec.kind.placeholder}`);
    }
    const value = spec.kind.read(raw);
    if (value === undefined || !spec.kind.check(value)) {
      throw new ConfigError(`--${spec.flag} must be ${spec.kind.expected}, got "${raw}"`);
    }
    given.set(field, value);
  }
  if (given.get("help")) return undefined;
  for (const [field, spec] of specs) {
    if (spec.required && !given.has(field)) throw new ConfigError(spec.required);
  }
  const values = withDefaults(table, Object.fromEntries(given));
  const problem = checkValues(table, values, (field) => `--${table[field]?.flag ?? field}`);
  if (problem) throw new ConfigError(problem);
  return values as FlagValues<T>;
}

/**
 * Fills in the fields a set of values lacks (or holds as undefined) with the table's defaults: plain ones
 * first, then computed ones, which see the rest. Fields come out in the table's order.
 *
 * @param table the flags
 * @param values the values that are set, by field
 * @returns every field of the table
 * @example
 * ```ts
 * import { POSITIVE_INTEGER, withDefaults } from "./flags.ts";
 * const table = { epochs: { flag: "epochs", kind: POSITIVE_INTEGER, default: 25, help: "passes" } };
 * console.log(withDefaults(table, {})); // { epochs: 25 }
 * ```
 */
export function withDefaults(
  table: FlagTable,
  values: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const filled: Record<string, unknown> = {};
  const computed: [string, (values: never) => unknown][] = [];
  for (const [field, spec] of Object.entries(table)) {
    filled[field] = values[field]; // the table's order, whatever is filled in when
    if (values[field] !== undefined) continue;
    if (typeof spec.default === "function") {
      computed.push([field, spec.default as (values: never) => unknown]);
    } else filled[field] = spec.default ?? (spec.kind === SWITCH ? false : undefined);
  }
  for (const [field, compute] of computed) filled[field] = compute(filled as never);
  return filled;
}

/**
 * Checks values against a table: each set value by its kind, then each row's conflict check. The flag
 * parser runs it on what it parsed; library code runs it on settings that came another way.
 *
 * @param table the flags
 * @param values the values, by field
 * @param name how a field is named in messages: `--batch-size` on the command line, `batchSize` elsewhere
 * @returns what is wrong with the first refused value, or undefined when all pass
 * @example
 * ```ts
 * import { checkValues, POSITIVE_INTEGER } from "./flags.ts";
 * const table = { epochs: { flag: "epochs", kind: POSITIVE_INTEGER, help: "passes" } };
 * console.log(checkValues(table, { epochs: 0 }, (field) => field)); // "epochs must be a positive integer, got 0"
 * ```
 */
export function checkValues(
  table: FlagTable,
  values: Readonly<Record<string, unknown>>,
  name: (field: string) => string,
): string | undefined {
  for (const [field, spec] of Object.entries(table)) {
    const problem = checkValue(spec, values[field], name(field));
    if (problem) return problem;
  }
  for (const [field, spec] of Object.entries(table)) {
    const problem = spec.conflict?.(values[field] as never, values as never, name);
    if (problem) return problem;
  }
  return undefined;
}

/** The text around a command's flag list in `--help`. */
export interface CommandHelp {
  /** Usage lines, without `Usage:`: `deno task train [flags]`. */
  readonly usage: string | readonly string[];
  /** What the command does, a sentence or two. */
  readonly description: string;
  /** Text after the flags (examples, where to get files). */
  readonly footer?: string;
}

/**
 * A command's `--help`, the same layout for every command: usage, description, then one line a flag with
 * its alias, value placeholder, help and default.
 *
 * @param table the command's flags
 * @param help the usage, description and footer
 * @returns the help text
 * @example
 * ```ts
 * import { formatHelp, POSITIVE_INTEGER } from "./flags.ts";
 * const table = { n: { flag: "n", short: "n", kind: POSITIVE_INTEGER, default: 64, help: "images" } };
 * console.log(formatHelp(table, { usage: "deno task sample [flags]", description: "Draws images." }));
 * ```
 */
export function formatHelp(table: FlagTable, help: CommandHelp): string {
  const rows = [...Object.values(table), HELP].map((spec): [string, string] => {
    const alias = spec.short ? `-${spec.short}, ` : "    ";
    const value = spec.kind.placeholder ? ` ${spec.kind.placeholder}` : "";
    const fallback = spec.defaultText ??
      (spec.kind === SWITCH || spec.default === undefined || typeof spec.default === "function"
        ? undefined
        : String(spec.default));
    // a switch whose default is computed (a recipe may turn it on) can be turned off: --[no-]spectral-norm
    const name = spec.kind === SWITCH && typeof spec.default === "function" ? `[no-]${spec.flag}` : spec.flag;
    return [`  ${alias}--${name}${value}`, spec.help + (fallback ? ` (default ${fallback})` : "")];
  });
  const width = Math.min(34, Math.max(...rows.map(([left]) => left.length)) + 2);
  const usage = typeof help.usage === "string" ? [help.usage] : help.usage;
  const lines = [
    ...usage.map((line, i) => `${i === 0 ? "Usage: " : "       "}${line}`),
    "",
    help.description,
    "",
    "Flags:",
    ...rows.map(([left, right]) =>
      left.length < width ? left.padEnd(width) + right : `${left}\n${" ".repeat(width)}${right}`
    ),
  ];
  return help.footer ? `${lines.join("\n")}\n\n${help.footer}` : lines.join("\n");
}
