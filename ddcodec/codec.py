"""The public library API: ``encode`` an image to .ddc bytes, ``decode`` them back.

Raises ``DdcInputError`` / ``DdcFormatError`` (never exits). The PSNR ``encode``
reports is measured by decoding the bytes it is about to return, on the same device,
so it is exactly what ``decode`` will render there.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np
import torch

from . import format as fmt
from .errors import DdcInputError
from .fit import Progress, fit, tune_allocator
from .imageio import ImageLike, load_pixels, psnr, to_pil
from .model import DeepDecoder
from .quant import dequantize, quantize
from .presets import (BPP_BITS_CHOICES, DEFAULT_BITS, DEFAULT_DEPTH, MIN_NET_WIDTH, PRESETS,
                      QAT_FRACTION, FitSchedule)
from .ratecontrol import plan_for_bpp
from .render import BandRenderer

@dataclass(frozen=True)
class EncodeResult:
    """What an encode produced; ``psnr`` is of the decoded file against the input pixels."""

    bytes: int
    bpp: float
    psnr: float
    float_psnr: float  # the float network before quantisation: psnr - float_psnr is what quantising cost
    width: int  # network width
    ratio: float  # achieved H*W*C / parameters
    target_ratio: float
    bits: int
    seed: int
    image_width: int
    image_height: int
    channels: int
    iterations: int
    device: str
    fit_seconds: float
    encode_seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def resolve_device(device: str) -> torch.device:
    """'auto' picks CUDA when present; asking for CUDA without it is an error, not a silent fallback."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        return torch.device("cpu")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DdcInputError("CUDA was requested but no CUDA device is available (use --device cpu)")
        return torch.device(device)
    raise DdcInputError(f"unknown device {device!r}: use auto, cpu or cuda")


def choose_net_width(height: int, width: int, channels: int, k: float,
                     depth: int = DEFAULT_DEPTH) -> int:
    """The largest network width whose parameter count is at most H*W*C / k."""
    if not (isinstance(k, (int, float)) and math.isfinite(k) and k > 0):
        raise DdcInputError(f"compression ratio k must be a positive number, got {k!r}")
    budget = height * width * channels / k
    if fmt.param_count(MIN_NET_WIDTH, depth, channels) > budget:
        max_k = height * width * channels / fmt.param_count(MIN_NET_WIDTH, depth, channels)
        raise DdcInputError(
            f"image {width}x{height} is too small for ratio k={k:g}: use k <= {math.floor(max_k * 100) / 100:g}")
    net_width = MIN_NET_WIDTH
    while net_width < 4096 and fmt.param_count(net_width + 1, depth, channels) <= budget:
        net_width += 1
    return net_width


def _schedule(preset: str | FitSchedule, iters: Optional[int]) -> FitSchedule:
    if isinstance(preset, FitSchedule):
        base = preset
    elif preset in PRESETS:
        base = PRESETS[preset]
    else:
        raise DdcInputError(f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}")
    if iters is None:
        return base
    if not isinstance(iters, int) or iters < 0:
        raise DdcInputError(f"iters must be a non-negative integer, got {iters!r}")
    return dataclasses.replace(base, iters=iters, qat_iters=max(1, math.ceil(iters * QAT_FRACTION)))


def _check_options(bits: int, seed: int) -> None:
    if not isinstance(bits, int) or not 2 <= bits <= 16:
        raise DdcInputError(f"bits must be an integer from 2 to 16, got {bits!r}")
    if not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise DdcInputError(f"seed must be an integer from 0 to {2**32 - 1}, got {seed!r}")


def _to_tensor(pixels: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1)[None].float().div(255).to(device)


def _render(header: fmt.DdcHeader, q: np.ndarray, device: torch.device, band_rows: Optional[int] = None,
            cache_bytes: Optional[int] = None) -> np.ndarray:
    """Decode on ``device`` in full float32, in bands (render.py) so any image size fits in memory.

    cuDNN's default TF32 convolutions would let GPU pixels drift from CPU ones, so they are
    switched off (not measured here: no GPU was available to this change).
    """
    weights = dequantize(q, header.steps, header.bits, header.net_width, header.depth, header.channels)
    renderer = BandRenderer(header.height, header.width, header.channels, header.net_width, header.depth,
                            header.seed, header.upsample_mode, weights, device, band_rows, cache_bytes)
    if device.type == "cpu" and renderer.fully_cached:
        # Small images: keeping freed blocks made a 768x512 decode 1.3x faster. Large ones are
        # decoded in bands to bound memory, and there the kept blocks fragmented the heap
        # (a 1024x1024 decode peaked at 1.2 GB instead of 0.45 GB).
        tune_allocator()
    with torch.no_grad(), torch.backends.cudnn.flags(enabled=True, benchmark=False, deterministic=True,
                                                     allow_tf32=False):
        return renderer.render()


def encode(image: ImageLike, k: float = 32.0, *, bpp: Optional[float] = None, bits: Optional[int] = None,
           preset: str | FitSchedule = "default", seed: int = 0, iters: Optional[int] = None, device: str = "auto",
           progress: Optional[Progress] = None) -> tuple[bytes, EncodeResult]:
    """Fit a Deep Decoder to ``image`` and return the .ddc bytes and a record.

    The size is set by the compression ratio ``k`` = (H * W * C) / (number of network
    parameters): the file holds about C * bits / k bits per pixel (21 / k for RGB at
    the default 7 bits). Or by ``bpp``, a target bits per pixel, which overrides ``k``
    and picks the width and (unless ``bits`` is given) the precision that hit it.
    ``preset`` names one of ``PRESETS`` or is a ``FitSchedule`` of its own.
    """
    start = time.perf_counter()
    _check_options(DEFAULT_BITS if bits is None else bits, seed)
    schedule = _schedule(preset, iters)
    dev = resolve_device(device)
    pixels = load_pixels(image)
    height, width, channels = pixels.shape
    if height * width > fmt.MAX_PIXELS:
        raise DdcInputError(f"image {width}x{height} exceeds the limit of {fmt.MAX_PIXELS} pixels")
    if bpp is not None:
        choices = BPP_BITS_CHOICES if bits is None else (bits,)
        net_width, bits = plan_for_bpp(height, width, channels, bpp, DEFAULT_DEPTH, choices,
                                       MIN_NET_WIDTH, DEFAULT_BITS)
        k = height * width * channels / fmt.param_count(net_width, DEFAULT_DEPTH, channels)
    else:
        bits = DEFAULT_BITS if bits is None else bits
        net_width = choose_net_width(height, width, channels, k)
    if dev.type == "cpu":
        tune_allocator()
    model = DeepDecoder(height, width, channels, net_width, DEFAULT_DEPTH, seed).to(dev)
    fit_start = time.perf_counter()
    float_psnr = fit(model, _to_tensor(pixels, dev), schedule, bits, progress)
    fit_seconds = time.perf_counter() - fit_start
    q, steps = quantize(dict(model.weights), bits, net_width, DEFAULT_DEPTH, channels)
    header = fmt.DdcHeader(height=height, width=width, channels=channels, net_width=net_width,
                           depth=DEFAULT_DEPTH, seed=seed, bits=bits, steps=steps,
                           target_ratio=float(k))
    data = fmt.encode_file(header, q)
    decoded = _render(*fmt.decode_file(data), dev)
    result = EncodeResult(
        bytes=len(data), bpp=8 * len(data) / (height * width), psnr=psnr(decoded, pixels),
        float_psnr=float_psnr,
        width=net_width, ratio=header.ratio, target_ratio=float(k), bits=bits, seed=seed,
        image_width=width, image_height=height, channels=channels,
        iterations=schedule.iters + schedule.qat_iters, device=str(dev), fit_seconds=fit_seconds,
        encode_seconds=time.perf_counter() - start)
    return data, result


def decode_pixels(data: bytes, device: str = "auto") -> np.ndarray:
    """The decoded 8-bit pixels (H, W, C) of .ddc bytes."""
    header, q = fmt.decode_file(data)
    return _render(header, q, resolve_device(device))


def decode(data: bytes, device: str = "auto"):
    """Decode .ddc bytes to a PIL image (mode L, LA, RGB or RGBA by channel count)."""
    return to_pil(decode_pixels(data, device))
