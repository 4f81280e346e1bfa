"""Session 45: depth 7 against depth 6 below 768x512, image by image at equal rate.

Since 1.19.0 the encoder took depth 7 only for images whose shorter side is at least 512 pixels
(``presets.LOW_RATE_DEPTH_MIN_SIDE``), measured at 768x512 (fullsize_depth7_compare.py); smaller sizes had not been
measured since version 1.2.0. Here the 12 Kodak images at 576x384 and 384x256 (portrait ones turned), both depths from
version 1.19.1's encoder on the same VM:

    OMP_NUM_THREADS=1 python -m ddcodec.ablation KODAK/kodimNN.png --size SIZE --config bpp=B,depth=D

(576x384: B = 0.125 and 0.18, the rule's upper limit, output in depth7_576x384.txt; 384x256: B = 0.125, output in
depth7_384x256.txt; D = 6 and 7; single thread, two processes at a time, on session 45's VM, 2 cores of an AMD EPYC
with AVX-512 and bfloat16). Each side's precision is rate control's (--bpp), as an encode picks it; at 576x384 and 0.18
bpp that is 8 bits at depth 6, so depth 6 at 7 bits (``bpp=0.18,depth=6,bits=7``) is compared too. Equal rate along
1.18.0's 12-image slope between 0.125 and 0.25 bpp, read at full size (the CPU RD run) and at 384x256 (that size's RD
run); the files' rates differ by a few percent, so the slope moves the figure by little (both readings are printed).
Run from the repository root: python samples/perf-cpu/depth7_below_full_size_compare.py"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_per_image, load, local_slope, mean, rounding_cost, sweep  # noqa: E402

RUNS = (("576x384", "depth7_576x384.txt", 0.125, "bpp=0.125,depth=6"),
        ("576x384", "depth7_576x384.txt", 0.18, "bpp=0.18,depth=6"),
        ("576x384", "depth7_576x384.txt", 0.18, "bpp=0.18,depth=6,bits=7"),
        ("384x256", "depth7_384x256.txt", 0.125, "bpp=0.125,depth=6"))
SWEEPS = {folder: {b: sweep(folder, f"bpp={b:g}") for b in (0.125, 0.25, 0.5)}
          for folder in ("rd-kodak-768x512-1.18.0-cpu", "rd-kodak-384x256-1.18.0")}
SLOPES = {folder: local_slope(s[0.125], s[0.25], sorted(s[0.125])) for folder, s in SWEEPS.items()}

for size, output, target, base_config in RUNS:
    shallow, deeper = load(output, base_config), load(output, f"bpp={target:g},depth=7")
    images = sorted(set(shallow) & set(deeper))
    if not images:
        continue
    for folder, slope in SLOPES.items():
        print(f"{size}, {target:g} bpp, depth 7 against {base_config}, along {folder}'s slope ({slope:.2f} dB per "
              f"doubling):")
        compare_per_image("  depth 7 against 6", shallow, deeper, slope)
    for label, rows in ((base_config, shallow), ("depth 7", deeper)):
        off = [rows[i]["bpp"] / target - 1 for i in images]
        print(f"  {label}: files {min(off):+.1%} to {max(off):+.1%} of the target (widths "
              f"{sorted({rows[i]['width'] for i in images})}, bits {sorted({rows[i]['bits'] for i in images})}), "
              f"rounding cost {rounding_cost(rows, images):.2f} dB, encode {mean(rows, 'seconds', images):.0f} s")

