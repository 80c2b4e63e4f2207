/**
 * Test helpers: run a PyTorch snippet (Debian's /usr/bin/python3 with python3-torch) on the same
 * inputs as ours and compare results within a stated tolerance.
 *
 * The snippet sees `inp` (a dict of torch tensors built from `inputs`), `torch`, `F` (torch.nn.functional)
 * and `nn`, and stores results in the dict `out`; values come back as float64 arrays with their shapes.
 * {@link REFERENCE_DIR} is on its `sys.path`, so it can `from torch_reference import Generator,
 * Discriminator, weights_init` (pytorch/examples dcgan/main.py's) and `from safetensors_io import
 * save_safetensors, read_safetensors`.
 *
 * @module
 */

import { AssertionError } from "node:assert";
import { join } from "node:path";
import { Tensor } from "../ops/tensor.ts";
import { PYTHON } from "../tasks/bench/python.ts";

/** A value that came back from PyTorch. */
export interface TorchValue {
  /** Sizes. */
  shape: number[];
  /** Values, row-major, widened to float64. */
  data: Float64Array;
}

/**
 * tasks/bench, the PyTorch reference modules shared by the bench and the tests: torch_reference.py
 * (the DCGAN example's networks and init) and safetensors_io.py (json + struct safetensors I/O).
 */
export const REFERENCE_DIR = new URL("../tasks/bench/", import.meta.url).pathname;

/**
 * Python for the Inception tests, to put before a {@link runTorch} script: `calibrated_inception(seed)`
 * builds torchvision's inception_v3 with random weights, sets its BatchNorm statistics from one random
 * batch (so that features are of order 1) and returns it in eval mode.
 */
export const CALIBRATED_INCEPTION = `
from torchvision.models import inception_v3
def calibrated_inception(seed):
    torch.manual_seed(seed)
    net = inception_v3(weights=None, aux_logits=False, init_weights=True)
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = None
            m.reset_running_stats()
    net.train()
    with torch.no_grad():
        net(torch.rand(2, 3, 299, 299) * 2 - 1)
    return net.eval()
`;

type Input = Tensor | { data: Float32Array | Float64Array | BigInt64Array; shape: number[] } | number;

const PRELUDE = `
import json, sys, os
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.set_num_threads(int(os.environ.get("DCGAN_NUM_THREADS", "2")))
sys.path.insert(0, ${JSON.stringify(REFERENCE_DIR)})
_dir = sys.argv[1]
_manifest = json.load(open(os.path.join(_dir, "inputs.json")))
inp = {}
for _name, _m in _manifest.items():
    if _m["kind"] == "scalar":
        inp[_name] = _m["value"]
        continue
    _a = np.fromfile(os.path.join(_dir, _name + ".bin"), dtype=_m["dtype"]).reshape(_m["shape"])
    inp[_name] = torch.from_numpy(_a.copy())
out = {}
`;

const EPILOGUE = `
_meta = {}
for _name, _v in out.items():
    if not torch.is_tensor(_v):
        _v = torch.tensor(_v)
    _a = _v.detach().to(torch.float64).contiguous().numpy()
    _a.tofile(os.path.join(_dir, "out_" + _name + ".bin"))
    _meta[_name] = list(_a.shape)
json.dump(_meta, open(os.path.join(_dir, "outputs.json"), "w"))
`;

function npDtype(data: Float32Array | Float64Array | BigInt64Array): string {
  return data instanceof Float32Array ? "float32" : data instanceof Float64Array ? "float64" : "int64";
}

function dedent(code: string): string {
  const lines = code.split("\n");
  const indents = lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join("\n");
}

/**
 * Runs `script` under PyTorch with `inputs` and returns its `out` dict.
 *
 * @param script Python code that fills `out`
 * @param inputs tensors, raw arrays with shapes, or numbers, passed as `inp[name]`
 * @returns each output's shape and float64 values
 * @example
 * ```ts
 * const { y } = await runTorch("out['y'] = inp['x'] * 2", { x: tensor([1, 2]) });
 * ```
 */
export async function runTorch(
  script: string,
  inputs: Record<string, Input> = {},
): Promise<Record<string, TorchValue>> {
  const dir = await Deno.makeTempDir({ prefix: "dcgan-ref-" });
  try {
    const manifest: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(inputs)) {
      if (typeof value === "number") {
        manifest[name] = { kind: "scalar", value };
        continue;
      }
      const { data, shape } = value instanceof Tensor
        ? { data: value.toArray() as Float32Array | Float64Array | BigInt64Array, shape: value.shape }
        : value;
      manifest[name] = { kind: "tensor", dtype: npDtype(data), shape };
      await Deno.writeFile(
        join(dir, `${name}.bin`),
        new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      );
    }
    await Deno.writeTextFile(join(dir, "inputs.json"), JSON.stringify(manifest));
    await Deno.writeTextFile(join(dir, "script.py"), PRELUDE + dedent(script) + "\n" + EPILOGUE);
    const result = await new Deno.Command(PYTHON, { args: [join(dir, "script.py"), dir], stderr: "piped" })
      .output();
    if (!result.success) {
      throw new Error(`PyTorch reference failed:\n${new TextDecoder().decode(result.stderr)}`);
    }
    const shapes: Record<string, number[]> = JSON.parse(await Deno.readTextFile(join(dir, "outputs.json")));
    const outputs: Record<string, TorchValue> = {};
    for (const [name, shape] of Object.entries(shapes)) {
      const bytes = await Deno.readFile(join(dir, `out_${name}.bin`));
      outputs[name] = { shape, data: new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8) };
    }
    return outputs;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Tolerances: |a - e| <= atol + rtol * |e| elementwise. */
export interface Tolerance {
  /** Relative tolerance; default 1e-5. */
  rtol?: number;
  /** Absolute tolerance; default 1e-6. */
  atol?: number;
}

/**
 * Asserts that ours matches PyTorch's in shape and values, like `torch.testing.assert_close`.
 *
 * @param actual our tensor (or plain values)
 * @param expected PyTorch's value
 * @param tolerance rtol (default 1e-5) and atol (default 1e-6)
 * @param label what is compared, for the message
 */
export function assertClose(
  actual: Tensor | { shape: number[]; data: ArrayLike<number> },
  expected: TorchValue | undefined,
  tolerance: Tolerance = {},
  label = "value",
): void {
  if (expected === undefined) throw new AssertionError({ message: `${label}: PyTorch returned no value` });
  const shape = actual instanceof Tensor ? actual.shape : actual.shape;
  if (shape.join(",") !== expected.shape.join(",")) {
    throw new AssertionError({
      message: `${label}: shape [${shape}] differs from PyTorch's [${expected.shape}]`,
    });
  }
  const data = actual instanceof Tensor ? actual.to("float64").toArray() as Float64Array : actual.data;
  const rtol = tolerance.rtol ?? 1e-5;
  const atol = tolerance.atol ?? 1e-6;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const a = Number(data[i]);
    const e = expected.data[i]!;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new AssertionError({
      message: `${label}: element ${worst} is ${data[worst]}, PyTorch has ${expected.data[worst]} ` +
        `(rtol ${rtol}, atol ${atol})`,
    });
  }
}

/**
 * Compares ours with PyTorch's like {@link assertClose} and keeps the largest |ours - PyTorch's| of each
 * label, for the reports that `DCGAN_SHOW_DIFFS=1` prints.
 *
 * @example
 * ```ts
 * const diffs = new DiffLog({ rtol: 1e-6 });
 * diffs.close(ours, expected.y, "forward");
 * console.log(Math.max(...diffs.largest.values()));
 * ```
 */
export class DiffLog {
  /** The largest |actual - expected| of each label compared so far. */
  readonly largest = new Map<string, number>();

  /**
   * @param tolerance what {@link DiffLog.close} uses when it is given none
   */
  constructor(readonly tolerance: Tolerance = {}) {}

  /**
   * Asserts that `actual` matches `expected` (see {@link assertClose}) and records the largest difference.
   *
   * @param actual our tensor
   * @param expected PyTorch's value
   * @param label what is compared: the message's prefix and the key in {@link DiffLog.largest}
   * @param tolerance rtol and atol, this log's by default
   * @returns the largest |actual - expected|
   */
  close(actual: Tensor, expected: TorchValue | undefined, label: string, tolerance = this.tolerance): number {
    assertClose(actual, expected, tolerance, label);
    const ours = actual.to("float64").toArray() as Float64Array;
    const largest = ours.reduce((m, v, i) => Math.max(m, Math.abs(v - expected!.data[i]!)), 0);
    this.largest.set(label, largest);
    return largest;
  }
}
