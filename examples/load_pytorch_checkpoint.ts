/**
 * Sample from a generator trained in PyTorch (pytorch/examples dcgan). Save its state dict as
 * safetensors on the PyTorch side, with the same key names:
 *
 * ```python
 * from safetensors.torch import save_file   # pip install safetensors
 * save_file(netG.state_dict(), "netG.safetensors")
 * ```
 *
 * Run: deno run -A examples/load_pytorch_checkpoint.ts netG.safetensors [grid.png]
 */
import { loadGenerator, manualSeed, noGrad, randn, saveImage } from "@gan/dcgan";

const [checkpoint, out = "pytorch_samples.png"] = Deno.args;
if (!checkpoint) {
  console.error("usage: load_pytorch_checkpoint.ts GENERATOR.safetensors [OUT.png]");
  Deno.exit(2);
}
using netG = await loadGenerator(checkpoint); // nz, ngf, nc and image size come from the tensors
console.log(`loaded a ${netG.imageSize}x${netG.imageSize} generator with nz ${netG.nz}, ngf ${netG.ngf}`);
manualSeed(0);
using z = randn([16, netG.nz, 1, 1]);
using images = noGrad(() => netG.forward(z));
await saveImage(images, out, { nrow: 4, normalize: true, valueRange: [-1, 1] });
console.log(out);
