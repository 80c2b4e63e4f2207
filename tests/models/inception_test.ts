// Inception-v3 for FID: the pooling, resizing and eigh functionals against PyTorch, and the whole network
// against torchvision's inception_v3 (and pytorch-fid's FID variant of it) on the same weights and images.
import assert from "node:assert/strict";
import { join } from "node:path";
import { INCEPTION_FEATURES, InceptionV3, loadInception } from "../../models/inception/inception.ts";
import * as t from "../../mod.ts";
import { linalgEigh } from "../../ops/linalg.ts";
import { adaptiveAvgPool2d, avgPool2d, interpolate, maxPool2d } from "../../ops/pool.ts";
import { assertClose, CALIBRATED_INCEPTION, runTorch, type TorchValue } from "../torch_ref.ts";

type Case = {
  name: string;
  ours: (x: t.Tensor) => t.Tensor;
  torch: string; // a Python expression of x
};

const POOL_CASES: Case[] = [
  { name: "max k3 s2", ours: (x) => maxPool2d(x, 3, { stride: 2 }), torch: "F.max_pool2d(x, 3, stride=2)" },
  {
    name: "max k3 s1 p1",
    ours: (x) => maxPool2d(x, 3, { stride: 1, padding: 1 }),
    torch: "F.max_pool2d(x, 3, stride=1, padding=1)",
  },
  {
    name: "max k[2,3] d2 ceil",
    ours: (x) => maxPool2d(x, [2, 3], { stride: [2, 1], padding: [1, 1], dilation: 2, ceilMode: true }),
    torch: "F.max_pool2d(x, (2, 3), stride=(2, 1), padding=(1, 1), dilation=2, ceil_mode=True)",
  },
  {
    name: "avg k3 s1 p1 counting padding",
    ours: (x) => avgPool2d(x, 3, { stride: 1, padding: 1 }),
    torch: "F.avg_pool2d(x, 3, stride=1, padding=1)",
  },
  {
    name: "avg k3 s1 p1 without padding",
    ours: (x) => avgPool2d(x, 3, { stride: 1, padding: 1, countIncludePad: false }),
    torch: "F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)",
  },
  { name: "avg k5 s3", ours: (x) => avgPool2d(x, 5, { stride: 3 }), torch: "F.avg_pool2d(x, 5, stride=3)" },
  {
    name: "avg k2 default stride ceil",
    ours: (x) => avgPool2d(x, 2, { ceilMode: true }),
    torch: "F.avg_pool2d(x, 2, ceil_mode=True)",
  },
  { name: "adaptive 1", ours: (x) => adaptiveAvgPool2d(x, 1), torch: "F.adaptive_avg_pool2d(x, 1)" },
  {
    name: "adaptive [3,5]",
    ours: (x) => adaptiveAvgPool2d(x, [3, 5]),
    torch: "F.adaptive_avg_pool2d(x, (3, 5))",
  },
  {
    name: "bilinear up to 299",
    ours: (x) => interpolate(x, { size: 299, mode: "bilinear" }),
    torch: "F.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False)",
  },
  {
    name: "bilinear down to [7,9]",
    ours: (x) => interpolate(x, { size: [7, 9], mode: "bilinear" }),
    torch: "F.interpolate(x, size=(7, 9), mode='bilinear', align_corners=False)",
  },
  {
    name: "bilinear align corners",
    ours: (x) => interpolate(x, { size: [20, 17], mode: "bilinear", alignCorners: true }),
    torch: "F.interpolate(x, size=(20, 17), mode='bilinear', align_corners=True)",
  },
];

Deno.test("maxPool2d, avgPool2d, adaptiveAvgPool2d and interpolate match PyTorch forward and backward", async () => {
  t.manualSeed(3);
  using x = t.randn([2, 3, 11, 13]);
  const lines = POOL_CASES.map((c, i) =>
    [
      `x = inp['x'].clone().requires_grad_(True)`,
      `y = ${c.torch}`,
      `(y * (torch.arange(y.numel(), dtype=y.dtype) / y.numel() - 0.5).reshape(y.shape)).sum().backward()`,
      `out['y${i}'] = y`,
      `out['g${i}'] = x.grad`,
    ].join("\n")
  );
  const expected = await runTorch(lines.join("\n"), { x });
  POOL_CASES.forEach((c, i) => {
    using input = x.clone().requiresGrad_(true);
    using y = c.ours(input);
    assertClose(y, expected[`y${i}`], {}, `${c.name} forward`);
    using weights = t.tidy(() => t.arange(0, y.numel()).div(y.numel()).sub(0.5).reshape(y.shape));
    t.tidy(() => y.mul(weights).sum().backward());
    using g = input.grad!;
    assertClose(g, expected[`g${i}`], {}, `${c.name} gradient`);
  });
});

Deno.test("interpolate rejects modes other than bilinear, naming the mode", () => {
  using x = t.zeros([1, 1, 4, 4]);
  assert.throws(
    () => interpolate(x, { size: 8, mode: "nearest" as "bilinear" }),
    (e: Error) => e instanceof RangeError && /"nearest"/.test(e.message),
  );
});

Deno.test("linalgEigh matches torch.linalg.eigh: eigenvalues, and the matrix rebuilt from the eigenvectors", async () => {
  t.manualSeed(5);
  using a = t.randn([9, 9], { dtype: "float64" });
  using sym = t.tidy(() => a.add(a.transpose(0, 1)));
  const expected = await runTorch(
    "w, v = torch.linalg.eigh(inp['s'])\nout['w'] = w\nout['abs_v'] = v.abs()",
    { s: sym },
  );
  const { eigenvalues, eigenvectors } = linalgEigh(sym);
  using w = eigenvalues;
  using v = eigenvectors;
  assertClose(w, expected.w, { rtol: 1e-12, atol: 1e-12 }, "eigenvalues");
  using absV = v.abs(); // columns are defined up to sign
  assertClose(absV, expected.abs_v, { rtol: 1e-9, atol: 1e-10 }, "|eigenvectors|");
  using rebuilt = t.tidy(() => v.mul(w).matmul(v.transpose(0, 1)));
  const worst = t.tidy(() => rebuilt.sub(sym).abs().max().item());
  assert.ok(worst < 1e-12, `V diag(w) V^T differs from the matrix by ${worst}`);
  using vector = t.tensor([1, 2, 3], { dtype: "float64" });
  assert.throws(
    () => linalgEigh(vector),
    (e: Error) => e instanceof t.TorchError && /linalgEigh/.test(e.message),
  );
});

/** torchvision's inception_v3 with BatchNorm statistics calibrated on a random batch, exported and run. */
const TORCHVISION_INCEPTION = `
import types
${CALIBRATED_INCEPTION}
from torchvision.models.inception import InceptionA, InceptionC, InceptionE
from safetensors_io import save_safetensors

# pytorch-fid's FID Inception blocks (pytorch_fid/inception.py): TensorFlow's pooling
class FIDInceptionA(InceptionA):
    def forward(self, x):
        branch1x1 = self.branch1x1(x)
        branch5x5 = self.branch5x5_2(self.branch5x5_1(x))
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        branch_pool = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        branch_pool = self.branch_pool(branch_pool)
        return torch.cat([branch1x1, branch5x5, branch3x3dbl, branch_pool], 1)

class FIDInceptionC(InceptionC):
    def forward(self, x):
        branch1x1 = self.branch1x1(x)
        branch7x7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = self.branch7x7dbl_1(x)
        d = self.branch7x7dbl_5(self.branch7x7dbl_4(self.branch7x7dbl_3(self.branch7x7dbl_2(d))))
        branch_pool = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        branch_pool = self.branch_pool(branch_pool)
        return torch.cat([branch1x1, branch7x7, d, branch_pool], 1)

def fid_e(pool):
    def forward(self, x):
        branch1x1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        branch_pool = self.branch_pool(pool(x))
        return torch.cat([branch1x1, b3, d, branch_pool], 1)
    return forward

net = calibrated_inception(0)
save_safetensors(WORK + "/inception.safetensors", net.state_dict())
json.dump({k: list(v.shape) for k, v in inception_v3(weights=None, aux_logits=True, init_weights=False).state_dict().items()},
          open(WORK + "/aux_keys.json", "w"))

feats = {}
net.avgpool.register_forward_hook(lambda m, i, o: feats.__setitem__("f", torch.flatten(o, 1)))
x = F.interpolate(inp["images"], size=(299, 299), mode="bilinear", align_corners=False)
with torch.no_grad():
    out["logits"] = net(x)
    out["features"] = feats["f"]
    for name in ["Mixed_5b", "Mixed_5c", "Mixed_5d"]:
        getattr(net, name).__class__ = FIDInceptionA
    for name in ["Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"]:
        getattr(net, name).__class__ = FIDInceptionC
    net.Mixed_7b.forward = types.MethodType(fid_e(lambda x: F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)), net.Mixed_7b)
    net.Mixed_7c.forward = types.MethodType(fid_e(lambda x: F.max_pool2d(x, 3, 1, 1)), net.Mixed_7c)
    net(x)
    out["fid_features"] = feats["f"]
`;

function relativeError(ours: t.Tensor, expected: TorchValue): number {
  const data = ours.to("float64").toArray() as Float64Array;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < data.length; i++) {
    diff = Math.max(diff, Math.abs(data[i]! - expected.data[i]!));
    scale = Math.max(scale, Math.abs(expected.data[i]!));
  }
  return diff / scale;
}

Deno.test("InceptionV3 loads torchvision's inception_v3 state dict strictly and matches its features and logits, and pytorch-fid's FID variant", async () => {
  const work = await Deno.makeTempDir({ prefix: "dcgan-inception-" });
  try {
    t.manualSeed(11);
    using images = t.tidy(() => t.rand([2, 3, 64, 64]).mul(2).sub(1));
    const expected = await runTorch(`WORK = ${JSON.stringify(work)}\n${TORCHVISION_INCEPTION}`, { images });
    const weights = join(work, "inception.safetensors");

    using net = await loadInception(weights);
    assert.equal(net.variant, "torchvision");
    assert.equal(net.fc?.outFeatures, 1000);
    assert.equal(net.AuxLogits, undefined);
    using features = t.noGrad(() => net.features(images));
    assert.deepEqual(features.shape, [2, INCEPTION_FEATURES]);
    const featureError = relativeError(features, expected.features!);
    using logits = t.noGrad(() => net.logits(features));
    const logitError = relativeError(logits, expected.logits!);
    assert.ok(
      featureError < 1e-4,
      `features differ from torchvision's by ${featureError} (relative to the max)`,
    );
    assert.ok(logitError < 1e-4, `logits differ from torchvision's by ${logitError}`);
    assertClose(features, expected.features, { rtol: 1e-3, atol: 1e-4 }, "features");

    using fid = await loadInception(weights, { variant: "fid" });
    using fidFeatures = t.noGrad(() => fid.features(images));
    const fidError = relativeError(fidFeatures, expected.fid_features!);
    assert.ok(fidError < 1e-4, `FID-variant features differ from pytorch-fid's by ${fidError}`);
    console.log(
      `max |ours - PyTorch| / max |PyTorch|: features ${featureError.toExponential(2)}, ` +
        `logits ${logitError.toExponential(2)}, FID variant ${fidError.toExponential(2)}`,
    );

    // with AuxLogits, the keys and shapes are torchvision's aux_logits=True ones, in the same order
    const auxKeys: Record<string, number[]> = JSON.parse(
      await Deno.readTextFile(join(work, "aux_keys.json")),
    );
    using withAux = new InceptionV3({ auxLogits: true });
    const state = withAux.stateDict();
    const ours = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.shape]));
    Object.values(state).forEach((v) => v.dispose());
    assert.deepEqual(Object.keys(ours), Object.keys(auxKeys));
    assert.deepEqual(ours, auxKeys);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("InceptionV3.features repeats a gray channel and leaves 299x299 images unresized", () => {
  t.manualSeed(2);
  using net = new InceptionV3({ numClasses: 0 }).eval();
  using gray = t.tidy(() => t.rand([1, 1, 40, 40]).mul(2).sub(1));
  using rgb = gray.expand([-1, 3, -1, -1]);
  using a = t.noGrad(() => net.features(gray));
  using b = t.noGrad(() => net.features(rgb));
  const gap = t.tidy(() => a.sub(b).abs().max().item() / b.abs().max().item());
  assert.ok(gap < 1e-5, `gray and repeated-gray features differ by ${gap} (relative)`);
  using full = t.tidy(() => t.rand([1, 3, 299, 299]));
  using c = t.noGrad(() => net.features(full));
  using d = t.noGrad(() => net.forward(full));
  assert.equal(t.tidy(() => c.sub(d).abs().max().item()), 0);
  assert.throws(
    () => net.forward(gray),
    (e: Error) => e instanceof TypeError && /features\(\)/.test(e.message),
  );
  assert.throws(() => net.logits(c), (e: Error) => e instanceof TypeError && /numClasses/.test(e.message));
});

Deno.test("loadInception names the file and the fix when it is missing or not an Inception", async () => {
  await assert.rejects(
    loadInception("/nonexistent/pt_inception.safetensors"),
    (e: Error) => /does not exist/.test(e.message) && /fid_inception_v3/.test(e.message),
  );
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    using fc = new t.Linear(2, 1);
    await t.saveStateDict(fc, path);
    await assert.rejects(
      loadInception(path),
      (e: Error) =>
        e instanceof TypeError && e.message.includes("Conv2d_1a_3x3.conv.weight") && e.message.includes(path),
    );
  } finally {
    await Deno.remove(path);
  }
});
