/**
 * Feature vectors kept in a safetensors file with what they were computed from (the feature network's
 * weights, the images), so a training run that scores its samples every few steps computes the real
 * images' features once, and again only when the network or the data changed.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { readSafetensors, writeSafetensors } from "../../models/io/safetensors.ts";
import { tensor } from "../../ops/creation.ts";
import type { Tensor } from "../../ops/tensor.ts";

/** What features were computed from, as strings; two identities match when every entry does. */
export type FeatureIdentity = Record<string, string>;

/** The metadata key that holds the identity, as JSON. */
const IDENTITY_KEY = "identity";

/**
 * The SHA-256 of some bytes, as hex: the identity of a weights file or of a data set's images.
 *
 * @param bytes what to hash
 * @returns 64 hex digits
 * @example
 * ```ts
 * import { sha256Hex } from "./feature_cache.ts";
 * console.log(await sha256Hex(new Uint8Array())); // e3b0c442...
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The SHA-256 of a file (a path, or a file: URL such as a weights file shipped in the package).
 *
 * @param path the file
 * @returns 64 hex digits
 * @throws {Error} naming the file when it cannot be read
 */
export async function fileSha256(path: string | URL): Promise<string> {
  const file = path instanceof URL && path.protocol === "file:" ? fileURLToPath(path) : path;
  let bytes: Uint8Array;
  try {
    bytes = file instanceof URL
      ? new Uint8Array(await (await fetch(file)).arrayBuffer())
      : await Deno.readFile(file);
  } catch (error) {
    throw new Error(`Cannot read "${String(path)}" to identify it: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return await sha256Hex(bytes);
}

/** What {@linkcode cachedFeatures} gives. */
export interface CachedFeatures {
  /** (n, d) float32 on the CPU; dispose it when done. */
  features: Tensor;
  /** True when they were read from the file, false when computed (and written). */
  cached: boolean;
}

async function readCache(path: string, identity: FeatureIdentity): Promise<Tensor | undefined> {
  let file: Awaited<ReturnType<typeof readSafetensors>>;
  try {
    file = await readSafetensors(path);
  } catch {
    return undefined; // missing or unreadable: computed again, and the file replaced
  }
  const entry = file.tensors.features;
  if (file.metadata[IDENTITY_KEY] !== JSON.stringify(identity) || entry?.dtype !== "F32") return undefined;
  if (entry.shape.length !== 2) return undefined;
  const values = new Float32Array(entry.data.slice().buffer);
  return tensor(values, { shape: entry.shape });
}

/**
 * Features from the cache file when it was written for the same identity; else computed by `compute`
 * and written there (atomically), replacing a file made for another identity.
 *
 * @param path the cache file, e.g. a run folder's eval_real_features.safetensors
 * @param identity what the features depend on (the network's weights, the images), as strings
 * @param compute makes the (n, d) float32 CPU features when the cache cannot serve them
 * @returns the features and whether they came from the file
 * @throws {Error} naming the file when it cannot be written
 * @example
 * ```ts
 * import { cachedFeatures } from "./feature_cache.ts";
 * import { randn } from "@gan/dcgan";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * const first = await cachedFeatures(path, { data: "a" }, () => randn([4, 2]));
 * const again = await cachedFeatures(path, { data: "a" }, () => randn([4, 2]));
 * console.log(first.cached, again.cached); // false true
 * first.features.dispose();
 * again.features.dispose();
 * ```
 */
export async function cachedFeatures(
  path: string,
  identity: FeatureIdentity,
  compute: () => Tensor | Promise<Tensor>,
): Promise<CachedFeatures> {
  const cached = await readCache(path, identity);
  if (cached) return { features: cached, cached: true };
  const features = await compute();
  try {
    using f32 = features.to("float32");
    const data = f32.toFloat32Array();
    await writeSafetensors(
      path,
      { features: { dtype: "F32", shape: features.shape, data: new Uint8Array(data.buffer) } },
      { [IDENTITY_KEY]: JSON.stringify(identity) },
    );
  } catch (error) {
    features.dispose();
    throw error;
  }
  return { features, cached: false };
}
