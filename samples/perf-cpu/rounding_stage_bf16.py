"""Session 44: the default preset's rounding stage (6 x 50 steps after 1.18.0) in bfloat16 (``FitSchedule.qat_bf16``)
against float32, from the same main fit at full size. The main fit is the encoder's own (fit._main_fit, with the
plan's rounding noise); each variant then runs fit._progressive_rounding and the one fine-tune step, as fit._fit
does, and prints the decoded PSNR (the fake-quantised network's 8-bit output), the zstd payload as the format packs
it, and the seconds of the rounding stage.

    OMP_NUM_THREADS=1 python samples/perf-cpu/rounding_stage_bf16.py IMAGE BPP [MAIN_FIT_DIR]
(output in rounding_stage_bf16.txt). Landscape images only: they are resized to 768x512 (a no-op for Kodak's). With
MAIN_FIT_DIR the main fit is saved there, or loaded where an earlier run saved it.

    python samples/perf-cpu/rounding_stage_bf16.py summary samples/perf-cpu/rounding_stage_bf16.txt
prints each image's difference (bfloat16 minus float32: decoded PSNR, payload) and the mean with its standard error."""
import dataclasses
import os
import re
import statistics as st
import sys
import time
from pathlib import Path

if sys.argv[1] == "summary":
    runs = re.findall(r"^(kodim\d+)\.png.*\n(?:.*\n)*?  rounding stage float32: ([\d.]+) dB, payload (\d+) bytes.*\n"
                      r"  rounding stage bfloat16: ([\d.]+) dB, payload (\d+) bytes", open(sys.argv[2]).read(), re.M)
    diffs = [float(b16) - float(f32) for _, f32, _, b16, _ in runs]
    for (image, _, f32_bytes, _, b16_bytes), d in zip(runs, diffs):
        print(f"{image}: {d:+.3f} dB, payload {int(b16_bytes) / int(f32_bytes) - 1:+.2%}")
    print(f"mean {st.mean(diffs):+.3f} dB (SE {st.stdev(diffs) / len(diffs) ** 0.5:.3f}) over {len(diffs)} images")
    sys.exit()

import torch  # noqa: E402 (the summary needs none of the fitting)

from ddcodec.fit import _fine_tune, _progressive_rounding, tune_allocator
from ddcodec.quant import fake_quant
from paired import planned_network
from quant_loss_split import decoded_psnr, payload_bytes, saved_or_fitted

tune_allocator()
path, bpp = sys.argv[1], float(sys.argv[2])
size = os.environ.get("SIZE", "768x512")  # a smaller SIZE only to try the script out
plan, schedule, net, target = planned_network(path, size, bpp)
print(f"{Path(path).name} {size} bpp={bpp}: width {plan.net_width}, {plan.bits} bits, depth {plan.depth}", flush=True)
saved = Path(sys.argv[3]) / f"{Path(path).stem}_{size}_{bpp}.pt" if len(sys.argv) > 3 else None
saved_or_fitted(net, target, schedule, plan.pixels, saved, bits=plan.bits)  # bits: the plan's rounding noise
fitted = {n: p.detach().clone() for n, p in net.weights.items()}


def quantised(name: str, w: torch.Tensor) -> torch.Tensor:
    return fake_quant(name, w, plan.bits)


for label, bf16 in (("rounding stage float32", False), ("rounding stage bfloat16", True)):
    with torch.no_grad():
        for n, p in net.weights.items():
            p.copy_(fitted[n])
    variant = dataclasses.replace(schedule, qat_bf16=bf16)
    start = time.perf_counter()
    _progressive_rounding(net, target, variant, plan.bits)
    seconds = time.perf_counter() - start
    _fine_tune(net, target, variant, quantised, bits=plan.bits)
    print(f"  {label}: {decoded_psnr(net, plan.pixels, quantised):.3f} dB, payload "
          f"{payload_bytes(net, plan, plan.bits, plan.bits)} bytes, {seconds:.0f} s", flush=True)
