/**
 * Train the DCGAN on your own folder of images (PNG or JPEG, any size, nested folders are fine)
 * from a script, with the same loop as `deno task train`.
 *
 * Run: deno run -A examples/train_own_folder.ts ~/pictures [epochs]
 */
import { parseTrainArgs, train } from "@gan/dcgan";

const [folder, epochs = "5"] = Deno.args;
if (!folder) {
  console.error("usage: train_own_folder.ts IMAGE_FOLDER [EPOCHS]");
  Deno.exit(2);
}
const config = parseTrainArgs([
  "--data",
  folder,
  "--epochs",
  epochs,
  "--image-size",
  "32",
  "--ngf",
  "32",
  "--ndf",
  "32",
])!;
const result = await train(config, {
  log: (line) => console.log(line), // the data set, and a line every 50 steps
  onStep: (stats, at) => {
    if (at.globalStep % 20 === 0) console.log(`step ${at.globalStep}: Loss_D ${stats.lossD.toFixed(3)}`);
  },
});
console.log(`samples and checkpoints are in ${result.out}`);
