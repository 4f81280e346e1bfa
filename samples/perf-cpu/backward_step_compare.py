"""Session 66: full-size bfloat16 fitting steps (768x512, kernels on every layer, as the encoder takes them on a CPU
with native bfloat16) with the fused C backward of the large depthwise layers (fused.depthwise_backward, from
model._ReplicateDepthwise) and with torch's (fused.ENABLED False), alternating in one process: four rounds of two
warm-up and four timed steps each; ms per step.

    OMP_NUM_THREADS=2 python samples/perf-cpu/backward_step_compare.py [--every-width] WIDTH...
                                                                                    (backward_step_compare.txt)

``--every-width`` takes the fused backward at every width, not only where it pays (fused.BACKWARD_CHANNELS).
"""
import sys
from pathlib import Path

import torch

from ddcodec import fused

sys.path.insert(0, str(Path(__file__).parent))
from rows_norm_step import alternating_ms, fit_step  # noqa: E402

torch.set_num_threads(2)
args = sys.argv[1:]
if "--every-width" in args:
    args.remove("--every-width")
    fused.BACKWARD_CHANNELS = (1, 1)
for width in map(int, args):
    step = fit_step(768, 512, width, 0, bf16=True)
    ms = alternating_ms(step, {name: (lambda on=name == "fused": setattr(fused, "ENABLED", on))
                               for name in ("torch", "fused")})
    runs = "; ".join(f"{name} " + ", ".join(f"{v:.1f}" for v in values) for name, values in ms.items())
    print(f"width {width}: {runs}", flush=True)
