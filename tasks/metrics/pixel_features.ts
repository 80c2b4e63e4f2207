/**
 * Pixel features: a scoring "network" without weights, for data that has no feature network here (the
 * emoji set: no Inception weights can be downloaded). Each image is average-pooled to 16x16 and its pixels,
 * in [0, 1], are its feature vector (768 numbers for RGB). They see colour and layout, not what a picture
 * shows: their FID, KID, precision and recall rank generators of one data set, and are never put beside an
 * Inception FID.
 *
 * @module
 */

import { noGrad } from "../../ops/autograd.ts";
import { adaptiveAvgPool2d } from "../../ops/pool.ts";
import type { Tensor } from "../../ops/tensor.ts";
import type { FeatureNetwork } from "./features.ts";

/** The side images are pooled to: 16, a 4x4 average of a 64x64 image. */
export const PIXEL_FEATURE_SIDE = 16;

/**
 * Images to their 16x16 average-pooled pixels in [0, 1], flattened: (N, C, H, W) to (N, 256 C).
 *
 * @example
 * ```ts
 * import { PixelFeatures } from "@gan/dcgan/metrics";
 * import { zeros } from "@gan/dcgan";
 * using images = zeros([2, 3, 64, 64]); // mid-grey in [-1, 1]
 * using features = new PixelFeatures().features(images); // [2, 768], every value 0.5
 * ```
 */
export class PixelFeatures implements FeatureNetwork {
  /**
   * The features of a batch: each image's 16x16 average pool, mapped from [-1, 1] to [0, 1] and flattened.
   *
   * @param images (N, C, H, W) in [-1, 1], at least 16x16
   * @returns (N, 256 C) in [0, 1]
   * @throws {RangeError} for images that are not 4-d or smaller than 16x16
   */
  features(images: Tensor): Tensor {
    const [n, , h, w] = images.shape;
    if (images.shape.length !== 4 || h! < PIXEL_FEATURE_SIDE || w! < PIXEL_FEATURE_SIDE) {
      throw new RangeError(
        `Pixel features pool (N, C, H, W) images of at least ${PIXEL_FEATURE_SIDE}x${PIXEL_FEATURE_SIDE}, ` +
          `got shape [${images.shape}]`,
      );
    }
    return noGrad(() => {
      using shifted = images.add(1);
      using unit = shifted.mul(0.5);
      using pooled = adaptiveAvgPool2d(unit, PIXEL_FEATURE_SIDE);
      return pooled.reshape([n!, -1]);
    });
  }

  /** Nothing to free: present so that a scorer disposes every network alike. */
  dispose(): void {}
}
