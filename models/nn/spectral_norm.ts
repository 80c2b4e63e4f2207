/**
 * Spectral normalization (Miyato et al. 2018), as `torch.nn.utils.spectral_norm`: a layer's weight is
 * divided by its largest singular value sigma, estimated by power iteration, so the layer is about
 * 1-Lipschitz. SNGAN puts it on every layer of the discriminator; SAGAN on the generator's too.
 *
 * `spectralNorm(layer)` changes the layer in place as PyTorch's does: the trained parameter becomes
 * `weight_orig`, the buffers `weight_u` and `weight_v` hold the singular-vector estimates, and there is
 * no `weight` key in the state dict (keys in PyTorch's order: `bias`, `weight_orig`, `weight_u`,
 * `weight_v`), so a state dict loads into PyTorch's spectral-normed layer with `strict=True` and back.
 * Each forward first computes `weight = weight_orig / sigma`, sigma = u · (W v) with W = weight_orig
 * as a matrix (rows: `dim`, 0 for most layers and 1 for ConvTranspose2d, as PyTorch picks):
 *
 * - in training mode it first runs `nPowerIterations` steps, in place and without gradients:
 *   `v = normalize(Wᵀ u)`, `u = normalize(W v)` (so each forward of D, real or fake, advances u and v
 *   once, as in PyTorch);
 * - in eval mode it uses the stored u and v as they are.
 *
 * Gradients reach `weight_orig` through sigma too (u and v are constants to autograd), as in PyTorch.
 *
 * @module
 */

import { noGrad } from "../../ops/autograd.ts";
import { empty } from "../../ops/creation.ts";
import { norm } from "../../ops/normalize.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { ConvTranspose2d } from "./conv.ts";
import type { Module } from "./module.ts";

/** Options of {@linkcode spectralNorm}; the defaults are PyTorch's. */
export interface SpectralNormOptions {
  /** Power-iteration steps per training-mode forward; default 1. */
  nPowerIterations?: number;
  /** Floor of the norms in `normalize`; default 1e-12. */
  eps?: number;
  /** The weight's dim that becomes the matrix's rows; default 1 for ConvTranspose2d, else 0. */
  dim?: number;
}

/** The state a spectral-normed layer holds in place of `weight`, under PyTorch's names. */
export interface SpectralNormState {
  /** The trained, unnormalized weight (a parameter). */
  weight_orig: Tensor;
  /** The left singular-vector estimate, (rows) (a buffer). */
  weight_u: Tensor;
  /** The right singular-vector estimate, (columns) (a buffer). */
  weight_v: Tensor;
}

/** A layer with a `weight` parameter that its forward reads: Conv2d, ConvTranspose2d, Linear, Embedding. */
export type Weighted = Module & { weight: Tensor };

/** The layers spectralNorm has changed, and their settings. */
const SETTINGS = new WeakMap<Module, Required<SpectralNormOptions>>();

/** `F.normalize(x, dim=0, eps=eps)` of a vector: x / max(‖x‖₂, eps), with PyTorch's norm call. */
function normalize(x: Tensor, eps: number): Tensor {
  using length = norm(x, 2, { dim: 0, keepdim: true });
  using floor = length.clamp(eps);
  return x.div(floor);
}

/** The weight as a (rows, -1) matrix with `dim` first, as PyTorch's `reshape_weight_to_matrix`. */
function asMatrix(weight: Tensor, dim: number): Tensor {
  if (dim === 0) return weight.reshape([weight.shape[0]!, -1]);
  const order = [dim, ...weight.shape.map((_, d) => d).filter((d) => d !== dim)];
  using moved = weight.permute(order);
  return moved.reshape([weight.shape[dim]!, -1]);
}

/**
 * `weight_orig / sigma` for one forward, after the power iteration in training mode.
 *
 * @param state the layer's weight_orig, weight_u and weight_v
 * @param settings its power-iteration settings
 * @param iterate run the power iteration (training mode)
 * @returns the normalized weight, recording gradients to weight_orig
 */
function normalizedWeight(
  state: SpectralNormState,
  settings: Required<SpectralNormOptions>,
  iterate: boolean,
): Tensor {
  const { weight_orig: weight, weight_u: u, weight_v: v } = state;
  using matrix = asMatrix(weight, settings.dim);
  if (iterate) {
    noGrad(() => {
      using transposed = matrix.transpose(0, 1);
      for (let i = 0; i < settings.nPowerIterations; i++) {
        using wtu = transposed.matmul(u);
        using nextV = normalize(wtu, settings.eps);
        v.copy_(nextV);
        using wv = matrix.matmul(v);
        using nextU = normalize(wv, settings.eps);
        u.copy_(nextU);
      }
    });
  }
  // copies, as PyTorch's clone: the next forward updates u and v in place while this graph may still
  // need them for backward (D(real) and D(fake) in one loss)
  using uNow = u.clone();
  using vNow = v.clone();
  using wv = matrix.matmul(vNow);
  using sigma = uNow.matmul(wv);
  return weight.div(sigma);
}

/**
 * Adds spectral normalization to a layer in place, as `torch.nn.utils.spectral_norm(module)`: its
 * `weight` parameter is renamed `weight_orig` (the same tensor, so an optimizer made earlier still
 * trains it) and the buffers `weight_u` (rows) and `weight_v` (columns) are drawn from N(0, 1) on the
 * weight's device and normalized, in that order, as PyTorch draws them.
 *
 * Inside `forward`, `layer.weight` is the normalized weight; outside it, `layer.weight` is
 * `weight_orig` itself, so in-place inits such as `weightsInit` reach the trained parameter (as
 * PyTorch's `m.weight.data` does before the first forward).
 *
 * @param layer a layer whose forward reads `this.weight`: Conv2d, ConvTranspose2d, Linear, Embedding
 * @param options nPowerIterations (1), eps (1e-12), dim (1 for ConvTranspose2d, else 0)
 * @returns the same layer, typed with its new fields
 * @throws {TypeError} when the layer has no `weight` parameter or already has spectral norm
 * @throws {RangeError} when nPowerIterations is not a positive integer, eps < 0 or dim is not a dim
 * @example
 * ```ts
 * import { Conv2d, randn, spectralNorm } from "@gan/dcgan";
 * using conv = spectralNorm(new Conv2d(3, 8, 4, { stride: 2, padding: 1 }));
 * console.log(conv.namedBuffers().map(([name]) => name)); // ["weight_u", "weight_v"]
 * using y = conv.forward(randn([2, 3, 16, 16])); // one power iteration, then the conv
 * ```
 */
export function spectralNorm<M extends Weighted>(
  layer: M,
  options: SpectralNormOptions = {},
): M & SpectralNormState {
  const name = layer.constructor.name;
  if (SETTINGS.has(layer)) {
    throw new TypeError(`${name} already has spectral norm: apply spectralNorm once per layer`);
  }
  const weight = layer.weight;
  if (!layer.parameters().includes(weight)) {
    throw new TypeError(
      `spectralNorm needs a layer with a weight parameter, and ${name}'s weight is not one`,
    );
  }
  const nPowerIterations = options.nPowerIterations ?? 1;
  if (!Number.isSafeInteger(nPowerIterations) || nPowerIterations < 1) {
    throw new RangeError(`spectralNorm nPowerIterations must be a positive integer, got ${nPowerIterations}`);
  }
  const eps = options.eps ?? 1e-12;
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new RangeError(`spectralNorm eps must be >= 0, got ${eps}`);
  const dim = options.dim ?? (layer instanceof ConvTranspose2d ? 1 : 0);
  if (!Number.isInteger(dim) || dim < 0 || dim >= weight.shape.length) {
    throw new RangeError(`spectralNorm dim must be in [0, ${weight.shape.length}) for ${name}, got ${dim}`);
  }
  const settings = { nPowerIterations, eps, dim };
  const rows = weight.shape[dim]!;
  const columns = weight.numel() / rows;
  const draw = (size: number) =>
    noGrad(() => {
      using raw = empty([size], { device: weight.device }).normal_(0, 1);
      return normalize(raw, eps);
    });
  const u = draw(rows);
  const v = draw(columns);

  const fields = layer as unknown as Record<string, unknown>;
  delete fields.weight;
  layer.registerParameter("weight_orig", weight);
  layer.registerBuffer("weight_u", u);
  layer.registerBuffer("weight_v", v);
  const state = layer as unknown as M & SpectralNormState;
  SETTINGS.set(layer, settings);

  // PyTorch's forward pre-hook: `weight` is computed for each forward and read by the layer's own forward
  let current: Tensor | undefined;
  Object.defineProperty(layer, "weight", {
    get: () => current ?? state.weight_orig,
    enumerable: false, // not a field of the state dict
    configurable: true,
  });
  const forward = layer.forward;
  Object.defineProperty(layer, "forward", {
    value: (...args: Parameters<M["forward"]>): Tensor => {
      using _weight = current = normalizedWeight(state, settings, layer.training);
      try {
        return forward.apply(layer, args);
      } finally {
        current = undefined;
      }
    },
    enumerable: false,
    configurable: true,
    writable: true,
  });
  return state;
}

/**
 * Whether a layer has spectral norm, and its settings.
 *
 * @param layer any module
 * @returns nPowerIterations, eps and dim, or undefined for a layer without spectral norm
 * @example
 * ```ts
 * import { Linear, spectralNorm } from "@gan/dcgan";
 * import { spectralNormSettings } from "@gan/dcgan/nn";
 * using fc = spectralNorm(new Linear(4, 2));
 * console.log(spectralNormSettings(fc)?.dim); // 0
 * ```
 */
export function spectralNormSettings(layer: Module): Readonly<Required<SpectralNormOptions>> | undefined {
  return SETTINGS.get(layer);
}
