"""Session 28: one whole default encode at -k 32 with 1.10.0's main fit (half its steps at half size, then full size:
``half``) or with 1.11.0's (a quarter at quarter size, a quarter at half size: ``quarter``), printed as one JSON line.
Output in quarter_stage_768x512.txt, two single-thread processes side by side:
    OMP_NUM_THREADS=1 python samples/perf-cpu/quarter_stage_fullsize.py ../shared/data/kodak/kodim01.png half OUT.ddc
    OMP_NUM_THREADS=1 python samples/perf-cpu/quarter_stage_fullsize.py ../shared/data/kodak/kodim01.png quarter OUT.ddc"""
import dataclasses
import json
import resource
import sys

from PIL import Image

import ddcodec
from ddcodec.presets import PRESETS

STAGES = {"half": dict(quarter_fraction=0.0, coarse_fraction=0.5), "quarter": dict(quarter_fraction=0.25, coarse_fraction=0.25)}
path, mode, out = sys.argv[1:4]
data, r = ddcodec.encode(Image.open(path).convert("RGB"), k=32, device="cpu",
                         preset=dataclasses.replace(PRESETS["default"], **STAGES[mode]))
open(out, "wb").write(data)
print(json.dumps({"image": path, "mode": mode, "bytes": len(data), "bpp": r.bpp, "psnr": r.psnr, "float_psnr": r.float_psnr,
                  "width": r.width, "iterations": r.iterations, "encode_seconds": r.encode_seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
