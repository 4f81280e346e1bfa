"""Session 65: an ablation run (``python -m ddcodec.ablation``'s arguments) with rate control's plan forced to
FORCE=WIDTH:BITS, the codes rounded to the levels that bring the float fit's file to the target (the trim of
``ratecontrol.trimmed_levels`` allowed down to MAX_TRIM, default 0.6, of the levels, and TRIM_OVER, default 0, over
the target). Written to try, before 1.36.0 filled plans under their target, what a plan one width wider than rate
control's at fewer levels is worth: FORCE=21:7 at 384x256 and 0.25 bpp is width 21 with codes up to about 38 (6 bits
filled), FORCE=22:6 width 22 with 6 bits trimmed.
    cd /tmp && FORCE=21:7 PYTHONPATH=SNAPSHOT OMP_NUM_THREADS=1 python REPO/samples/perf-cpu/forced_plan.py \\
        ../shared/data/kodak/*.png --size 384x256 --config bpp=0.25 --device cpu"""
import os
import sys

from ddcodec import ablation, codec, ratecontrol

WIDTH, BITS = (int(x) for x in os.environ["FORCE"].split(":"))
ratecontrol.MAX_TRIM = float(os.environ.get("MAX_TRIM", "0.6"))
ratecontrol.TRIM_OVER = float(os.environ.get("TRIM_OVER", "0.0"))


def forced_plan(height, width, channels, k=32.0, bpp=None, bits=None, depth=6, schedule=None, depthwise="auto"):
    return WIDTH, BITS, codec.depthwise_mask(depthwise, WIDTH, depth)


codec.plan_network = forced_plan
ablation.main(sys.argv[1:])
