/**
 * A GAN on 2-D points, written with the tensor API: the generator learns to draw points on a ring.
 *
 * Run: deno run -A examples/gan_2d_points.ts [steps]
 */
import {
  Adam,
  binaryCrossEntropyWithLogits,
  full,
  LeakyReLU,
  Linear,
  manualSeed,
  randn,
  Sequential,
  tidy,
} from "@gan/dcgan";

const steps = Number(Deno.args[0] ?? 2000);
manualSeed(0);
const netG = new Sequential(new Linear(2, 32), new LeakyReLU(0.2), new Linear(32, 2));
const netD = new Sequential(new Linear(2, 32), new LeakyReLU(0.2), new Linear(32, 1));
const optG = new Adam(netG.parameters(), { lr: 2e-3, betas: [0.5, 0.999] });
const optD = new Adam(netD.parameters(), { lr: 2e-3, betas: [0.5, 0.999] });
const ring = () =>
  tidy(() => {
    const a = randn([64, 2]);
    return a.div(a.square().sum(1, { keepdim: true }).sqrt());
  });

for (let step = 1; step <= steps; step++) {
  tidy(() => {
    const fake = netG.forward(randn([64, 2]));
    netD.zeroGrad(); // (1) D: real points are 1, generated ones 0
    binaryCrossEntropyWithLogits(netD.forward(ring()), full([64, 1], 1)).add(
      binaryCrossEntropyWithLogits(netD.forward(fake.detach()), full([64, 1], 0)),
    ).backward();
    optD.step();
    netG.zeroGrad(); // (2) G: make D call them real
    binaryCrossEntropyWithLogits(netD.forward(fake), full([64, 1], 1)).backward();
    optG.step();
  });
}
const radius = tidy(() => netG.forward(randn([1000, 2])).square().sum(1).sqrt().mean().item());
console.log(`mean radius of generated points after ${steps} steps: ${radius.toFixed(3)} (the ring has 1)`);
