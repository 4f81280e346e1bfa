"""Session 68: full-size bfloat16 fitting steps (768x512, kernels on every layer) with the depthwise backward of an
older build of the C extension, of this one, and with torch's, alternating in one process: four rounds of two
warm-up and four timed steps each; ms per step. ``old``: OLD_SO's kernels (an older checkout's built extension,
loaded beside this one), the gate as it is; ``new``: this build's, the gate as it is (fused.BACKWARD_CHANNELS);
``torch``: the gate closed (torch's backward); ``new_all``: this build's with the gate open to every width.

    OMP_NUM_THREADS=2 python samples/perf-cpu/depthwise_backward_step.py OLD_SO WIDTH...
        (depthwise_backward_step.txt: OLD_SO 1.38.0's, built from 50dd8b9 in place)
"""
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

import torch

from ddcodec import fused

sys.path.insert(0, str(Path(__file__).parent))
from rows_norm_step import alternating_ms, fit_step  # noqa: E402


def main() -> None:
    torch.set_num_threads(2)
    path = sys.argv[1]
    loader = importlib.machinery.ExtensionFileLoader("_fused", path)
    old = importlib.util.module_from_spec(importlib.util.spec_from_file_location("_fused", path, loader=loader))
    loader.exec_module(old)
    new, gate = fused._fused, fused.BACKWARD_CHANNELS

    def side(module, channels):
        def setup() -> None:
            fused._fused, fused.BACKWARD_CHANNELS = module, channels
        return setup

    for width in (int(a) for a in sys.argv[2:]):
        step = fit_step(768, 512, width, 0, bf16=True)
        ms = alternating_ms(step, {"old": side(old, gate), "new": side(new, gate), "torch": side(new, (1, 1 << 30)),
                                   "new_all": side(new, (1, 1))})
        med = {name: sorted(v)[len(v) // 2] for name, v in ms.items()}
        runs = "; ".join(f"{name} " + ", ".join(f"{v:.1f}" for v in values) for name, values in ms.items())
        print(f"width {width}: {runs}; medians " + ", ".join(f"{name} {v:.1f}" for name, v in med.items()), flush=True)


if __name__ == "__main__":
    main()
