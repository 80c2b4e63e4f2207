// The parity test that matters most: PyTorch's weights_init weights, passed through safetensors, the
// same real batches and the same noise; 5 steps of our loop and of the seed's PyTorch loop must give
// the same losses and weights.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadStateDictFile } from "../../models/io/state_dict_file.ts";
import * as t from "../../mod.ts";
import { DcganTrainer, DivergenceError } from "../../tasks/gan/trainer.ts";
import { assertClose, runTorch } from "../torch_ref.ts";

const STEPS = 5;
const SPEC = { nz: 16, ngf: 8, ndf: 8, nc: 3, imageSize: 64, lr: 2e-4, beta1: 0.5, device: "cpu" as const };
const BATCH = 6;

/** pytorch/examples dcgan/main.py's loop on its classes, the initial weights saved as safetensors. */
const SEED_LOOP = `
from torch_reference import Generator, Discriminator, weights_init
from safetensors_io import save_safetensors
torch.manual_seed(42)
netG = Generator(inp['nz'], inp['ngf'], inp['nc']); netG.apply(weights_init)
netD = Discriminator(inp['ndf'], inp['nc']); netD.apply(weights_init)
save_safetensors(WORK + "/netG.safetensors", netG.state_dict())
save_safetensors(WORK + "/netD.safetensors", netD.state_dict())
criterion = nn.BCELoss()
optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
real_label, fake_label = 1., 0.
for i in range(STEPS):
    real_cpu = torch.rand(BATCH, inp['nc'], 64, 64) * 2 - 1
    noise = torch.randn(BATCH, inp['nz'], 1, 1)
    out['real%d' % i] = real_cpu
    out['noise%d' % i] = noise
    netD.zero_grad()
    label = torch.full((BATCH,), real_label, dtype=torch.float)
    output = netD(real_cpu)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = output.mean().item()
    fake = netG(noise)
    label.fill_(fake_label)
    output = netD(fake.detach())
    errD_fake = criterion(output, label)
    errD_fake.backward()
    D_G_z1 = output.mean().item()
    errD = errD_real + errD_fake
    optimizerD.step()
    netG.zero_grad()
    label.fill_(real_label)
    output = netD(fake)
    errG = criterion(output, label)
    errG.backward()
    D_G_z2 = output.mean().item()
    optimizerG.step()
    out['stats%d' % i] = torch.tensor([errD.item(), errG.item(), D_x, D_G_z1, D_G_z2], dtype=torch.float64)
for k, v in netG.state_dict().items():
    out['G.' + k] = v
for k, v in netD.state_dict().items():
    out['D.' + k] = v
`;

const MODES = [
  // the kernels PyTorch itself runs here: the same numbers, to float32 rounding
  { kernels: "libtorch's default kernels", fast: false, rtol: 1e-4, atol: 1e-5 },
  // oneDNN sums in another order: the first step agrees to ~1e-7; then Adam, which moves each weight by
  // about lr * sign(g) early on, amplifies that where a gradient is near zero, so later steps drift
  { kernels: "the oneDNN ConvTranspose2d fast path", fast: true, rtol: 1e-2, atol: 2e-3, firstStep: 1e-5 },
];

for (const mode of MODES) {
  Deno.test(`5 DCGAN training steps with ${mode.kernels} match the seed's PyTorch loop`, async () => {
    const work = await Deno.makeTempDir({ prefix: "dcgan-parity-" });
    const fastBefore = t.fastPathsEnabled();
    t.setFastPaths(mode.fast);
    try {
      const script = `WORK = ${JSON.stringify(work)}\nSTEPS = ${STEPS}\nBATCH = ${BATCH}\n${SEED_LOOP}`;
      const expected = await runTorch(script, { nz: SPEC.nz, ngf: SPEC.ngf, ndf: SPEC.ndf, nc: SPEC.nc });
      const trainer = new DcganTrainer(SPEC);
      try {
        for (const [name, module] of [["netG", trainer.netG], ["netD", trainer.netD]] as const) {
          const state = await loadStateDictFile(join(work, `${name}.safetensors`));
          module.loadStateDict(state);
          Object.values(state).forEach((x) => x.dispose());
        }
        const tolerance = { rtol: mode.rtol, atol: mode.atol };
        for (let i = 0; i < STEPS; i++) {
          const real = expected[`real${i}`]!;
          const noise = expected[`noise${i}`]!;
          using realT = t.tensor(Float32Array.from(real.data), { shape: real.shape });
          using noiseT = t.tensor(Float32Array.from(noise.data), { shape: noise.shape });
          const stats = trainer.step(realT, noiseT);
          const ours = [stats.lossD, stats.lossG, stats.dx, stats.dgz1, stats.dgz2];
          assertClose(
            { shape: [5], data: ours },
            expected[`stats${i}`],
            tolerance,
            `step ${i} Loss_D Loss_G D(x) D(G(z))`,
          );
        }
        for (const [prefix, module] of [["G", trainer.netG], ["D", trainer.netD]] as const) {
          const state = module.stateDict();
          for (const [key, value] of Object.entries(state)) {
            assertClose(value, expected[`${prefix}.${key}`], tolerance, `${prefix}.${key}`);
            value.dispose();
          }
        }
      } finally {
        trainer.dispose();
      }
    } finally {
      t.setFastPaths(fastBefore);
      await Deno.remove(work, { recursive: true });
    }
  });
}

Deno.test("a NaN loss stops the step before the optimizer moves and names the network", () => {
  t.manualSeed(0);
  const trainer = new DcganTrainer({ ...SPEC, imageSize: 32 });
  try {
    using before = trainer.netD.parameters()[0]!.clone();
    using real = t.full([2, 3, 32, 32], NaN);
    assert.throws(() => trainer.step(real), (error: Error) => {
      assert.ok(error instanceof DivergenceError);
      assert.equal(error.network, "discriminator");
      assert.match(error.message, /discriminator loss is NaN.*last good checkpoint/);
      return true;
    });
    const after = trainer.netD.parameters()[0]!; // the module's own: not disposed here
    assert.equal(t.tidy(() => after.sub(before).abs().max().item()), 0);
    t.noGrad(() => trainer.netG.parameters()[0]!.fill_(NaN));
    using fine = t.zeros([2, 3, 32, 32]);
    assert.throws(
      () => trainer.step(fine),
      (error: Error) => error instanceof DivergenceError && error.network === "generator",
    );
  } finally {
    trainer.dispose();
  }
});
