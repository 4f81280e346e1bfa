"""Session 31: the 1.13.0 RD sweep at 384x256 against 1.12.0's, paired by image at each target (the same plans), at
equal rate along the 1.2.0 default's slope at k=32 (paired.slopes), then BD-rate and BD-PSNR (pchip) over the three
points, 1.13.0 against 1.12.0 and both against JPEG and JPEG 2000. Run from the repository root:
python samples/perf-cpu/sweep_1.13.0_compare.py"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from paired import compare, equal_rate, mean, slopes, sweep  # noqa: E402
from ddcodec.rd.bd import bd_psnr, bd_rate  # noqa: E402

SAMPLES = Path(__file__).parent.parent
OLD, NEW = "rd-kodak-384x256-1.12.0", "rd-kodak-384x256-1.13.0"
for setting in ("bpp=0.125", "bpp=0.25", "bpp=0.5"):
    before, after = sweep(OLD, setting), sweep(NEW, setting)
    images, target = sorted(after), float(setting[4:])
    compare(f"{setting}: 1.13.0 against 1.12.0", before, after, slopes()[32])
    print("  per image at equal rate: " + " ".join(f"{i[:-4]} {x:+.2f}" for i, x in
                                                   zip(images, equal_rate(before, after, slopes()[32], images))))
    print(f"  encode seconds {mean(before, 'seconds', images):.0f} -> {mean(after, 'seconds', images):.0f}; 1.13.0's "
          f"files {min(after[i]['bpp'] for i in images) / target - 1:+.1%} to "
          f"{max(after[i]['bpp'] for i in images) / target - 1:+.1%} of the target")


def curve(folder: str, codec: str) -> dict:
    return json.loads((SAMPLES / folder / f"{codec}.json").read_text())["results"]


old, new = curve(OLD, "ddcodec"), curve(NEW, "ddcodec")
print(f"BD-rate 1.13.0 against 1.12.0 {bd_rate(old['bpp'], old['psnr-rgb'], new['bpp'], new['psnr-rgb'], method='pchip'):+.1f}%, "
      f"BD-PSNR {bd_psnr(old['bpp'], old['psnr-rgb'], new['bpp'], new['psnr-rgb'], method='pchip'):+.2f} dB")
for anchor in ("jpeg", "jpeg2000"):
    a = curve(NEW, anchor)
    print(f"BD-rate against {anchor}: " + ", ".join(
        f"{name} {bd_rate(a['bpp'], a['psnr-rgb'], c['bpp'], c['psnr-rgb'], method='pchip'):+.1f}%"
        for name, c in (("1.12.0", old), ("1.13.0", new))))
