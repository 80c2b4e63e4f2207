/**
 * Experience replay for the discriminator (`--replay K`), the history buffer of Shrivastava et al.
 * 2017 ("Learning from Simulated and Unsupervised Images through Adversarial Training", section 2.3):
 * D is also shown fakes from earlier generators, so that G cannot win by hopping back to a mode D has
 * forgotten.
 *
 * The buffer holds up to K past fakes (detached, with their class labels for a conditional GAN). Each
 * D step draws `min(⌊N/2⌋, size)` of them without replacement (`torch.randperm(size)[:count]`) and
 * appends them to the N current fakes, so D's fake loss is a mean over N + count images. After D's
 * update the N current fakes enter the buffer: they fill it first, and once it is full each one
 * replaces a random entry (`torch.randint(0, K, (rest,))`). Both draws use the global generator, so a
 * run stays reproducible and the buffer is part of the run checkpoint.
 *
 * @module
 */

import { noGrad } from "../../ops/autograd.ts";
import { randint, randperm, tensor } from "../../ops/creation.ts";
import type { Device } from "../../ops/device.ts";
import { stack } from "../../ops/combine.ts";
import { keep } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";

/** What {@linkcode ReplayBuffer.sample} returns. */
export interface ReplaySample {
  /** The replayed fakes, (count, C, H, W). */
  images: Tensor;
  /** Their labels, (count) int64, where the buffer holds labels. */
  labels?: Tensor;
}

/**
 * A fixed-size buffer of past generated images.
 *
 * @example
 * ```ts
 * import { ReplayBuffer } from "@gan/dcgan/gan";
 * import { randn } from "@gan/dcgan";
 * const buffer = new ReplayBuffer(8);
 * using fakes = randn([4, 3, 32, 32]);
 * buffer.push(fakes);
 * const replayed = buffer.sample(2); // 2 of the 4
 * replayed?.images.dispose();
 * buffer.dispose();
 * ```
 */
export class ReplayBuffer {
  /** The most images the buffer holds (K). */
  readonly capacity: number;
  #images: Tensor[] = [];
  #labels: number[] = [];

  /**
   * Makes an empty buffer.
   *
   * @param capacity K, the most images it holds
   * @throws {RangeError} when capacity is not a positive integer
   */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Replay buffer capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  /** How many images the buffer holds now. */
  get size(): number {
    return this.#images.length;
  }

  /**
   * Draws up to `count` images without replacement.
   *
   * @param count how many to draw (fewer when the buffer holds fewer)
   * @param device where the labels go (the images are where they were stored)
   * @returns the images (and labels), or undefined when the buffer is empty or count is 0
   */
  sample(count: number, device: Device = "cpu"): ReplaySample | undefined {
    if (this.size === 0 || count < 1) return undefined;
    using order = randperm(this.size);
    const picked = Array.from(order.toArray() as BigInt64Array, Number).slice(0, count);
    const images = stack(picked.map((i) => this.#images[i]!));
    if (this.#labels.length === 0) return { images };
    const labels = tensor(BigInt64Array.from(picked, (i) => BigInt(this.#labels[i]!)), { device });
    return { images, labels };
  }

  /**
   * Adds fakes: they fill the buffer, then each replaces a random entry.
   *
   * @param images (N, C, H, W) generated images (copied, detached)
   * @param labels (N) their class labels, for a conditional GAN
   */
  push(images: Tensor, labels?: Tensor): void {
    const n = images.shape[0]!;
    const ids = labels ? Array.from(labels.toArray() as ArrayLike<number | bigint>, Number) : undefined;
    const copy = (i: number) => keep(noGrad(() => images.select(0, i).detach().clone()));
    const fill = Math.min(n, this.capacity - this.size);
    for (let i = 0; i < fill; i++) {
      this.#images.push(copy(i));
      if (ids) this.#labels.push(ids[i]!);
    }
    if (fill === n) return;
    using slots = randint(0, this.capacity, [n - fill]);
    const at = Array.from(slots.toArray() as BigInt64Array, Number);
    at.forEach((slot, j) => {
      this.#images[slot]!.dispose();
      this.#images[slot] = copy(fill + j);
      if (ids) this.#labels[slot] = ids[fill + j]!;
    });
  }

  /**
   * The buffer's contents, for a checkpoint.
   *
   * @returns the images (size, C, H, W) and labels (size) int64 (new tensors: dispose them), or
   *   undefined when empty
   */
  state(): ReplaySample | undefined {
    if (this.size === 0) return undefined;
    const images = stack(this.#images);
    if (this.#labels.length === 0) return { images };
    return { images, labels: tensor(BigInt64Array.from(this.#labels, BigInt)) };
  }

  /**
   * Replaces the contents with a checkpoint's.
   *
   * @param saved images (size, C, H, W) on the device to keep them on, and labels (size) where the
   *   buffer holds labels; copied
   * @throws {RangeError} when it holds more images than the capacity
   */
  load(saved: ReplaySample): void {
    const n = saved.images.shape[0]!;
    if (n > this.capacity) {
      throw new RangeError(
        `Cannot load a replay buffer of ${n} images into one of capacity ${this.capacity}`,
      );
    }
    this.dispose();
    for (let i = 0; i < n; i++) this.#images.push(keep(saved.images.select(0, i).clone()));
    if (saved.labels) this.#labels = Array.from(saved.labels.toArray() as BigInt64Array, Number);
  }

  /** Frees the stored images. */
  dispose(): void {
    for (const image of this.#images) image.dispose();
    this.#images = [];
    this.#labels = [];
  }
}
