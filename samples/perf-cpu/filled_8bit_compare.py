"""Session 65: what filling 7-bit plans up to 8-bit codes was worth (a draft of 1.36.0, dropped; RESULTS.md, "Filled
plans"): at 384x256 and 0.5 bpp the draft's sweep points (filled_8bit_384x256_0.5.csv) against 1.35.0's sweep files
(the same plan, unfilled), and at full size and 0.125 bpp two images filled (filled_8bit_fullsize_0.125.txt) against
1.34.1's sweep files (the same plan, 27 wide at 7 bits, unfilled), at equal rate along each baseline's slope.
Run from anywhere: python samples/perf-cpu/filled_8bit_compare.py"""
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import (FOLDER, cached_sweep, compare_per_image, curve_slope, load, mean_curve, sweep,  # noqa: E402
                    sweep_slope)

lines = [line for line in (FOLDER / "filled_8bit_384x256_0.5.csv").read_text().splitlines() if not line.startswith("#")]
draft = {r["image"]: {"bpp": float(r["bpp"]), "psnr": float(r["psnr"])} for r in csv.DictReader(lines)}
folder = "rd-kodak-384x256-1.35.0"
compare_per_image("384x256, 0.5 bpp: 7 bits filled to 8-bit codes against 1.35.0", sweep(folder, "bpp=0.5"), draft,
                  sweep_slope(folder, 0.5))
swept, targets = "rd-kodak-768x512-1.34.1-cpu", (0.125, 0.25, 0.5)
rows = {t: cached_sweep(swept, f"bpp={t:g}") for t in targets}
compare_per_image("768x512, 0.125 bpp: 7 bits filled to 8-bit codes against 1.34.1", rows[0.125],
                  load("filled_8bit_fullsize_0.125.txt", "bpp=0.125"), curve_slope(*mean_curve(rows, targets), 0))
