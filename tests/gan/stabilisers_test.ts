// The trainer's stabilisers (tasks/gan/stabilisers.ts) against the same loop written in PyTorch: the same
// initial weights (made by PyTorch, passed through safetensors), the same real batches and latent noise,
// the same seed for the draws the stabilisers make (DiffAugment, instance noise, label flips), so the
// same draws; 4 steps of ours and of PyTorch's must give the same losses and weights within 1e-4.
// One Python process runs every case.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadStateDictFile } from "../../models/io/state_dict_file.ts";
import type { Module } from "../../models/nn/module.ts";
import * as t from "../../mod.ts";
import type { GanLoss } from "../../tasks/gan/losses.ts";
import { type DcganSpec, DcganTrainer } from "../../tasks/gan/trainer.ts";
import { DiffLog, runTorch } from "../torch_ref.ts";
import { DIFF_AUGMENT_PY } from "./diffaugment_ref.ts";

const STEPS = 4;
const BATCH = 6;
const BASE = { nz: 16, ngf: 8, ndf: 8, nc: 3, imageSize: 32, lr: 2e-4, beta1: 0.5, device: "cpu" as const };

interface Case {
  name: string;
  spec: Partial<DcganSpec>;
}

const CASES: Case[] = [
  { name: "--augment color,translation,cutout", spec: { augment: ["color", "translation", "cutout"] } },
  {
    name: "--instance-noise 0.2 --label-flip 0.2 --label-smoothing 0.9 --fake-label 0.1",
    spec: { instanceNoise: 0.2, totalSteps: STEPS, labelFlip: 0.2, realLabel: 0.9, fakeLabel: 0.1 },
  },
  {
    name: "--loss hinge --r1 1 --augment translation",
    spec: { loss: "hinge", r1: 1, augment: ["translation"] },
  },
  // R1 on steps 1 and 4 of 4, weighted by 3
  { name: "--loss hinge --r1 2 --r1-every 3", spec: { loss: "hinge", r1: 2, r1Every: 3 } },
  {
    name: "--feature-matching --augment color,cutout",
    spec: { featureMatching: true, augment: ["color", "cutout"] },
  },
  // betas 0, 0.5, then capped at 0.6: the warm-up and the cap both show
  { name: "--loss lsgan --ema 0.6 --ema-rampup 1", spec: { loss: "lsgan", ema: 0.6, emaRampup: 1 } },
  {
    name:
      "all of them: --loss lsgan --augment color,translation,cutout --instance-noise 0.1 --label-flip 0.1 " +
      "--label-smoothing 0.9 --fake-label 0.1 --r1 2 --feature-matching --ema 0.9 --ema-rampup 0.5",
    spec: {
      loss: "lsgan",
      augment: ["color", "translation", "cutout"],
      instanceNoise: 0.1,
      totalSteps: STEPS,
      labelFlip: 0.1,
      realLabel: 0.9,
      fakeLabel: 0.1,
      r1: 2,
      featureMatching: true,
      ema: 0.9,
      emaRampup: 0.5,
    },
  },
];

/** Each case's settings as Python literals, in one list the script loops over. */
function pythonCase(spec: Partial<DcganSpec>): string {
  const loss: GanLoss = spec.loss ?? "bce";
  return `dict(LOSS=${JSON.stringify(loss)}, AUGMENT=${JSON.stringify((spec.augment ?? []).join(","))}, ` +
    `SIGMA=${spec.instanceNoise ?? 0}, REAL_LABEL=${spec.realLabel ?? 1}, FAKE_LABEL=${
      spec.fakeLabel ?? 0
    }, ` +
    `FLIP=${spec.labelFlip ?? 0}, R1=${spec.r1 ?? 0}, R1_EVERY=${spec.r1Every ?? 1}, FM=${
      spec.featureMatching ? "True" : "False"
    }, ` +
    `EMA=${spec.ema ?? 0}, RAMPUP=${spec.emaRampup ?? 0})`;
}

const LOOP = `
import copy
from torch_reference import weights_init
from safetensors_io import save_safetensors
def generator(nz, ngf, nc):
    return nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())
def discriminator(ndf, nc, sigmoid):
    layers = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
              nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
              nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, inplace=True),
              nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False)]
    return nn.Sequential(*(layers + [nn.Sigmoid()] if sigmoid else layers))
class Net(nn.Module):
    def __init__(self, main):
        super().__init__()
        self.main = main
for k, c in enumerate(CASES):
    globals().update(c)
    work = WORK + '/%d' % k
    os.makedirs(work)
    torch.manual_seed(42)
    netG = Net(generator(NZ, NGF, NC)); netG.apply(weights_init)
    netD = Net(discriminator(NDF, NC, LOSS == 'bce')); netD.apply(weights_init)
    save_safetensors(work + "/netG.safetensors", netG.state_dict())
    save_safetensors(work + "/netD.safetensors", netD.state_dict())
    head = 2 if LOSS == 'bce' else 1
    def d_in(x, i):
        sigma = SIGMA * max(0.0, 1 - i / STEPS)
        if sigma:
            x = x + sigma * torch.randn_like(x)
        return DiffAugment(x, AUGMENT) if AUGMENT else x
    def D(x, i):
        return netD.main(d_in(x, i)).view(-1)
    def D_features(x, i):
        f = netD.main[:-head](d_in(x, i))
        return netD.main[-head:](f).view(-1), f
    def targets(n, real):
        label, other = (REAL_LABEL, FAKE_LABEL) if real else (FAKE_LABEL, REAL_LABEL)
        t = torch.full((n,), float(label))
        if FLIP:
            t = torch.where(torch.rand(n) < FLIP, torch.full((n,), float(other)), t)
        return t
    def d_real(out):
        if LOSS == 'bce': return F.binary_cross_entropy(out, targets(out.size(0), True))
        if LOSS == 'lsgan': return F.mse_loss(out, targets(out.size(0), True))
        return F.relu(1 - out).mean()
    def d_fake(out):
        if LOSS == 'bce': return F.binary_cross_entropy(out, targets(out.size(0), False))
        if LOSS == 'lsgan': return F.mse_loss(out, targets(out.size(0), False))
        return F.relu(1 + out).mean()
    def g_loss(out):
        if LOSS == 'bce': return F.binary_cross_entropy(out, torch.ones_like(out))
        if LOSS == 'lsgan': return F.mse_loss(out, torch.ones_like(out))
        return -out.mean()
    data = torch.Generator().manual_seed(1)
    batches = [(torch.rand(BATCH, NC, 32, 32, generator=data) * 2 - 1, torch.randn(BATCH, NZ, 1, 1, generator=data))
               for _ in range(STEPS)]
    optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    ema = copy.deepcopy(netG) if EMA else None
    torch.manual_seed(7)
    for i in range(STEPS):
        real, noise = batches[i]
        out['%d.real%d' % (k, i)], out['%d.noise%d' % (k, i)] = real, noise
        netD.zero_grad()
        r1 = R1 * R1_EVERY if i % R1_EVERY == 0 else 0  # StyleGAN2's lazy regularization
        x = real.detach().requires_grad_(True) if r1 else real
        output = D(x, i)
        err_real = d_real(output)
        if r1:
            g, = torch.autograd.grad(outputs=[output.sum()], inputs=[x], create_graph=True)
            penalty = g.square().sum([1, 2, 3]).mean() * (r1 / 2)
            (err_real + penalty).backward()
        else:
            err_real.backward()
        D_x = output.mean().item()
        fake = netG.main(noise)
        output = D(fake.detach(), i)
        err_fake = d_fake(output)
        err_fake.backward()
        D_G_z1 = output.mean().item()
        errD = err_real + err_fake
        if r1:
            errD = errD + penalty
        optimizerD.step()
        netG.zero_grad()
        if FM:
            with torch.no_grad():
                real_features = D_features(real, i)[1]
            output, fake_features = D_features(fake, i)
            errG = F.mse_loss(fake_features.mean(0), real_features.mean(0))
        else:
            output = D(fake, i)
            errG = g_loss(output)
        errG.backward()
        optimizerG.step()
        if ema:
            # StyleGAN2's ema_rampup, in images
            ema_nimg = BATCH * np.log(0.5) / np.log(EMA)
            if RAMPUP:
                ema_nimg = min(ema_nimg, i * BATCH * RAMPUP)
            beta = 0.5 ** (BATCH / max(ema_nimg, 1e-8))
            with torch.no_grad():
                for pe, p in zip(ema.parameters(), netG.parameters()):
                    pe.lerp_(p, 1 - beta)
                for be, b in zip(ema.buffers(), netG.buffers()):
                    be.copy_(b)
        out['%d.stats%d' % (k, i)] = torch.tensor([errD.item(), errG.item(), D_x, D_G_z1, output.mean().item()],
                                                  dtype=torch.float64)
    for prefix, net in [('G.', netG), ('D.', netD)] + ([('E.', ema)] if ema else []):
        for key, v in net.state_dict().items():
            out['%d.%s%s' % (k, prefix, key)] = v
`;

async function loadInto(module: Module, path: string): Promise<void> {
  const state = await loadStateDictFile(path);
  try {
    module.loadStateDict(state);
  } finally {
    Object.values(state).forEach((x) => x.dispose());
  }
}

Deno.test(`the stabilisers match the same loop in PyTorch for ${STEPS} steps: losses and weights within 1e-4`, async () => {
  const work = await Deno.makeTempDir({ prefix: "dcgan-stabilisers-" });
  const fast = t.fastPathsEnabled();
  t.setFastPaths(false); // the kernels PyTorch runs (see variants_test.ts)
  const diffs = new DiffLog({ rtol: 1e-4, atol: 1e-5 });
  try {
    const settings = { WORK: work, STEPS, BATCH, NZ: BASE.nz, NGF: BASE.ngf, NDF: BASE.ndf, NC: BASE.nc };
    const header = Object.entries(settings).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join("\n");
    const cases = `CASES = [${CASES.map((c) => pythonCase(c.spec)).join(", ")}]`;
    const expected = await runTorch(`${DIFF_AUGMENT_PY}\n${header}\n${cases}\n${LOOP}`);
    for (const [k, { name, spec }] of CASES.entries()) {
      const trainer = new DcganTrainer({ ...BASE, ...spec });
      try {
        await loadInto(trainer.netG, join(work, `${k}`, "netG.safetensors"));
        await loadInto(trainer.netD, join(work, `${k}`, "netD.safetensors"));
        if (trainer.netGEma) await loadInto(trainer.netGEma, join(work, `${k}`, "netG.safetensors"));
        t.manualSeed(7);
        let live = 0;
        for (let i = 0; i < STEPS; i++) {
          if (i === 1) live = t.liveTensorCount(); // after the first step has made Adam's state
          const real = expected[`${k}.real${i}`]!;
          const noise = expected[`${k}.noise${i}`]!;
          using realT = t.tensor(Float32Array.from(real.data), { shape: real.shape });
          using noiseT = t.tensor(Float32Array.from(noise.data), { shape: noise.shape });
          const s = trainer.step(realT, noiseT);
          using ours = t.tensor(Float64Array.from([s.lossD, s.lossG, s.dx, s.dgz1, s.dgz2]));
          // (tidy: the comparison's float64 copies are not the step's)
          t.tidy(() =>
            diffs.close(ours, expected[`${k}.stats${i}`], `${name}: step ${i} Loss_D Loss_G D(x) D(G(z))`)
          );
        }
        assert.equal(t.liveTensorCount(), live, `${name}: live tensors after the steps`);
        const nets: [string, Module | undefined][] = [["G", trainer.netG], ["D", trainer.netD], [
          "E",
          trainer.netGEma,
        ]];
        for (const [prefix, module] of nets) {
          if (!module) continue;
          const state = module.stateDict();
          for (const [key, value] of Object.entries(state)) {
            t.tidy(() => diffs.close(value, expected[`${k}.${prefix}.${key}`], `${name}: ${prefix}.${key}`));
            value.dispose();
          }
        }
      } finally {
        trainer.dispose();
      }
    }
    if (Deno.env.get("DCGAN_SHOW_DIFFS")) {
      for (const { name } of CASES) {
        const mine = [...diffs.largest].filter(([label]) => label.startsWith(`${name}:`));
        const losses = Math.max(...mine.filter(([l]) => l.includes("Loss_D")).map(([, v]) => v));
        const weights = Math.max(...mine.filter(([l]) => !l.includes("Loss_D")).map(([, v]) => v));
        console.log(
          `${name}: largest |ours - PyTorch| losses ${losses.toExponential(1)}, weights ${
            weights.toExponential(1)
          }`,
        );
      }
    }
  } finally {
    t.setFastPaths(fast);
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("the trainer refuses stabilisers its loss or discriminator cannot run", () => {
  assert.throws(
    () => new DcganTrainer({ ...BASE, loss: "hinge", labelFlip: 0.1 }),
    /--loss hinge has no targets to smooth or flip/,
  );
  assert.throws(
    () => new DcganTrainer({ ...BASE, realLabel: 0.9, fakeLabel: 0.95 }),
    /must be above fakeLabel/,
  );
  assert.throws(() => new DcganTrainer({ ...BASE, r1: -1 }), RangeError);
  assert.throws(() => new DcganTrainer({ ...BASE, r1Every: 16 }), /--r1-every 16 .*give its weight too/);
  assert.throws(() => new DcganTrainer({ ...BASE, instanceNoise: 0.1 }), /pass totalSteps/);
});
