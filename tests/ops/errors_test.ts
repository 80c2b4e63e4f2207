// Every libtorch failure arrives as a TorchError naming the op with libtorch's message, and the
// process survives it; a missing libtorch or compiler names what to install.
import assert from "node:assert/strict";
import * as t from "../../mod.ts";
import { TorchError } from "../../mod.ts";

const FAILURES: { op: string; run: () => unknown; message: RegExp }[] = [
  { op: "add", run: () => t.ones([2, 3]).add(t.ones([4])), message: /size of tensor a \(3\) must match/ },
  { op: "matmul", run: () => t.ones([2, 3]).matmul(t.ones([2, 3])), message: /cannot be multiplied/ },
  { op: "view", run: () => t.ones([2, 3]).view([4, 2]), message: /invalid for input of size 6/ },
  { op: "reshape", run: () => t.ones([6]).reshape([4, -1]), message: /invalid for input of size 6/ },
  { op: "select", run: () => t.ones([3]).select(0, 5), message: /out of range/ },
  { op: "permute", run: () => t.ones([2, 3]).permute([0, 0]), message: /repeated dim|permute/ },
  { op: "cat", run: () => t.cat([t.ones([2, 3]), t.ones([2, 4])]), message: /Sizes of tensors must match/ },
  {
    op: "conv2d",
    run: () => t.conv2d(t.ones([1, 3, 8, 8]), t.ones([4, 2, 3, 3])),
    message: /expected input\[1, 3, 8, 8\] to have 2 channels/,
  },
  {
    op: "convTranspose2d",
    run: () => t.convTranspose2d(t.ones([1, 3, 4, 4]), t.ones([2, 3, 4, 4])),
    message: /channels|weight|input/,
  },
  {
    op: "batchNorm",
    run: () => t.batchNorm(t.ones([2, 3, 2, 2]), t.zeros([4]), t.ones([4])),
    message: /running_mean should contain 3 elements not 4/,
  },
  {
    op: "binaryCrossEntropy",
    run: () => t.binaryCrossEntropy(t.full([3], 2), t.ones([3])),
    message: /between 0 and 1/,
  },
  {
    op: "indexSelect",
    run: () => t.ones([3]).indexSelect(0, t.tensor([7], { dtype: "int64" })),
    message: /out of range|index/,
  },
  { op: "item", run: () => t.ones([2]).item(), message: /one element|elements/ },
  { op: "backward", run: () => t.ones([2]).sum().backward(), message: /does not require grad/ },
  { op: "randint", run: () => t.randint(5, 2, [3]), message: /from.*to|expects/ },
  { op: "to", run: () => t.ones([1]).to("cuda"), message: /CUDA|cuda/ },
  {
    op: "tensor",
    run: () => t.tensor(new Float32Array(5), { shape: [2, 3] }),
    message: /5 values for shape/,
  },
];

for (const failure of FAILURES) {
  Deno.test(`${failure.op}() turns libtorch's error into a clear error, not a crash`, () => {
    assert.throws(failure.run, (error: Error) => {
      assert.match(error.message, failure.message);
      assert.doesNotMatch(error.message, /Exception raised from|frame #/, "no C++ backtrace");
      if (error instanceof TorchError) assert.equal(error.op, failure.op);
      else assert.ok(error instanceof TypeError, `${error.name}: ${error.message}`);
      return true;
    });
  });
}

Deno.test("bad arguments are rejected before reaching libtorch", () => {
  assert.throws(() => t.tensor([[1, 2], [3]]), TypeError);
  assert.throws(() => t.zeros([2.5]), TypeError);
  assert.throws(() => t.ones([1], { device: "gpu" as "cpu" }), /Unknown device "gpu"/);
  assert.throws(() => t.ones([1], { dtype: "float8" as "float32" }), /Unknown dtype "float8"/);
  assert.throws(() => t.manualSeed(-1), RangeError);
  assert.throws(() => t.setNumThreads(0), RangeError);
});

Deno.test("a missing libtorch or compiler gives one message that names what to install", async () => {
  const build = new URL("../../ffi/build.ts", import.meta.url).href;
  const script = `import { ensureShim } from "${build}"; ensureShim();`;
  const noTorch = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: { LIBTORCH: "/nonexistent/libtorch", DCGAN_SHIM: "" },
    stderr: "piped",
  }).output();
  assert.equal(noTorch.success, false);
  assert.match(
    new TextDecoder().decode(noTorch.stderr),
    /LIBTORCH is set to "\/nonexistent\/libtorch".*unset it/,
  );
  const cache = await Deno.makeTempDir();
  try {
    const noCompiler = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      env: { PATH: "/nonexistent", DCGAN_CACHE: cache, DCGAN_SHIM: "" },
      stderr: "piped",
    }).output();
    assert.equal(noCompiler.success, false);
    assert.match(new TextDecoder().decode(noCompiler.stderr), /apt-get install -y g\+\+/);
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("requiresGrad_(false) on a computed tensor is refused as in PyTorch", () => {
  using w = t.ones([2], { requiresGrad: true });
  using y = w.mul(2);
  assert.throws(() => y.requiresGrad_(false), /only leaf tensors\): use detach\(\) instead/);
});
