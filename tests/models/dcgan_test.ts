// The DCGAN against pytorch/examples dcgan/main.py: the same state-dict keys, the same initial weights
// after the same seed, the same forward and backward, and checkpoints that load both ways.
import assert from "node:assert/strict";
import { join } from "node:path";
import * as t from "../../mod.ts";
import type { Module, Tensor } from "../../mod.ts";
import { DiffLog, runTorch, type Tolerance, type TorchValue } from "../torch_ref.ts";

const NZ = 16;
const NGF = 8;
const NDF = 8;
const NC = 3;
const BATCH = 4;
const SEED = 999;

/**
 * Generator, Discriminator and weights_init as in pytorch/examples dcgan/main.py (without ngpu),
 * safetensors I/O, and the state dict's keys, shapes and dtypes as JSON bytes.
 */
const EXAMPLE = `
from torch_reference import Generator, Discriminator, weights_init
from safetensors_io import read_safetensors, save_safetensors

def text(value):
    return torch.tensor(list(json.dumps(value).encode()), dtype=torch.uint8)

def describe(module):
    return text([[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in module.state_dict().items()])
`;

/** The example's classes followed by `snippet` (dedented to match them). */
function withExample(snippet: string): string {
  const lines = snippet.split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return EXAMPLE + lines.map((l) => l.slice(indent)).join("\n");
}

function textOf(value: TorchValue | undefined): unknown {
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(value!.data)));
}

function describe(module: Module): [string, number[], string][] {
  const state = module.stateDict();
  const out = Object.entries(state).map(([k, v]) => [k, v.shape, v.dtype] as [string, number[], string]);
  disposeAll(state);
  return out;
}

function disposeAll(record: Record<string, Tensor>): void {
  for (const tensor of Object.values(record)) tensor.dispose();
}

const diffs = new DiffLog();

function close(
  actual: Tensor,
  expected: TorchValue | undefined,
  label: string,
  tolerance: Tolerance = {},
): void {
  const largest = diffs.close(actual, expected, label, tolerance);
  if (Deno.env.get("DCGAN_SHOW_DIFFS") === "1") console.log(`${label}: max |diff| ${largest}`);
}

/** Our netG and netD as main.py builds them: seed, netG + weights_init, netD + weights_init. */
function networks(imageSize = 64): { netG: t.Generator; netD: t.Discriminator } {
  t.manualSeed(SEED);
  const netG = t.weightsInit(new t.Generator({ nz: NZ, ngf: NGF, nc: NC, imageSize }));
  const netD = t.weightsInit(new t.Discriminator({ ndf: NDF, nc: NC, imageSize }));
  return { netG, netD };
}

interface Ours {
  netG: t.Generator;
  netD: t.Discriminator;
  initialG: Record<string, Tensor>;
  initialD: Record<string, Tensor>;
  fake: Tensor;
  output: Tensor;
  grads: [string, Tensor][];
}

let shared: Promise<{ ours: Ours; torch: Record<string, TorchValue> }> | undefined;

/**
 * One training-mode pass on both sides from the same seed: initial weights, G(z), D(G(z)), and the
 * generator's gradients of BCE(D(G(z)), 1), the example's errG.
 */
function trainingPass(): Promise<{ ours: Ours; torch: Record<string, TorchValue> }> {
  shared ??= (async () => {
    const { netG, netD } = networks();
    const snapshot = (m: Module) => {
      const state = m.stateDict();
      const copy = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.clone()]));
      disposeAll(state);
      return copy;
    };
    const initialG = snapshot(netG);
    const initialD = snapshot(netD);
    const noise = t.randn([BATCH, NZ, 1, 1]);
    const fake = netG.forward(noise);
    const output = netD.forward(fake);
    t.tidy(() => t.binaryCrossEntropy(output, t.ones([BATCH])).backward());
    const grads = netG.namedParameters().map(([k, p]) => [k, p.grad!] as [string, Tensor]);
    const torch = await runTorch(
      withExample(`
      torch.manual_seed(${SEED})
      netG = Generator(${NZ}, ${NGF}, ${NC})
      netG.apply(weights_init)
      netD = Discriminator(${NDF}, ${NC})
      netD.apply(weights_init)
      out["describe_g"] = describe(netG)
      out["describe_d"] = describe(netD)
      out["repr_g"] = text(str(netG))
      out["repr_d"] = text(str(netD))
      for k, v in netG.state_dict().items():
          out["g." + k] = v.clone()
      for k, v in netD.state_dict().items():
          out["d." + k] = v.clone()
      fake = netG(inp["noise"])
      output = netD(fake)
      nn.BCELoss()(output, torch.ones(${BATCH})).backward()
      out["fake"] = fake
      out["output"] = output
      for k, p in netG.named_parameters():
          out["grad." + k] = p.grad
    `),
      { noise },
    );
    noise.dispose();
    return { ours: { netG, netD, initialG, initialD, fake, output, grads }, torch };
  })();
  return shared;
}

Deno.test("Generator and Discriminator state-dict keys, order, shapes, dtypes and printout equal pytorch/examples' at imageSize 64", async () => {
  const { ours, torch } = await trainingPass();
  assert.deepEqual(describe(ours.netG), textOf(torch.describe_g));
  assert.deepEqual(describe(ours.netD), textOf(torch.describe_d));
  const python = (value: TorchValue | undefined) => String(textOf(value)).replace(/,? ?inplace=True/g, "");
  assert.equal(String(ours.netG), python(torch.repr_g), "print(netG)");
  assert.equal(String(ours.netD), python(torch.repr_d), "print(netD)");
  assert.deepEqual(Object.keys(ours.initialG).slice(0, 7), [
    "main.0.weight",
    "main.1.weight",
    "main.1.bias",
    "main.1.running_mean",
    "main.1.running_var",
    "main.1.num_batches_tracked",
    "main.3.weight",
  ]);
});

Deno.test("manualSeed + weightsInit gives PyTorch's initial weights bit for bit (netG.apply(weights_init))", async () => {
  const { ours, torch } = await trainingPass();
  for (const [prefix, state] of [["g", ours.initialG], ["d", ours.initialD]] as const) {
    for (const [key, value] of Object.entries(state)) {
      close(value, torch[`${prefix}.${key}`], `initial ${prefix}.${key}`, { rtol: 0, atol: 0 });
    }
  }
});

Deno.test("G(z), D(G(z)) and the generator's gradients match PyTorch within 1e-5", async () => {
  const { ours, torch } = await trainingPass();
  assert.deepEqual(ours.fake.shape, [BATCH, NC, 64, 64]);
  assert.deepEqual(ours.output.shape, [BATCH]);
  close(ours.fake, torch.fake, "G(z)");
  close(ours.output, torch.output, "D(G(z))");
  for (const [key, grad] of ours.grads) {
    close(grad, torch[`grad.${key}`], `d errG / d ${key}`, { rtol: 1e-5, atol: 1e-6 });
  }
});

Deno.test("imageSize 32 and 128 build one block fewer or more, with the right output shapes", () => {
  const cases = [
    { imageSize: 32, gLayers: 11, dLayers: 10, top: [NGF * 4, NZ] },
    { imageSize: 64, gLayers: 14, dLayers: 13, top: [NGF * 8, NZ] },
    { imageSize: 128, gLayers: 17, dLayers: 16, top: [NGF * 16, NZ] },
  ];
  for (const { imageSize, gLayers, dLayers, top } of cases) {
    const { netG, netD } = networks(imageSize);
    assert.equal(netG.main.length, gLayers, `G layers at ${imageSize}`);
    assert.equal(netD.main.length, dLayers, `D layers at ${imageSize}`);
    using first = netG.stateDict()["main.0.weight"]!;
    assert.deepEqual(first.shape, [NZ, top[0], 4, 4]);
    t.tidy(() => {
      const fake = netG.forward(t.randn([2, NZ, 1, 1]));
      assert.deepEqual(fake.shape, [2, NC, imageSize, imageSize]);
      assert.deepEqual(netD.forward(fake).shape, [2]);
    });
    netG.dispose();
    netD.dispose();
  }
});

Deno.test("our float32 and float16 checkpoints load into PyTorch's Generator with strict=True", async () => {
  const { netG } = networks();
  t.tidy(() => netG.forward(t.randn([BATCH, NZ, 1, 1]))); // running stats and num_batches_tracked move
  netG.eval();
  using noise = t.randn([BATCH, NZ, 1, 1]);
  using expected32 = netG.forward(noise);
  const dir = await Deno.makeTempDir({ prefix: "dcgan-test-" });
  try {
    const [f32, f16] = [join(dir, "g32.safetensors"), join(dir, "g16.safetensors")];
    await t.saveStateDict(netG, f32, { metadata: { nz: String(NZ) } });
    await t.saveStateDict(netG, f16, { dtype: "float16" });
    const from16 = new t.Generator({ nz: NZ, ngf: NGF, nc: NC });
    await t.loadStateDictInto(from16, f16);
    from16.eval();
    using expected16 = from16.forward(noise);
    using tracked = from16.stateDict()["main.1.num_batches_tracked"]!;
    assert.equal(tracked.item(), 1);
    const torch = await runTorch(
      withExample(`
      for name, path in [("f32", ${JSON.stringify(f32)}), ("f16", ${JSON.stringify(f16)})]:
          netG = Generator(${NZ}, ${NGF}, ${NC})
          state = read_safetensors(path)
          netG.load_state_dict(state, strict=True)
          netG.eval()
          out[name] = netG(inp["noise"])
          out[name + ".dtype"] = text(str(state["main.0.weight"].dtype))
    `),
      { noise },
    );
    close(expected32, torch.f32, "PyTorch G from our float32 file");
    close(expected16, torch.f16, "PyTorch G from our float16 file");
    assert.equal(textOf(torch["f16.dtype"]), "torch.float16");
    from16.dispose();
  } finally {
    netG.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a state dict saved by PyTorch loads into our Generator and gives PyTorch's output", async () => {
  using noise = t.randn([BATCH, NZ, 1, 1]);
  const dir = await Deno.makeTempDir({ prefix: "dcgan-test-" });
  try {
    const path = join(dir, "torch_g.safetensors");
    const torch = await runTorch(
      withExample(`
      torch.manual_seed(1)
      netG = Generator(${NZ}, ${NGF}, ${NC})
      netG.apply(weights_init)
      netG(torch.randn(${BATCH}, ${NZ}, 1, 1))
      netG(torch.randn(${BATCH}, ${NZ}, 1, 1))
      netG.eval()
      save_safetensors(${JSON.stringify(path)}, netG.state_dict())
      out["fake"] = netG(inp["noise"])
    `),
      { noise },
    );
    using netG = new t.Generator({ nz: NZ, ngf: NGF, nc: NC });
    assert.deepEqual(await t.loadStateDictInto(netG, path), { missingKeys: [], unexpectedKeys: [] });
    netG.eval();
    using fake = netG.forward(noise);
    close(fake, torch.fake, "our G from PyTorch's file");
    using tracked = netG.stateDict()["main.4.num_batches_tracked"]!;
    assert.deepEqual([tracked.dtype, tracked.item()], ["int64", 2]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loading the wrong checkpoint names the file, the key and both shapes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcgan-test-" });
  try {
    const path = join(dir, "g.safetensors");
    using wide = new t.Generator({ nz: NZ, ngf: 16, nc: NC, imageSize: 32 });
    using narrow = new t.Generator({ nz: NZ, ngf: NGF, nc: NC, imageSize: 32 });
    using netD = new t.Discriminator({ ndf: NDF, nc: NC, imageSize: 32 });
    await t.saveStateDict(wide, path);
    await assert.rejects(
      t.loadStateDictInto(narrow, path),
      (e: Error) =>
        e instanceof TypeError &&
        e.message.startsWith(
          `Cannot load checkpoint "${path}": key "main.0.weight" has shape [16,64,4,4], expected [16,32,4,4]`,
        ),
    );
    await assert.rejects(
      t.loadStateDictInto(netD, path),
      (e: Error) =>
        e.message.startsWith(`Cannot load checkpoint "${path}": `) &&
        /missing keys "main\.0\.weight"|has shape/.test(e.message),
    );
    await assert.rejects(
      t.loadStateDictFile(join(dir, "none.safetensors")),
      (e: Error) => e.message.includes("none.safetensors"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad DCGAN configs throw RangeError naming the setting and the allowed values", () => {
  const cases: [() => unknown, string][] = [
    [() => new t.Generator({ imageSize: 48 }), "Generator imageSize must be 32, 64 or 128, got 48"],
    [() => new t.Discriminator({ imageSize: 256 }), "Discriminator imageSize must be 32, 64 or 128, got 256"],
    [() => new t.Generator({ nz: 0 }), "Generator nz must be a positive integer, got 0"],
    [() => new t.Generator({ ngf: 1.5 }), "Generator ngf must be a positive integer, got 1.5"],
    [() => new t.Generator({ nc: -1 }), "Generator nc must be a positive integer, got -1"],
    [() => new t.Discriminator({ ndf: NaN }), "Discriminator ndf must be a positive integer, got NaN"],
  ];
  for (const [make, message] of cases) {
    assert.throws(make, (e: Error) => e instanceof RangeError && e.message === message);
  }
});

Deno.test("inputs of the wrong shape throw TypeError saying the shape the network expects", () => {
  using netG = new t.Generator({ nz: NZ, ngf: NGF, nc: NC, imageSize: 32 });
  using netD = new t.Discriminator({ ndf: NDF, nc: NC, imageSize: 32 });
  using flat = t.randn([2, NZ]);
  using big = t.randn([2, NC, 64, 64]);
  assert.throws(
    () => netG.forward(flat),
    (e: Error) =>
      e instanceof TypeError &&
      e.message.startsWith(`Generator expects noise of shape [N, ${NZ}, 1, 1], got [2, ${NZ}]`),
  );
  assert.throws(
    () => netD.forward(big),
    (e: Error) =>
      e instanceof TypeError &&
      e.message === "Discriminator expects images of shape [N, 3, 32, 32], got [2, 3, 64, 64]",
  );
});

Deno.test("saveStateDict and loadCheckpoint round trip every dtype, scalars and the metadata", async () => {
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  const tensors: Record<string, Tensor> = {
    f32: t.tensor([[1.5, -2], [3, 4]]),
    f64: t.tensor([1e-300, 2], { dtype: "float64" }),
    f16: t.tensor([0.1, 65504], { dtype: "float16" }),
    bf16: t.tensor([0.1, -3e38], { dtype: "bfloat16" }),
    i64: t.tensor(new BigInt64Array([-(2n ** 62n), 7n])),
    i32: t.tensor(new Int32Array([-5, 9])),
    u8: t.tensor(new Uint8Array([0, 255])),
    bool: t.tensor([true, false], { dtype: "bool" }),
    scalar: t.full([], 3, { dtype: "int64" }),
  };
  try {
    await t.saveStateDict(tensors, path, { metadata: { config: '{"nz":16}' } });
    const { tensors: loaded, metadata } = await t.loadCheckpoint(path);
    assert.deepEqual(metadata, { config: '{"nz":16}' });
    assert.deepEqual(Object.keys(loaded), Object.keys(tensors));
    for (const [key, original] of Object.entries(tensors)) {
      const copy = loaded[key]!;
      assert.deepEqual([copy.dtype, copy.shape], [original.dtype, original.shape], key);
      assert.deepEqual(copy.toArray(), original.toArray(), key);
    }
    disposeAll(loaded);
    await t.saveStateDict(tensors, path, { dtype: "float16" });
    const halves = await t.loadStateDictFile(path);
    assert.deepEqual(
      Object.values(halves).map((x) => x.dtype),
      ["float16", "float16", "float16", "float16", "int64", "int32", "uint8", "bool", "int64"],
    );
    disposeAll(halves);
  } finally {
    disposeAll(tensors);
    await Deno.remove(path);
  }
});
