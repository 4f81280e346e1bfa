"""Session 22: can a --bpp file that came out over its target be trimmed after the fit, without fitting again?

Fits one image with the default preset at a --bpp plan, then re-quantises the fitted weights two ways and prints
each file's bytes and decoded PSNR: a dead zone (fractions up to 0.5 + d rounded towards zero, which gives more
zero codes) and coarsening (every other code, i.e. one bit less, in a growing share of the hidden convs' rows,
the last layers first or at random). Neither saved more than 0.6% of the file: the codes spread almost evenly
over their range, and zstd packs them at about their order-0 entropy, so small changes to a few codes do not
shrink it. Hence codec._within_rate fits again one width narrower instead.

    OMP_NUM_THREADS=1 python samples/perf-cpu/trim_after_fit.py ../shared/data/kodak/kodim05.png 384x256 0.25
(output in trim_after_fit.txt)"""
import sys

import numpy as np
import torch

from ddcodec import codec, format as fmt
from ddcodec.fit import fit
from ddcodec.imageio import psnr
from ddcodec.model import unit_rows
from ddcodec.quant import _steps_of, qmax, quantize
from paired import planned_network

path, size, bpp = sys.argv[1], sys.argv[2], float(sys.argv[3])
plan, schedule, net, target = planned_network(path, size, bpp)
H, W, C = plan.pixels.shape
fit(net, target, schedule, plan.bits, None)
weights = dict(net.weights)
q0, steps = quantize(weights, plan.bits, plan.net_width, plan.depth, C, plan.depthwise)
shapes = fmt.weight_shapes(plan.net_width, plan.depth, C, plan.depthwise)
m = qmax(plan.bits)


header = fmt.DdcHeader(height=H, width=W, channels=C, net_width=plan.net_width, depth=plan.depth, seed=0,
                       bits=plan.bits, steps=steps, target_ratio=plan.k, depthwise=plan.depthwise)


def measure(q: np.ndarray, label: str) -> None:
    data = fmt.encode_file(header, q)
    decoded = codec._render(*fmt.decode_file(data), torch.device("cpu"))
    print(f"  {label:28s} bytes={len(data)} ({len(data) / len_plain - 1:+.2%}) psnr={psnr(decoded, plan.pixels):.3f} "
          f"zero codes {np.mean(q == 0):.3f}", flush=True)


def dead_zone(d: float) -> np.ndarray:
    """quant.quantize with fractions up to 0.5 + d rounded towards zero (its steps are unchanged)."""
    out = []
    for name, shape in shapes:
        w = weights[name].detach().float()
        if name.startswith(("conv", "dw")):
            x = unit_rows(w) * m
        else:
            x = w / _steps_of(name, w, plan.bits)
        # d = 0 rounds as quant.quantize does (ties to even: a fitted conv0 had codes exactly at 100.5)
        rounded = torch.round(x) if d == 0 else torch.sign(x) * torch.floor(x.abs() + 0.5 - d)
        out.append(torch.clamp(rounded, -m, m).to(torch.int64).numpy().ravel())
    return np.concatenate(out)


len_plain = len(fmt.encode_file(header, q0))
print(f"{path} {size} bpp={bpp}: width {plan.net_width}, {plan.bits} bits, kernels {bool(plan.depthwise)}")
measure(q0, "as encoded")
assert np.array_equal(dead_zone(0.0), q0), "the dead-zone quantiser must reproduce quant.quantize at d=0"
for d in (0.05, 0.1, 0.2, 0.3):
    measure(dead_zone(d), f"dead zone {d}")
row_lengths = {}
at = 0
for name, shape in shapes:
    if name.startswith("conv"):
        for r in range(shape[0]):
            row_lengths[at + r * shape[1]] = shape[1]
    at += int(np.prod(shape))
starts = list(row_lengths)
rng = np.random.default_rng(0)
for share in (0.1, 0.2, 0.4):
    for order in ("last", "random"):
        chosen = starts[::-1] if order == "last" else [starts[i] for i in rng.permutation(len(starts))]
        q = q0.copy()
        for start in chosen[:int(share * len(starts))]:
            row = q[start:start + row_lengths[start]]
            coarse = np.clip(2 * np.round(row / 2).astype(np.int64), -m, m)
            coarse[np.abs(row) == m] = row[np.abs(row) == m]  # the row's max-abs keeps its code
            q[start:start + row_lengths[start]] = coarse
        measure(q, f"coarsen {share:.0%} of rows, {order}")
