"""Session 23: which tensors does quantising cost the PSNR on, and does the fine-tune recover it? Full-size
0.25 bpp files lose 0.03 to 0.72 dB between the float network and the decoded file (mean about 0.35:
fullsize_0.25_1.4.0.txt).

Fits one image with the default preset at a --bpp plan, stopping after the main fit (the float network), and
prints the PSNR of the 8-bit output with one group of tensors quantised at a time (the others float): the
hidden convs, the depthwise kernels, the output conv, the normalisations' shifts and scales; then everything,
and everything with the kernels at 1 and 2 more bits. Then, each from the same main fit, the quantisation-aware
fine-tune as version 1.5.0's encoder ran it ("default fine-tune", learning rate 1e-3: its file, same PSNR and
payload) and variants of
it: the kernels at one bit more or less, twice the steps, smaller learning rates. Each prints the decoded PSNR,
the zstd payload as the format packs it (the header adds a fixed ~100 bytes) and its seconds.

    OMP_NUM_THREADS=1 python samples/perf-cpu/quant_loss_split.py IMAGE WxH BPP [VARIANT,VARIANT...]
(outputs in quant_loss_split_*.txt)"""
import sys
import time

import numpy as np
import torch

from ddcodec import format as fmt
from ddcodec.fit import _cosine, _one_cycle, _row_sampler, _run_phase, _scales_fixed, tune_allocator
from ddcodec.imageio import psnr
from ddcodec.model import DeepDecoder, unit_rows
from paired import planned_network
from ddcodec.quant import _is_rownorm, _steps_of, fake_quant, qmax

GROUPS = {"hidden convs": ("conv",), "kernels": ("dw",), "output conv": ("out",), "shifts": ("shift",),
          "scales": ("scale",)}


def split(net: DeepDecoder, pixels, bits: int) -> str:
    """The PSNR with each group quantised alone, all of them, and the kernels at 1 and 2 more bits."""
    def quantised(prefixes: tuple[str, ...], kernel_bits: int = bits):
        def transform(name: str, w: torch.Tensor) -> torch.Tensor:
            if not name.startswith(prefixes):
                return w
            return fake_quant(name, w, kernel_bits if name.startswith("dw") else bits)
        return transform

    def decoded(transform=None) -> float:
        with torch.no_grad():
            image = net(transform)[0].permute(1, 2, 0).clamp(0, 1).mul(255).round().to(torch.uint8).numpy()
        return psnr(pixels, image)

    base = decoded()
    every = tuple(p for g in GROUPS.values() for p in g)
    parts = [f"float {base:.2f}"]
    parts += [f"{label} {decoded(quantised(prefixes)) - base:+.3f}" for label, prefixes in GROUPS.items()]
    every_quantised = decoded(quantised(every))
    parts.append(f"all {every_quantised - base:+.3f} ({every_quantised:.2f})")
    parts += [f"all, kernels at {bits + extra} bits {decoded(quantised(every, bits + extra)) - base:+.3f}"
              for extra in (1, 2)]
    return "; ".join(parts)


def payload_bytes(net: DeepDecoder, bits: int, kernel_bits: int) -> int:
    """The zstd payload of the network's codes as the format packs them, the kernels at ``kernel_bits``."""
    codes = []
    for name, _ in fmt.weight_shapes(plan.net_width, plan.depth, C, plan.depthwise):
        w = net.weights[name].detach()
        b = kernel_bits if name.startswith("dw") else bits
        m = qmax(b)
        q = torch.round(unit_rows(w) * m) if _is_rownorm(name) else torch.clamp(torch.round(w / _steps_of(name, w, b)), -m, m)
        codes.append(q.to(torch.int64).numpy().ravel())
    return len(fmt.compress_codes(np.concatenate(codes), max(bits, kernel_bits)))


tune_allocator()  # as codec.encode does: without it full-size fits ran about 1.8x slower
path, size, bpp = sys.argv[1], sys.argv[2], float(sys.argv[3])
plan, schedule, net, target = planned_network(path, size, bpp)
H, W, C = plan.pixels.shape
name = path.rsplit("/", 1)[-1]
print(f"{name} {size} bpp={bpp}: width {plan.net_width}, {plan.bits} bits, kernels {bool(plan.depthwise)}")
with _scales_fixed(net, schedule.fixed_scale):  # the main fit exactly as fit._fit runs it
    _run_phase(net, target, schedule.iters, schedule.lr, lambda s: _one_cycle(s, schedule.iters, schedule.warmup),
               None, None, 0, 0, _row_sampler(H, schedule.row_fraction, target.device),
               round(schedule.iters * schedule.coarse_fraction), schedule.input_jitter, schedule.weight_l1)
print(f"  after the main fit, quantised without fine-tuning: {split(net, plan.pixels, plan.bits)}", flush=True)
fitted = {n: p.detach().clone() for n, p in net.weights.items()}
# the fine-tune as fit._fit runs it, and variants of it, each from the same main fit
qat = schedule.qat_iters
OLD_QAT_LR = 1e-3  # the fine-tune's learning rate up to version 1.5.0, which these runs measured against
variants = (("default fine-tune", plan.bits, qat, OLD_QAT_LR),
            (f"kernels at {plan.bits + 1} bits", plan.bits + 1, qat, OLD_QAT_LR),
            (f"kernels at {plan.bits - 1} bits", plan.bits - 1, qat, OLD_QAT_LR),
            ("fine-tune twice as long", plan.bits, 2 * qat, OLD_QAT_LR),
            ("fine-tune lr 3e-4", plan.bits, qat, 3e-4),
            ("fine-tune lr 1e-4", plan.bits, qat, 1e-4),
            ("fine-tune lr 3e-5", plan.bits, qat, 3e-5),
            ("fine-tune lr 1e-4, twice as long", plan.bits, 2 * qat, 1e-4))
chosen = sys.argv[4].split(",") if len(sys.argv) > 4 else None  # e.g. "default fine-tune,fine-tune lr 1e-4"
for label, kernel_bits, steps, lr in (v for v in variants if chosen is None or v[0] in chosen):
    with torch.no_grad():
        for n, p in net.weights.items():
            p.copy_(fitted[n])
    start = time.perf_counter()

    def quantised(n: str, w: torch.Tensor, kernel_bits=kernel_bits) -> torch.Tensor:
        return fake_quant(n, w, kernel_bits if n.startswith("dw") else plan.bits)

    with _scales_fixed(net, schedule.fixed_scale):
        _run_phase(net, target, steps, lr, lambda s: _cosine(s, steps), quantised, None, 0, 0,
                   weight_l1=schedule.weight_l1)
    with torch.no_grad():
        image = net(quantised)[0].permute(1, 2, 0).clamp(0, 1).mul(255).round().to(torch.uint8).numpy()
    print(f"  {label}: {psnr(plan.pixels, image):.3f} dB, payload {payload_bytes(net, plan.bits, kernel_bits)} bytes, "
          f"{time.perf_counter() - start:.0f} s", flush=True)
