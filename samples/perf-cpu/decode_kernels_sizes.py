"""Session 21: decode time, page faults and peak memory of square images with and without depthwise kernels, one
thread, in one process (``ddcodec.bench.run_decode_only``: its synthetic file, the quantised initial network at k=32,
and the first decode in the process), with the memory the renderer keeps for its levels and whether that is all of
them.

At 1024x1024 the last level no longer fits the decoder's 512 MiB budget, so the banded renderer would compute it
twice (statistics, then image) and, with kernels, the level below three times; since session 21 it keeps every level
where that costs at most render.FULL_CACHE_BYTES.
python samples/perf-cpu/decode_kernels_sizes.py 512 1024     (output in decode_kernels_sizes.txt)
python samples/perf-cpu/decode_kernels_sizes.py --budget-only 1024     (the 512 MiB budget alone, as before)
python samples/perf-cpu/decode_kernels_sizes.py --plan-only 1152 1184     (the kept memory only, no decode)"""
import argparse

import torch

from ddcodec import format as fmt
from ddcodec import render
from ddcodec.bench import run_decode_only, synthetic_file
from ddcodec.quant import dequantize


def kept_levels(data: bytes) -> tuple[float, bool]:
    """MiB of the renderer's level buffers for this file on a CPU, and whether they hold every level."""
    h, q = fmt.decode_file(data)
    weights = dequantize(q, h.steps, h.bits, h.net_width, h.depth, h.channels, h.depthwise)
    renderer = render.BandRenderer(h.height, h.width, h.channels, h.net_width, h.depth, h.seed, h.upsample_mode,
                                   weights, torch.device("cpu"))
    return sum(b.numel() for b in renderer._buffers.values()) * 4 / 2**20, renderer.fully_cached


parser = argparse.ArgumentParser()
parser.add_argument("sides", type=int, nargs="+")
parser.add_argument("--budget-only", action="store_true", help="never keep more than the 512 MiB budget")
parser.add_argument("--plan-only", action="store_true", help="print the kept memory, decode nothing")
args = parser.parse_args()
if args.budget_only:
    render.FULL_CACHE_BYTES = 0
torch.set_num_threads(1)
for side in args.sides:
    for depthwise in ("off", "auto"):
        mib, every = kept_levels(synthetic_file(side, side, 32.0, depthwise=depthwise))
        line = f"{side}x{side} depthwise={depthwise:4s} levels kept {mib:5.0f} MiB (all: {every})"
        if not args.plan_only:
            r = run_decode_only("cpu", side, side, 32.0, 1, depthwise)
            line += (f"  {r['decode_first_ms'] / 1000:6.2f} s  {r['decode_first_page_faults']:7d} page faults  "
                     f"peak RSS so far {r['peak_rss_mb']:.0f} MB")
        print(line)
