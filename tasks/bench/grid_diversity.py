"""How varied a grid of samples is: the mean and smallest pairwise RMS distance between its images, and
how colourful they are: Hasler and Suesstrunk's colourfulness (2003; 0 for grey, about 0.1 for muted
images, 0.2-0.4 for vivid ones on this [0, 1] scale), the mean over the grid's images.

    /usr/bin/python3 tasks/bench/grid_diversity.py RUN/real_samples.png RUN/fake_samples_last.png

Reads an 8x8 grid as the runs write them (2-pixel padding), pixels in [0, 1]. Near-copies show as a
smallest distance far below a real batch's; mode collapse as a mean far below it; washed-out, greyish
samples as a colourfulness below a real batch's.
"""
import sys

import numpy as np
from PIL import Image
def tiles(path, n=8, pad=2):
    a = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    H = a.shape[0]; s = (H - pad) // n - pad
    out = []
    for r in range(n):
        for c in range(n):
            y = pad + r * (s + pad); x = pad + c * (s + pad)
            out.append(a[y:y+s, x:x+s].reshape(-1))
    return np.stack(out)
def colourfulness(tile):
    rgb = tile.reshape(-1, 3)
    rg = rgb[:, 0] - rgb[:, 1]
    yb = 0.5 * (rgb[:, 0] + rgb[:, 1]) - rgb[:, 2]
    return np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
for p in sys.argv[1:]:
    t = tiles(p)
    d = np.sqrt(((t[:, None, :] - t[None, :, :]) ** 2).mean(-1))
    iu = np.triu_indices(len(t), 1)
    print(f"{p}: tiles {len(t)} size {int(np.sqrt(t.shape[1]/3))}, mean pairwise RMS {d[iu].mean():.3f}, min {d[iu].min():.3f}, "
          f"colourfulness {np.mean([colourfulness(x) for x in t]):.3f}")
