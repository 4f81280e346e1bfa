# CPU, 2 threads: kodim17 at 192x128, k=8, 400 + 60 steps, with the rollback patch applied (see README.md here).
# Prints: rollback factor, peak lr, float PSNR, decoded PSNR, seconds; with DEBUG logging, the fallback count.
import logging, time, numpy as np, sys
logging.basicConfig(level=logging.DEBUG, format="%(message)s")
import ddcodec
from ddcodec.presets import FitSchedule
from PIL import Image
img = np.asarray(Image.open('../shared/data/kodak/kodim17.png').convert('RGB').resize((192,128)))
for rb in (0.0, 1.5):
  for lr in (0.03, 0.1):
    s = FitSchedule(iters=400, qat_iters=60, coarse_fraction=0.5, lr=lr, rollback=rb)
    t=time.time(); _, r = ddcodec.encode(img, k=8, preset=s, device='cpu')
    print(rb, lr, round(r.float_psnr,3), round(r.psnr,3), round(time.time()-t,1), flush=True)
