"""Session 23: which tensors does quantising cost the PSNR on, and does the fine-tune recover it? Full-size
0.25 bpp files lose 0.03 to 0.72 dB between the float network and the decoded file (mean 0.35:
``python -m ddcodec.ablation --summarize samples/perf-cpu/fullsize_0.25_1.4.0.txt``).

Fits one image with the default preset at a --bpp plan, stopping after the main fit (the float network), and
prints the PSNR of the 8-bit output with one group of tensors quantised at a time (the others float): the
hidden convs, the depthwise kernels, the output conv, the normalisations' shifts and scales; then everything,
and everything with the kernels at 1 and 2 more bits. Then, each from the same main fit, the quantisation-aware
fine-tune as version 1.5.0's encoder ran it ("default fine-tune", learning rate 1e-3: its file, same PSNR and
payload) and variants of it: the kernels at one bit more or less, twice the steps, smaller learning rates, and
(session 25) the fine-tune's steps in bfloat16 (FitSchedule.qat_bf16; the variants ending "bf16"). Both
phases are the encoder's own (fit._main_fit, fit._fine_tune). Each prints the decoded PSNR,
the zstd payload as the format packs it (the header adds 95 bytes for RGB at depth 6) and its seconds.

    OMP_NUM_THREADS=1 python samples/perf-cpu/quant_loss_split.py IMAGE WxH BPP [VARIANT,VARIANT...]
(outputs in quant_loss_split_*.txt)"""
import dataclasses
import re
import sys
import time

import numpy as np
import torch

from ddcodec import format as fmt
from ddcodec.fit import _fine_tune, _main_fit, tune_allocator
from ddcodec.imageio import psnr
from ddcodec.model import DeepDecoder
from ddcodec.quant import fake_quant, quantize
from paired import planned_network

GROUPS = {"hidden convs": ("conv",), "kernels": ("dw",), "output conv": ("out",), "shifts": ("shift",),
          "scales": ("scale",)}
EVERY = tuple(p for g in GROUPS.values() for p in g)
OLD_QAT_LR = 1e-3  # the fine-tune's learning rate up to version 1.5.0, which these runs measured against


def quantiser(bits: int, kernel_bits: int, prefixes: tuple[str, ...] = EVERY):
    """fake_quant on the tensors whose names start with ``prefixes`` (the kernels at ``kernel_bits``), the others
    left float."""
    def transform(name: str, w: torch.Tensor) -> torch.Tensor:
        if not name.startswith(prefixes):
            return w
        return fake_quant(name, w, kernel_bits if name.startswith("dw") else bits)
    return transform


def decoded_psnr(net: DeepDecoder, pixels: np.ndarray, transform=None) -> float:
    """The PSNR of the network's 8-bit output, its weights mapped by ``transform``."""
    with torch.no_grad():
        image = net(transform)[0].permute(1, 2, 0).clamp(0, 1).mul(255).round().to(torch.uint8).numpy()
    return psnr(pixels, image)


def split(net: DeepDecoder, pixels: np.ndarray, bits: int) -> str:
    """The PSNR with each group quantised alone, all of them, and all with the kernels at 1 and 2 more bits."""
    base = decoded_psnr(net, pixels)
    parts = [f"float {base:.2f}"]
    parts += [f"{label} {decoded_psnr(net, pixels, quantiser(bits, bits, prefixes)) - base:+.3f}"
              for label, prefixes in GROUPS.items()]
    every = decoded_psnr(net, pixels, quantiser(bits, bits))
    parts.append(f"all {every - base:+.3f} ({every:.2f})")
    for extra in (1, 2):
        parts.append(f"all, kernels at {bits + extra} bits "
                     f"{decoded_psnr(net, pixels, quantiser(bits, bits + extra)) - base:+.3f}")
    return "; ".join(parts)


def payload_bytes(net: DeepDecoder, plan, bits: int, kernel_bits: int) -> int:
    """The zstd payload of the network's codes as the format packs them (quant.quantize), the kernels' codes
    quantised at ``kernel_bits``. Above 8 bits every code takes two bytes, as in the format, so kernels at 9 bits
    beside an 8-bit plan say nothing about the kernels alone (the measured plans are 7 bits)."""
    shape = (plan.net_width, plan.depth, plan.pixels.shape[2], plan.depthwise)
    codes, _ = quantize(dict(net.weights), bits, *shape)
    kernel_codes, _ = quantize(dict(net.weights), kernel_bits, *shape)
    is_kernel = np.concatenate([np.full(int(np.prod(s)), n.startswith("dw")) for n, s in fmt.weight_shapes(*shape)])
    return len(fmt.compress_codes(np.where(is_kernel, kernel_codes, codes), max(bits, kernel_bits)))


def saved_or_fitted(net: DeepDecoder, target: torch.Tensor, schedule, pixels: np.ndarray, saved, **main_fit) -> None:
    """The main fit (fit._main_fit with ``main_fit``'s keywords) into ``net``: loaded from ``saved`` (a Path) where an
    earlier run saved it, else fitted and saved there (None: not saved); prints its float PSNR (session 26's
    MAIN_FIT_DIR, shared since session 44)."""
    start = time.perf_counter()
    if saved and saved.exists():
        with torch.no_grad():
            for n, p in torch.load(saved).items():
                net.weights[n].copy_(p)
        print(f"  main fit (from {saved}): float {decoded_psnr(net, pixels):.3f} dB", flush=True)
        return
    _main_fit(net, target, schedule, **main_fit)
    print(f"  main fit: float {decoded_psnr(net, pixels):.3f} dB, {time.perf_counter() - start:.0f} s", flush=True)
    if saved:
        torch.save({n: p.detach() for n, p in net.weights.items()}, saved)


def main() -> None:
    tune_allocator()  # as codec.encode does: without it full-size fits ran about 1.8x slower
    path, size, bpp = sys.argv[1], sys.argv[2], float(sys.argv[3])
    plan, schedule, net, target = planned_network(path, size, bpp)
    print(f"{path.rsplit('/', 1)[-1]} {size} bpp={bpp}: width {plan.net_width}, {plan.bits} bits, "
          f"kernels {bool(plan.depthwise)}")
    _main_fit(net, target, schedule)
    print(f"  after the main fit, quantised without fine-tuning: {split(net, plan.pixels, plan.bits)}", flush=True)
    fitted = {n: p.detach().clone() for n, p in net.weights.items()}
    # 1.5.0's fine-tune, and variants of it, each from the same main fit: (label, kernel bits, steps, learning rate)
    qat = schedule.qat_iters
    variants = (("default fine-tune", plan.bits, qat, OLD_QAT_LR),
                (f"kernels at {plan.bits + 1} bits", plan.bits + 1, qat, OLD_QAT_LR),
                (f"kernels at {plan.bits - 1} bits", plan.bits - 1, qat, OLD_QAT_LR),
                ("fine-tune twice as long", plan.bits, 2 * qat, OLD_QAT_LR),
                ("fine-tune lr 3e-4", plan.bits, qat, 3e-4),
                ("fine-tune lr 1e-4", plan.bits, qat, 1e-4),
                ("fine-tune lr 3e-5", plan.bits, qat, 3e-5),
                ("fine-tune lr 1e-4, twice as long", plan.bits, 2 * qat, 1e-4),
                ("fine-tune lr 1e-4 bf16", plan.bits, qat, 1e-4),
                ("fine-tune lr 1e-4, twice as long, bf16", plan.bits, 2 * qat, 1e-4))
    # e.g. "default fine-tune,fine-tune lr 1e-4": commas without a space after them part the labels
    chosen = re.split(r",(?! )", sys.argv[4]) if len(sys.argv) > 4 else None
    for label, kernel_bits, steps, lr in (v for v in variants if chosen is None or v[0] in chosen):
        with torch.no_grad():
            for n, p in net.weights.items():
                p.copy_(fitted[n])
        start = time.perf_counter()
        transform = quantiser(plan.bits, kernel_bits)
        _fine_tune(net, target, dataclasses.replace(schedule, qat_bf16=label.endswith("bf16")), transform, steps=steps,
                   lr=lr)
        print(f"  {label}: {decoded_psnr(net, plan.pixels, transform):.3f} dB, "
              f"payload {payload_bytes(net, plan, plan.bits, kernel_bits)} bytes, {time.perf_counter() - start:.0f} s",
              flush=True)


if __name__ == "__main__":
    main()
