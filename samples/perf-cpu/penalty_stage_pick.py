"""Session 61: would the best preset's two penalty strengths be told apart by the main fit's reduced-size stages, as
``--tries`` tells seeds apart (``fit.fit_best_seed``)? Then it could finish only the better one, at about 1.2 times the
default's time instead of twice. This fits the default preset at one strength through its quarter- and half-size
stages only and prints the PSNR of the lowest MSE over the half-size stage's last ``fit.PICK_WINDOW`` steps, the number
``fit_best_seed`` ranks seeds by, on the plan the default's strength gives (as the best preset fits both).

usage (from /tmp with PYTHONPATH at a snapshot of the package):
    python samples/perf-cpu/penalty_stage_pick.py KODAK/kodimNN.png WEIGHT_L1 BPP [WxH]
The results, with the finished files' PSNRs beside them: penalty_schedule_compare.py, "stage pick"."""
import dataclasses
import sys
import time

import torch
from PIL import Image

from ddcodec import codec, fit
from ddcodec.model import DeepDecoder
from ddcodec.presets import PRESETS


def stage_pick(path: str, strength: float, bpp: float, size: str | None = None) -> tuple[codec._Plan, float]:
    """The plan and the half-size stage's best PSNR over its last ``PICK_WINDOW`` steps at ``strength``."""
    image = Image.open(path).convert("RGB")
    if size:
        image = image.resize(tuple(int(v) for v in size.split("x")), Image.LANCZOS)
    default = PRESETS["default"]
    plan = codec._plan(image, 32.0, bpp, None, 0, None, default, "auto", None)
    schedule = dataclasses.replace(default, weight_l1=strength)
    height, width, channels = plan.pixels.shape
    codec._prepare_device(torch.device("cpu"), plan, 1)
    net = DeepDecoder(height, width, channels, plan.net_width, plan.depth, plan.seed, depthwise=plan.depthwise,
                      widths=plan.widths, out_gain=schedule.out_gain)
    with fit.tf32_matmuls(True):
        window = next(fit._main_fit_steps(net, codec._to_tensor(plan.pixels, torch.device("cpu")), schedule, None,
                                          plan.bits, pause=True))
    return plan, fit.psnr_from_mse(float(window[0]))


if __name__ == "__main__":
    start = time.perf_counter()
    plan, db = stage_pick(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), *sys.argv[4:5])
    print(f"{sys.argv[1].split('/')[-1]:>12} l1={float(sys.argv[2]):<8} w={plan.net_width} bits={plan.bits} "
          f"pick={db:.3f} {time.perf_counter() - start:.0f}s", flush=True)
