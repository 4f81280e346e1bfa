"""Session 29: 550 more main-fit steps at quarter size, where a step is cheapest (2,750: 1,100 at quarter size, 550 at half
size, 1,100 at full size) against the default (2,200: 550, 550, 1,100), whole encodes at 384x256, -k 32 (width 33,
7 bits), paired by image, the 12 Kodak images:
    OMP_NUM_THREADS=1 python -m ddcodec.ablation IMAGES --size 384x256 --config k=32 \
        --config k=32,iters=2750,quarter=0.4,coarse=0.2
two such processes side by side (six images each); output in more_quarter_384x256.txt.
Run from the repository root: python samples/perf-cpu/more_quarter_compare.py"""
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare, equal_rate, load, mean, slopes  # noqa: E402

NAME = "more_quarter_384x256.txt"
base, new = load(NAME, "k=32"), load(NAME, "k=32,iters=2750,quarter=0.4,coarse=0.2")
images = sorted(set(base) & set(new))
slope = slopes()[32]  # the 1.2.0 default's local slope at 384x256, k=32
compare("384x256, -k 32, 550 more quarter-size steps against the default", {i: base[i] for i in images}, {i: new[i] for i in images},
        slope)
print("  per image at equal rate: " + " ".join(f"{i[:-4]} {x:+.2f}" for i, x in
                                               zip(images, equal_rate(base, new, slope, images))))
print("  float PSNR: " + " ".join(f"{i[:-4]} {new[i]['float_psnr'] - base[i]['float_psnr']:+.2f}" for i in images))
print(f"  encode seconds (single thread, the other core busy): {mean(base, 'seconds', images):.0f} -> "
      f"{mean(new, 'seconds', images):.0f} ({mean(new, 'seconds', images) / mean(base, 'seconds', images) - 1:+.0%}); "
      "per image " + " ".join(f"{i[:-4]} {new[i]['seconds'] / base[i]['seconds'] - 1:+.0%}" for i in images))
