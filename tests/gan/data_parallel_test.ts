// Data-parallel parity: 2 processes over loopback Gloo (ops/distributed.ts, tasks/gan/data_parallel.ts)
// against PyTorch's DistributedDataParallel with torch.distributed's Gloo, 2 processes: the same seeded
// weights (seed 42 on every rank), the same shards (DistributedSampler's padding and stride over our
// epoch permutation) and the same noise (every rank draws the world's batch and keeps its rows). Each
// rank's losses and final weights, buffers included, must agree over 5 steps, which cross an epoch
// boundary and its smaller last batch. SyncBatchNorm has no CPU reference in PyTorch 1.13, so it is held
// to what it must equal: 2 processes with it train as one process on the whole batch.
import assert from "node:assert/strict";
import { join } from "node:path";
import { tensor } from "../../ops/creation.ts";
import { manualSeed } from "../../ops/runtime.ts";
import { BatchLoader } from "../../tasks/data/loader.ts";
import { DcganTrainer } from "../../tasks/gan/trainer.ts";
import { createRng } from "../../tasks/data/prng.ts";
import { assertClose, runTorch } from "../torch_ref.ts";

const STEPS = 5;
const WORLD = 2;
const BATCH = 4; // the world's batch: 2 per rank
const COUNT = 13; // odd: DistributedSampler pads; 7 per rank make 3 batches of 2 and one of 1
const SPEC = { nz: 8, ngf: 4, ndf: 4, nc: 1, imageSize: 64, lr: 2e-4, beta1: 0.5 };
const TOLERANCE = { rtol: 1e-5, atol: 1e-5 };

/** A free TCP port on the loopback interface. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The largest |a - e| over two lists, for the report that `DCGAN_SHOW_DIFFS=1` prints. */
function largestDiff(a: ArrayLike<number>, e: ArrayLike<number>): number {
  let largest = 0;
  for (let i = 0; i < e.length; i++) largest = Math.max(largest, Math.abs(Number(a[i]) - Number(e[i])));
  return largest;
}

/** Prints the largest differences with `DCGAN_SHOW_DIFFS=1`. */
function showDiffs(what: string, losses: number, weights: number): void {
  if (Deno.env.get("DCGAN_SHOW_DIFFS") === "1") {
    console.log(
      `${what}: largest difference ${losses.toExponential(2)} in the numbers, ${
        weights.toExponential(2)
      } in the weights`,
    );
  }
}

/** What a rank of data_parallel_worker.ts wrote: each step's numbers and its final state dicts. */
interface RankResult {
  stats: number[][];
  state: Record<string, { shape: number[]; data: number[] }>;
}

/** Trains STEPS steps with WORLD worker processes over loopback Gloo on `images`. */
async function runRanks(
  work: string,
  images: Uint8Array,
  count: number,
  syncBatchNorm: boolean,
  spec: object = SPEC,
) {
  const port = freePort();
  const ranks = Array.from({ length: WORLD }, (_, rank) => {
    const job = {
      rank,
      worldSize: WORLD,
      port,
      out: join(work, `ours${rank}.json`),
      steps: STEPS,
      batchSize: BATCH,
      count,
      spec,
      images: Array.from(images),
      syncBatchNorm,
    };
    const jobFile = join(work, `job${rank}.json`);
    Deno.writeTextFileSync(jobFile, JSON.stringify(job));
    return new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./data_parallel_worker.ts", import.meta.url).pathname, jobFile],
      env: { DCGAN_NUM_THREADS: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
  });
  const outputs = await Promise.all(ranks);
  outputs.forEach((o, rank) => {
    assert.ok(o.success, `rank ${rank} failed:\n${new TextDecoder().decode(o.stderr)}`);
  });
  return outputs.map((_, rank): RankResult =>
    JSON.parse(Deno.readTextFileSync(join(work, `ours${rank}.json`)))
  );
}

/** DistributedDataParallel over Gloo, 2 processes (forked), each running the seed's loop on its shard. */
const DDP_LOOP = `
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel as DDP
from torch_reference import Generator, Discriminator, weights_init

def rank_loop(rank, world, port, work, images, orders):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % port, rank=rank, world_size=world)
    torch.manual_seed(42)
    netG = Generator(NZ, NGF, NC); netG.apply(weights_init)
    netD = Discriminator(NDF, NC); netD.apply(weights_init)
    netG, netD = DDP(netG), DDP(netD)
    criterion = nn.BCELoss()
    optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    per_rank = BATCH // world
    stats = []
    for order in orders:
        # DistributedSampler(drop_last=False) over this epoch's order
        indices = order.tolist()
        total = -(-len(indices) // world) * world
        indices += (indices * total)[:total - len(indices)]
        mine = indices[rank:total:world]
        for start in range(0, len(mine), per_rank):
            if len(stats) == STEPS: break
            real = images[mine[start:start + per_rank]]
            b = real.shape[0]
            noise = torch.randn(b * world, NZ, 1, 1)[rank * b:(rank + 1) * b]
            netD.zero_grad()
            label = torch.full((b,), 1., dtype=torch.float)
            output = netD(real)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()
            fake = netG(noise)
            label.fill_(0.)
            output = netD(fake.detach())
            errD_fake = criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            errD = errD_real + errD_fake
            optimizerD.step()
            netG.zero_grad()
            label.fill_(1.)
            output = netD(fake)
            errG = criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            optimizerG.step()
            stats.append([errD.item(), errG.item(), D_x, D_G_z1, D_G_z2])
    result = {"stats": torch.tensor(stats, dtype=torch.float64)}
    for prefix, net in (("G", netG.module), ("D", netD.module)):
        for k, v in net.state_dict().items():
            result[prefix + "." + k] = v
    torch.save(result, os.path.join(work, "rank%d.pt" % rank))
    dist.destroy_process_group()

images = ((inp["images"].float() / 255 - 0.5) / 0.5).reshape(COUNT, NC, 64, 64)
orders = [inp["order0"], inp["order1"]]
mp.start_processes(rank_loop, args=(WORLD, PORT, WORK, images, orders), nprocs=WORLD, start_method="fork")
for rank in range(WORLD):
    for k, v in torch.load(os.path.join(WORK, "rank%d.pt" % rank)).items():
        out["%d.%s" % (rank, k)] = v
`;

Deno.test("2 processes over loopback Gloo match PyTorch DDP's 2 processes: losses and weights over 5 steps", async () => {
  const work = await Deno.makeTempDir({ prefix: "dcgan-ddp-" });
  try {
    const rng = createRng(3);
    const images = Uint8Array.from({ length: COUNT * SPEC.nc * 64 * 64 }, () => Math.floor(rng.next() * 256));
    const dataset = { images, count: COUNT, channels: SPEC.nc, size: 64, skipped: [] };
    const whole = new BatchLoader(dataset, { batchSize: BATCH, seed: 7 });
    const orders = [0, 1].map((e) => BigInt64Array.from(whole.order(e), (i) => BigInt(i)));
    const header = `WORK = ${JSON.stringify(work)}\nSTEPS = ${STEPS}\nBATCH = ${BATCH}\nCOUNT = ${COUNT}\n` +
      `WORLD = ${WORLD}\nPORT = ${freePort()}\nNZ, NGF, NDF, NC = ${SPEC.nz}, ${SPEC.ngf}, ${SPEC.ndf}, ${SPEC.nc}\n`;
    const reference = runTorch(header + DDP_LOOP, {
      images: { data: Float64Array.from(images), shape: [images.length] },
      order0: { data: orders[0]!, shape: [COUNT] },
      order1: { data: orders[1]!, shape: [COUNT] },
    });
    const expected = await reference; // one side at a time: two processes each on the 2 cores
    const ours = await runRanks(work, images, COUNT, false);
    let [losses, weights] = [0, 0];
    for (let rank = 0; rank < WORLD; rank++) {
      const theirs = expected[`${rank}.stats`]!;
      losses = Math.max(losses, largestDiff(ours[rank]!.stats.flat(), theirs.data));
      assert.equal(ours[rank]!.stats.length, STEPS);
      assertClose(
        { shape: [STEPS, 5], data: ours[rank]!.stats.flat() },
        theirs,
        TOLERANCE,
        `rank ${rank} Loss_D Loss_G D(x) D(G(z))`,
      );
      const keys = Object.keys(ours[rank]!.state);
      assert.ok(keys.length > 20, `rank ${rank} sent ${keys.length} tensors`);
      for (const key of keys) {
        assertClose(ours[rank]!.state[key]!, expected[`${rank}.${key}`], TOLERANCE, `rank ${rank} ${key}`);
        weights = Math.max(
          weights,
          largestDiff(ours[rank]!.state[key]!.data, expected[`${rank}.${key}`]!.data),
        );
      }
    }
    showDiffs("DDP parity", losses, weights);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

/**
 * SyncBatchNorm's case: 2 processes with it against one process on the whole batch, with `spec`'s
 * networks (bf16 autocast among the options), within `tolerance`.
 */
async function syncBatchNormMatchesOneProcess(
  spec: typeof SPEC & { autocast?: "bfloat16"; channelsLast?: boolean },
  tolerance: { rtol: number; atol: number },
): Promise<void> {
  const work = await Deno.makeTempDir({ prefix: "dcgan-syncbn-" });
  try {
    const count = 12; // 3 world batches of 4 an epoch, the same images as one process's batches of 4
    const rng = createRng(4);
    const images = Uint8Array.from({ length: count * SPEC.nc * 64 * 64 }, () => Math.floor(rng.next() * 256));
    const ranks = await runRanks(work, images, count, true, spec);
    // one process, the whole batch: the same seed, order and noise (the world's noise is one draw)
    manualSeed(42);
    const trainer = new DcganTrainer({ ...spec, device: "cpu" });
    const dataset = { images, count, channels: SPEC.nc, size: 64, skipped: [] };
    const loader = new BatchLoader(dataset, { batchSize: BATCH, seed: 7 });
    const stats: number[][] = [];
    for (let epoch = 0; stats.length < STEPS; epoch++) {
      for (const batch of loader.epoch(epoch)) {
        if (stats.length === STEPS) break;
        using real = tensor(batch.images.data, { shape: batch.images.shape });
        const s = trainer.step(real);
        stats.push([s.lossD, s.lossG, s.dx, s.dgz1, s.dgz2]);
      }
    }
    try {
      // each rank's numbers are means over its half: their mean is the whole batch's
      const mean = ranks[0]!.stats.map((row, i) => row.map((x, j) => (x + ranks[1]!.stats[i]![j]!) / 2));
      const one = { shape: [STEPS, 5], data: Float64Array.from(stats.flat()) };
      let weights = 0;
      assertClose(
        { shape: [STEPS, 5], data: mean.flat() },
        one,
        tolerance,
        "Loss_D Loss_G D(x) D(G(z))",
      );
      for (const [prefix, net] of [["G", trainer.netG], ["D", trainer.netD]] as const) {
        for (const [key, value] of Object.entries(net.stateDict())) {
          const whole = { shape: value.shape, data: value.to("float64").toArray() as Float64Array };
          value.dispose();
          for (const rank of [0, 1]) {
            weights = Math.max(
              weights,
              largestDiff(ranks[rank]!.state[`${prefix}.${key}`]!.data, whole.data),
            );
            assertClose(
              ranks[rank]!.state[`${prefix}.${key}`]!,
              whole,
              tolerance,
              `rank ${rank} ${prefix}.${key}`,
            );
          }
        }
      }
      showDiffs("SyncBatchNorm vs one process", largestDiff(mean.flat(), one.data), weights);
    } finally {
      trainer.dispose();
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

Deno.test("with SyncBatchNorm, 2 processes train as one process does on the whole batch", async () => {
  await syncBatchNormMatchesOneProcess(SPEC, TOLERANCE);
});

Deno.test("with SyncBatchNorm under bf16 autocast and channels_last, 2 processes train as one process does", async () => {
  // the shared statistics are float32 whatever the input's dtype, as batch norm's own kernels keep them;
  // one process's batch norm works on the bf16 input, so the two agree to bf16's precision
  const bf16 = { ...SPEC, autocast: "bfloat16" as const, channelsLast: true };
  await syncBatchNormMatchesOneProcess(bf16, { rtol: 1e-2, atol: 1e-2 });
});
