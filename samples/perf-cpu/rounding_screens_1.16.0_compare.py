"""Session 36: screens of the default preset's precision and rounding stage at 384x256 (lines in
rounding_screens_384x256.txt; PAIRED_LANDSCAPE_ONLY=1 leaves the portrait images out). Run from the repository root:
python samples/perf-cpu/rounding_screens_1.16.0_compare.py

- Each config against the 1.15.0 sweep's files (1.16.0's default is 1.15.0's, and single-thread fits repeat exactly) at
  equal rate along the sweep's own slope at its target: Kodak's nine landscape images, and for the adopted qnoise=0.08
  the three portrait ones too. The sweep keeps no float PSNR, so the rounding cost and float PSNR before come from
  session 33's lr 0.06 lines of the same fits (the landscape ones; the portrait ones there were squashed).
- The last 4% against the last 8% of the fit through noise; the fast preset with the noise against 1.15.0's fast
  preset; the stronger rounding stage on top of the noise; -k 32 on four images against 1.15.0's default there (along
  the 1.2.0 default's slope, as the -k 32 screens were read).
- Last, the adopted config's 12-image means at the three targets (the sweep's plans: 1.17.0's default encodes) as a
  curve, BD-rate against the 1.15.0 sweep's ddcodec, JPEG and JPEG 2000 curves."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import (LANDSCAPE_ONLY, PORTRAIT, SWEEP_RATES, compare_per_image, compare_to_sweep, curve, load,  # noqa: E402
                    mean, rounding_cost, slopes, sweep, sweep_slope)

NAME, SWEEP = "rounding_screens_384x256.txt", "rd-kodak-384x256-1.15.0"
CONFIGS = (("bpp=0.5,bits=8", "0.5 bpp at 8 bits (narrower) against rate control's 7"),
           ("bpp=0.5,prog=50,prog_lr=0.0003", "0.5 bpp (7 bits): progressive rounding 50 steps per layer at 3e-4"),
           ("bpp=0.125,prog_low=100", "0.125 bpp (6 bits): progressive rounding 100 steps per layer at 3e-4"),
           ("bpp=0.5,qnoise=0.25", "0.5 bpp (7 bits): the main fit's last 25% through rounding noise"),
           ("bpp=0.5,qnoise=0.08", "0.5 bpp (7 bits): the main fit's last 8% through rounding noise"),
           ("bpp=0.125,qnoise=0.25", "0.125 bpp (6 bits): the main fit's last 25% through rounding noise"),
           ("bpp=0.125,qnoise=0.08", "0.125 bpp (6 bits): the main fit's last 8% through rounding noise"),
           ("bpp=0.25,qnoise=0.08", "0.25 bpp (8 bits): the main fit's last 8% through rounding noise"),
           ("bpp=0.5,qnoise=0.04", "0.5 bpp (7 bits): the main fit's last 4% through rounding noise"))


def before_and_after(base: dict[str, dict], new: dict[str, dict]) -> None:
    """Rounding cost (float minus decoded PSNR), float PSNR per image and encode seconds, base -> new."""
    images = sorted(set(base) & set(new))
    print(f"  rounding cost {rounding_cost(base, images):.2f} -> {rounding_cost(new, images):.2f} dB; float PSNR per "
          "image " + " ".join(f"{i[5:7]} {new[i]['float_psnr'] - base[i]['float_psnr']:+.2f}" for i in images)
          + f"; encode seconds {mean(base, 'seconds', images):.0f} -> {mean(new, 'seconds', images):.0f}")


for config, label in CONFIGS:
    rows = load(NAME, config)
    if not rows:
        continue
    target = float(config.split(",")[0][4:])
    compare_to_sweep(NAME, config, SWEEP, f"{label} [{config}]")
    swept = sweep(SWEEP, f"bpp={target:g}")
    images = sorted(rows)
    landscape = [i for i in images if i not in PORTRAIT]
    session33 = {**load("adam_lr_beta1_384x256.txt", f"bpp={target:g},lr=0.06"),
                 **load("adam_lr_0.06_384x256.txt", f"bpp={target:g},lr=0.06")}
    print(f"  encode seconds {mean(swept, 'seconds', images):.0f} (sweep) -> {mean(rows, 'seconds', images):.0f} "
          f"(single thread, two processes); rounding cost {rounding_cost(rows, images):.2f} dB, on the {len(landscape)} "
          f"landscape images against session 33's lines of the same fits:")
    before_and_after({i: session33[i] for i in landscape}, {i: rows[i] for i in landscape})
print("session 33's lines, all 12, rounding cost at 0.125 / 0.25 / 0.5 bpp: " + " / ".join(
    f"{rounding_cost(r, sorted(r)):.2f}" for r in ({**load("adam_lr_beta1_384x256.txt", f"bpp={t:g},lr=0.06"),
                                                    **load("adam_lr_0.06_384x256.txt", f"bpp={t:g},lr=0.06")}
                                                   for t in SWEEP_RATES)) + " dB")

pairs = [("0.5 bpp, the last 4% against the last 8% through rounding noise", load(NAME, "bpp=0.5,qnoise=0.08"),
          load(NAME, "bpp=0.5,qnoise=0.04"), sweep_slope(SWEEP, 0.5))]
for target in (0.125, 0.5):
    pairs.append((f"{target:g} bpp, the fast preset with the last 8% through rounding noise",
                  load("fast_lr_384x256.txt", f"preset=fast,bpp={target:g},beta2=0.99,lr=0.08"),
                  load(NAME, f"preset=fast,bpp={target:g},qnoise=0.08"), sweep_slope(SWEEP, target)))
pairs += [("0.5 bpp, with the noise: progressive rounding 50 steps per layer at 3e-4 against 1.17.0's 25 at 1e-4",
           load(NAME, "bpp=0.5,qnoise=0.08"), load(NAME, "bpp=0.5,qnoise=0.08,prog=50,prog_lr=0.0003"),
           sweep_slope(SWEEP, 0.5)),
          ("-k 32, the last 8% through rounding noise", load("best_preset_1.15.0_384x256.txt", "k=32"),
           load(NAME, "k=32,qnoise=0.08"), slopes()[32])]
for label, base, new, slope in pairs:
    compare_per_image(label, base, new, slope)
    before_and_after(base, new)

if not LANDSCAPE_ONLY:
    from ddcodec.rd.bd import bd_psnr, bd_rate

    rows = [load(NAME, f"bpp={t:g},qnoise=0.08") for t in SWEEP_RATES]
    new_bpp = [mean(r, "bpp", sorted(r)) for r in rows]
    new_psnr = [mean(r, "psnr", sorted(r)) for r in rows]
    print("1.17.0's default, 12-image means: " + ", ".join(f"{p:.2f} dB at {b:.4f} bpp" for b, p in zip(new_bpp, new_psnr)))
    for codec_name in ("ddcodec", "jpeg", "jpeg2000"):
        c = curve(SWEEP, codec_name)
        print(f"  BD-rate against the 1.15.0 sweep's {codec_name}: "
              f"{bd_rate(c['bpp'], c['psnr-rgb'], new_bpp, new_psnr, method='pchip'):+.1f}% (BD-PSNR "
              f"{bd_psnr(c['bpp'], c['psnr-rgb'], new_bpp, new_psnr, method='pchip'):+.2f} dB)")
