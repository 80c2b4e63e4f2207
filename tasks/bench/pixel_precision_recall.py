"""A crude offline score for generators of data that has no feature network here (the emoji set): k-NN
precision and recall (Kynkaenniemi et al. 2019, k = 3) of N samples against N real images, in 16x16 RGB pixel
space (4x4 average pooling of 64x64 images, pixels in [0, 1]), and the mean distance from a sample to its
nearest real image. Pixels see colour and layout, not what a picture shows: use it to rank generators of one
data set, never as FID.

    /usr/bin/python3 tasks/bench/pixel_precision_recall.py [--seed S] REAL_PNG_FOLDER G1.safetensors [G2 ...]

REAL_PNG_FOLDER for the default set: the npm package's img/twitter/64 folder (under
~/.cache/deno/npm/registry.npmjs.org/emoji-datasource-twitter/16.0.0/). Each generator is a 64x64 DCGAN G
(any nz and ngf) in PyTorch's keys, float32 or float16; N = 3000 samples drawn with torch.manual_seed(S),
3000 of the 3,786 real images (shuffled with seed S), transparent pixels composited on white as the loader
does. S (default 0) picks another draw of both, to see how much the figures move between draws.
"""
import glob
import random
import sys

import numpy as np
import torch
from PIL import Image

from torch_sample import load_generator

N, K = 3000, 3


def features(images):
    """N x 3 x 64 x 64 in [-1, 1] -> N x 768: 16x16 RGB in [0, 1]."""
    return torch.nn.functional.avg_pool2d((images + 1) / 2, 4).reshape(len(images), -1)


def real_images(folder, seed):
    files = sorted(glob.glob(f"{folder}/*.png"))
    if len(files) < N:
        sys.exit(f"{folder} holds {len(files)} PNGs; {N} are needed")
    random.Random(seed).shuffle(files)
    out = []
    for path in files[:N]:
        rgba = Image.open(path).convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(white, rgba).convert("RGB").resize((64, 64))
        out.append(torch.from_numpy(np.asarray(rgb, dtype=np.float32) / 127.5 - 1).permute(2, 0, 1))
    return torch.stack(out)


def kth_neighbour_radius(x):
    return torch.cdist(x, x).kthvalue(K + 1, dim=1).values


def main():
    args = sys.argv[1:]
    seed = 0
    if args[:1] == ["--seed"] and len(args) > 1:
        seed, args = int(args[1]), args[2:]
    if len(args) < 2:
        sys.exit(__doc__)
    real = features(real_images(args[0], seed))
    real_radius = kth_neighbour_radius(real)
    for path in args[1:]:
        net, nz = load_generator(path)
        torch.manual_seed(seed)
        with torch.no_grad():
            fake = features(net(torch.randn(N, nz, 1, 1)))
        distances = torch.cdist(fake, real)
        precision = (distances <= real_radius[None, :]).any(1).float().mean().item()
        recall = (distances.T <= kth_neighbour_radius(fake)[None, :]).any(1).float().mean().item()
        nearest = distances.min(1).values.mean().item()
        print(f"{path}: precision {precision:.3f} recall {recall:.3f} nearest real {nearest:.3f}")


if __name__ == "__main__":
    main()
