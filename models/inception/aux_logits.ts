/**
 * Inception-v3's auxiliary classifier, as torchvision's `InceptionAux`.
 *
 * @module
 */

import { adaptiveAvgPool2d, avgPool2d } from "../../ops/pool.ts";
import { tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { Linear } from "../nn/linear.ts";
import { Module } from "../nn/module.ts";
import { BasicConv2d, chain } from "./basic_conv.ts";

/**
 * The auxiliary classifier on `Mixed_6e` (`AuxLogits`), used only in training. It is here so that
 * torchvision's pretrained state dict, which has its weights, loads with strict key matching.
 *
 * @example
 * ```ts
 * import { InceptionAux } from "@gan/dcgan/metrics";
 * import { randn } from "@gan/dcgan";
 * using aux = new InceptionAux(768, 10);
 * using y = aux.eval().forward(randn([1, 768, 17, 17])); // [1, 10]
 * ```
 */
export class InceptionAux extends Module {
  /** 1x1 conv. */
  conv0: BasicConv2d;
  /** 5x5 conv. */
  conv1: BasicConv2d;
  /** Classifier. */
  fc: Linear;

  /**
   * Makes the classifier.
   *
   * @param inChannels input channels (768)
   * @param numClasses classes
   */
  constructor(inChannels: number, numClasses: number) {
    super();
    this.conv0 = new BasicConv2d(inChannels, 128, 1);
    this.conv1 = new BasicConv2d(128, 768, 5);
    this.fc = new Linear(768, numClasses);
  }

  /**
   * Classifies.
   *
   * @param x (N, inChannels, 17, 17)
   * @returns (N, numClasses) logits
   */
  override forward(x: Tensor): Tensor {
    return tidy(() => {
      const y = chain(avgPool2d(x, 5, { stride: 3 }), this.conv0, this.conv1);
      return this.fc.forward(adaptiveAvgPool2d(y, 1).flatten(1));
    });
  }
}
