// PyTorch references of the stabiliser layers and the selectable architectures, as Python source for
// runTorch scripts (put it before the test's own code). Written the way a PyTorch user would write them:
// torch.nn.utils.spectral_norm inline, nn.Sequential layer lists named `main`, the seeds' SelfAttention,
// StyleGAN2-ADA's MinibatchStdLayer. They mirror models/dcgan/{layers,mlp,mnist}.ts layer for layer, so
// that the same seed builds the same weights on both sides.

/**
 * Python: SelfAttention, MinibatchStdDev, the G/D layer lists of each arch, `Generator(arch, ...)` and
 * `Discriminator(arch, ...)`, weights_init, and text(value) (JSON as uint8).
 */
export const STABILISERS_PY = `
from torch.nn.utils import spectral_norm

def sn_if(on, m):
    return spectral_norm(m) if on else m

class SelfAttention(nn.Module):  # the seeds' (GAN chapter, Q7), with SAGAN's optional spectral norm
    def __init__(self, in_dim, sn=False):
        super().__init__()
        self.query = sn_if(sn, nn.Conv2d(in_dim, in_dim // 8, 1))
        self.key = sn_if(sn, nn.Conv2d(in_dim, in_dim // 8, 1))
        self.value = sn_if(sn, nn.Conv2d(in_dim, in_dim, 1))
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        batch, C, H, W = x.size()
        q = self.query(x).view(batch, -1, H * W).permute(0, 2, 1)
        k = self.key(x).view(batch, -1, H * W)
        v = self.value(x).view(batch, -1, H * W)
        attention = F.softmax(torch.bmm(q, k), dim=-1)
        out = torch.bmm(v, attention.permute(0, 2, 1))
        out = out.view(batch, C, H, W)
        return self.gamma * out + x

class MinibatchStdDev(nn.Module):  # StyleGAN2-ADA's MinibatchStdLayer, num_channels=1
    def __init__(self, group_size=4):
        super().__init__()
        self.group_size = group_size

    def extra_repr(self):
        return f"group_size={self.group_size}, num_channels=1"

    def forward(self, x):
        flat = x.dim() == 2
        if flat:
            x = x[:, :, None, None]
        N, C, H, W = x.shape
        G = min(self.group_size, N)
        while N % G:  # a partial batch: the largest group that divides it
            G -= 1
        y = x.reshape(G, -1, C, H, W)
        y = y - y.mean(dim=0)
        y = y.square().mean(dim=0)
        y = (y + 1e-8).sqrt()
        y = y.mean(dim=[1, 2, 3])
        y = y.reshape(-1, 1, 1, 1)
        y = y.repeat(G, 1, H, W)
        out = torch.cat([x, y], dim=1)
        return out.flatten(1) if flat else out

def dcgan_g(nz, ngf, nc, size, sn=False, attention=0):
    top = size // 8
    att = lambda side, ch: [SelfAttention(ch, sn)] if side == attention else []
    layers = [sn_if(sn, nn.ConvTranspose2d(nz, ngf * top, 4, 1, 0, bias=False)), nn.BatchNorm2d(ngf * top),
              nn.ReLU(True), *att(4, ngf * top)]
    mult = top
    while mult > 1:
        layers += [sn_if(sn, nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 4, 2, 1, bias=False)),
                   nn.BatchNorm2d(ngf * mult // 2), nn.ReLU(True), *att(size // mult, ngf * mult // 2)]
        mult //= 2
    return layers + [sn_if(sn, nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False)), nn.Tanh()]

def d_act(side, ch, sn, attention, dropout):
    return [nn.LeakyReLU(0.2), *([nn.Dropout(dropout)] if dropout else []),
            *([SelfAttention(ch, sn)] if side == attention else [])]

def dcgan_d(ndf, nc, size, sigmoid=True, norm=None, sn=False, attention=0, dropout=0, mbstd=0):
    norm = norm or ("none" if sn else "batch")
    top = size // 8
    layers = [sn_if(sn, nn.Conv2d(nc, ndf, 4, 2, 1, bias=False)), *d_act(size // 2, ndf, sn, attention, dropout)]
    mult = 1
    while mult < top:
        ch, side = ndf * mult * 2, size // 4 // mult
        layers.append(sn_if(sn, nn.Conv2d(ndf * mult, ch, 4, 2, 1, bias=False)))
        if norm == "batch":
            layers.append(nn.BatchNorm2d(ch))
        if norm == "layer":
            layers.append(nn.LayerNorm([ch, side, side]))
        layers += d_act(side, ch, sn, attention, dropout)
        mult *= 2
    if mbstd:
        layers.append(MinibatchStdDev(mbstd))
    layers.append(sn_if(sn, nn.Conv2d(ndf * top + (1 if mbstd else 0), 1, 4, 1, 0, bias=False)))
    return layers + ([nn.Sigmoid()] if sigmoid else [])

def mlp_g(nz, ngf, nc, size, sn=False, attention=0):  # the seeds' cGAN generator, without labels
    return [nn.Flatten(), sn_if(sn, nn.Linear(nz, ngf * 2)), nn.LeakyReLU(0.2),
            sn_if(sn, nn.Linear(ngf * 2, ngf * 4)), nn.BatchNorm1d(ngf * 4), nn.LeakyReLU(0.2),
            sn_if(sn, nn.Linear(ngf * 4, ngf * 8)), nn.BatchNorm1d(ngf * 8), nn.LeakyReLU(0.2),
            sn_if(sn, nn.Linear(ngf * 8, nc * size * size)), nn.Tanh(), nn.Unflatten(1, (nc, size, size))]

def mlp_d(ndf, nc, size, sigmoid=True, norm=None, sn=False, attention=0, dropout=0, mbstd=0):
    act = lambda: [nn.LeakyReLU(0.2), *([nn.Dropout(dropout)] if dropout else [])]
    return [nn.Flatten(), sn_if(sn, nn.Linear(nc * size * size, ndf * 8)), *act(),
            sn_if(sn, nn.Linear(ndf * 8, ndf * 4)), *act(), *([MinibatchStdDev(mbstd)] if mbstd else []),
            sn_if(sn, nn.Linear(ndf * 4 + (1 if mbstd else 0), 1)), *([nn.Sigmoid()] if sigmoid else [])]

def mnist_g(nz, ngf, nc, size, sn=False, attention=0):  # the course notes' case study, size // 4 = 7 or 8
    b = size // 4
    att = lambda side, ch: [SelfAttention(ch, sn)] if side == attention else []
    return [nn.Flatten(), sn_if(sn, nn.Linear(nz, ngf * 2 * b * b, bias=False)), nn.BatchNorm1d(ngf * 2 * b * b),
            nn.ReLU(True), nn.Unflatten(1, (ngf * 2, b, b)), *att(b, ngf * 2),
            sn_if(sn, nn.ConvTranspose2d(ngf * 2, ngf, 5, 2, 2, output_padding=1, bias=False)),
            nn.BatchNorm2d(ngf), nn.ReLU(True), *att(2 * b, ngf),
            sn_if(sn, nn.ConvTranspose2d(ngf, nc, 5, 2, 2, output_padding=1, bias=False)), nn.Tanh()]

def mnist_d(ndf, nc, size, sigmoid=True, norm=None, sn=False, attention=0, dropout=0, mbstd=0):
    b = size // 4
    norm = norm or ("none" if sn else "batch")
    norms = {"batch": [nn.BatchNorm2d(ndf * 2)], "layer": [nn.LayerNorm([ndf * 2, b, b])], "none": []}[norm]
    return [sn_if(sn, nn.Conv2d(nc, ndf, 5, 2, 2, bias=False)), *d_act(2 * b, ndf, sn, attention, dropout),
            sn_if(sn, nn.Conv2d(ndf, ndf * 2, 5, 2, 2, bias=False)), *norms, *d_act(b, ndf * 2, sn, attention, dropout),
            *([MinibatchStdDev(mbstd)] if mbstd else []), nn.Flatten(),
            sn_if(sn, nn.Linear((ndf * 2 + (1 if mbstd else 0)) * b * b, 1)), *([nn.Sigmoid()] if sigmoid else [])]

ARCHS = {"dcgan": (dcgan_g, dcgan_d), "mlp": (mlp_g, mlp_d), "mnist": (mnist_g, mnist_d)}

class Generator(nn.Module):
    def __init__(self, arch, *args, **kwargs):
        super().__init__()
        self.main = nn.Sequential(*ARCHS[arch][0](*args, **kwargs))

    def forward(self, z):
        return self.main(z)

class Discriminator(nn.Module):
    def __init__(self, arch, *args, **kwargs):
        super().__init__()
        self.main = nn.Sequential(*ARCHS[arch][1](*args, **kwargs))

    def forward(self, x):
        return self.main(x).view(-1)

def weights_init(m):  # pytorch/examples dcgan/main.py's
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)

def text(value):
    return torch.tensor(list(json.dumps(value).encode()), dtype=torch.uint8)
`;

/**
 * Decodes a value that a script stored with `text(...)` (JSON as uint8).
 *
 * @param value what runTorch returned
 * @returns the JSON value
 */
export function textOf(value: { data: Float64Array } | undefined): unknown {
  if (value === undefined) throw new Error("PyTorch returned no text value");
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(value.data)));
}
