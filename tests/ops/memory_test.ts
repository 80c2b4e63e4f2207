// Memory: the live tensor count and the process RSS stay flat over 2,000 training steps of a tiny
// DCGAN (a leak of one tensor or a few bytes per step would show).
import assert from "node:assert/strict";
import * as t from "../../mod.ts";
import { DcganTrainer } from "../../tasks/gan/trainer.ts";

function rssMb(): number {
  return Deno.memoryUsage().rss / 2 ** 20;
}

Deno.test("live tensors and RSS stay flat over 2,000 training steps of a tiny model", () => {
  t.manualSeed(0);
  const trainer = new DcganTrainer({
    nz: 4,
    ngf: 2,
    ndf: 2,
    nc: 1,
    imageSize: 32,
    lr: 2e-4,
    beta1: 0.5,
    device: "cpu",
  });
  try {
    using real = t.tidy(() => t.rand([2, 1, 32, 32]).mul(2).sub(1));
    for (let i = 0; i < 200; i++) trainer.step(real); // warm up allocator caches and JIT
    const tensors = t.liveTensorCount();
    const rss = rssMb();
    for (let i = 0; i < 1800; i++) trainer.step(real);
    assert.equal(t.liveTensorCount(), tensors, "live tensor handles after 2,000 steps");
    const growth = rssMb() - rss;
    assert.ok(growth < 24, `RSS grew by ${growth.toFixed(1)} MiB over 1,800 steps`);
  } finally {
    trainer.dispose();
  }
});
