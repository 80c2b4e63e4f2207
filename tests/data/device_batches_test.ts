/**
 * DeviceBatches (tasks/data/device_batches.ts), with either gather, against BatchLoader, the float32
 * path it replaces in the train loop: the same batches in the same order, the same float32 bits
 * (NORMALIZE_TABLE's, which tests/data/data_test.ts holds to torchvision's ToTensor + Normalize(0.5,
 * 0.5)), resuming mid-epoch, and no tensor left behind. On a GPU machine the same runs on CUDA too.
 */

import assert from "node:assert/strict";
import type { Device } from "../../ops/device.ts";
import { cudaIsAvailable, liveTensorCount } from "../../ops/runtime.ts";
import { DeviceBatches } from "../../tasks/data/device_batches.ts";
import { BatchLoader, NORMALIZE_TABLE } from "../../tasks/data/loader.ts";
import type { ImageDataset } from "../../tasks/data/types.ts";

/** `count` images of every byte value in turn, with labels 0..4. */
function bytesDataset(count: number, channels: number, size: number): ImageDataset {
  const per = channels * size * size;
  return {
    images: Uint8Array.from({ length: count * per }, (_, i) => (i * 97 + (i >> 8)) & 255),
    count,
    channels,
    size,
    labels: Int32Array.from({ length: count }, (_, i) => i % 5),
    skipped: [],
  };
}

/** The bits of float32 values, so that -0 and NaN payloads count as differences too. */
function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

const SETUPS: { device: Device; gather: "host" | "device" }[] = [
  { device: "cpu", gather: "host" },
  { device: "cpu", gather: "device" },
  { device: "cuda", gather: "device" },
  { device: "cuda", gather: "host" },
];

/** One test per device and gather; the CUDA ones are ignored without a GPU. */
function eachSetup(name: string, fn: (setup: typeof SETUPS[number]) => void): void {
  for (const setup of SETUPS) {
    Deno.test({
      name: `${name} (${setup.device}, ${setup.gather} gather)`,
      ignore: setup.device !== "cpu" && !cudaIsAvailable(),
      fn: () => fn(setup),
    });
  }
}

eachSetup("DeviceBatches normalises every byte on the device to NORMALIZE_TABLE's float32 bits", (setup) => {
  const dataset: ImageDataset = {
    images: Uint8Array.from({ length: 256 }, (_, i) => 255 - i),
    count: 1,
    channels: 1,
    size: 16,
    skipped: [],
  };
  using batches = new DeviceBatches(dataset, { batchSize: 1, ...setup });
  const [batch] = batches.epoch(0);
  using _ = batch!;
  assert.equal(batch!.images.dtype, "float32");
  assert.deepEqual(batch!.images.shape, [1, 1, 16, 16]);
  const want = Float32Array.from(dataset.images, (x) => NORMALIZE_TABLE[x]!);
  assert.deepEqual(bits(batch!.images.toArray() as Float32Array), bits(want));
});

eachSetup("DeviceBatches yields BatchLoader's batches: images, order, labels and sizes", (setup) => {
  const dataset = bytesDataset(37, 3, 5);
  for (const options of [{ batchSize: 8, seed: 3 }, { batchSize: 8, dropLast: true }, { batchSize: 40 }]) {
    const loader = new BatchLoader(dataset, options);
    using batches = new DeviceBatches(dataset, { ...options, ...setup });
    assert.equal(batches.batchesPerEpoch, loader.batchesPerEpoch);
    for (const epoch of [0, 1]) {
      const theirs = [...loader.epoch(epoch)].length;
      let n = 0;
      const expected = loader.epoch(epoch);
      for (using batch of batches.epoch(epoch)) {
        const want = expected.next().value!;
        const label = `${JSON.stringify(options)} epoch ${epoch} batch ${n++}`;
        assert.deepEqual(batch.images.shape, want.images.shape, label);
        assert.deepEqual(bits(batch.images.toArray() as Float32Array), bits(want.images.data), label);
        assert.deepEqual([...batch.indices], [...want.indices], label);
        assert.deepEqual(batch.labels!.dtype, "int64", label);
        assert.deepEqual([...batch.labels!.toArray()].map(Number), [...want.labels!], label);
      }
      assert.equal(n, theirs);
    }
  }
});

eachSetup("DeviceBatches resumes inside an epoch and leaves no tensor behind", (setup) => {
  const dataset = bytesDataset(20, 1, 4);
  const before = liveTensorCount();
  {
    using batches = new DeviceBatches(dataset, { batchSize: 6, seed: 9, ...setup });
    const all = [...batches.epoch(2)].map((b) => {
      using _ = b;
      return { indices: [...b.indices], values: [...(b.images.toArray() as Float32Array)] };
    });
    const resumed = [...batches.epoch(2, { from: 2 })].map((b) => {
      using _ = b;
      return { indices: [...b.indices], values: [...(b.images.toArray() as Float32Array)] };
    });
    assert.deepEqual(resumed, all.slice(2));
    assert.equal([...batches.epoch(2, { from: 4 })].length, 0);
    assert.throws(() => batches.epoch(0, { from: -1 }).next(), /First batch must be a non-negative integer/);
    // an epoch left early frees its order at once
    for (using _ of batches.epoch(0)) break;
  }
  assert.equal(liveTensorCount(), before);
  const unlabelled = { ...dataset, labels: undefined };
  using batches = new DeviceBatches(unlabelled, { batchSize: 6, ...setup });
  const [first] = batches.epoch(0);
  using _ = first!;
  assert.equal(first!.labels, undefined);
  batches.dispose();
  assert.throws(() => batches.epoch(0).next(), /this loader was disposed/);
});
