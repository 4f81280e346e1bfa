"""Session 26: Hessian-aware rounding (GPTQ, ddcodec/rounding.py) against plain rounding, from the same main fit.

Fits one image with the default preset at a --bpp plan (the encoder's own main fit), then from that one float
network: plain rounding alone, GPTQ rounding alone, and each followed by the default fine-tune (300 steps, lr 1e-4,
keeping its best iterate; the first iterate is the rounding it starts from). Prints each variant's decoded PSNR,
the zstd payload as the format packs it and its seconds, in quant_loss_split.py's line format (paired.split_runs).

    OMP_NUM_THREADS=1 python samples/perf-cpu/hessian_round_compare.py IMAGE WxH BPP ["VARIANT;VARIANT..."]
(outputs in hessian_round_*.txt; "progressive N lr LR" is fit._progressive_rounding, N steps per layer; the variants' labels are in the script, the first four by default). With
MAIN_FIT_DIR=DIR the main fit is saved there, or loaded from there where an earlier run saved it. BITS=B pins the
precision as --bits does (rate control then picks the width).
"""
import dataclasses
import os
import sys
import time
from pathlib import Path

import torch

from ddcodec.fit import _fine_tune, _progressive_rounding, tune_allocator
from ddcodec.rounding import hessian_round
from paired import planned_network
from quant_loss_split import decoded_psnr, payload_bytes, quantiser, saved_or_fitted

tune_allocator()
path, size, bpp = sys.argv[1], sys.argv[2], float(sys.argv[3])
bits = int(os.environ["BITS"]) if os.environ.get("BITS") else None
plan, schedule, net, target = planned_network(path, size, bpp, bits)
print(f"{path.rsplit('/', 1)[-1]} {size} bpp={bpp}: width {plan.net_width}, {plan.bits} bits, "
      f"kernels {bool(plan.depthwise)}", flush=True)
saved = os.environ.get("MAIN_FIT_DIR")  # main fits kept there, and reused by later runs of the same plan
saved = saved and Path(saved) / f"{Path(path).stem}_{size}_{bpp}{f'_{bits}bits' if bits else ''}.pt"
saved_or_fitted(net, target, schedule, plan.pixels, saved)
fitted = {n: p.detach().clone() for n, p in net.weights.items()}
transform = quantiser(plan.bits, plan.bits)
qat = schedule.qat_iters or 300  # since 1.9.0 the default has no fine-tune: the variants take 1.8.1's 300 steps


def then_gptq(label: str) -> str:
    """After a fine-tune, GPTQ-round its best iterate's float weights; keep whichever decodes better."""
    before = decoded_psnr(net, plan.pixels, transform)
    kept = {n: p.detach().clone() for n, p in net.weights.items()}
    hessian_round(net, plan.bits)
    after = decoded_psnr(net, plan.pixels, transform)
    if after < before:
        with torch.no_grad():
            for n, p in net.weights.items():
                p.copy_(kept[n])
    return f" (gptq after it: {after:.3f})"


# (label, GPTQ first, fine-tune steps, GPTQ after the fine-tune)
variants = (("plain rounding", False, 0, False), ("gptq rounding", True, 0, False),
            ("plain rounding + fine-tune", False, qat, False), ("gptq rounding + fine-tune", True, qat, False),
            (f"gptq rounding + fine-tune {qat // 3}", True, qat // 3, False),
            (f"gptq rounding + fine-tune {qat // 2}", True, qat // 2, False),
            (f"plain rounding + fine-tune {qat // 3}", False, qat // 3, False),
            ("plain rounding + fine-tune, then gptq", False, qat, True),
            ("gptq rounding + fine-tune, then gptq", True, qat, True))
# progressive variants: label -> (steps per stage, their peak lr, steps of the plain fine-tune after them)
PROGRESSIVE = {f"progressive {n} lr {lr:g}{f' + fine-tune {f}' if f else ''}": (n, lr, f)
               for n in (25, 50, 100) for lr in (1e-4, 3e-4, 1e-3, 3e-3) for f in (0, 100)}
variants += tuple((label, False, 0, False) for label in PROGRESSIVE)
chosen = sys.argv[4].split(";") if len(sys.argv) > 4 else [v[0] for v in variants[:4]]
for label, first, steps, after in (v for v in variants if v[0] in chosen):
    with torch.no_grad():
        for n, p in net.weights.items():
            p.copy_(fitted[n])
    start = time.perf_counter()
    if label.startswith("progressive"):
        stage_steps, lr, final = PROGRESSIVE[label]
        _progressive_rounding(net, target, dataclasses.replace(schedule, progressive_steps=stage_steps, progressive_lr=lr,
                                                               low_bits_progressive_steps=None,
                                                               low_bits_progressive_lr=None), plan.bits)
        if final:
            _fine_tune(net, target, schedule, transform, steps=final)
    if first:
        hessian_round(net, plan.bits)
    if steps:
        _fine_tune(net, target, schedule, transform, steps=steps)
    note = then_gptq(label) if after else ""
    print(f"  {label}: {decoded_psnr(net, plan.pixels, transform):.3f} dB, "
          f"payload {payload_bytes(net, plan, plan.bits, plan.bits)} bytes, {time.perf_counter() - start:.0f} s{note}",
          flush=True)
