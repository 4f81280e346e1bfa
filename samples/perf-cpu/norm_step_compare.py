"""Session 67: fitting steps (768x512, kernels on every layer) with the hidden layers' ReLU and normalisation fused
in C (model._ReluNorm, from ``model.relu_norm``) and with torch's ReLU and batch norm (``FUSED_NORM_MIN_VALUES``
lifted past every layer), alternating in one process: four rounds of two warm-up and four timed steps each; ms per
step. COARSE 0 times full-size steps, 1 half-size, 2 quarter-size; ``bf16`` under bfloat16 autocast, as the encoder's
main fit on CPUs with native bfloat16 (its rounding stages run in float32).

    OMP_NUM_THREADS=2 python samples/perf-cpu/norm_step_compare.py COARSE [bf16] WIDTH...   (norm_step_compare.txt)
"""
import sys
from pathlib import Path

import torch

from ddcodec import model

sys.path.insert(0, str(Path(__file__).parent))
from rows_norm_step import alternating_ms, fit_step  # noqa: E402

torch.set_num_threads(2)
args = sys.argv[1:]
coarse = int(args.pop(0))
bf16 = "bf16" in args
fused_min = model.FUSED_NORM_MIN_VALUES
for width in (int(a) for a in args if a != "bf16"):
    step = fit_step(768, 512, width, coarse, bf16=bf16)
    ms = alternating_ms(step, {name: (lambda least=least: setattr(model, "FUSED_NORM_MIN_VALUES", least))
                               for name, least in (("torch", 1 << 62), ("fused", fused_min))})
    runs = "; ".join(f"{name} " + ", ".join(f"{v:.1f}" for v in values) for name, values in ms.items())
    med = {name: sorted(v)[len(v) // 2] for name, v in ms.items()}
    print(f"size /{2 ** coarse}, {'bfloat16' if bf16 else 'float32'}, width {width}: {runs}; medians "
          f"{med['torch']:.1f} -> {med['fused']:.1f} ({med['fused'] / med['torch'] - 1:+.1%})", flush=True)
