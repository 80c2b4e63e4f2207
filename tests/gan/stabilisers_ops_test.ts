// The stabilisers' pieces one by one against the same formulas in PyTorch (one Python process for all):
// label flips and instance noise (same seed, so the same draws), the R1 penalty and its double backward
// into a BatchNorm discriminator's weights, feature matching, and StyleGAN2's EMA warm-up.
import assert from "node:assert/strict";
import * as t from "../../mod.ts";
import { emaDecay } from "../../tasks/gan/ema.ts";
import {
  addInstanceNoise,
  checkLabelNoise,
  discriminatorTargets,
  instanceNoiseSigma,
} from "../../tasks/gan/label_noise.ts";
import { featureMatchingLoss, r1Penalty } from "../../tasks/gan/regularizers.ts";
import { assertClose, runTorch } from "../torch_ref.ts";

const REFERENCE = `
# label flips and two-sided smoothing: draws in the order ours makes them
torch.manual_seed(3)
n = 64
real_t = torch.full((n,), 0.9)
real_t = torch.where(torch.rand(n) < 0.25, torch.full((n,), 0.1), real_t)
fake_t = torch.full((n,), 0.1)
fake_t = torch.where(torch.rand(n) < 0.25, torch.full((n,), 0.9), fake_t)
out['real_targets'], out['fake_targets'] = real_t, fake_t
out['noisy'] = inp['images'] + 0.3 * torch.randn_like(inp['images'])
out['after'] = torch.rand(2)

# R1 on a BatchNorm discriminator, the penalty's gradient reaching its weights
D = nn.Sequential(nn.Conv2d(3, 4, 4, 2, 1, bias=False), nn.BatchNorm2d(4), nn.LeakyReLU(0.2),
                  nn.Conv2d(4, 1, 4, 1, 0, bias=False))
with torch.no_grad():
    D[0].weight.copy_(inp['w0']); D[3].weight.copy_(inp['w3'])
x = inp['real'].clone().requires_grad_(True)
scores = D(x).view(-1)
g, = torch.autograd.grad(outputs=[scores.sum()], inputs=[x], create_graph=True)
penalty = g.square().sum([1, 2, 3]).mean() * (10 / 2)
penalty.backward()
out['r1'], out['r1_w0'], out['r1_w3'] = penalty, D[0].weight.grad, D[3].weight.grad

# feature matching
fake = inp['fake_features'].clone().requires_grad_(True)
fm = F.mse_loss(fake.mean(0), inp['real_features'].mean(0))
fm.backward()
out['fm'], out['fm_grad'] = fm, fake.grad

# StyleGAN2's ema_rampup, in images, for decay 0.999 at batch 128
batch, rampup = 128, 0.05
half_life = batch * np.log(0.5) / np.log(0.999)
betas = []
for updates in [0, 1, 5, 20, 100, 938, 20000]:
    ema_nimg = min(half_life, updates * batch * rampup)
    betas.append(0.5 ** (batch / max(ema_nimg, 1e-8)))
out['betas'] = torch.tensor(betas, dtype=torch.float64)
`;

Deno.test("label flips, instance noise, R1, feature matching and the EMA warm-up match PyTorch", async () => {
  t.manualSeed(0);
  using images = t.randn([2, 3, 4, 4]);
  using w0 = t.randn([4, 3, 4, 4]).mul(0.2);
  using w3 = t.randn([1, 4, 4, 4]).mul(0.2);
  using real = t.randn([5, 3, 8, 8]);
  using realFeatures = t.randn([6, 4, 2, 2]);
  using fakeFeatures = t.randn([6, 4, 2, 2]);
  const e = await runTorch(REFERENCE, {
    images,
    w0,
    w3,
    real,
    real_features: realFeatures,
    fake_features: fakeFeatures,
  });

  t.manualSeed(3);
  const noise = { realLabel: 0.9, fakeLabel: 0.1, flip: 0.25 };
  using realTargets = discriminatorTargets(64, true, noise);
  using fakeTargets = discriminatorTargets(64, false, noise);
  using noisy = addInstanceNoise(images, 0.3);
  using after = t.rand([2]);
  assertClose(realTargets, e.real_targets, { rtol: 0, atol: 0 }, "real targets");
  assertClose(fakeTargets, e.fake_targets, { rtol: 0, atol: 0 }, "fake targets");
  assertClose(noisy, e.noisy, { rtol: 0, atol: 0 }, "instance noise");
  assertClose(after, e.after, { rtol: 0, atol: 0 }, "draws after");
  const flipped = (realTargets.toArray() as Float32Array).filter((v) => Math.abs(v - 0.1) < 1e-6).length;
  assert.ok(flipped > 0 && flipped < 32, `some but not most targets flipped (${flipped} of 64)`);

  using d = new t.Sequential(
    new t.Conv2d(3, 4, 4, { stride: 2, padding: 1, bias: false }),
    new t.BatchNorm2d(4),
    new t.LeakyReLU(0.2),
    new t.Conv2d(4, 1, 4, { bias: false }),
  );
  const [p0, p3] = d.parameters().filter((p) => p.shape.length === 4);
  t.noGrad(() => {
    p0!.copy_(w0);
    p3!.copy_(w3);
  });
  using x = real.detach().requiresGrad_(true);
  using out = d.forward(x);
  using scores = out.view([-1]);
  using penalty = r1Penalty(scores, x, 10);
  penalty.backward();
  assertClose(penalty, e.r1, { rtol: 1e-5, atol: 1e-6 }, "R1 penalty");
  assertClose(p0!.grad!, e.r1_w0, { rtol: 1e-4, atol: 1e-6 }, "R1 gradient of the first conv");
  assertClose(p3!.grad!, e.r1_w3, { rtol: 1e-4, atol: 1e-6 }, "R1 gradient of the last conv");

  using fake = fakeFeatures.detach().requiresGrad_(true);
  using fm = featureMatchingLoss(realFeatures, fake);
  fm.backward();
  assertClose(fm, e.fm, { rtol: 1e-6, atol: 0 }, "feature matching loss");
  assertClose(fake.grad!, e.fm_grad, { rtol: 1e-5, atol: 1e-9 }, "feature matching gradient");

  const betas = [0, 1, 5, 20, 100, 938, 20000].map((u) => emaDecay(0.999, u, 0.05));
  assertClose({ shape: [7], data: betas }, e.betas, { rtol: 1e-12, atol: 0 }, "EMA decay per update");
});

Deno.test("the stabilisers' settings are checked up front and off means off", () => {
  assert.throws(() => checkLabelNoise({ flip: 0.5 }), /flip probability must be in \[0, 0.5\)/);
  assert.throws(() => checkLabelNoise({ realLabel: 0.1, fakeLabel: 0.2 }), /must be above fakeLabel/);
  assert.throws(() => emaDecay(1, 0), RangeError);
  assert.throws(() => instanceNoiseSigma({ sigma: 0.1, steps: 0 }, 0), RangeError);
  using x = t.zeros([2]);
  assert.throws(() => r1Penalty(x, x.detach().requiresGrad_(true), 1), /R1 needs D's scores/);
  assert.equal(emaDecay(0.999, 5), 0.999);
  assert.equal(instanceNoiseSigma({ sigma: 0.2, steps: 10 }, 0), 0.2);
  assert.ok(Math.abs(instanceNoiseSigma({ sigma: 0.2, steps: 10 }, 9) - 0.02) < 1e-12);
  assert.equal(instanceNoiseSigma({ sigma: 0.2, steps: 10 }, 10), 0);
  // no flips, no noise: nothing drawn
  t.manualSeed(1);
  using targets = discriminatorTargets(3, true);
  using same = addInstanceNoise(x, 0);
  assert.deepEqual(Array.from(same.toArray() as Float32Array), [0, 0]);
  using next = t.rand([1]);
  t.manualSeed(1);
  using fresh = t.rand([1]);
  assert.equal(next.item(), fresh.item());
  assert.deepEqual(Array.from(targets.toArray() as Float32Array), [1, 1, 1]);
});
