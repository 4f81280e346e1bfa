"""Session 44: variants of the default preset's rounding stage (6 x 50 steps after 1.18.0), each from the same
full-size main fit. The main fit is the encoder's own (fit._main_fit, with the plan's rounding noise); the default's
stage and each variant (schedule keys of ``python -m ddcodec.ablation --config``, e.g. ``qat_bf16=1`` or
``prog_lr=0.0006``) then run fit._progressive_rounding and the one fine-tune step, as fit._fit does, and print the
decoded PSNR (the fake-quantised network's 8-bit output), the zstd payload as the format packs it, and the stage's
seconds.

    OMP_NUM_THREADS=1 python samples/perf-cpu/rounding_stage_variants.py IMAGE BPP MAIN_FIT_DIR [VARIANT ...]
(VARIANT: comma-separated key=value; without any, the stage in bfloat16: ``qat_bf16=1``, output in
rounding_stage_bf16.txt). Images are resized to SIZE as given (environment, default 768x512: a no-op for Kodak's
landscape photos; portrait ones come out squashed, as in session 45's 384x256 screen). The main fit is saved in
MAIN_FIT_DIR, or loaded where an earlier run saved it.

    python samples/perf-cpu/rounding_stage_variants.py summary OUTPUT
prints each variant's difference from the default's stage on the same main fit (decoded PSNR, payload), per image,
and its mean with the standard error, over every fit and per size and rate."""
import os
import re
import statistics as st
import sys
import time
from collections import defaultdict
from pathlib import Path

if sys.argv[1] == "summary":
    diffs = defaultdict(list)
    for block in re.split(r"^(?=kodim\d+\.png)", open(sys.argv[2]).read(), flags=re.M)[1:]:
        runs = re.findall(r"^  rounding stage (.+?): ([\d.]+) dB, payload (\d+) bytes", block, re.M)
        (_, base_db, base_bytes), image = runs[0], block.split(":")[0]  # image, size, bpp
        for label, db, size in runs[1:]:
            diffs[label].append(float(db) - float(base_db))
            diffs[f"{label} at {image.split(' ', 1)[1]}"].append(float(db) - float(base_db))  # per size and rate
            print(f"{image} {label}: {float(db) - float(base_db):+.3f} dB, payload {int(size) / int(base_bytes) - 1:+.2%}")
    for label, d in diffs.items():
        spread = f"SE {st.stdev(d) / len(d) ** 0.5:.3f}" if len(d) > 1 else "one fit"
        print(f"{label}: mean {st.mean(d):+.3f} dB ({spread}) over {len(d)} fits")
    sys.exit()

import torch  # noqa: E402 (the summary needs none of the fitting)

from ddcodec.ablation import parse_config
from ddcodec.fit import _fine_tune, _progressive_rounding, tune_allocator
from ddcodec.quant import fake_quant
from paired import planned_network
from quant_loss_split import decoded_psnr, payload_bytes, saved_or_fitted

tune_allocator()
path, bpp = sys.argv[1], float(sys.argv[2])
size = os.environ.get("SIZE", "768x512")
plan, schedule, net, target = planned_network(path, size, bpp)
print(f"{Path(path).name} {size} bpp={bpp}: width {plan.net_width}, {plan.bits} bits, depth {plan.depth}", flush=True)
saved_or_fitted(net, target, schedule, plan.pixels, Path(sys.argv[3]) / f"{Path(path).stem}_{size}_{bpp}.pt",
                bits=plan.bits)  # bits: the plan's rounding noise
fitted = {n: p.detach().clone() for n, p in net.weights.items()}


def quantised(name: str, w: torch.Tensor) -> torch.Tensor:
    return fake_quant(name, w, plan.bits)


def changed(variant: str):
    """The default schedule as the ablation tool's ``--config`` spells a change of it (schedule keys only)."""
    stage, encode_keys = parse_config(variant)
    if encode_keys:
        raise SystemExit(f"only schedule keys change the rounding stage, not {', '.join(encode_keys)}")
    return stage


labels = {"qat_bf16=1": "bfloat16"}  # the first screen's labels, kept so its output reads as before
for variant in ["default"] + (sys.argv[4:] or ["qat_bf16=1"]):
    with torch.no_grad():
        for n, p in net.weights.items():
            p.copy_(fitted[n])
    stage = schedule if variant == "default" else changed(variant)
    start = time.perf_counter()
    _progressive_rounding(net, target, stage, plan.bits)
    seconds = time.perf_counter() - start
    _fine_tune(net, target, stage, quantised, bits=plan.bits)
    label = "float32" if variant == "default" else labels.get(variant, variant)
    print(f"  rounding stage {label}: {decoded_psnr(net, plan.pixels, quantised):.3f} dB, payload "
          f"{payload_bytes(net, plan, plan.bits, plan.bits)} bytes, {seconds:.0f} s", flush=True)
