"""Session 19: screen changes to the Deep Decoder's architecture at an equal parameter count, on the CPU.

Not ddcodec's encoder: a compact re-implementation of its network and fit (row-normalised 1x1 convs, bilinear
upsampling, ReLU, the image's own channel normalisation with its scale fixed at 1, sigmoid output; Adam with
the one-cycle schedule, peak lr 0.03, 5% warm-up; optionally the first half of the steps at half size, the
weight_l1 penalty and a 7-bit straight-through fine-tune at lr 1e-3 keeping the best quantised iterate, as
the default preset does), so that variants the file format cannot express yet can be fitted side by side.
The variants have the base network's parameter count (scales excluded, as the encoder fixes them):
  base      6 layers of width --base (23: --bpp 0.25's plan at 384x256)
  dw_all    a learnt 3x3 depthwise conv (one 3x3 kernel per channel, replicate padding) after every
            hidden layer's upsampling, before its ReLU; width 19 for the same count. A kernel's
            per-channel scale is absorbed by the ReLU and normalisation like a conv row's, so it is
            quantised as a unit row (max-abs 1, no stored step)
  dw_last2  the same on the last two layers only (width 22)
  up, down  widths growing (17..31) or shrinking (28..15) from the first layer to the last
  shuffle   (session 28) dw_all's network at half the image's size, its output conv drawing the four pixels of
            each 2x2 block (12 rows, pixel shuffle): no layer at full size
  dw5_all, dw5_last2  (session 28) 5x5 depthwise kernels on every layer, or on the last two (3x3 below)
  dw_down, dw_top  (session 49) dw_all with widths shrinking (down's shape) or only the last two layers narrower
            (0.75 and 0.5 of the others): cheaper full-size layers
--quarter F (session 28) fits the first fraction F of the steps at quarter size (two upsamplings skipped), before
--coarse's half-size steps.
With --qat the packed size is ddcodec.format.compress_codes of all codes, the format's payload (the fixed
scales, a repeated code each, left out).

Run from the repository root with one thread per process, e.g. (the kept outputs' commands):
  OMP_NUM_THREADS=1 python samples/perf-cpu/architecture_screen.py IMAGES --iters 2200 --coarse 0.5 --variants base,dw_all
  OMP_NUM_THREADS=1 python samples/perf-cpu/architecture_screen.py IMAGES --iters 2200 --coarse 0.5 --l1 0.0003 --qat 300 --seed 1 --variants base,dw_all
  OMP_NUM_THREADS=1 python samples/perf-cpu/architecture_screen.py IMAGES --iters 2200 --coarse 0.5 --base 37 --variants dw_all,dw5_all,dw5_last2
  OMP_NUM_THREADS=1 python samples/perf-cpu/architecture_screen.py IMAGES --iters 2200 --quarter 0.25 --coarse 0.25 --base 23 --variants dw_all
  python samples/perf-cpu/architecture_screen.py --summarize OUTPUT... [--reference VARIANT]
(an OUTPUT given as FILE:SUFFIX has its variants named VARIANTSUFFIX, e.g. a run with other --iters)
  python samples/perf-cpu/architecture_screen.py --shares 11 19 49 86
"""
import argparse
import copy
import math
import re
import statistics as st
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ddcodec.format import compress_codes
from ddcodec.model import layer_sizes, unit_rows
from ddcodec.quant import _steps_of, fake_quant, qmax
from paired import compare, se, slopes



def _size(dw_layers, i):
    """Layer i's kernel size: ``dw_layers`` is a tuple of layers with 3x3 kernels or a dict layer -> size."""
    return dw_layers[i] if isinstance(dw_layers, dict) else 3


def params(widths, dw_layers, channels=3, shuffle=False, heads=()):
    """Stored parameters: convs, shifts, depthwise kernels, output conv (the fixed scales left out); with
    ``shuffle`` the output conv draws the four pixels of each 2x2 block (4 x channels rows)."""
    n, prev = 0, widths[0]
    for i, w in enumerate(widths):
        n += prev * w + w  # conv + shift (scale fixed)
        if i in dw_layers:
            n += _size(dw_layers, i) ** 2 * w
        prev = w
    return n + prev * channels * (4 if shuffle else 1) + sum(widths[i] * channels for i in heads)


class Net(torch.nn.Module):
    """The network of one variant; its fixed input and initial weights drawn from torch's generator."""

    def __init__(self, h, w, widths, dw_layers, seed=0, shuffle=False, heads=(), slope=0.0):
        super().__init__()
        self.slope = slope  # session 51: a leaky ReLU's negative slope (0: the ReLU)
        depth = len(widths)
        self.shuffle = shuffle
        self.sizes = layer_sizes(h // 2, w // 2, depth) if shuffle else layer_sizes(h, w, depth)
        g = torch.Generator().manual_seed(seed)
        self.z = (torch.rand(1, widths[0], *self.sizes[0], generator=g) * 0.1).contiguous(memory_format=torch.channels_last)
        self.convs = torch.nn.ParameterList()
        self.shifts = torch.nn.ParameterList()
        self.dw = torch.nn.ParameterDict()
        prev = widths[0]
        for i, c in enumerate(widths):
            b = 1 / math.sqrt(prev)
            self.convs.append(torch.nn.Parameter((torch.rand(c, prev, generator=g) * 2 - 1) * b))
            self.shifts.append(torch.nn.Parameter(torch.zeros(c)))
            if i in dw_layers:
                n = _size(dw_layers, i)
                k = torch.zeros(c, 1, n, n); k[:, 0, n // 2, n // 2] = 1
                k += (torch.rand(c, 1, n, n, generator=g) * 2 - 1) * 0.1
                self.dw[str(i)] = torch.nn.Parameter(k)
            prev = c
        b = 1 / math.sqrt(prev)
        self.out = torch.nn.Parameter((torch.rand(12 if shuffle else 3, prev, generator=g) * 2 - 1) * b)
        # session 51: output convs on lower levels too, each upsampled to the image and added before the sigmoid;
        # drawn last, so the rest of the network starts as the variant without them (zero: they start adding nothing)
        self.heads = torch.nn.ParameterDict({str(i): torch.nn.Parameter(torch.zeros(3, widths[i])) for i in heads})

    def quantised_weights(self) -> list[tuple[str, torch.nn.Parameter]]:
        """Every stored weight with the ddcodec.quant name kind that quantises it: hidden convs and depthwise
        kernels as unit rows ("conv": a kernel's per-channel scale is absorbed by the ReLU and normalisation
        as a conv row's is), the shifts per tensor, the output conv per row."""
        return ([("conv", c) for c in self.convs] + [("conv", d) for d in self.dw.values()]
                + [("shift", x) for x in self.shifts] + [("out", self.out)] + [("out", h) for h in self.heads.values()])

    def forward(self, coarse=False, bits=None):
        """The image; with ``bits``, through ddcodec's fake quantisation (straight-through), i.e. the file's network."""
        q = {id(p): _fake_quant(kind, p, bits) for kind, p in self.quantised_weights()} if bits else {}
        w = lambda p: q.get(id(p), p)
        x = self.z
        low = []
        n = len(self.sizes)
        for i in range(n):
            x = F.conv2d(x, unit_rows(w(self.convs[i]))[:, :, None, None])
            if i + 1 < n and not (coarse and i + 1 + coarse >= n):  # coarse: the last ``coarse`` upsamplings skipped
                x = F.interpolate(x, size=self.sizes[i + 1], mode="bilinear", align_corners=False)
            if str(i) in self.dw:
                r = self.dw[str(i)].shape[-1] // 2
                x = F.conv2d(F.pad(x, (r, r, r, r), mode="replicate"), w(self.dw[str(i)]), groups=x.shape[1])
            x = F.leaky_relu(x, self.slope) if self.slope else F.relu(x)
            x = F.batch_norm(x, None, None, None, w(self.shifts[i]), training=True, eps=1e-5)
            if str(i) in self.heads:
                low.append(F.conv2d(x, w(self.heads[str(i)])[:, :, None, None]))
        x = F.conv2d(x, w(self.out)[:, :, None, None])
        for y in low:
            x = x + F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return torch.sigmoid(F.pixel_shuffle(x, 2) if self.shuffle else x)

    def coarse_size(self, levels=1):
        """The size forward(coarse=levels) draws."""
        h, w = self.sizes[-1 - levels]
        return (2 * h, 2 * w) if self.shuffle else (h, w)


def _fake_quant(kind: str, p: torch.Tensor, bits: int) -> torch.Tensor:
    """ddcodec.quant.fake_quant, with a depthwise kernel (c, 1, 3, 3) taken as c rows of 9."""
    return fake_quant(kind, p.reshape(p.shape[0], -1) if p.dim() == 4 else p, bits).reshape(p.shape)


def codes(net: Net, bits: int) -> np.ndarray:
    """The integers the file would store for ``net``'s weights (as ddcodec.quant.quantize computes them)."""
    m = qmax(bits)
    out = []
    with torch.no_grad():
        for kind, p in net.quantised_weights():
            if kind == "conv":
                out.append(torch.round(unit_rows(p.reshape(p.shape[0], -1)) * m))
            else:
                out.append(torch.clamp(torch.round(p / _steps_of(kind, p, bits)), -m, m))
    return torch.cat([c.reshape(-1) for c in out]).long().numpy()


def penalty(net):
    """The weight_l1 penalty: mean magnitude of each hidden conv's unit rows, summed (fit.weight_magnitude
    stacks the convs, which needs them all one shape; tapered widths are not)."""
    return sum(unit_rows(c).abs().mean() for c in net.convs)


def fit(img, widths, dw, iters, lr=0.03, coarse=0.0, l1=0.0, qat=0, bits=7, seed=0, shuffle=False, quarter=0.0,
        heads=(), slope=0.0):
    """(best float PSNR, best quantised PSNR, packed bytes); the last two None without a fine-tune.
    The first ``quarter`` of the steps fit the quarter-size image, the next ``coarse`` the half-size one."""
    net = Net(img.shape[2], img.shape[3], widths, dw, seed, shuffle, heads, slope)
    targets = {0: img, 1: F.interpolate(img, size=net.coarse_size(1), mode="area"),
               2: F.interpolate(img, size=net.coarse_size(2), mode="area")}
    n_quarter = int(iters * quarter)
    n_coarse = n_quarter + int(iters * coarse)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    warm = int(iters * 0.05)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / warm if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / (iters - warm))))
    best = 1e9
    for s in range(iters):
        c = 2 if s < n_quarter else 1 if s < n_coarse else 0
        mse = F.mse_loss(net(coarse=c), targets[c])
        loss = mse + l1 * penalty(net) if l1 else mse
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        if not c and mse.item() < best:
            best, best_state = mse.item(), copy.deepcopy(net.state_dict())
    float_psnr = 10 * math.log10(1 / best)
    if not qat:
        return float_psnr, None, None
    net.load_state_dict(best_state)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / qat)))
    best = None
    for s in range(qat + 1):
        # the forward pass on quantised weights (so its MSE is the file's), the gradient applied to the float ones
        mse = F.mse_loss(net(bits=bits), img)
        if best is None or mse.item() < best[0]:
            best = (mse.item(), copy.deepcopy(net.state_dict()))
        if s == qat:
            break
        loss = mse + l1 * penalty(net) if l1 else mse
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    net.load_state_dict(best[1])
    return float_psnr, 10 * math.log10(1 / best[0]), len(compress_codes(codes(net, bits), bits))


def solve(base_params, depth, dw, shape, shuffle=False, heads=()):
    """Widths of the given shape scaled to the nearest parameter count to base_params."""
    best = None
    for s in np.arange(5, 90, 0.25):
        widths = [max(2, round(s * f)) for f in shape(depth)]
        p = params(widths, dw, shuffle=shuffle, heads=heads)
        if best is None or abs(p - base_params) < abs(best[1] - base_params):
            best = (widths, p)
    return best


SHAPES = {"flat": lambda d: [1] * d, "up": lambda d: np.linspace(0.7, 1.3, d), "down": lambda d: np.linspace(1.3, 0.7, d),
          # session 49: only the two layers drawn at the largest sizes narrower (the full-size steps' cost)
          "top": lambda d: [1] * (d - 2) + [0.75, 0.5]}
VARIANTS = {"base": ("flat", ()), "dw_all": ("flat", (0, 1, 2, 3, 4, 5)), "dw_last2": ("flat", (4, 5)),
            "dw_last": ("flat", (5,)), "up": ("up", ()), "down": ("down", ()),
            # session 28: the network at half size, its output conv drawing each 2x2 block (pixel shuffle)
            "shuffle": ("flat", (0, 1, 2, 3, 4, 5)),
            # session 28: 5x5 kernels (a dict: layer -> kernel size) on every layer, or on the last two (3x3 below)
            "dw5_all": ("flat", {i: 5 for i in range(6)}), "dw5_last2": ("flat", {0: 3, 1: 3, 2: 3, 3: 3, 4: 5, 5: 5}),
            # session 49: kernels on every layer (the codec's network since 1.4.0) with widths shrinking towards the
            # image, which makes the full-size layers, most of a step's time, cheaper
            "dw_down": ("down", (0, 1, 2, 3, 4, 5)), "dw_top": ("top", (0, 1, 2, 3, 4, 5))}
SHUFFLED = {"shuffle"}
# session 51: dw_all with output convs on the quarter- and half-size levels as well (the levels with a head)
HEADS = {"dw_heads": (2, 3)}
# ... or with leaky ReLUs (variant -> negative slope)
SLOPES = {"dw_leaky": 0.1}
VARIANTS.update({v: VARIANTS["dw_all"] for v in list(HEADS) + list(SLOPES)})


def summarize(paths: list[str], reference: str = "base") -> None:
    """Each variant against ``reference`` (base unless given), paired by image: the float PSNR, and with --qat outputs the decoded PSNR and
    rate and the difference at equal rate, read with the encoder's own slope at that rate (paired.slopes: its
    384x256 default around k=168 for a base of width 15, around k=84 for 23)."""
    rows: dict = {}
    for spec in paths:
        path, _, suffix = spec.partition(":")  # FILE:SUFFIX names that file's variants VARIANTSUFFIX (other settings)
        for line in open(path):
            if line.startswith("#") or not line.strip():
                continue
            image, variant = line.split()[:2]
            row = {k: float(v) for k, v in re.findall(r"(float|psnr|bpp)=([\d.]+)", line)}
            row["width"] = int(re.search(r"widths=(\d+)", line).group(1))
            row["params"] = int(re.search(r"params=(\d+)", line).group(1))
            row["seconds"] = int(re.search(r"(\d+)s$", line.strip()).group(1))
            rows.setdefault(variant + suffix, {})[image] = row
    base = rows.pop(reference)
    for variant, new in sorted(rows.items()):
        images = sorted(set(new) & set(base))
        d = [new[i]["float"] - base[i]["float"] for i in images]
        print(f"{variant} against {reference}, {len(images)} images, float PSNR {st.mean(base[i]['float'] for i in images):.2f} -> "
              f"{st.mean(new[i]['float'] for i in images):.2f} ({st.mean(d):+.2f}, SE {se(d):.2f}; {sum(x > 0 for x in d)} better); "
              f"mean fit {st.mean(base[i]['seconds'] for i in images):.0f} -> {st.mean(new[i]['seconds'] for i in images):.0f} s; "
              f"parameters {new[images[0]]['params'] / base[images[0]]['params'] - 1:+.1%}")
        if all("psnr" in new[i] and "psnr" in base[i] for i in images):
            slope = slopes()[168 if base[images[0]]["width"] <= 17 else 84]
            compare("  decoded (7 bits)", {i: base[i] for i in images}, {i: new[i] for i in images}, slope)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("images", nargs="*")
    ap.add_argument("--summarize", nargs="+", metavar="OUTPUT")
    ap.add_argument("--reference", default="base", help="with --summarize: the variant the others are paired with")
    ap.add_argument("--shares", nargs="+", type=int, metavar="WIDTH",
                    help="print the kernels' share of the weights of a six-layer network of each width, and exit")
    ap.add_argument("--size", default="384x256")
    ap.add_argument("--iters", type=int, default=1500)
    ap.add_argument("--base", type=int, default=23)
    ap.add_argument("--coarse", type=float, default=0.0)
    ap.add_argument("--quarter", type=float, default=0.0, help="fraction of the steps at quarter size, before --coarse's")
    ap.add_argument("--l1", type=float, default=0.0)
    ap.add_argument("--qat", type=int, default=0)
    ap.add_argument("--bits", type=int, default=7)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variants", default="base,dw_all,dw_last2,up,down")
    a = ap.parse_args()
    if a.summarize:
        summarize(a.summarize, a.reference)
        raise SystemExit
    if a.shares:
        all_layers = VARIANTS["dw_all"][1]
        print("kernels' share of the weights, 6 layers: " + ", ".join(
            f"width {w} {1 - params([w] * 6, ()) / params([w] * 6, all_layers):.0%}" for w in a.shares))
        raise SystemExit
    torch.set_num_threads(1)
    W, H = map(int, a.size.split("x"))
    base_params = params([a.base] * 6, ())
    for path in a.images:
        im = Image.open(path).convert("RGB").resize((W, H), Image.LANCZOS)
        img = torch.from_numpy(np.asarray(im, np.float32) / 255).permute(2, 0, 1)[None].contiguous(memory_format=torch.channels_last)
        for v in a.variants.split(","):
            shape, dw = VARIANTS[v]
            shuffle = v in SHUFFLED
            heads = HEADS.get(v, ())
            widths, p = solve(base_params, 6, dw, SHAPES[shape], shuffle, heads)
            t = time.time()
            fp, qp, size = fit(img, widths, dw, a.iters, coarse=a.coarse, l1=a.l1, qat=a.qat, bits=a.bits, seed=a.seed,
                               shuffle=shuffle, quarter=a.quarter, heads=heads, slope=SLOPES.get(v, 0.0))
            quant = f" psnr={qp:.2f} bytes={size} bpp={8 * size / (W * H):.4f}" if a.qat else ""
            print(f"{path.split('/')[-1]:>12} {v:<9} widths={','.join(map(str, widths)):<20} params={p:<5} float={fp:.2f}{quant} {time.time() - t:.0f}s", flush=True)
