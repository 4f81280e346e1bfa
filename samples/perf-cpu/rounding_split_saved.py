"""Session 27: which tensors plain rounding costs the PSNR on (quant_loss_split.py's split, without fitting), for a
main fit saved by hessian_round_compare.py (``MAIN_FIT_DIR``), at its plan's precision and one and two bits more.

    python samples/perf-cpu/rounding_split_saved.py IMAGE WxH BPP BITS SAVED_FIT.pt
(the lines quoted in RESULTS.md's "Rounding at 6 bits and fewer": the 6-bit fits of lowbits_progressive_384x256.txt)
"""
import sys

import torch

from paired import planned_network
from quant_loss_split import split

path, size, bpp, bits, saved = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
plan, schedule, net, target = planned_network(path, size, bpp, bits)
with torch.no_grad():
    for n, p in torch.load(saved).items():
        net.weights[n].copy_(p)
print(f"{path.rsplit('/', 1)[-1]} {size} bpp={bpp}: width {plan.net_width}")
for b in (bits, bits + 1, bits + 2):
    print(f"  {b} bits: {split(net, plan.pixels, b)}", flush=True)
