/**
 * The checks `Module.loadStateDict` runs before it copies anything, as PyTorch's `load_state_dict`:
 * every tensor's shape, and with `strict` the missing and unexpected keys.
 *
 * @module
 */

import { Tensor } from "../../ops/tensor.ts";

/** Options of {@linkcode Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** Throw when a key is missing or unexpected (default true). Wrong shapes always throw. */
  strict?: boolean;
  /** What the state dict came from, for error messages; default `state dict`, e.g. `checkpoint "g.safetensors"`. */
  source?: string;
}

/** What {@linkcode Module.loadStateDict} skipped (only ever non-empty with `strict: false`). */
export interface LoadStateDictResult {
  /** The module's keys that the state dict lacked; those tensors kept their values. */
  missingKeys: string[];
  /** The state dict's keys that the module does not have; they were ignored. */
  unexpectedKeys: string[];
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

function quoted(keys: readonly string[]): string {
  return keys.map((k) => `"${k}"`).join(", ");
}

/**
 * Checks a state dict against a module's own entries; copies nothing.
 *
 * @param own the module's `[name, tensor]` state entries
 * @param state tensors by PyTorch name
 * @param options strict (default true), source (for messages)
 * @returns the keys that would be skipped with `strict: false`
 * @throws {TypeError} naming the key and both shapes when a shape differs; with `strict`, listing the
 *   missing and unexpected keys
 */
export function checkStateDict(
  own: readonly [string, Tensor][],
  state: Readonly<Record<string, Tensor>>,
  options: LoadStateDictOptions = {},
): LoadStateDictResult {
  const strict = options.strict ?? true;
  const what = `Cannot load ${options.source ?? "state dict"}`;
  const ownNames = new Set(own.map(([name]) => name));
  const missingKeys: string[] = [];
  const wrongShapes: string[] = [];
  for (const [name, target] of own) {
    if (!Object.hasOwn(state, name)) {
      missingKeys.push(name);
      continue;
    }
    const source = state[name];
    if (!(source instanceof Tensor)) {
      throw new TypeError(`${what}: key "${name}" holds ${typeof source}, expected a Tensor`);
    }
    const [got, want] = [source.shape, target.shape];
    if (shapeText(got) !== shapeText(want)) {
      wrongShapes.push(`key "${name}" has shape ${shapeText(got)}, expected ${shapeText(want)}`);
    }
  }
  const unexpectedKeys = Object.keys(state).filter((name) => !ownNames.has(name));
  if (wrongShapes.length > 0) {
    throw new TypeError(
      `${what}: ${wrongShapes.join("; ")}; build the module with the config it was saved from`,
    );
  }
  if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
    const parts = [];
    if (missingKeys.length > 0) parts.push(`missing keys ${quoted(missingKeys)}`);
    if (unexpectedKeys.length > 0) parts.push(`unexpected keys ${quoted(unexpectedKeys)}`);
    throw new TypeError(
      `${what}: ${parts.join(" and ")}; build the module with the config it was saved ` +
        "from, or pass { strict: false } to skip them",
    );
  }
  return { missingKeys, unexpectedKeys };
}
