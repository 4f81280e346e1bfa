"""Distortion metrics, computed per image on 8-bit RGB as CompressAI does.

PSNR is plain numpy. MS-SSIM comes from pytorch-msssim (the ``bench`` extra),
imported only when asked for, and it is undefined for images whose shorter side is
160 px or less (five 2x downsamplings of an 11-tap window do not fit): for those, and
when the package is missing, ``ms_ssim`` returns None and the caller says why once.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

MSSSIM_MIN_SIDE = 161  # pytorch-msssim needs a shorter side > (11 - 1) * 2**4 = 160
MSSSIM_EXTRA_NOTE = "MS-SSIM needs pytorch-msssim: pip install ddcodec[bench]; reporting PSNR only"


def _rgb(img: Image.Image | np.ndarray) -> np.ndarray:
    arr = np.asarray(img.convert("RGB") if isinstance(img, Image.Image) else img)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an RGB image, got an array of shape {arr.shape}")
    return arr


def psnr(ref: Image.Image | np.ndarray, test: Image.Image | np.ndarray) -> float:
    """PSNR in dB over all pixels and the three RGB channels, peak 255 (inf if equal)."""
    a, b = _rgb(ref).astype(np.float64), _rgb(test).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"image sizes differ: {a.shape} vs {b.shape}")
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def msssim_available() -> bool:
    """Whether pytorch-msssim can be imported here."""
    try:
        import pytorch_msssim  # noqa: F401
    except ImportError:
        return False
    return True


def msssim_applies(width: int, height: int) -> bool:
    """Whether MS-SSIM is defined for an image of this size."""
    return min(width, height) >= MSSSIM_MIN_SIDE


def ms_ssim(ref: Image.Image | np.ndarray, test: Image.Image | np.ndarray) -> float | None:
    """MS-SSIM over RGB (data range 255), or None where it is undefined or unavailable."""
    a, b = _rgb(ref), _rgb(test)
    if a.shape != b.shape:
        raise ValueError(f"image sizes differ: {a.shape} vs {b.shape}")
    if not msssim_applies(a.shape[1], a.shape[0]) or not msssim_available():
        return None
    import torch
    from pytorch_msssim import ms_ssim as _ms_ssim

    def tensor(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.array(x)).permute(2, 0, 1)[None].float()

    # One thread: these small depthwise convolutions gain nothing from more, and on a
    # machine whose other cores are busy OpenMP's barriers made them ~50x slower.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            return float(_ms_ssim(tensor(a), tensor(b), data_range=255.0, size_average=True))
    finally:
        torch.set_num_threads(threads)
