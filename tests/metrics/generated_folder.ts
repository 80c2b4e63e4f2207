// A data set made of the very images `deno task eval` will generate (latent seed 0), saved as PNGs: the
// case where every score must be at its best (FID ~0, precision and recall 1, each sample its own nearest).
import { join } from "node:path";
import type { Generator } from "../../mod.ts";
import { saveImageArray } from "../../tasks/image/grid.ts";
import { generatedBatches } from "../../tasks/metrics/images.ts";

/** Saves the first `n` images `netG` generates at seed 0 as `img_<i>.png` in the new folder `dir`. */
export async function saveGeneratedFolder(netG: Generator, n: number, dir: string): Promise<void> {
  await Deno.mkdir(dir);
  const [batch] = [...generatedBatches(netG, n, { batchSize: n, seed: 0, quantize: false })];
  const shape = batch!.shape.slice(1) as [number, number, number];
  const per = shape[0] * shape[1] * shape[2];
  for (let i = 0; i < n; i++) {
    const image = { data: batch!.data.slice(i * per, (i + 1) * per), shape };
    await saveImageArray(image, join(dir, `img_${i}.png`), { normalize: true, valueRange: [-1, 1] });
  }
}
