"""Session 47: how well the float fit, rounded plainly, predicts a --bpp file's size, and what fewer levels save.

Fits one image at its --bpp plan as the encoder does (the default preset, the encoder's depth, kernels 'auto'; a
portrait image upright), and when the float fit is done (``fit``'s ``levels_for``) packs its weights rounded
plainly to every level count from qmax down to qmax - 7 (``codec.pack``'s ``levels``). The fit then goes on at all
of qmax's levels, untrimmed, and the final file is packed. Prints the final file's size against the target, the
prediction at qmax against both, and each level count's size relative to qmax's. ``ratecontrol.trimmed_levels``
relies on both: the prediction (final over predicted 0.9974 at 384x256, 1.0002 at 768x512) and the slope (one level
fewer 0.35% of the file at 7 bits, 0.8% at 6).

    OMP_NUM_THREADS=1 python samples/perf-cpu/trim_levels_prediction.py ../shared/data/kodak/kodim05.png full 0.25
(output in trim_levels_prediction.txt)"""
import sys
import time

import numpy as np
import torch
from PIL import Image

from ddcodec import codec
from ddcodec.fit import fit
from ddcodec.model import DeepDecoder
from ddcodec.presets import PRESETS
from ddcodec.quant import qmax

path, size, bpp = sys.argv[1], sys.argv[2], float(sys.argv[3])
image = Image.open(path).convert("RGB")
if size != "full":
    w, h = map(int, size.split("x"))
    image = image.resize((w, h) if image.width > image.height else (h, w), Image.LANCZOS)
schedule = PRESETS["default"]
plan = codec._plan(np.asarray(image), 32.0, bpp, None, 0, None, schedule)
height, width, channels = plan.pixels.shape
target = bpp * height * width / 8
net = DeepDecoder(height, width, channels, plan.net_width, plan.depth, plan.seed, depthwise=plan.depthwise)
full = qmax(plan.bits)
predicted = {}


def record(index: int, weights: dict) -> int:
    packer = codec._packer(plan, {n: w.detach() for n, w in weights.items()})
    predicted.update({m: len(packer(m)) for m in range(full, full - 8, -1)})
    return full


start = time.time()
fit(net, codec._to_tensor(plan.pixels, torch.device("cpu")), schedule, plan.bits, None, record)
final = len(codec._packer(plan, dict(net.weights))(full))
pre = predicted[full]
print(f"{path.split('/')[-1]} {size} bpp={bpp} w={plan.net_width} bits={plan.bits} target={target:.0f} final={final} "
      f"({final / target - 1:+.2%}) pre={pre} ({pre / target - 1:+.2%}) final/pre={final / pre:.4f} "
      + " ".join(f"L{m}:{predicted[m] / pre:.4f}" for m in sorted(predicted, reverse=True))
      + f" {time.time() - start:.0f}s", flush=True)
