"""Session 68: fitting steps (768x512, kernels on every layer, bfloat16) with the depthwise layers under
model.RING_MIN_BYTES taking their backward in C (model._PaddedDepthwise: a padded forward, fused.depthwise_backward)
and with torch's (the padded convolution's own autograd), alternating in one process: four rounds of two warm-up and
four timed steps each; ms per step, at full, half and quarter size, widths 72 and 45.

    OMP_NUM_THREADS=2 python samples/perf-cpu/padded_depthwise_step.py   (padded_depthwise_step.txt)
"""
import sys
import types
from pathlib import Path

import torch

from ddcodec import model

sys.path.insert(0, str(Path(__file__).parent))
from rows_norm_step import alternating_ms, fit_step  # noqa: E402


def main() -> None:
    torch.set_num_threads(2)
    fused_side = model._PaddedDepthwise
    torch_side = types.SimpleNamespace(apply=model.padded_depthwise)

    def side(function):
        def setup() -> None:
            model._PaddedDepthwise = function
        return setup

    for coarse in (0, 1, 2):
        for width in (72, 45):
            step = fit_step(768, 512, width, coarse, bf16=True)
            ms = alternating_ms(step, {"torch": side(torch_side), "C": side(fused_side)})
            med = {name: sorted(v)[len(v) // 2] for name, v in ms.items()}
            runs = "; ".join(f"{name} " + ", ".join(f"{v:.1f}" for v in values) for name, values in ms.items())
            print(f"size /{2 ** coarse}, width {width}: {runs}; medians torch {med['torch']:.1f} -> C {med['C']:.1f} "
                  f"({med['C'] / med['torch'] - 1:+.1%})", flush=True)


if __name__ == "__main__":
    main()
