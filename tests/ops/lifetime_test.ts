// Lifetime: dispose frees exactly once, tidy frees temporaries, and the live count stays flat
// over many conv forward/backward iterations.
import assert from "node:assert/strict";
import * as t from "../../mod.ts";

Deno.test("dispose() frees once, a second call is a no-op, and use after dispose is a clear error", () => {
  const before = t.liveTensorCount();
  const x = t.ones([2, 2]);
  assert.equal(t.liveTensorCount(), before + 1);
  x.dispose();
  x.dispose();
  assert.equal(t.liveTensorCount(), before);
  assert.equal(x.isDisposed, true);
  assert.throws(
    () => x.add(1),
    (e: Error) => e instanceof ReferenceError && /disposed tensor/.test(e.message),
  );
  assert.throws(() => x.shape, ReferenceError);
  assert.equal(String(x), "Tensor(disposed)");
});

Deno.test("using frees at the end of the block", () => {
  const before = t.liveTensorCount();
  {
    using _x = t.zeros([3]);
    assert.equal(t.liveTensorCount(), before + 1);
  }
  assert.equal(t.liveTensorCount(), before);
});

Deno.test("tidy() frees temporaries, keeps returned and kept tensors, and frees all on a throw", () => {
  const before = t.liveTensorCount();
  let kept: t.Tensor | undefined;
  const result = t.tidy(() => {
    const a = t.ones([4]);
    const b = a.mul(2).add(1);
    kept = t.keep(a.sub(1));
    return { b, list: [b.neg()] };
  });
  assert.equal(t.liveTensorCount(), before + 3);
  assert.equal(t.tidy(() => result.b.sum().item()), 12);
  result.b.dispose();
  result.list[0]!.dispose();
  kept!.dispose();
  assert.equal(t.liveTensorCount(), before);
  assert.throws(() =>
    t.tidy(() => {
      t.ones([2]);
      throw new Error("inside");
    }), /inside/);
  assert.equal(t.liveTensorCount(), before);
});

Deno.test("nested tidy() hands returned tensors to the outer scope", () => {
  const before = t.liveTensorCount();
  t.tidy(() => {
    const inner = t.tidy(() => t.ones([2]).mul(3));
    assert.equal(inner.isDisposed, false);
  });
  assert.equal(t.liveTensorCount(), before);
});

Deno.test("the live tensor count stays flat over 1,000 conv forward/backward iterations", () => {
  t.manualSeed(0);
  using w = t.randn([4, 3, 3, 3], { requiresGrad: true });
  using wt = t.randn([4, 2, 4, 4], { requiresGrad: true });
  using x = t.randn([2, 3, 8, 8]);
  const step = () =>
    t.tidy(() => {
      const y = t.convTranspose2d(
        t.leakyRelu(t.conv2d(x, w, undefined, { padding: 1 }), 0.2),
        wt,
        undefined,
        {
          stride: 2,
          padding: 1,
        },
      );
      y.square().mean().backward();
      w.grad?.dispose();
      w.zeroGrad();
      wt.zeroGrad();
    });
  step();
  const before = t.liveTensorCount();
  for (let i = 0; i < 1000; i++) step();
  assert.equal(t.liveTensorCount(), before);
});

Deno.test("shape reads tensors of more dims than the scratch buffer holds", () => {
  using x = t.ones([1]);
  using deep = x.reshape(Array(200).fill(1));
  assert.equal(deep.ndim, 200);
  assert.deepEqual(deep.shape, Array(200).fill(1));
});
