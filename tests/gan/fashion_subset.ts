// A small Fashion-MNIST for tests: DCGAN_FASHION_MNIST pointed at a folder of the first images.
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { FASHION_MNIST_DIR } from "../../tasks/data/fashion_mnist.ts";

/**
 * Writes the first `count` Fashion-MNIST training images and labels as IDX files into `dir`, for
 * `DCGAN_FASHION_MNIST` to point at: a small F-MNIST that loads in milliseconds.
 */
export async function writeFashionMnistSubset(dir: string, count: number): Promise<void> {
  for (const [stem, header, size] of [["images-idx3-ubyte", 16, 784], ["labels-idx1-ubyte", 8, 1]] as const) {
    const all = new Uint8Array(gunzipSync(await Deno.readFile(join(FASHION_MNIST_DIR, `train-${stem}.gz`))));
    const part = all.slice(0, header + count * size);
    new DataView(part.buffer).setUint32(4, count); // the first dimension: the image count
    await Deno.writeFile(join(dir, `train-${stem}`), part);
  }
}
