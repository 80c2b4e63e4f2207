/**
 * `--netG PATH` / `--netD PATH`, pytorch/examples' flags: a new run starts its networks from saved
 * weights instead of the seed's init. A file is a network's state dict under PyTorch's key names (a run's
 * `generator.safetensors` or `discriminator.safetensors`, `generator_epoch_NNN.safetensors`, or PyTorch's
 * `net.state_dict()` saved as safetensors), a run's `checkpoint.safetensors` (its `netG.*` or `netD.*`),
 * or a run folder (its generator or discriminator file). Keys and shapes must match the network this
 * run's settings build, every one: a file that does not fit is refused, naming it and the settings to
 * check. The weights are loaded after the init, so the random draws of the run (noise, batches) are
 * those of a run without the flags.
 *
 * @module
 */

import { join } from "node:path";
import { loadCheckpoint } from "../../models/io/state_dict_file.ts";
import type { Module } from "../../models/nn/module.ts";
import type { Tensor } from "../../ops/tensor.ts";
import { ConfigError, type TrainConfig } from "./config.ts";
import type { DcganTrainer } from "./trainer.ts";

/** Each flag: the trainer's network it fills, its key prefix in a run checkpoint, its file in a run folder. */
const NETWORKS = {
  netG: { prefix: "netG.", file: "generator.safetensors", what: "generator", shape: "--nz, --ngf" },
  netD: { prefix: "netD.", file: "discriminator.safetensors", what: "discriminator", shape: "--ndf" },
} as const;

/** The state dict a file holds for a network: its own keys, or a run checkpoint's under the prefix. */
function networkState(tensors: Record<string, Tensor>, prefix: string): Record<string, Tensor> {
  const prefixed = Object.keys(tensors).some((key) => key.startsWith(prefix));
  if (!prefixed) return tensors;
  const state: Record<string, Tensor> = {};
  for (const [key, value] of Object.entries(tensors)) {
    if (key.startsWith(prefix)) state[key.slice(prefix.length)] = value;
  }
  return state;
}

/**
 * Loads one network's saved weights into `module`, strictly.
 *
 * @param module the network to fill (built from this run's settings)
 * @param path the file or run folder
 * @param flag `netG` or `netD`
 * @throws {ConfigError} naming the flag and the file when it is missing, not safetensors, or does not fit
 */
async function loadInto(module: Module, path: string, flag: keyof typeof NETWORKS): Promise<void> {
  const { prefix, file, what, shape } = NETWORKS[flag];
  let source = path;
  try {
    if ((await Deno.stat(path)).isDirectory) source = join(path, file);
  } catch {
    throw new ConfigError(
      `--${flag} "${path}" does not exist: pass a ${file}, a checkpoint.safetensors or a run folder`,
    );
  }
  let tensors: Record<string, Tensor>;
  try {
    tensors = (await loadCheckpoint(source)).tensors;
  } catch (error) {
    throw new ConfigError(`--${flag}: ${(error as Error).message}`); // it names the file and the fix
  }
  try {
    module.loadStateDict(networkState(tensors, prefix), { source: `--${flag} "${source}"` });
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const problem = error.message.replace(/; build the module with the config .*$/, "");
    throw new ConfigError(
      `${problem}; pass the weights of a ${what} that this run's settings build (the same ${shape}, ` +
        "--image-size, --arch, --conditional and variant flags as the run or script that saved them)",
    );
  } finally {
    for (const tensor of Object.values(tensors)) tensor.dispose();
  }
}

/**
 * Starts a new run's networks from the files `netG` and `netD` name (either, both or neither); with
 * `ema`, the average of G starts from the loaded G.
 *
 * @param trainer the run's trainer, just built
 * @param config `netG` and `netD`
 * @throws {ConfigError} naming the flag and the file when one is missing, unreadable, or does not fit the
 *   network this run builds (a key missing, unexpected, or of another shape)
 * @example
 * ```ts ignore
 * import { loadStartWeights } from "./start_weights.ts";
 * await loadStartWeights(trainer, { netG: "runs/emoji-1/generator.safetensors" });
 * ```
 */
export async function loadStartWeights(
  trainer: DcganTrainer,
  config: Pick<TrainConfig, "netG" | "netD">,
): Promise<void> {
  if (config.netD !== undefined) await loadInto(trainer.netD, config.netD, "netD");
  if (config.netG === undefined) return;
  await loadInto(trainer.netG, config.netG, "netG");
  if (!trainer.netGEma) return;
  const state = trainer.netG.stateDict();
  try {
    trainer.netGEma.loadStateDict(state);
  } finally {
    for (const tensor of Object.values(state)) tensor.dispose();
  }
}
