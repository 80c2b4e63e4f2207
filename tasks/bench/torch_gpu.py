"""PyTorch's side of `deno task bench --device cuda` and of tests/cuda_test.ts: the DCGAN seed loop
(pytorch/examples dcgan/main.py, five .item() reads per step as it logs them) on the GPU, as eager
PyTorch, with channels_last, under bf16 autocast, and through torch.compile.

Usage:
  python3 torch_gpu.py bench  '{"configs": [{"batch": 64, "nz": 128, "ngf": 64, "ndf": 64, "nc": 3}],
                                "variants": ["eager", ...], "steps": 100, "warmup": 5}'
  python3 torch_gpu.py parity '{"batch": 8, "nz": 16, "ngf": 8, "ndf": 8, "nc": 3, "steps": 4,
                                "variant": "eager", "seed": 999, "data_seed": 0}'
Prints one JSON object on stdout.
"""
import json
import sys
import time

import torch
import torch.nn as nn

from torch_reference import Discriminator, Generator, weights_init


def make_run(cfg, variant, fused_adam=False):
    """Networks, optimizers and one seed-loop step for a variant: eager, channels_last, bf16, compile."""
    device = torch.device("cuda")
    netG = Generator(cfg["nz"], cfg["ngf"], cfg["nc"])
    netG.apply(weights_init)
    netD = Discriminator(cfg["ndf"], cfg["nc"])
    netD.apply(weights_init)
    netG.to(device)
    netD.to(device)
    channels_last = "channels_last" in variant
    if channels_last:
        netG.to(memory_format=torch.channels_last)
        netD.to(memory_format=torch.channels_last)
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999), fused=fused_adam or None)
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999), fused=fused_adam or None)
    G, D = netG, netD
    if "compile" in variant:
        G, D = torch.compile(netG), torch.compile(netD)
    amp = "bf16" in variant
    criterion = nn.BCELoss()

    def forward_d(x):
        # BCELoss refuses autocast: D runs under it, the loss takes its output in float32
        if amp:
            with torch.autocast("cuda", dtype=torch.bfloat16):
                return D(x).float()
        return D(x)

    def forward_g(z):
        if amp:
            with torch.autocast("cuda", dtype=torch.bfloat16):
                return G(z)
        return G(z)

    def step(real):
        b = real.size(0)
        if channels_last:
            real = real.contiguous(memory_format=torch.channels_last)
        netD.zero_grad()
        label = torch.full((b,), 1.0, device=device)
        output = forward_d(real)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        noise = torch.randn(b, cfg["nz"], 1, 1, device=device)
        fake = forward_g(noise)
        label.fill_(0.0)
        output = forward_d(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optD.step()
        netG.zero_grad()
        label.fill_(1.0)
        output = forward_d(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optG.step()
        return [errD.item(), errG.item(), D_x, D_G_z1, D_G_z2]

    return step


def bench(spec):
    torch.backends.cudnn.benchmark = True  # as the seed's main.py
    out = {"torch": torch.__version__, "gpu": torch.cuda.get_device_name(), "rows": []}
    for cfg in spec["configs"]:
        for variant in spec["variants"]:
            torch.manual_seed(0)
            real = torch.rand(cfg["batch"], cfg["nc"], 64, 64, device="cuda") * 2 - 1
            torch.cuda.reset_peak_memory_stats()
            step = make_run(cfg, variant)
            compile_start = time.perf_counter()
            for _ in range(spec["warmup"]):
                step(real)
            torch.cuda.synchronize()
            warmup_s = time.perf_counter() - compile_start
            start = time.perf_counter()
            for _ in range(spec["steps"]):
                step(real)
            torch.cuda.synchronize()
            elapsed = time.perf_counter() - start
            out["rows"].append({
                "batch": cfg["batch"],
                "variant": variant,
                "img_per_s": cfg["batch"] * spec["steps"] / elapsed,
                "ms_per_step": elapsed / spec["steps"] * 1000,
                "warmup_s": warmup_s,
                "peak_mib": torch.cuda.max_memory_allocated() / 2**20,
            })
            del step
            torch.cuda.empty_cache()
    return out


def parity(spec):
    """The seed loop's numbers per step, from the same seeds as tests/cuda_test.ts uses."""
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.manual_seed(spec["data_seed"])
    real = (torch.rand(spec["batch"], spec["nc"], 64, 64) * 2 - 1).cuda()
    torch.manual_seed(spec["seed"])
    step = make_run(spec, spec["variant"], fused_adam=True)
    return {"torch": torch.__version__, "stats": [step(real) for _ in range(spec["steps"])]}


if __name__ == "__main__":
    mode, arg = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(bench(arg) if mode == "bench" else parity(arg)))
