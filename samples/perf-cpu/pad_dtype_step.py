"""Session 52: fitting steps with the depthwise kernel's replicate padding in the layer's own dtype (since 1.26.0,
``model._replicate_pad``) against float32, as CPU autocast ran it before (the padded copy written in float32 and
cast back to bfloat16 for the convolution). Steps at every size of the fit (full, half, quarter), bfloat16 at every
size as ``stepbench.eager_ms(bf16=True)`` takes them (the fit itself keeps float32 for layers under 1 MiB), the
default preset's plan at the given rate, the two paddings in turn. Session 52, single-thread, nothing else running
(output: pad_dtype_step.txt)::

    OMP_NUM_THREADS=1 python samples/perf-cpu/pad_dtype_step.py 384x256 0.25
    OMP_NUM_THREADS=1 python samples/perf-cpu/pad_dtype_step.py 768x512 0.25

and the same two with OMP_NUM_THREADS=2 after them; later ``OMP_NUM_THREADS=2 python samples/perf-cpu/pad_dtype_step.py
768x512 0.656`` (the ``-k 32`` plan, beside the whole CLI encodes of encode_768x512_1.26.0.txt).
"""
import statistics as st
import sys

import torch
import torch.nn.functional as F

from ddcodec import codec, model
from ddcodec.presets import PRESETS, choose_depth
from ddcodec.stepbench import eager_ms


def float32_pad(x: torch.Tensor) -> torch.Tensor:
    """The padding as 1.25.0 ran it: under autocast, in float32."""
    return F.pad(x, (1, 1, 1, 1), mode="replicate")


def main() -> None:
    size, bpp = sys.argv[1], float(sys.argv[2])
    width, height = map(int, size.split("x"))
    depth = choose_depth(height, width, 3, 32.0, bpp, None)
    net_width, bits, mask = codec.plan_network(height, width, 3, bpp=bpp, depth=depth, schedule=PRESETS["default"])
    print(f"{size}, {bpp} bpp: width {net_width}, depth {depth}, {torch.get_num_threads()} thread(s); ms per bfloat16 "
          f"step (median of 3 rounds of 10, the paddings in turn)")
    own = model._replicate_pad
    times: dict = {}
    for _ in range(3):
        for name, pad in (("float32 padding (1.25.0)", float32_pad), ("own dtype (1.26.0)", own)):
            model._replicate_pad = pad
            for level in (0, 1, 2):
                ms = eager_ms(height, width, net_width, torch.device("cpu"), 10, coarse=level, depthwise=mask,
                              bf16=True)
                times.setdefault(name, {}).setdefault(level, []).append(ms)
    model._replicate_pad = own
    for name, levels in times.items():
        print(f"{name:>25}: " + ", ".join(f"{label} {st.median(levels[lv]):.1f}"
                                            for lv, label in zip((0, 1, 2), ("full", "half", "quarter"))))


if __name__ == "__main__":
    main()
