"""Session 29: would an exponential moving average of the weights beat the best iterate the main fit keeps?

The encoder's own main fit (fit._main_fit, the default preset) of each image, planned by --bpp rate control at
384x256; an optimizer hook keeps moving averages of the weights over the full-size steps (one per decay, started at
the first full-size step: step quarter + coarse). After the fit, the PSNR of the float network as the fit leaves
it (its best iterate, or the last where better) and of each average. Float only: the fit before quantisation,
which is what an average would change. One line per image; --summarize prints means.

    OMP_NUM_THREADS=1 python samples/perf-cpu/ema_screen.py IMAGES [--bpp 0.5] [--size 384x256]
    python samples/perf-cpu/ema_screen.py --summarize OUTPUT...
"""
import argparse
import re
import statistics as st
import sys
import time
from pathlib import Path

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

sys.path.insert(0, str(Path(__file__).parent))
from paired import planned_network  # noqa: E402

from ddcodec import fit  # noqa: E402

DECAYS = (0.9, 0.97, 0.99, 0.995, 0.998)


def screen(path: str, size: str, bpp: float) -> None:
    plan, schedule, net, target = planned_network(path, size, bpp)
    start_at = round(schedule.iters * schedule.quarter_fraction) + round(schedule.iters * schedule.coarse_fraction)
    weights = dict(net.weights)
    averages = {d: None for d in DECAYS}
    steps = [0]

    def hook(optimizer, args, kwargs):
        step = steps[0]
        steps[0] += 1
        if step < start_at:
            return
        with torch.no_grad():
            for d in DECAYS:
                if averages[d] is None:
                    averages[d] = {n: p.detach().clone() for n, p in weights.items()}
                else:
                    for n, p in weights.items():
                        averages[d][n].lerp_(p.detach(), 1 - d)

    handle = register_optimizer_step_post_hook(hook)
    began = time.perf_counter()
    try:
        mse = float(fit._main_fit(net, target, schedule)[0])
    finally:
        handle.remove()
    seconds = time.perf_counter() - began
    kept = {n: p.detach().clone() for n, p in weights.items()}
    results = []
    with torch.no_grad():
        for d in DECAYS:
            for n, p in weights.items():
                p.copy_(averages[d][n])
            results.append(fit.psnr_from_mse(float(fit.per_image_mse(net, target, None)[0])))
        for n, p in weights.items():
            p.copy_(kept[n])
    line = " ".join(f"ema{d}={r - fit.psnr_from_mse(mse):+.3f}" for d, r in zip(DECAYS, results))
    print(f"{Path(path).name:>12} w={plan.net_width} steps={steps[0]} fit={fit.psnr_from_mse(mse):.3f} {line} "
          f"{seconds:.0f}s", flush=True)


def summarize(paths: list[str]) -> None:
    rows = [dict(re.findall(r"(ema[\d.]+)=([+-][\d.]+)", line)) for p in paths for line in open(p)
            if "fit=" in line]
    for key in rows[0]:
        values = [float(r[key]) for r in rows]
        print(f"{key:9s} mean {st.mean(values):+.3f} dB over {len(values)} images (SE "
              f"{st.stdev(values) / len(values) ** 0.5:.3f}; {sum(v > 0 for v in values)} better)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+")
    parser.add_argument("--bpp", type=float, default=0.5)
    parser.add_argument("--size", default="384x256")
    parser.add_argument("--summarize", action="store_true")
    args = parser.parse_args()
    if args.summarize:
        summarize(args.images)
    else:
        for image in args.images:
            screen(image, args.size, args.bpp)
