"""Rate-distortion toolkit: sweep ddcodec and classical codecs, report and plot.

Importing this package needs only the core dependencies; matplotlib, scipy and
pytorch-msssim (the ``bench`` extra) are imported where they are used.
"""

from .bd import bd_psnr, bd_rate
from .codecs import Codec, DdcCodec, PillowCodec, make_codecs
from .metrics import ms_ssim, psnr
from .sweep import Cache, Record, run_sweep

__all__ = [
    "Cache", "Codec", "DdcCodec", "PillowCodec", "Record", "bd_psnr", "bd_rate",
    "make_codecs", "ms_ssim", "psnr", "run_sweep",
]
