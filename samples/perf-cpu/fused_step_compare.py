"""Session 67: fitting steps (768x512, kernels on every layer) with one of the fit's C kernels and with torch's ops
in its place (its gate in model lifted past every layer), alternating in one process: four rounds of two warm-up and
four timed steps each; ms per step. KERNEL ``norm``: the hidden layers' ReLU and normalisation (model._ReluNorm,
gate FUSED_NORM_MIN_VALUES); ``doubling``: the bilinear upsampling to twice the size (model._Doubling, gate
FUSED_DOUBLING_MIN_VALUES). COARSE 0 times full-size steps, 1 half-size, 2 quarter-size; ``bf16`` under bfloat16
autocast, as the encoder's main fit on CPUs with native bfloat16 (its rounding stages run in float32).

    OMP_NUM_THREADS=2 python samples/perf-cpu/fused_step_compare.py KERNEL COARSE [bf16] WIDTH...
        (fused_step_compare_norm.txt, fused_step_compare_doubling.txt)
"""
import sys
from pathlib import Path

import torch

from ddcodec import model

sys.path.insert(0, str(Path(__file__).parent))
from rows_norm_step import alternating_ms, fit_step  # noqa: E402

GATES = {"norm": "FUSED_NORM_MIN_VALUES", "doubling": "FUSED_DOUBLING_MIN_VALUES"}
torch.set_num_threads(2)
args = sys.argv[1:]
gate = GATES[args.pop(0)]
coarse = int(args.pop(0))
bf16 = "bf16" in args
least = getattr(model, gate)
for width in (int(a) for a in args if a != "bf16"):
    step = fit_step(768, 512, width, coarse, bf16=bf16)
    ms = alternating_ms(step, {name: (lambda value=value: setattr(model, gate, value))
                               for name, value in (("torch", 1 << 62), ("fused", least))})
    runs = "; ".join(f"{name} " + ", ".join(f"{v:.1f}" for v in values) for name, values in ms.items())
    med = {name: sorted(v)[len(v) // 2] for name, v in ms.items()}
    print(f"size /{2 ** coarse}, {'bfloat16' if bf16 else 'float32'}, width {width}: {runs}; medians "
          f"{med['torch']:.1f} -> {med['fused']:.1f} ({med['fused'] / med['torch'] - 1:+.1%})", flush=True)
