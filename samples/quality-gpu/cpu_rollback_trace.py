# The lr 0.3 rows of cpu_rollback.txt: as cpu_rollback.py, with the loss of every step recorded (patch applied to 382eac7).
import logging, time, numpy as np, sys
logging.basicConfig(level=logging.DEBUG, format="%(message)s")
logging.getLogger("PIL").setLevel(logging.WARNING)
import ddcodec, ddcodec.fit as F
from ddcodec.presets import FitSchedule
from PIL import Image
img = np.asarray(Image.open('../shared/data/kodak/kodim17.png').convert('RGB').resize((192,128)))
orig = F._per_image_mse
trace = []
def rec(*a, **k):
    v = orig(*a, **k); trace.append(float(v.detach().sum())); return v
F._per_image_mse = rec
for rb in (0.0, 1.3):
  for lr in (0.3,):
    trace.clear()
    s = FitSchedule(iters=400, qat_iters=60, coarse_fraction=0.5, lr=lr, rollback=rb)
    _, r = ddcodec.encode(img, k=8, preset=s, device='cpu')
    t = np.array(trace[200:400]); 
    print(rb, lr, round(r.float_psnr,3), round(r.psnr,3), 'max ratio step/prev-min', round(float((t/np.minimum.accumulate(t)).max()),2), flush=True)
