"""Session 25: the quantisation-aware fine-tune in bfloat16 (``FitSchedule.qat_bf16``) against float32, from the
same main fit, full size (768x512): PSNR at equal rate and the fine-tune's seconds, image by image, at 0.125, 0.25,
0.5 and 0.75 bpp (widths 30, 45, 66 and 82, all 7 bits with kernels). quant_loss_split.py's output in
quant_loss_split_bf16_768x512.txt: its "fine-tune lr 1e-4" is version 1.7.0's file, "fine-tune lr 1e-4 bf16" the same
with the fine-tune in bfloat16.

Run from the repository root: python samples/perf-cpu/qat_bf16_compare.py"""
import statistics as st
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import equal_rate, local_slope, se, split_runs, sweep  # noqa: E402

# the local slope of 1.1.0's H100 sweep between these rates (from the rate below; at 0.125, the lowest, from above)
SLOPE_FROM = {"0.125": ("0.125", "0.25"), "0.25": ("0.125", "0.25"), "0.5": ("0.25", "0.5"), "0.75": ("0.5", "0.75")}


def slope_at(rate: str) -> float:
    lower, upper = (sweep("rd-kodak-768x512", f"bpp={r}") for r in SLOPE_FROM[rate])
    return local_slope(lower, upper, sorted(upper))


every = []
for (size, rate), runs in sorted(split_runs("quant_loss_split_bf16_768x512.txt").items()):
    images, slope = sorted(runs), slope_at(rate)
    fp32 = {i: runs[i]["fine-tune lr 1e-4"] for i in images}
    print(f"{size}, {rate} bpp, the fine-tune in bfloat16 against float32, same main fit (equal rate at {slope:.2f} "
          f"dB per doubling)")
    for label in ("fine-tune lr 1e-4 bf16", "fine-tune lr 1e-4, twice as long, bf16"):
        have = [i for i in images if label in runs[i]]
        if not have:
            continue
        new = {i: runs[i][label] for i in have}
        diffs = equal_rate(fp32, new, slope, have)
        if label == "fine-tune lr 1e-4 bf16":
            every += diffs
        print(f"{label}:")
        print(f"  {'image':<8} {'float32 dB, bpp, s':>22} {'bf16 dB, bpp, s':>22} {'equal rate':>10} {'time':>6}")
        for image, d in zip(have, diffs):
            a, b = fp32[image], new[image]
            print(f"  {image[:-4]:<8} {a['psnr']:7.3f} {a['bpp']:.4f} {a['seconds']:4.0f}  {b['psnr']:7.3f} "
                  f"{b['bpp']:.4f} {b['seconds']:4.0f} {d:+10.3f} {b['seconds'] / a['seconds']:6.2f}")
        print(f"  mean over {len(have)} images: {st.mean(diffs):+.3f} dB at equal rate"
              + (f" (SE {se(diffs):.3f})" if len(have) > 1 else "")
              + f", worst {min(diffs):+.3f}; fine-tune seconds bf16 / float32 "
              f"{st.mean(new[i]['seconds'] for i in have) / st.mean(fp32[i]['seconds'] for i in have):.2f}")
print(f"all {len(every)} files: {st.mean(every):+.3f} dB at equal rate (SE {se(every):.3f}), "
      f"worst {min(every):+.3f}")
