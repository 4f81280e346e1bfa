"""Session 50: what a tapered network's fitting step costs against the flat one's, at the widths rate control plans.

For each size and taper (``FitSchedule.taper``), the default preset's plan at 0.25 bpp (``codec.plan_network``) and the
median milliseconds of eager steps at each of the fit's sizes (full, half and quarter: ``stepbench.eager_ms``), the
tapers in turn; bfloat16 where the fit takes it (fit._bf16_pays; ``--bf16 all``: at every size, ``none``: nowhere).
Session 50 ran it single-thread, the two sizes side by side, nothing else running (output: taper_step.txt)::

    OMP_NUM_THREADS=1 python samples/perf-cpu/taper_step.py --size 768x512 --tapers 100,54
    OMP_NUM_THREADS=1 python samples/perf-cpu/taper_step.py --size 384x256 --tapers 100,54,75
"""
import argparse
import dataclasses
import statistics as st

import torch

from ddcodec import codec, format as fmt
from ddcodec.fit import bf16_layer_pays, bf16_supported
from ddcodec.model import coarse_size, layer_sizes
from ddcodec.presets import PRESETS, choose_depth
from ddcodec.stepbench import eager_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="384x256")
    parser.add_argument("--tapers", default="100,54")
    parser.add_argument("--bpp", type=float, default=0.25)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bf16", choices=("fit", "all", "none"), default="fit",
                        help="bfloat16 where the fit takes it (fit._bf16_pays), at every size, or nowhere")
    a = parser.parse_args()
    width, height = map(int, a.size.split("x"))
    depth = choose_depth(height, width, 3, 32.0, a.bpp, None)
    cpu = torch.device("cpu")
    print(f"{a.size}, {a.bpp} bpp, depth {depth}, {torch.get_num_threads()} thread(s); ms per step (median of "
          f"{a.rounds} rounds of {a.steps}, the tapers in turn)")
    plans = []
    for taper in map(int, a.tapers.split(",")):
        schedule = dataclasses.replace(PRESETS["default"], taper=taper)
        net_width, bits, mask = codec.plan_network(height, width, 3, bpp=a.bpp, depth=depth, schedule=schedule)
        widths = fmt.tapered_widths(net_width, depth, taper)
        plans.append((taper, schedule, net_width, bits, mask, widths))
    sizes = layer_sizes(height, width, depth)
    levels = {0: (height, width), 1: coarse_size(sizes, 1), 2: coarse_size(sizes, 2)}
    times: dict = {}
    for _ in range(a.rounds):  # the tapers take turns, so a change in the machine's load falls on all of them
        for taper, schedule, net_width, bits, mask, widths in plans:
            for level, size in levels.items():
                gate = a.bf16 == "all" or a.bf16 == "fit" and bf16_layer_pays((widths or (net_width,))[-1], size)
                bf16 = schedule.bf16 and bf16_supported() and gate
                ms = eager_ms(height, width, net_width, cpu, a.steps, coarse=level, depthwise=mask, bf16=bf16,
                              widths=widths)
                times.setdefault((taper, level), ([], bf16))[0].append(ms)
    for taper, schedule, net_width, bits, mask, widths in plans:
        row = [f"{name} {st.median(times[taper, level][0]):.1f}{' bf16' if times[taper, level][1] else ''}"
               for level, name in zip(levels, ("full", "half", "quarter"))]
        print(f"taper {taper:>3}: widths {list(widths) or [net_width] * depth} bits {bits} params "
              f"{fmt.param_count(net_width, depth, 3, mask, widths)}: " + ", ".join(row), flush=True)

if __name__ == "__main__":
    main()
