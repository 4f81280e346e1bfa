"""Session 43: every step's loss of one encode, to see where a fit's stages end against their best iterates.

Record (one encode at full size; minutes to tens of minutes on a CPU):
    OMP_NUM_THREADS=1 python samples/perf-cpu/stage_trajectory.py record KODAK/kodim11.png bpp=0.5,lr=0.045 OUT.json \
        [--stages-only]
With --stages-only the encode stops at the main fit's first full-size step (a few minutes): enough to see how its
reduced-size stages ended.
Show (each stage's best and last PSNR, at the stage's own size, and the PSNR every 25 steps of the main fit):
    python samples/perf-cpu/stage_trajectory.py show OUT.json [...]
CONFIG is an ablation config (``python -m ddcodec.ablation``'s ``--config``). The losses are every call of
``fit.per_image_mse`` in order: the main fit's steps (and, since session 43, a check of each reduced-size stage's last
update at its end), its final check, then the rounding stage's and the fine-tune's; levels 2 / 1 / 0 are the
quarter-, half- and full-size images. Session 43's two records (version 1.19.0's code, kodim11 at 0.5 bpp, lr 0.06 and
0.045) are summarised in stage_trajectory.txt."""
import json
import math
import sys
import time
from pathlib import Path

from PIL import Image

from ddcodec import ablation, codec, fit


class _FullSizeReached(Exception):
    pass


def record(image_path: str, spec: str, out: str, stages_only: bool = False) -> None:
    calls = []
    plain = fit.per_image_mse

    def recording(model, target, transform, rows=None, coarse=0):
        if stages_only and not coarse and calls:
            raise _FullSizeReached
        losses = plain(model, target, transform, rows=rows, coarse=coarse)
        calls.append((coarse, float(losses.detach().double().mean())))
        return losses

    fit.per_image_mse = recording
    schedule, kwargs = ablation.parse_config(spec)
    start = time.time()
    try:
        _, result = codec.encode(Image.open(image_path).convert("RGB"), preset=schedule, device="cpu", **kwargs)
        summary = {"width": result.width, "bpp": result.bpp, "float_psnr": result.float_psnr, "psnr": result.psnr}
    except _FullSizeReached:
        summary = {}
    Path(out).write_text(json.dumps({"image": Path(image_path).name, "config": spec, **summary,
                                     "seconds": time.time() - start, "losses": calls}))


def show(path: str) -> None:
    d = json.loads(Path(path).read_text())
    levels = [lv for lv, _ in d["losses"]]
    psnr = [10 * math.log10(1 / v) for _, v in d["losses"]]
    main_end = next((i for i in range(1, len(levels)) if levels[i - 1] != 0 and levels[i] == 0), len(levels))
    print(f"{d['image']} {d['config']}: " + (f"width {d['width']}, {d['bpp']:.4f} bpp, float {d['float_psnr']:.2f} dB, "
                                             f"decoded {d['psnr']:.2f} dB, " if "psnr" in d else "stages only, ") +
          f"{d['seconds']:.0f} s")
    for lv, name in ((2, "quarter-size"), (1, "half-size")):
        stage = [i for i in range(main_end) if levels[i] == lv]
        if stage:
            best = max(stage, key=lambda i: psnr[i])
            print(f"  {name} stage, steps {stage[0]}-{stage[-1]}: best {psnr[best]:.2f} dB at {best}, "
                  f"last {psnr[stage[-1]]:.2f} dB")
    print("  every 25 steps: " + " ".join(f"{i}:{psnr[i]:.1f}" for i in range(0, min(len(psnr), 2200), 25)))


if __name__ == "__main__":
    if sys.argv[1:2] == ["record"] and len(sys.argv) in (5, 6) and sys.argv[5:] in ([], ["--stages-only"]):
        record(*sys.argv[2:5], stages_only=len(sys.argv) == 6)
    elif sys.argv[1:2] == ["show"] and len(sys.argv) > 2:
        for p in sys.argv[2:]:
            show(p)
    else:
        sys.exit(__doc__)
