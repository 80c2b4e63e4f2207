// loadGenerator reads every generator the train task makes off its tensors: each architecture, with
// spectral norm and with self-attention, from a weights file and from a run checkpoint.
import assert from "node:assert/strict";
import { join } from "node:path";
import { saveStateDict } from "../../models/io/state_dict_file.ts";
import { createGenerator } from "../../models/dcgan/factory.ts";
import type { GeneratorConfig } from "../../models/dcgan/networks.ts";
import * as t from "../../mod.ts";
import { withTempDir } from "../fixtures.ts";
import { generatorShape, loadGenerator } from "../../tasks/gan/generator_file.ts";

const VARIANTS: GeneratorConfig[] = [
  { arch: "dcgan", nz: 8, ngf: 4, nc: 3, imageSize: 64 },
  { arch: "dcgan", nz: 8, ngf: 4, nc: 1, imageSize: 32, attention: 8 },
  { arch: "dcgan", nz: 8, ngf: 8, nc: 3, imageSize: 32, spectralNorm: true, attention: 16 },
  { arch: "mnist", nz: 6, ngf: 4, nc: 1, imageSize: 32 },
  { arch: "mnist", nz: 6, ngf: 8, nc: 1, imageSize: 32, spectralNorm: true, attention: 16 },
  { arch: "mlp", nz: 6, ngf: 4, nc: 1, imageSize: 16 },
  { arch: "mlp", nz: 6, ngf: 4, nc: 3, imageSize: 8, spectralNorm: true },
];

for (const config of VARIANTS) {
  const name = JSON.stringify(config).replaceAll('"', "");
  Deno.test(`loadGenerator reads ${name} off its tensors and draws the same images`, async () => {
    await withTempDir(async (dir) => {
      t.manualSeed(3);
      using netG = createGenerator(config).eval();
      const file = join(dir, "generator.safetensors");
      await saveStateDict(netG, file);
      const tensors = [...netG.namedParameters(), ...netG.namedBuffers()];
      const read = generatorShape(Object.fromEntries(tensors.map(([k, v]) => [k, v.shape])), file);
      assert.deepEqual(read, { spectralNorm: false, attention: 0, ...config });
      using loaded = await loadGenerator(file);
      using z = t.randn([2, config.nz!, 1, 1]);
      using expected = netG.forward(z);
      using actual = loaded.forward(z);
      assert.deepEqual(actual.toFloat32Array(), expected.toFloat32Array());
    });
  });
}

Deno.test("loadGenerator takes netG from a run checkpoint whose G has no main.0.weight (spectral norm)", async () => {
  await withTempDir(async (dir) => {
    using netG = createGenerator({ nz: 8, ngf: 4, nc: 1, imageSize: 32, spectralNorm: true }).eval();
    const state = netG.stateDict();
    const entries = Object.fromEntries(Object.entries(state).map(([k, v]) => [`netG.${k}`, v]));
    using decoy = t.zeros([1]);
    try {
      await saveStateDict({ ...entries, "netD.main.0.weight": decoy }, join(dir, "checkpoint.safetensors"));
    } finally {
      Object.values(state).forEach((v) => v.dispose());
    }
    using loaded = await loadGenerator(join(dir, "checkpoint.safetensors"));
    assert.equal(loaded.nz, 8);
  });
});

Deno.test("generatorShape names the file and the fix for tensors of no generator", () => {
  assert.throws(
    () => generatorShape({ "fc.weight": [3, 4] }, "d.safetensors"),
    /"d\.safetensors" is not a generator checkpoint of this package: .*pass generator\.safetensors/,
  );
});
