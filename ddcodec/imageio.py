"""Turning what a user hands us (a path, a PIL image, a numpy array) into 8-bit pixels, and back.

Channel policy (decided for version 1, documented in the README):
- grayscale (1, L) -> 1 channel; grayscale with alpha (LA) -> 2 channels;
- RGB, and palette / CMYK / YCbCr / LAB / HSV converted to RGB -> 3 channels;
- RGBA, and palette with transparency -> 4 channels: alpha is kept as a fourth channel
  and fitted like the others;
- 16-bit and 32-bit grayscale, and 16-bit arrays, are reduced to 8 bits with a warning;
- of an animation or a multi-page file, the current frame is encoded, with a warning.
"""
from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import DdcInputError

ImageLike = Union[str, os.PathLike, Image.Image, np.ndarray]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".pnm", ".tif", ".tiff",
                            ".webp", ".gif", ".avif"})

MODE_OF_CHANNELS = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
_KEEP = {"L": "L", "LA": "LA", "RGB": "RGB", "RGBA": "RGBA", "1": "L", "PA": "RGBA", "La": "LA",
         "RGBa": "RGBA", "RGBX": "RGB"}


def images_in(folder: Path) -> list[Path]:
    """The image files of a folder (by extension, not recursive), sorted by name."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def require_file(path: Path) -> None:
    """An existing, non-empty file (image or .ddc), or an error naming what is wrong."""
    if not path.exists():
        raise DdcInputError(f"{path}: no such file")
    if path.is_dir():
        raise DdcInputError(f"{path}: is a directory")
    if path.stat().st_size == 0:
        raise DdcInputError(f"{path}: empty file")


def _open(path: Path) -> Image.Image:
    require_file(path)
    return _opened(path, str(path))


def _opened(source: Union[Path, io.BytesIO], name: str) -> Image.Image:
    """Pillow's image, loaded, or one line naming ``name`` and what is wrong."""
    try:
        img = Image.open(source)
        img.load()
    except UnidentifiedImageError:
        raise DdcInputError(f"{name}: not an image Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise DdcInputError(f"{name}: cannot read image ({exc})") from None
    return img


def image_from_bytes(data: bytes, name: str) -> Image.Image:
    """An image file's bytes (from standard input, say) opened as ``load_pixels`` opens a path."""
    if not data:
        raise DdcInputError(f"{name}: empty input")
    return _opened(io.BytesIO(data), name)


def _from_pil(img: Image.Image) -> np.ndarray:
    if getattr(img, "n_frames", 1) > 1:
        warnings.warn(f"image has {img.n_frames} frames: only the current one (the first, unless seeked) is encoded",
                      UserWarning, stacklevel=3)
    img = ImageOps.exif_transpose(img)
    mode = img.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        warnings.warn(f"{mode} image reduced to 8-bit grayscale", UserWarning, stacklevel=3)
        arr = np.asarray(img, dtype=np.float64)
        peak = 65535.0 if mode != "F" or arr.max() > 255 else 255.0
        if mode == "F" and arr.max() <= 1.0:
            peak = 1.0
        return np.clip(np.round(arr / peak * 255), 0, 255).astype(np.uint8)[:, :, None]
    if mode == "P":
        target = "RGBA" if "transparency" in img.info else "RGB"
    else:
        target = _KEEP.get(mode, "RGB")
    arr = np.asarray(img.convert(target) if target != mode else img, dtype=np.uint8)
    return arr[:, :, None] if arr.ndim == 2 else arr


def _from_array(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in MODE_OF_CHANNELS:
        raise DdcInputError(
            f"array of shape {arr.shape} is not an image: expected (H, W) or (H, W, C) with C in 1..4")
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr)
    if arr.dtype == np.uint16:
        warnings.warn("16-bit array reduced to 8 bits", UserWarning, stacklevel=3)
        return np.round(arr / 257.0).astype(np.uint8)
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1:
            raise DdcInputError("float arrays must hold finite values in [0, 1]")
        return np.round(arr * 255).astype(np.uint8)
    raise DdcInputError(f"unsupported array dtype {arr.dtype}: use uint8, uint16 or float in [0, 1]")


def load_pixels(image: ImageLike) -> np.ndarray:
    """8-bit pixels (H, W, C), C in 1..4, following the channel policy above."""
    if isinstance(image, (str, os.PathLike)):
        with _open(Path(image)) as img:
            pixels = _from_pil(img)
    elif isinstance(image, Image.Image):
        pixels = _from_pil(image)
    elif isinstance(image, np.ndarray):
        pixels = _from_array(image)
    else:
        raise DdcInputError(f"cannot encode a {type(image).__name__}: pass a path, PIL image or numpy array")
    if pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise DdcInputError("image has no pixels")
    return pixels


def to_pil(pixels: np.ndarray) -> Image.Image:
    """A PIL image of the mode that matches the channel count."""
    channels = pixels.shape[2]
    return Image.fromarray(pixels[:, :, 0] if channels == 1 else pixels, MODE_OF_CHANNELS[channels])


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two 8-bit images over all channels, peak 255; 100.0 stands for identical."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 100.0 if mse == 0 else float(min(100.0, 10 * np.log10(255.0**2 / mse)))
