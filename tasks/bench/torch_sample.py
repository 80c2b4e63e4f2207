"""PyTorch's side of the bench's `sample` cold start: load generator.safetensors, draw n images, save a grid.

Usage: python3 torch_sample.py GENERATOR.safetensors N OUT.png
"""
import json
import struct
import sys

import numpy as np
import torch
import torchvision.utils as vutils

from torch_reference import Generator


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n:]
    dtypes = {"F32": np.float32, "I64": np.int64, "F16": np.float16}
    out = {}
    for key, entry in header.items():
        begin, end = entry["data_offsets"]
        array = np.frombuffer(body[begin:end], dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
        out[key] = torch.from_numpy(array.copy())
    return out


def main():
    path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    state = read_safetensors(path)
    nz, ngf, nc = state["main.0.weight"].shape[0], state["main.12.weight"].shape[0], state["main.12.weight"].shape[1]
    netG = Generator(nz, ngf, nc)
    netG.load_state_dict(state, strict=True)
    netG.eval()
    torch.manual_seed(0)
    with torch.no_grad():
        fake = netG(torch.randn(n, nz, 1, 1))
    vutils.save_image(fake, out, normalize=True, value_range=(-1, 1))


if __name__ == "__main__":
    main()
