/**
 * Scopes for temporaries: {@linkcode tidy} frees every tensor created inside it except those it
 * returns or {@linkcode keep}s, the way TorchSharp's DisposeScope and TF.js's tidy do.
 *
 * @module
 */

/**
 * Anything {@linkcode tidy} and {@linkcode keep} can free, such as a tensor. (Not the built-in
 * `Disposable` that `using` relies on, which wants `[Symbol.dispose]`.)
 */
export interface Freeable {
  /** Frees the native resource; a second call is a no-op. */
  dispose(): void;
  /** Called when the item leaves every scope alive (kept or returned), so it can arm a GC backstop. */
  escape?(): void;
}

const scopes: Set<Freeable>[] = [];

/**
 * Records a newly created tensor in the innermost open scope, if any.
 *
 * @param item the new tensor
 * @returns whether a scope took it (and will free it or call its `escape()`)
 */
export function track(item: Freeable): boolean {
  const scope = scopes[scopes.length - 1];
  if (scope === undefined) return false;
  scope.add(item);
  return true;
}

/**
 * Forgets an item in every open scope (it was disposed, or is kept).
 *
 * @param item the tensor to forget
 */
export function untrack(item: Freeable): void {
  for (let i = scopes.length - 1; i >= 0; i--) scopes[i]!.delete(item);
}

/**
 * Keeps a tensor created inside a {@linkcode tidy} alive past its end.
 *
 * @param item the tensor to keep
 * @returns the same tensor
 * @example
 * ```ts
 * import { keep, tidy, zeros } from "@gan/dcgan";
 * let kept;
 * tidy(() => { kept = keep(zeros([2])); });
 * ```
 */
export function keep<T extends Freeable>(item: T): T {
  let held = false;
  for (let i = scopes.length - 1; i >= 0; i--) held = scopes[i]!.delete(item) || held;
  if (held) item.escape?.();
  return item;
}

function collect(value: unknown, into: Set<unknown>, depth = 0): void {
  if (value === null || typeof value !== "object" || depth > 4) return;
  into.add(value);
  if (Array.isArray(value)) {
    for (const item of value) collect(item, into, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) collect(item, into, depth + 1);
  }
}

/**
 * Runs `fn` and frees every tensor created during it, except those in its result (a tensor, or
 * arrays and plain objects holding tensors) and those passed to {@linkcode keep}. Returned tensors
 * move to the enclosing scope. `fn` must be synchronous.
 *
 * @param fn the work whose temporaries to free
 * @returns what `fn` returns
 * @example
 * ```ts
 * import { ones, tidy } from "@gan/dcgan";
 * const total = tidy(() => ones([3]).mul(2).sum().item()); // 6, and no tensor left behind
 * ```
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Freeable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    for (const item of scope) item.dispose();
    throw error;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const item of scope) item.dispose();
    throw new TypeError("tidy() takes a synchronous function: await outside it, or dispose tensors yourself");
  }
  const returned = new Set<unknown>();
  collect(result, returned);
  const parent = scopes[scopes.length - 1];
  for (const item of scope) {
    if (!returned.has(item)) item.dispose();
    else if (parent) parent.add(item);
    else item.escape?.();
  }
  return result;
}
