"""PyTorch's side of the bench's `sample` cold start: load generator.safetensors, draw n images, save a grid.

Usage: python3 torch_sample.py GENERATOR.safetensors N OUT.png
"""
import sys

import torch
import torchvision.utils as vutils

from safetensors_io import read_safetensors
from torch_reference import Generator


def load_generator(path):
    """PyTorch's 64x64 DCGAN generator in eval mode with the weights of `path` (float32 or float16, its
    sizes read from them), and its nz."""
    state = read_safetensors(path)
    nz, ngf, nc = state["main.0.weight"].shape[0], state["main.12.weight"].shape[0], state["main.12.weight"].shape[1]
    netG = Generator(nz, ngf, nc)
    netG.load_state_dict(state, strict=True)  # copies cast float16 weights to the module's float32
    return netG.eval(), nz


def main():
    path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    netG, nz = load_generator(path)
    torch.manual_seed(0)
    with torch.no_grad():
        fake = netG(torch.randn(n, nz, 1, 1))
    vutils.save_image(fake, out, normalize=True, value_range=(-1, 1))


if __name__ == "__main__":
    main()
