"""Sessions 62 and 63: version 1.34.1's default at full size (768x512) on the 12 Kodak images, through the RD tool on
the CPU (no GPU lent), against version 1.19.0's full-size files (the README's previous curve) and the classical codecs
of the same run.

Where the points come from: single-thread encodes, two at a time, on 2 cores of an AMD EPYC (Zen 4) with AVX-512 BF16,
so the main fits ran in bfloat16 as the default preset does on such a CPU (1.18.0's sweep: bfloat16 on an Intel Xeon
with AMX):
    ddcodec rd ../shared/data/kodak --out OUT --ddc-bpp 0.125,0.25 --device cpu --jobs 2 \\
        --reference ../shared/anchors/kodak_published.json
then 0.5 bpp with --ddc-bpp 0.125,0.25,0.5 on the same --out, resumed from its cache: session 62 encoded kodim01 to
15 at 0.5 bpp before its time ran out, session 63 (a VM of the same kind) copied the cache and streams/ (kodim01's
ddcodec files) into a fresh --out and finished the other four. Outputs, of the last run, in
samples/rd-kodak-768x512-1.34.1-cpu/, with its resume cache's ddcodec points (rd_cache.jsonl). The ddcodec points
are read from that cache, which can also hold a rate begun and not finished (as 0.5 bpp did after session 62): such a
rate is only paired image by image, the curve and BD-rates use the rates whose 12 files are in.

Prints per rate the files and encode times, and each image against 1.19.0's at equal rate along 1.19.0's mean-curve
slope there; at 0.25 bpp also against the same default's float32 encodes on AVX2 VMs (sessions 56 to 61: what the
arithmetic moves), each pairing's mean also without its largest difference (one bad old fit can carry a mean); then
each codec's mean PSNR read at each rate and the BD-rates against the classical codecs over
the rates measured, 1.19.0's over the same rates beside them.
Run from anywhere: python samples/perf-cpu/fullsize_1.34.1_compare.py"""
import math
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import (cached_sweep, curve, curve_slope, equal_rate, files_summary, fullsize_1_19_0,  # noqa: E402
                    fullsize_penalty_pairs, mean, mean_curve, read_at, se, sweep, table_row)

from ddcodec.rd.bd import bd_psnr, bd_rate  # noqa: E402

SWEPT = "rd-kodak-768x512-1.34.1-cpu"
TARGETS = (0.125, 0.25, 0.5)
CLASSICAL = ("jpeg", "jpeg2000", "webp", "avif")


def main() -> None:
    measured = {t: cached_sweep(SWEPT, f"bpp={t:g}") for t in TARGETS}
    for t in TARGETS:  # the cache and the CSV (4 decimals) of a finished rate hold the same points
        csv_rows = sweep(SWEPT, f"bpp={t:g}")
        assert all(abs(csv_rows[i][k] - measured[t][i][k]) < 1e-4 for i in csv_rows for k in ("bpp", "psnr"))
    targets = tuple(t for t in TARGETS if len(measured[t]) == 12)
    rows = {t: measured[t] for t in targets}
    old = fullsize_1_19_0()
    new_bpp, new_psnr = mean_curve(rows, targets)
    old_bpp, old_psnr = mean_curve(old, TARGETS)

    def reading(target: float) -> float:
        """The mean curve read at a target; with one rate so far, its mean moved there along 1.19.0's slope."""
        if len(targets) > 1:
            return read_at(new_bpp, new_psnr, target)
        return new_psnr[0] + curve_slope(old_bpp, old_psnr, TARGETS.index(target)) * math.log2(target / new_bpp[0])

    print("Version 1.34.1's default, 768x512, the 12 Kodak images, CPU encodes (single thread, two at a time, Zen 4):")
    for target in targets:
        print(files_summary(rows[target], target, reading(target)))

    print("Image by image at equal rate, along 1.19.0's mean-curve slope at the target:")
    float32_default, _ = fullsize_penalty_pairs()
    for target in (t for t in TARGETS if len(measured[t]) > 1):  # a rate not finished yet: the images it has so far
        slope = curve_slope(old_bpp, old_psnr, TARGETS.index(target))
        bases = [("1.19.0 (Xeon AMX, bfloat16)", old[target])]
        if target == 0.25:
            bases.append(("the same default, float32 on AVX2 VMs (s56-61)", float32_default))
        for label, base in bases:
            images = sorted(set(base) & set(measured[target]))
            diffs = equal_rate(base, measured[target], slope, images)
            so_far = "" if target in targets else f" ({len(images)} of 12 images so far)"
            print(f"  {target:g} bpp{so_far} against {label}: {mean(base, 'psnr', images):.2f} dB at "
                  f"{mean(base, 'bpp', images):.4f} bpp -> {mean(measured[target], 'psnr', images):.2f} at "
                  f"{mean(measured[target], 'bpp', images):.4f}; {st.mean(diffs):+.2f} dB (SE {se(diffs):.2f}; "
                  f"{sum(d > 0 for d in diffs)} of {len(images)} better; slope {slope:.2f} dB per doubling)")
            print("    " + " ".join(f"{i[:-4]} {d:+.2f}" for i, d in zip(images, diffs)))
            outlier = max(range(len(diffs)), key=lambda j: abs(diffs[j]))
            rest = diffs[:outlier] + diffs[outlier + 1:]
            print(f"    without the largest difference ({images[outlier][:-4]}): {st.mean(rest):+.2f} dB")

    print("Mean PSNR-RGB (dB) read at each target (linear in log(bpp); classical codecs: this run's curves):")
    print(f"  {'codec':<28}" + "".join(f"{t:>9g}" for t in TARGETS))
    print(f"  {'ddcodec 1.34.1':<28}" + "".join(f"{reading(t):9.2f}" if t in targets else f"{'-':>9}"
                                                for t in TARGETS))
    print(table_row("ddcodec 1.19.0", old_bpp, old_psnr, TARGETS))
    for name in CLASSICAL:
        print(table_row(name, curve(SWEPT, name)["bpp"], curve(SWEPT, name)["psnr-rgb"], TARGETS))

    if len(targets) < 2:
        return
    same = [TARGETS.index(t) for t in targets]
    print(f"BD against each classical codec over the rates measured ({', '.join(f'{t:g}' for t in targets)} bpp; "
          "pchip; the common PSNR range), 1.34.1 then 1.19.0 over the same rates:")
    for name in CLASSICAL:
        c = curve(SWEPT, name)
        figures = []
        for bpp, psnr in ((new_bpp, new_psnr), ([old_bpp[i] for i in same], [old_psnr[i] for i in same])):
            args = c["bpp"], c["psnr-rgb"], bpp, psnr
            figures.append(f"{bd_rate(*args, method='pchip'):+.1f}% (BD-PSNR {bd_psnr(*args, method='pchip'):+.2f} dB)")
        print(f"  {name:<10} {figures[0]}; 1.19.0 {figures[1]}")
    args = [old_bpp[i] for i in same], [old_psnr[i] for i in same], new_bpp, new_psnr
    print(f"  1.34.1 against 1.19.0: BD-rate {bd_rate(*args, method='pchip'):+.1f}%, "
          f"BD-PSNR {bd_psnr(*args, method='pchip'):+.2f} dB")


if __name__ == "__main__":
    main()
