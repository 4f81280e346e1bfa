"""Session 46: which precision rate control should take, image by image at equal rate.

Rate control (``ratecontrol.plan_for_bpp``) preferred 7, then 8, then 6 bits, inside its window (2.5% under to 1.5%
over) first. So at 384x256 and 0.25 / 0.55 bpp it picked 8 bits (widths 18 and 29) where 7 bits' plans (widths 19
and 31) and 6 bits' (21 and 35) were a few per cent under or inside the window. Here the Kodak images, each precision
pinned, from version 1.20.0's encoder (single thread, two processes at a time, 2 cores of an AMD EPYC Zen 4):

    OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size SIZE --config bpp=B[,bits=N]

(``bpp=B`` alone is 1.20.0's plan). 384x256, 0.25 bpp, 8 and 7 bits: session 45's bits7_384x256_0.25.txt; 6 bits, and
0.55 bpp: session 46's bits_384x256_1.20.0.txt. Full size, 0.25 bpp (7 bits, width 45, the plan of 1.20.0 and
1.21.0, against 6 bits pinned, width 49): bits_768x512_0.25.txt. Full size, 0.22 bpp (1.20.0's plan, 8 bits at width 38:
bpp=0.22 in session 46, bpp=0.22,bits=8 in session 47; 1.21.0's, 6 bits at width 45): bits_768x512_0.22.txt. Full
size, 0.15 bpp (depth 7; 1.20.0's plan 8 bits at width 28, 1.21.0's 6 bits at width 33; session 47, the images the
session's end left time for): bits_768x512_0.15.txt. Equal rate along the 1.18.0 sweeps' own slopes
(384x256: at 0.25 and 0.5 bpp; full size: the CPU sweep's between 0.125 and 0.25 bpp). Run from the repository root:
python samples/perf-cpu/bits_choice_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_per_image, load, local_slope, mean, rounding_cost, sweep, sweep_slope  # noqa: E402

SMALL, FULL = "rd-kodak-384x256-1.18.0", "rd-kodak-768x512-1.18.0-cpu"
RUNS = (("384x256", 0.25, {"8 bits (1.20.0's plan)": ("bits7_384x256_0.25.txt", "bpp=0.25"),
                           "7 bits": ("bits7_384x256_0.25.txt", "bpp=0.25,bits=7"),
                           "6 bits (1.21.0's plan)": ("bits_384x256_1.20.0.txt", "bpp=0.25,bits=6")},
         lambda: sweep_slope(SMALL, 0.25)),
        ("384x256", 0.55, {"8 bits (1.20.0's plan)": ("bits_384x256_1.20.0.txt", "bpp=0.55"),
                           "7 bits": ("bits_384x256_1.20.0.txt", "bpp=0.55,bits=7"),
                           "6 bits (1.21.0's plan)": ("bits_384x256_1.20.0.txt", "bpp=0.55,bits=6")},
         lambda: sweep_slope(SMALL, 0.5)),
        ("768x512", 0.25, {"7 bits (the plan)": ("bits_768x512_0.25.txt", "bpp=0.25"),
                           "6 bits": ("bits_768x512_0.25.txt", "bpp=0.25,bits=6")},
         lambda: local_slope(sweep(FULL, "bpp=0.125"), sweep(FULL, "bpp=0.25"), sorted(sweep(FULL, "bpp=0.25")))),
        ("768x512", 0.22, {"8 bits (1.20.0's plan)": [("bits_768x512_0.22.txt", "bpp=0.22"),
                                                      ("bits_768x512_0.22.txt", "bpp=0.22,bits=8")],
                           "6 bits (1.21.0's plan)": ("bits_768x512_0.22.txt", "bpp=0.22,bits=6")},
         lambda: local_slope(sweep(FULL, "bpp=0.125"), sweep(FULL, "bpp=0.25"), sorted(sweep(FULL, "bpp=0.25")))),
        ("768x512", 0.15, {"8 bits (1.20.0's plan)": ("bits_768x512_0.15.txt", "bpp=0.15,bits=8"),
                           "6 bits (1.21.0's plan)": ("bits_768x512_0.15.txt", "bpp=0.15,bits=6")},
         lambda: local_slope(sweep(FULL, "bpp=0.125"), sweep(FULL, "bpp=0.25"), sorted(sweep(FULL, "bpp=0.25")))))


def load_all(where) -> dict:
    """One (file, config)'s rows, or several merged (the same plan run under two configs)."""
    merged = {}
    for name, config in ([where] if isinstance(where, tuple) else where):
        merged.update(load(name, config))
    return merged


for size, target, configs, slope_of in RUNS:
    rows = {label: r for label, r in ((label, load_all(where)) for label, where in configs.items()) if r}
    slope = slope_of()
    print(f"{size}, {target:g} bpp, equal rate along a slope of {slope:.2f} dB per doubling:")
    for label, r in rows.items():
        images = sorted(r)
        print(f"  {label}: {len(images)} images, {mean(r, 'psnr', images):.2f} dB at {mean(r, 'bpp', images):.4f} bpp, "
              f"rounding cost {rounding_cost(r, images):.3f} dB, widths {sorted({int(r[i]['width']) for i in images})}")
    labels = list(rows)
    for a in range(len(labels)):
        for b in range(a + 1, len(labels)):
            if len(set(rows[labels[a]]) & set(rows[labels[b]])) >= 2:
                compare_per_image(f"  {labels[b]} against {labels[a]}", rows[labels[a]], rows[labels[b]], slope)
