// The classifier's training: cross-entropy against F.cross_entropy (value and gradient), accuracy against
// argmax by hand, and a tiny seeded run of the training routine and its program.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadClassifier } from "../../models/classifier/fashion_mnist.ts";
import * as t from "../../mod.ts";
import { accuracy } from "../../tasks/metrics/accuracy.ts";
import { crossEntropy, trainClassifier } from "../../tasks/metrics/train_classifier.ts";
import { runDeno } from "../fixtures.ts";
import { assertClose, runTorch } from "../torch_ref.ts";

Deno.test("crossEntropy matches F.cross_entropy's value and gradient", async () => {
  t.manualSeed(5);
  using logits = t.tidy(() => t.randn([7, 10]).mul(3).detach()).requiresGrad_(true);
  const labels = Int32Array.of(0, 9, 3, 3, 5, 1, 7);
  using loss = crossEntropy(logits, labels);
  loss.backward();
  const expected = await runTorch(
    `x = inp['x'].clone().requires_grad_(True)
loss = F.cross_entropy(x, inp['y'])
loss.backward()
out['loss'], out['grad'] = loss, x.grad`,
    { x: logits.detach(), y: { data: BigInt64Array.from(labels, BigInt), shape: [7] } },
  );
  assertClose(loss, expected.loss, { rtol: 1e-6, atol: 1e-6 }, "loss");
  assertClose(logits.grad!, expected.grad, { rtol: 1e-5, atol: 1e-7 }, "gradient");
  assert.throws(() => crossEntropy(logits, Int32Array.of(0, 1)), RangeError);
  assert.throws(() => crossEntropy(logits, Int32Array.of(0, 1, 2, 3, 4, 5, 10)), /outside \[0, 10\)/);
});

Deno.test("accuracy counts the rows whose argmax is the label", () => {
  using logits = t.tensor([[0.1, 0.9, 0], [2, 1, 0], [0, 0, 5], [1, 3, 2]]);
  assert.equal(accuracy(logits, Int32Array.of(1, 0, 1, 1)), 0.75);
  assert.throws(() => accuracy(logits, Int32Array.of(1)), TypeError);
});

Deno.test("trainClassifier is seeded, lowers the loss, and its program saves float16 weights that load", async () => {
  const options = { epochs: 2, batchSize: 32, limit: 128, seed: 3 };
  const a = await trainClassifier(options);
  const b = await trainClassifier(options);
  try {
    assert.deepEqual(a.losses, b.losses, "two runs with one seed differ");
    assert.ok(a.losses[1]! < a.losses[0]!, `loss went from ${a.losses[0]} to ${a.losses[1]}`);
    assert.equal(a.testCount, 128);
    assert.ok(a.testAccuracy > 0.2, `test accuracy after 8 steps is ${a.testAccuracy}`);
  } finally {
    a.net.dispose();
    b.net.dispose();
  }
  const dir = await Deno.makeTempDir({ prefix: "dcgan-train-classifier-" });
  try {
    const out = join(dir, "c.safetensors");
    const program = new URL("../../tasks/cli/train_classifier.ts", import.meta.url).pathname;
    const run = await runDeno(["run", "-A", program, "--epochs", "1", "--limit", "64", "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Test accuracy \d+\.\d\d% on 64 images/);
    using net = await loadClassifier(out);
    assert.equal(net.training, false);
    const { tensors, metadata } = await t.loadCheckpoint(out);
    const dtype = tensors["fc1.weight"]?.dtype;
    for (const tensor of Object.values(tensors)) tensor.dispose();
    assert.equal(metadata.model, "FashionMnistClassifier");
    assert.equal(dtype, "float16");
    const bad = await runDeno(["run", "-A", program, "--epochs", "0"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--epochs must be a positive integer/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
