"""Session 46: which precision rate control should take at 384x256, image by image at equal rate.

Rate control (``ratecontrol.plan_for_bpp``) prefers 7, then 8, then 6 bits. Before 1.21.0 it took any precision
with a plan inside its window (2.5% under to 1.5% over) before 7 bits further under, so at 0.25 and 0.55 bpp it
picked 8 bits (widths 18 and 29) where 7 bits' plans (widths 19 and 31) were about 4.5% under. Here the 12 Kodak
images at 384x256, each precision pinned, from version 1.20.0's encoder:

    OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size 384x256 --config bpp=B[,bits=N]

(``bpp=B`` alone is 1.20.0's plan, 8 bits at both targets). 0.25 bpp, 8 and 7 bits: session 45's
bits7_384x256_0.25.txt; 6 bits: session 46's bits_384x256_1.20.0.txt (single thread, two processes at a time, 2 cores
of an AMD EPYC Zen 4, the same VM kind). Equal rate along the 384x256 1.18.0 sweep's own slope at 0.25 bpp. At 0.55
bpp only kodim01 ran (the file's last two lines; the screen was stopped for a full-size one). Run from the repository root:
python samples/perf-cpu/bits_choice_384x256_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_per_image, load, mean, rounding_cost, sweep_slope  # noqa: E402

FOLDER = "rd-kodak-384x256-1.18.0"
RUNS = ((0.25, {"8 bits (1.20.0's plan)": ("bits7_384x256_0.25.txt", "bpp=0.25"),
                "7 bits": ("bits7_384x256_0.25.txt", "bpp=0.25,bits=7"),
                "6 bits": ("bits_384x256_1.20.0.txt", "bpp=0.25,bits=6")}, 0.25),)

for target, configs, slope_at in RUNS:
    rows = {label: load(*where) for label, where in configs.items()}
    rows = {label: r for label, r in rows.items() if r}
    slope = sweep_slope(FOLDER, slope_at)
    print(f"{target:g} bpp, equal rate along {FOLDER}'s slope at {slope_at:g} bpp ({slope:.2f} dB per doubling):")
    for label, r in rows.items():
        images = sorted(r)
        widths = sorted({int(r[i]['width']) for i in images}) if "width" in next(iter(r.values())) else []
        print(f"  {label}: {len(images)} images, {mean(r, 'psnr', images):.2f} dB at {mean(r, 'bpp', images):.4f} bpp, "
              f"rounding cost {rounding_cost(r, images):.3f} dB {widths}")
    labels = list(rows)
    for a in range(len(labels)):
        for b in range(a + 1, len(labels)):
            compare_per_image(f"  {labels[b]} against {labels[a]}", rows[labels[a]], rows[labels[b]], slope)
