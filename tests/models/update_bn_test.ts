// updateBn against torch.optim.swa_utils.update_bn on the DCGAN generator, and the trainer's use of it:
// the average of G gets its own BatchNorm statistics without changing the run's numbers.
import assert from "node:assert/strict";
import { join } from "node:path";
import { saveStateDict } from "../../models/io/state_dict_file.ts";
import { updateBn } from "../../models/optim/swa_utils.ts";
import { BatchNorm2d } from "../../models/nn/norm.ts";
import * as t from "../../mod.ts";
import { DcganTrainer, EMA_BN_IMAGES } from "../../tasks/gan/trainer.ts";
import { withTempDir } from "../fixtures.ts";
import { assertClose, REFERENCE_DIR, runTorch } from "../torch_ref.ts";

Deno.test("updateBn gives the generator the running statistics of PyTorch's update_bn, and restores modes", async () => {
  await withTempDir(async (dir) => {
    t.manualSeed(4);
    using netG = t.weightsInit(new t.Generator({ nz: 6, ngf: 2, nc: 1, imageSize: 64 }));
    using a = t.randn([5, 6, 1, 1]);
    using b = t.randn([3, 6, 1, 1]).mul(2);
    t.noGrad(() => netG.forward(b).dispose()); // running statistics that update_bn must forget
    const file = join(dir, "g.safetensors");
    await saveStateDict(netG, file);
    netG.eval();
    const norms = netG.namedModules().filter(([, m]) => m instanceof BatchNorm2d);
    (norms[0]![1] as BatchNorm2d).momentum = 0.3;
    updateBn([a, b], netG);
    const ref = await runTorch(
      `
      sys.path.insert(0, ${JSON.stringify(REFERENCE_DIR)})
      from torch_reference import Generator
      from safetensors_io import read_safetensors
      netG = Generator(6, 2, 1)
      netG.load_state_dict(read_safetensors(${JSON.stringify(file)}), strict=True)
      netG.eval()
      from torch.optim.swa_utils import update_bn
      update_bn([inp['a'], inp['b']], netG)
      for name, buf in netG.named_buffers():
          out[name.replace('.', '_')] = buf.double()
      with torch.no_grad():
          out['y'] = netG(inp['a'])
      `,
      { a, b },
    );
    assert.equal(netG.training, false);
    assert.deepEqual(norms.map(([, m]) => (m as BatchNorm2d).momentum), [0.3, 0.1, 0.1, 0.1]);
    for (const [name, buffer] of netG.namedBuffers()) {
      assertClose(buffer, ref[name.replaceAll(".", "_")], { rtol: 1e-5, atol: 1e-6 }, name);
    }
    using y = t.noGrad(() => netG.forward(a));
    assertClose(y, ref.y, { rtol: 1e-5, atol: 1e-6 }, "eval output");
  });
});

Deno.test("updateEmaBatchNorm recomputes the average's statistics and leaves the run's numbers as they were", () => {
  const spec = {
    nz: 6,
    ngf: 4,
    ndf: 4,
    nc: 1,
    imageSize: 32,
    lr: 2e-4,
    beta1: 0.5,
    device: "cpu",
    ema: 0.9,
  } as const;
  const run = (recalibrate: boolean) => {
    t.manualSeed(7);
    const trainer = new DcganTrainer(spec);
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) {
      using real = t.randn([4, 1, 32, 32]).tanh();
      losses.push(trainer.step(real).lossD);
      if (recalibrate && i === 1) trainer.updateEmaBatchNorm(300);
    }
    return { trainer, losses };
  };
  const plain = run(false);
  const recalibrated = run(true);
  try {
    assert.deepEqual(recalibrated.losses, plain.losses);
    recalibrated.trainer.updateEmaBatchNorm(300);
    const ema = recalibrated.trainer.netGEma!;
    const mean = (net: t.Module) =>
      net.namedBuffers().find(([k]) => k === "main.1.running_mean")![1].toFloat32Array();
    assert.notDeepEqual(mean(ema), mean(recalibrated.trainer.netG));
    const count = ema.namedBuffers().find(([k]) => k === "main.1.num_batches_tracked")![1];
    assert.equal(Number(count.item()), 2); // 300 latent vectors in batches of 256
    assert.ok(EMA_BN_IMAGES >= 1024);
  } finally {
    plain.trainer.dispose();
    recalibrated.trainer.dispose();
  }
});
