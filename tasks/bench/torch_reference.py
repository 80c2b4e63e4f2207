"""PyTorch's side of `deno task bench`: the DCGAN seed loop (pytorch/examples dcgan/main.py), as written
and at PyTorch's best on a CPU (channels_last + bf16 autocast), a tiny op's call overhead and a large
matmul, timed on the same machine, libtorch and thread count as ours. Its Generator, Discriminator and
weights_init are also the tests' PyTorch reference (tests/torch_ref.ts puts this folder on sys.path).

Usage: python3 torch_reference.py '{"threads": 2, "steps": 3, "warmup": 1, "configs": [{"batch": 64, ...}],
"variants": ["seed", "bf16_channels_last"], "matmul_n": 2048}'
With "keep_freed_memory": true it first sets glibc's malloc as our shim does (no mmap'd blocks, no heap
trimming: t_keep_freed_memory in ffi/shim.cpp), and with "steps_only": true it times only the steps.
Prints one JSON object on stdout.
"""
import ctypes
import json
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn


# pytorch/examples dcgan/main.py's networks and init, as written there but for ngpu (sizes are arguments
# here, globals there). The tests import these too: they are the reference for every number.


class Generator(nn.Module):
    def __init__(self, nz, ngf, nc):
        super(Generator, self).__init__()
        self.main = nn.Sequential(
            # input is Z, going into a convolution
            nn.ConvTranspose2d(     nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            # state size. (ngf*8) x 4 x 4
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # state size. (ngf*4) x 8 x 8
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # state size. (ngf*2) x 16 x 16
            nn.ConvTranspose2d(ngf * 2,     ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # state size. (ngf) x 32 x 32
            nn.ConvTranspose2d(    ngf,      nc, 4, 2, 1, bias=False),
            nn.Tanh()
            # state size. (nc) x 64 x 64
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self, ndf, nc):
        super(Discriminator, self).__init__()
        self.main = nn.Sequential(
            # input is (nc) x 64 x 64
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf) x 32 x 32
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*2) x 16 x 16
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*4) x 8 x 8
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*8) x 4 x 4
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        output = self.main(input)
        return output.view(-1, 1).squeeze(1)


# custom weights initialization called on netG and netD
def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


def train_step_rate(batch, nz, ngf, ndf, nc, steps, warmup, variant="seed"):
    """img/s of the seed's step (its median over `steps`); variant "bf16_channels_last" lays out the networks and the real batch as
    channels_last and runs them under torch.autocast("cpu", dtype=torch.bfloat16), D's output cast to
    float32 for BCELoss (what `--amp bf16 --channels-last` does on our side)."""
    netG = Generator(nz, ngf, nc)
    netD = Discriminator(ndf, nc)
    netG.apply(weights_init)
    netD.apply(weights_init)
    amp = variant == "bf16_channels_last"
    if amp:
        netG.to(memory_format=torch.channels_last)
        netD.to(memory_format=torch.channels_last)
    criterion = nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(batch, nc, 64, 64) * 2 - 1
    if amp:
        real = real.contiguous(memory_format=torch.channels_last)

    def D(x):
        if not amp:
            return netD(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return netD(x).float()

    def G(z):
        if not amp:
            return netG(z)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return netG(z)

    def step():
        netD.zero_grad()
        label = torch.full((batch,), 1.0)
        output = D(real)
        errD_real = criterion(output, label)
        errD_real.backward()
        noise = torch.randn(batch, nz, 1, 1)
        fake = G(noise)
        label.fill_(0.0)
        output = D(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        optD.step()
        netG.zero_grad()
        label.fill_(1.0)
        output = D(fake)
        errG = criterion(output, label)
        errG.backward()
        optG.step()
        return errD_real.item() + errD_fake.item(), errG.item()

    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return batch / statistics.median(times)  # the median step: one slow step does not move it


def add_overhead_us(n=200000):
    a = torch.ones(1)
    b = torch.ones(1)
    for _ in range(10000):
        a + b
    start = time.perf_counter()
    for _ in range(n):
        a + b
    return (time.perf_counter() - start) / n * 1e6


def conv2d_ms(batch, repeats=5):
    """Forward+backward of one DCGAN discriminator layer: conv 64->128, 4x4, stride 2, padding 1."""
    x = torch.randn(batch, 64, 32, 32, requires_grad=True)
    w = torch.randn(128, 64, 4, 4, requires_grad=True)
    step = lambda: torch.nn.functional.conv2d(x, w, stride=2, padding=1).sum().backward()
    step()
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) / repeats * 1000


def matmul_gflops(n, dtype, repeats=3):
    """GFLOP/s of an n x n x n matmul in `dtype` (2 n^3 operations), the best of `repeats`."""
    a = torch.randn(n, n).to(dtype)
    b = torch.randn(n, n).to(dtype)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # glibc's malloc.h


def keep_freed_memory():
    """What our shim's t_keep_freed_memory does: freed blocks stay in the process for the next step."""
    libc = ctypes.CDLL("libc.so.6")
    return libc.mallopt(M_MMAP_MAX, 0) == 1 and libc.mallopt(M_TRIM_THRESHOLD, -1) == 1


def main():
    spec = json.loads(sys.argv[1])
    kept = keep_freed_memory() if spec.get("keep_freed_memory") else False
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "keep_freed_memory": kept,
              "steps": []}
    if not spec.get("steps_only"):
        result["add_us"] = add_overhead_us()
        result["conv2d_ms"] = conv2d_ms(spec.get("conv_batch", 64))
    for cfg in spec.get("configs", []):
        for variant in spec.get("variants", ["seed"]):
            rate = train_step_rate(cfg["batch"], cfg["nz"], cfg["ngf"], cfg["ndf"], cfg["nc"], spec["steps"],
                                   spec["warmup"], variant)
            result["steps"].append({**cfg, "variant": variant, "img_per_s": rate})
    if "matmul_n" in spec and not spec.get("steps_only"):
        result["matmul_gflops"] = {name: matmul_gflops(spec["matmul_n"], dtype)
                                   for name, dtype in [("float32", torch.float32), ("bfloat16", torch.bfloat16)]}
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
