"""Session 39: version 1.18.0's default at full size (768x512) on all 12 Kodak images at 0.125, 0.25 and 0.5 bpp, on
the CPU (no GPU lent): its mean RD curve beside the classical codecs' and COIN's, the BD-rate against each classical
codec over that curve, and each rate paired image by image with the earlier full-size files.

Where the points come from (single-thread encodes, two at a time, on an Intel Xeon VM with AVX-512 and AMX, so the main
fits ran in bfloat16 as the default preset does on such a CPU):
- 0.125 and 0.25 bpp: the RD tool, `ddcodec rd KODAK --codecs ddcodec,jpeg,jpeg2000,webp,avif --ddc-bpp 0.125,0.25
  --device cpu --jobs 2 --out ...` (in parts whose caches were joined: 0.25 bpp with --jobs 2, 0.125 bpp as two
  halves of the images, the classical codecs alone), in samples/rd-kodak-768x512-1.18.0-cpu/ (its bd_table.md has the classical codecs' curves, measured in the same run);
- 0.5 bpp: sessions 38 and 39's `python -m ddcodec.ablation KODAK/kodimNN.png --size full --config bpp=0.5` lines
  (fullsize_0.5_1.18.0.txt; kodim03's in rounding_stage_7bit_768x512.txt, the same settings pinned), the same encoder
  and rate control as the RD tool's `--ddc-bpp 0.5` (no MS-SSIM, so the RD tool's files hold only the two lower rates).
Run from the repository root: python samples/perf-cpu/fullsize_1.18.0_compare.py"""
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import (FOLDER, curve, curve_slope, equal_rate, fullsize_1_3_1_at_eighth,  # noqa: E402
                    files_summary, fullsize_1_18_0_at_half, fullsize_1_19_0, load, mean, mean_curve, read_at, se, sweep, table_row)

from ddcodec.rd.bd import bd_psnr, bd_rate  # noqa: E402
from ddcodec.rd.reference import load_reference  # noqa: E402

SWEPT = "rd-kodak-768x512-1.18.0-cpu"
TARGETS = (0.125, 0.25, 0.5)
CLASSICAL = ("jpeg", "jpeg2000", "webp", "avif")

rows = {0.125: sweep(SWEPT, "bpp=0.125"), 0.25: sweep(SWEPT, "bpp=0.25"),
        0.5: fullsize_1_18_0_at_half()}
curve_bpp, curve_psnr = mean_curve(rows, TARGETS)


def own_slope(target: float) -> float:
    """1.18.0's dB per doubling of rate at a target: its mean curve's slope there (both sides' mean in the middle)."""
    return curve_slope(curve_bpp, curve_psnr, TARGETS.index(target))


print("Version 1.18.0's default, 768x512, the 12 Kodak images, CPU encodes (single thread, two at a time):")
for target in TARGETS:
    print(files_summary(rows[target], target, read_at(curve_bpp, curve_psnr, target)))

print("Against earlier full-size files of the same images, at equal rate along 1.18.0's own slope there:")
earlier = {0.125: [("1.1.0 (H100 sweep)", sweep("rd-kodak-768x512", "bpp=0.125")),
                   ("1.3.1 (CPU)", fullsize_1_3_1_at_eighth()),
                   ("1.4.0 (CPU, 4 images)", load("fullsize_0.125_1.4.0.txt", "bpp=0.125"))],
           0.25: [("1.1.0 (H100 sweep)", sweep("rd-kodak-768x512", "bpp=0.25")),
                  ("1.4.0 (CPU)", load("fullsize_0.25_1.4.0.txt", "bpp=0.25"))],
           0.5: [("1.1.0 (H100 sweep)", sweep("rd-kodak-768x512", "bpp=0.5"))]}
for target in TARGETS:
    for label, base in earlier[target]:
        images = sorted(set(base) & set(rows[target]))
        if len(images) < 2:
            continue
        diffs = equal_rate(base, rows[target], own_slope(target), images)
        print(f"  {target:g} bpp, against {label}: {len(images)} images, {mean(base, 'psnr', images):.2f} dB at "
              f"{mean(base, 'bpp', images):.4f} bpp -> {mean(rows[target], 'psnr', images):.2f} at "
              f"{mean(rows[target], 'bpp', images):.4f}; at equal rate {st.mean(diffs):+.2f} dB (SE "
              f"{se(diffs):.2f}; {sum(d > 0 for d in diffs)} of {len(images)} better)")


published = {c.name: c for c in load_reference(Path("../shared/anchors/kodak_published.json"))}


print("Mean PSNR-RGB (dB) read at each target (classical codecs: the same run's curves, linear in log(bpp)):")
print(f"  {'codec':<28}" + "".join(f"{t:>9g}" for t in TARGETS))
print(table_row("ddcodec 1.18.0", curve_bpp, curve_psnr, TARGETS))
for name in CLASSICAL:
    print(table_row(name, curve(SWEPT, name)["bpp"], curve(SWEPT, name)["psnr-rgb"], TARGETS))
coin = published["coin"]
print(table_row("COIN, published (24 images)", coin.bpp, coin.psnr, TARGETS))
print("BD against each classical codec over 1.18.0's three mean points (pchip; the common PSNR / bpp range):")
for name in CLASSICAL:
    c = curve(SWEPT, name)
    args = c["bpp"], c["psnr-rgb"], curve_bpp, curve_psnr
    lo, hi = max(min(curve_psnr), min(c["psnr-rgb"])), min(max(curve_psnr), max(c["psnr-rgb"]))
    print(f"  {name:<10} BD-rate {bd_rate(*args, method='pchip'):+.1f}% (PSNR {lo:.2f} to {hi:.2f} dB), "
          f"BD-PSNR {bd_psnr(*args, method='pchip'):+.2f} dB")

# Version 1.19.0 picks depth 7 at 768x512 for targets up to 0.18 bpp and is 1.18.0 otherwise, so its files are the
# depth-7 ones at 0.125 bpp (session 40's single-thread encodes; fits repeat exactly on this VM kind) and these above.
deeper = fullsize_1_19_0()[0.125]
v19_bpp = [mean(deeper, "bpp", sorted(deeper))] + curve_bpp[1:]
v19_psnr = [mean(deeper, "psnr", sorted(deeper))] + curve_psnr[1:]
print(f"Version 1.19.0 (depth 7 at 0.125 bpp, {len(deeper)} images; 0.25 and 0.5 bpp as 1.18.0):")
print(f"  {'codec':<28}" + "".join(f"{t:>9g}" for t in TARGETS))
print(table_row("ddcodec 1.19.0", v19_bpp, v19_psnr, TARGETS))
for name in CLASSICAL:
    c = curve(SWEPT, name)
    args = c["bpp"], c["psnr-rgb"], v19_bpp, v19_psnr
    print(f"  {name:<10} BD-rate {bd_rate(*args, method='pchip'):+.1f}%, BD-PSNR {bd_psnr(*args, method='pchip'):+.2f} dB")

if "--plot" in sys.argv:
    # The RD tool's plot of the three-point curve (its own rd.png holds the two rates it measured), with 1.1.0's H100
    # sweep beside it and the published curves: python samples/perf-cpu/fullsize_1.18.0_compare.py --plot
    from ddcodec.rd.plot import plot_rd
    from ddcodec.rd.report import Curve

    def as_curve(name: str, label: str, bpp: list[float], psnr: list[float], classical: bool = False) -> Curve:
        return Curve(name=name, label=label, description=label, classical=classical, settings=[""] * len(bpp),
                     bpp=list(bpp), psnr=list(psnr), msssim=None, encoding_time=[], decoding_time=[])

    old = curve("rd-kodak-768x512", "ddcodec")
    curves = [as_curve("ddcodec", "ddcodec 1.18.0 (CPU)", curve_bpp, curve_psnr),
              as_curve("ddcodec-1.1.0", "ddcodec 1.1.0 (H100 sweep)", old["bpp"], old["psnr-rgb"])]
    labels = {"jpeg": "JPEG", "jpeg2000": "JPEG 2000", "webp": "WebP", "avif": "AVIF"}
    for n in CLASSICAL:  # up to 1 bpp, twice ddcodec's range, so the plot's scale shows the targets' region
        kept = [(b, p) for b, p in zip(curve(SWEPT, n)["bpp"], curve(SWEPT, n)["psnr-rgb"]) if b <= 1.0]
        curves.append(as_curve(n, labels[n], [b for b, _ in kept], [p for _, p in kept], classical=True))
    out = FOLDER.parent / SWEPT / "three_rates"
    out.mkdir(exist_ok=True)
    print("wrote", *plot_rd(curves, out, "Kodak 768x512, 12 images", [published["coin"]]))
