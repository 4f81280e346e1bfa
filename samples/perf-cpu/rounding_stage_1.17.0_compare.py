"""Session 37: the 6-bit plans' rounding stage (50 steps per layer at lr 3e-4) at 7 and 8 bits too, on top of 1.17.0's
rounding noise, against 1.17.0's default (25 steps at 1e-4 there), both run on this session's VM (an Intel Xeon with
AVX-512 and AMX, whose single-thread fits differ from the AVX2 VM's of rounding_screens_384x256.txt, so the baseline
was fitted again beside them; lines of it run after 1.18.0's default changed in the working tree pin 1.17.0's stage
explicitly, as prog=25,prog_lr=0.0001). Lines in rounding_stage_7bit_384x256.txt and rounding_stage_7bit_768x512.txt. Run from
the repository root: python samples/perf-cpu/rounding_stage_1.17.0_compare.py

At equal rate along the 1.15.0 sweep's own slope at 384x256 (the rounding stage leaves the main fit alone, so the float
PSNR of both is the same and the difference is the rounding's alone); rounding cost is float minus decoded PSNR.
Last, 100 rounding steps per layer at 6 bits against 1.18.0's 50 (rounding_stage_6bit_384x256.txt, 0.125 bpp)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare_per_image, equal_rate, load, mean, rounding_cost, sweep_slope  # noqa: E402

SWEEP = "rd-kodak-384x256-1.15.0"
STAGE = "prog=50,prog_lr=0.0003"
OLD_STAGE = "prog=25,prog_lr=0.0001"  # 1.17.0's at 7 and 8 bits


for name, size in (("rounding_stage_7bit_384x256.txt", "384x256"), ("rounding_stage_7bit_768x512.txt", "768x512")):
    for target in (0.125, 0.25, 0.5):
        # 1.17.0's default: lines run before the change are labelled by the target alone, later ones pin its rounding
        base = {**load(name, f"bpp={target:g},qnoise=0.08"), **load(name, f"bpp={target:g},qnoise=0.08,{OLD_STAGE}")}
        new = load(name, f"bpp={target:g},qnoise=0.08,{STAGE}")
        images = sorted(set(base) & set(new))
        if not images:
            continue
        bits, slope = sorted({new[i]["bits"] for i in images}), sweep_slope(SWEEP, target)
        if len(images) < 2:  # one full-size image: no standard error
            i = images[0]
            print(f"{size}, {target:g} bpp ({bits[0]} bits), {STAGE} against 1.17.0's 25 at 1e-4, {i[:-4]}: "
                  f"{base[i]['psnr']:.2f} dB at {base[i]['bpp']:.4f} bpp -> {new[i]['psnr']:.2f} at {new[i]['bpp']:.4f}, "
                  f"at equal rate {equal_rate(base, new, slope, images)[0]:+.3f} dB (along the 384x256 sweep's slope); "
                  f"rounding cost {rounding_cost(base, images):.3f} -> {rounding_cost(new, images):.3f} dB; encode "
                  f"seconds {base[i]['seconds']:.0f} -> {new[i]['seconds']:.0f} (not run in pairs)")
            continue
        compare_per_image(f"{size}, {target:g} bpp ({'/'.join(map(str, bits))} bits), {STAGE} against 1.17.0's 25 at "
                          f"1e-4", base, new, slope)
        print(f"  float PSNR moved {max(abs(new[i]['float_psnr'] - base[i]['float_psnr']) for i in images):.2f} dB at "
              f"most; rounding cost {rounding_cost(base, images):.3f} -> {rounding_cost(new, images):.3f} dB; encode "
              f"seconds {mean(base, 'seconds', images):.0f} -> {mean(new, 'seconds', images):.0f}")

base, new = (load("rounding_stage_6bit_384x256.txt", f"bpp=0.125,prog_low={n}") for n in (50, 100))
compare_per_image("384x256, 0.125 bpp (6 bits), prog_low=100 against 1.18.0's 50", base, new, sweep_slope(SWEEP, 0.125))
images = sorted(new)
print(f"  rounding cost {rounding_cost(base, images):.3f} -> {rounding_cost(new, images):.3f} dB; encode seconds "
      f"{mean(base, 'seconds', images):.0f} -> {mean(new, 'seconds', images):.0f}")
