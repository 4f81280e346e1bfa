"""kodim17's unstable wide fits: float vs quantised PSNR, progress traces, LR and graphs variants."""
import dataclasses, json, os, sys, time
import numpy as np
from PIL import Image
import ddcodec
from ddcodec.presets import PRESETS

part, parts, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
D = PRESETS["default"]
jobs = []
for bpp in (0.5, 0.75):
    for label, sched, graphs, seed in [("default", D, "1", 0), ("default-again", D, "1", 0), ("graphs-off", D, "0", 0),
                                       ("lr0.02", dataclasses.replace(D, lr=0.02), "1", 0),
                                       ("lr0.015", dataclasses.replace(D, lr=0.015), "1", 0),
                                       ("seed1", D, "1", 1)]:
        jobs.append(("kodim17", bpp, label, sched, graphs, seed))
for img in ("kodim03", "kodim09", "kodim23"):
    for label, sched in [("default", D), ("lr0.02", dataclasses.replace(D, lr=0.02))]:
        jobs.append((img, 0.5, label, sched, "1", 0))
for i, (img, bpp, label, sched, graphs, seed) in enumerate(jobs):
    if i % parts != part:
        continue
    os.environ["DDCODEC_CUDA_GRAPHS"] = graphs
    pixels = np.asarray(Image.open(f".gpu/kodak/{img}.png").convert("RGB"))
    trace = []
    t = time.perf_counter()
    data, r = ddcodec.encode(pixels, bpp=bpp, preset=sched, seed=seed, device="cuda",
                             progress=lambda d, n, p: trace.append((d, round(p, 3))))
    row = dict(image=img, bpp_target=bpp, label=label, bpp=r.bpp, psnr=r.psnr, float_psnr=r.float_psnr,
               width=r.width, bits=r.bits, seconds=time.perf_counter() - t, trace=trace[::4])
    print(img, bpp, label, round(r.bpp, 4), round(r.float_psnr, 3), round(r.psnr, 3), round(row["seconds"], 1), flush=True)
    with open(out, "a") as f:
        f.write(json.dumps(row) + "\n")
