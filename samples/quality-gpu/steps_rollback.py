"""kodim17: the current loss at every step (graphs off), and the rollback guard on and off."""
import dataclasses, json, logging, os, sys, time
import numpy as np, torch
from PIL import Image
import ddcodec, ddcodec.fit as F
from ddcodec.presets import PRESETS

logging.basicConfig(level=logging.DEBUG, format="%(message)s")
for name in ("PIL",):
    logging.getLogger(name).setLevel(logging.WARNING)
os.environ["DDCODEC_CUDA_GRAPHS"] = "0"
part, out = int(sys.argv[1]), sys.argv[2]
D = PRESETS["default"]
jobs = [[("kodim17", 0.5, 0.0), ("kodim17", 0.5, 1.3), ("kodim03", 0.5, 1.3)],
        [("kodim17", 0.5, 0.0), ("kodim17", 0.5, 2.0), ("kodim23", 0.5, 1.3)],
        [("kodim17", 0.75, 0.0), ("kodim17", 0.75, 1.3), ("kodim17", 0.5, 1.3)]][part]
orig = F._per_image_mse
trace = []
def rec(*a, **k):
    v = orig(*a, **k)
    trace.append(v.detach().sum().clone())
    return v
F._per_image_mse = rec
for img, bpp, rb in jobs:
    trace.clear()
    pixels = np.asarray(Image.open(f".gpu/kodak/{img}.png").convert("RGB"))
    t = time.perf_counter()
    data, r = ddcodec.encode(pixels, bpp=bpp, preset=dataclasses.replace(D, rollback=rb), device="cuda")
    losses = torch.stack(trace).cpu().numpy()
    psnrs = [round(float(-10 * np.log10(x)), 3) for x in losses]
    print(img, bpp, "rollback", rb, "width", r.width, "float", round(r.float_psnr, 3), "final", round(r.psnr, 3),
          round(time.perf_counter() - t, 1), "s", flush=True)
    with open(out, "a") as f:
        f.write(json.dumps(dict(image=img, bpp=bpp, rollback=rb, psnr=r.psnr, float_psnr=r.float_psnr, real_bpp=r.bpp,
                                step_psnr=psnrs)) + "\n")
