// The selectable architectures (arch dcgan | mlp | mnist) and the stabiliser options of G and D against
// the same networks written in PyTorch (tests/model./gan_layers_ref.ts): after the same seed both sides
// build the same weights (spectral norm's u and v included), and three GAN steps of pytorch/examples'
// loop (D on real, D on G(z).detach(), Adam; then G through D, Adam) give the same losses, weights and
// buffers. Dropout masks come from the same generator in the same order, so D's dropout is compared too.
// Our final state dicts load into PyTorch's networks with strict=True, and PyTorch's into ours.
// ConvTranspose2d runs on libtorch's own kernel here (setFastPaths(false)), as PyTorch's does: the
// oneDNN route differs in the last bits (tests/ops/conv_fast_test.ts holds it to PyTorch), and Adam's
// first steps turn such bits of a near-zero gradient into lr-sized moves.
import assert from "node:assert/strict";
import { createDiscriminator, createGenerator } from "../../models/dcgan/factory.ts";
import type { DiscriminatorConfig, GeneratorConfig } from "../../models/dcgan/networks.ts";
import { weightsInit } from "../../models/dcgan/weights_init.ts";
import type { Module } from "../../models/nn/module.ts";
import { Adam } from "../../models/optim/adam.ts";
import { ones, randn, tensor, zeros } from "../../ops/creation.ts";
import { binaryCrossEntropy } from "../../ops/loss.ts";
import { manualSeed, setFastPaths } from "../../ops/runtime.ts";
import { tidy } from "../../ops/scope.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { DiffLog, runTorch, type TorchValue } from "../torch_ref.ts";
import { STABILISERS_PY, textOf } from "./gan_layers_ref.ts";

const SEED = 123;
const STEPS = 3;
const BATCH = 8;
const NZ = 16;
const WIDTH = 8; // ngf and ndf
/**
 * Losses, weights and buffers within 1e-5 relative and 1e-6 absolute (the issue asks for 1e-4). Measured
 * with DCGAN_SHOW_DIFFS=1: 0 in every case (the same ATen calls in the same order); with the oneDNN
 * ConvTranspose2d route on instead, losses within 2e-7 and weights within 3e-6.
 */
const diffs = new DiffLog({ rtol: 1e-5, atol: 1e-6 });

interface ArchCase {
  name: string;
  nc: number;
  loss: "bce" | "hinge";
  g: GeneratorConfig;
  d: DiscriminatorConfig;
  /** The same networks' options as Python keyword arguments. */
  torchG: string;
  torchD: string;
}

const CASES: ArchCase[] = [
  {
    name: "dcgan_sn_d_hinge", // the recipe: spectral norm and no BatchNorm in D, raw scores
    nc: 3,
    loss: "hinge",
    g: { arch: "dcgan" },
    d: { arch: "dcgan", spectralNorm: true },
    torchG: "",
    torchD: "sn=True",
  },
  {
    name: "dcgan_every_option",
    nc: 3,
    loss: "bce",
    g: { arch: "dcgan", spectralNorm: true, attention: 16 },
    d: { arch: "dcgan", spectralNorm: true, norm: "batch", attention: 16, dropout: 0.3, minibatchStd: true },
    torchG: "sn=True, attention=16",
    torchD: "sn=True, norm='batch', attention=16, dropout=0.3, mbstd=4",
  },
  {
    name: "mlp",
    nc: 1,
    loss: "bce",
    g: { arch: "mlp" },
    d: { arch: "mlp" },
    torchG: "",
    torchD: "",
  },
  {
    name: "mlp_sn_dropout_mbstd",
    nc: 1,
    loss: "hinge",
    g: { arch: "mlp", spectralNorm: true },
    d: { arch: "mlp", spectralNorm: true, dropout: 0.2, minibatchStd: 3 },
    torchG: "sn=True",
    torchD: "sn=True, dropout=0.2, mbstd=3",
  },
  {
    name: "mnist",
    nc: 1,
    loss: "bce",
    g: { arch: "mnist" },
    d: { arch: "mnist" },
    torchG: "",
    torchD: "",
  },
  {
    name: "mnist_attention_mbstd_sn",
    nc: 1,
    loss: "hinge",
    g: { arch: "mnist", attention: 16 },
    d: { arch: "mnist", spectralNorm: true, attention: 8, minibatchStd: true },
    torchG: "attention=16",
    torchD: "sn=True, attention=8, mbstd=4",
  },
];

function snapshot(module: Module): Record<string, Tensor> {
  const state = module.stateDict();
  const copy = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.clone()]));
  for (const v of Object.values(state)) v.dispose();
  return copy;
}

interface Ours {
  initial: Record<string, Tensor>;
  final: Record<string, Tensor>;
  losses: Tensor;
  keys: { g: string[]; d: string[] };
  repr: { g: string; d: string };
}

/** D's loss on real and on fake scores, and G's, for BCE (D ends with Sigmoid) or hinge (raw scores). */
function losses(kind: "bce" | "hinge") {
  return kind === "bce"
    ? {
      real: (out: Tensor) => tidy(() => binaryCrossEntropy(out, ones(out.shape))),
      fake: (out: Tensor) => tidy(() => binaryCrossEntropy(out, zeros(out.shape))),
      g: (out: Tensor) => tidy(() => binaryCrossEntropy(out, ones(out.shape))),
    }
    : {
      real: (out: Tensor) => tidy(() => out.rsub(1).relu().mean()),
      fake: (out: Tensor) => tidy(() => out.add(1).relu().mean()),
      g: (out: Tensor) => tidy(() => out.neg().mean()),
    };
}

/** Builds G and D from the seed and runs the steps, as pytorch/examples dcgan/main.py does. */
function ours(c: ArchCase, inputs: Record<string, Tensor>): Ours {
  const imageSize = 32;
  manualSeed(SEED);
  using netG = weightsInit(createGenerator({ ...c.g, nz: NZ, ngf: WIDTH, nc: c.nc, imageSize }));
  using netD = weightsInit(
    createDiscriminator({ ...c.d, ndf: WIDTH, nc: c.nc, imageSize, sigmoid: c.loss === "bce" }),
  );
  const initial = { ...prefixed("g.", snapshot(netG)), ...prefixed("d.", snapshot(netD)) };
  const optimizerD = new Adam(netD.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
  const optimizerG = new Adam(netG.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
  const loss = losses(c.loss);
  const values: number[] = [];
  manualSeed(SEED + 1); // the dropout masks: PyTorch reseeds here too
  for (let step = 0; step < STEPS; step++) {
    const real = inputs[`real${step}`]!;
    const noise = inputs[`noise${step}`]!;
    // (1) update D
    netD.zeroGrad();
    using errReal = tidy(() => loss.real(netD.forward(real)));
    tidy(() => errReal.backward());
    using fake = netG.forward(noise);
    using errFake = tidy(() => loss.fake(netD.forward(fake.detach())));
    tidy(() => errFake.backward());
    optimizerD.step();
    // (2) update G
    netG.zeroGrad();
    using errG = tidy(() => loss.g(netD.forward(fake)));
    tidy(() => errG.backward());
    optimizerG.step();
    values.push(errReal.item() + errFake.item(), errG.item());
  }
  const final = { ...prefixed("g.", snapshot(netG)), ...prefixed("d.", snapshot(netD)) };
  return {
    initial,
    final,
    losses: tensor(values, { dtype: "float64" }),
    keys: { g: Object.keys(snapshotKeys(netG)), d: Object.keys(snapshotKeys(netD)) },
    repr: { g: String(netG), d: String(netD) },
  };
}

function snapshotKeys(module: Module): Record<string, true> {
  const state = module.stateDict();
  const keys = Object.fromEntries(Object.keys(state).map((k) => [k, true as const]));
  for (const v of Object.values(state)) v.dispose();
  return keys;
}

function prefixed(prefix: string, record: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [prefix + k, v]));
}

let shared: Promise<{ ours: Ours[]; torch: Record<string, TorchValue> }> | undefined;

/** Every case on our side and, in one Python run, on PyTorch's. */
function compareAll(): Promise<{ ours: Ours[]; torch: Record<string, TorchValue> }> {
  shared ??= (async () => {
    manualSeed(7);
    const inputs: Record<string, Tensor> = {};
    const results: Ours[] = [];
    setFastPaths(false);
    for (const c of CASES) {
      const own: Record<string, Tensor> = {};
      for (let step = 0; step < STEPS; step++) {
        own[`real${step}`] = randn([BATCH, c.nc, 32, 32]).clamp(-1, 1);
        own[`noise${step}`] = randn([BATCH, NZ, 1, 1]);
      }
      const result = ours(c, own);
      results.push(result);
      for (const [k, v] of Object.entries(own)) inputs[`${c.name}.${k}`] = v;
      for (const [k, v] of Object.entries(result.final)) inputs[`${c.name}.ours.${k}`] = v;
    }
    setFastPaths(true);
    const cases = CASES.map((c) =>
      `(${JSON.stringify(c.name)}, ${JSON.stringify(c.g.arch)}, ${c.nc}, ${JSON.stringify(c.loss)}, ` +
      `dict(${c.torchG}), dict(${c.torchD}))`
    ).join(",\n    ");
    const torch = await runTorch(
      STABILISERS_PY + `
for name, arch, nc, loss, gopts, dopts in [
    ${cases}
]:
    torch.manual_seed(${SEED})
    netG = Generator(arch, ${NZ}, ${WIDTH}, nc, 32, **gopts)
    netG.apply(weights_init)
    netD = Discriminator(arch, ${WIDTH}, nc, 32, sigmoid=(loss == "bce"), **dopts)
    netD.apply(weights_init)
    for prefix, net in (("g.", netG), ("d.", netD)):
        for k, v in net.state_dict().items():
            out[f"{name}.initial.{prefix}{k}"] = v.clone()
    out[name + ".repr_g"] = text(str(netG))
    out[name + ".repr_d"] = text(str(netD))
    out[name + ".keys"] = text({"g": list(netG.state_dict()), "d": list(netD.state_dict())})
    optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    if loss == "bce":
        l_real = lambda o: F.binary_cross_entropy(o, torch.ones_like(o))
        l_fake = lambda o: F.binary_cross_entropy(o, torch.zeros_like(o))
        l_g = l_real
    else:
        l_real = lambda o: F.relu(1 - o).mean()
        l_fake = lambda o: F.relu(1 + o).mean()
        l_g = lambda o: -o.mean()
    torch.manual_seed(${SEED + 1})
    values = []
    for step in range(${STEPS}):
        netD.zero_grad()
        err_real = l_real(netD(inp[f"{name}.real{step}"]))
        err_real.backward()
        fake = netG(inp[f"{name}.noise{step}"])
        err_fake = l_fake(netD(fake.detach()))
        err_fake.backward()
        optimizerD.step()
        netG.zero_grad()
        err_g = l_g(netD(fake))
        err_g.backward()
        optimizerG.step()
        values += [err_real.item() + err_fake.item(), err_g.item()]
    out[name + ".losses"] = torch.tensor(values, dtype=torch.float64)
    for prefix, net in (("g.", netG), ("d.", netD)):
        for k, v in net.state_dict().items():
            out[f"{name}.final.{prefix}{k}"] = v.clone()
        # our final state loads into PyTorch's network with strict=True
        ours = {k[len(name) + 6 + len(prefix):]: v for k, v in inp.items() if k.startswith(f"{name}.ours.{prefix}")}
        net.load_state_dict(ours, strict=True)
`,
      inputs,
    );
    return { ours: results, torch };
  })();
  return shared;
}

function showDiffs(): void {
  if (Deno.env.get("DCGAN_SHOW_DIFFS") !== "1") return;
  const byCase = new Map<string, number>();
  for (const [label, diff] of diffs.largest) {
    const key = label.split(" ")[0]!;
    byCase.set(key, Math.max(byCase.get(key) ?? 0, diff));
  }
  console.log("archs vs PyTorch, max |diff| per case and kind:", Object.fromEntries(byCase));
}

for (const [i, c] of CASES.entries()) {
  Deno.test(`${c.name}: same layers and initial weights as PyTorch after the same seed`, async () => {
    const { ours: results, torch } = await compareAll();
    const result = results[i]!;
    const python = (value: TorchValue | undefined) => String(textOf(value)).replace(/,? ?inplace=True/g, "");
    assert.equal(result.repr.g, python(torch[`${c.name}.repr_g`]), "print(netG)");
    assert.equal(result.repr.d, python(torch[`${c.name}.repr_d`]), "print(netD)");
    assert.deepEqual(result.keys, textOf(torch[`${c.name}.keys`]), "state dict keys and order are PyTorch's");
    for (const [key, value] of Object.entries(result.initial)) {
      diffs.close(value, torch[`${c.name}.initial.${key}`], `${c.name}-init ${key}`, { rtol: 0, atol: 0 });
    }
  });

  Deno.test(`${c.name}: ${STEPS} GAN steps match PyTorch (losses, weights, buffers), state dicts load both ways`, async () => {
    const { ours: results, torch } = await compareAll();
    const result = results[i]!;
    diffs.close(result.losses, torch[`${c.name}.losses`], `${c.name}-loss`);
    for (const [key, value] of Object.entries(result.final)) {
      diffs.close(value, torch[`${c.name}.final.${key}`], `${c.name}-step ${key}`);
    }
    // PyTorch's final state loads into ours with strict keys, and gives our values
    const imageSize = 32;
    using netD = createDiscriminator({ ...c.d, ndf: WIDTH, nc: c.nc, imageSize, sigmoid: c.loss === "bce" });
    const fromTorch: Record<string, Tensor> = {};
    for (const key of result.keys.d) {
      const v = torch[`${c.name}.final.d.${key}`]!;
      fromTorch[key] = tensor(v.data, { shape: v.shape });
    }
    netD.loadStateDict(fromTorch);
    const loaded = snapshot(netD);
    for (const [key, value] of Object.entries(loaded)) {
      diffs.close(value, torch[`${c.name}.final.d.${key}`], `${c.name}-load ${key}`, { rtol: 0, atol: 1e-7 });
    }
    for (const v of [...Object.values(fromTorch), ...Object.values(loaded)]) v.dispose();
    if (i === CASES.length - 1) showDiffs();
  });
}

Deno.test("the default config builds the example's networks, and bad arch or option settings throw RangeError naming them", () => {
  using plain = createDiscriminator({ ndf: 4, nc: 1, imageSize: 32 });
  using explicit = createDiscriminator({
    ndf: 4,
    nc: 1,
    imageSize: 32,
    arch: "dcgan",
    spectralNorm: false,
    attention: 0,
    dropout: 0,
    minibatchStd: false,
  });
  assert.equal(String(explicit), String(plain), "options that are off add no layer");
  assert.equal(plain.namedModules().length, 2 + 10, "the example's 10 layers at 32x32, in main");
  const bad = (config: DiscriminatorConfig & { numClasses?: number }) => () =>
    createDiscriminator({ ndf: 8, nc: 1, imageSize: 32, ...config });
  const cases: [() => unknown, string][] = [
    [bad({ arch: "resnet" as "dcgan" }), 'Discriminator arch must be one of dcgan, mlp, mnist, got "resnet"'],
    [
      bad({ arch: "mnist", imageSize: 30 }),
      "Discriminator (arch mnist) imageSize must be a multiple of 4 (28, 32, ...), got 30",
    ],
    [
      bad({ attention: 32 }),
      "Discriminator attention must be one of its feature-map sides 16, 8, 4 (or 0 for none), got 32",
    ],
    [
      bad({ arch: "mlp", attention: 16 }),
      "The MLP discriminator attention must be one of its feature-map sides  (or 0 for none), got 16",
    ],
    [bad({ dropout: 1 }), "Discriminator dropout must be in [0, 1), got 1"],
    [
      bad({ minibatchStd: 2.5 }),
      "Discriminator minibatchStd must be true, false or a group size >= 1, got 2.5",
    ],
    [bad({ norm: "group" as "batch" }), 'Discriminator norm must be "batch", "layer" or "none", got "group"'],
    [
      bad({ arch: "mlp", numClasses: 10 }),
      'ConditionalDiscriminator is a DCGAN: arch must be "dcgan", got "mlp" (the MLP and MNIST networks are unconditional)',
    ],
    [
      () => createGenerator({ arch: "mnist", ngf: 8, imageSize: 32, attention: 4 }),
      "The MNIST generator attention must be one of its feature-map sides 8, 16 (or 0 for none), got 4",
    ],
  ];
  for (const [make, message] of cases) {
    assert.throws(make, (e: Error) => e instanceof RangeError && e.message === message, message);
  }
});
