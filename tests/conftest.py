"""Shared fixtures: small synthetic images and one encode reused by many tests (fits are the slow part)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ddcodec
from ddcodec.imageio import psnr

torch.set_num_threads(1)  # tiny images: threading overhead dominates

TEST_ITERS = 300  # main fit; fine-tuning adds 20%


def perturb(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """``model`` with Gaussian noise added to every weight, in place: kernels far from the identity and non-trivial
    scales and shifts, so every kernel and normalisation matters."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.weights.items():
            p.add_(torch.randn(p.shape, generator=gen) * (0.5 if name.startswith(("scale", "shift", "dw")) else 0.2))
    return model


def to_pixels(image: torch.Tensor) -> np.ndarray:
    """The 8-bit pixels (H, W, C) of a rendered (1, C, H, W) image, rounded as the decoder rounds."""
    return torch.round(image[0].clamp(0, 1) * 255).to(torch.uint8).permute(1, 2, 0).numpy()


def smooth_image(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    """A photo-like test image: smooth gradients, a disc and soft blobs, uint8 (H, W, C)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    planes = []
    for c in range(channels):
        a, b, cx, cy = rng.uniform(0.2, 0.8, 4)
        plane = 0.5 + 0.3 * np.sin(3 * a * xx + 2 * b * yy + c)
        plane += 0.25 * ((xx - cx) ** 2 + (yy - cy) ** 2 < 0.05)
        plane += 0.15 * np.exp(-((xx - cy) ** 2 + (yy - cx) ** 2) * 40)
        planes.append(plane)
    return np.clip(np.round(np.stack(planes, axis=2) * 255 - 40), 0, 255).astype(np.uint8)


def mean_colour_psnr(pixels: np.ndarray) -> float:
    """PSNR of the flat image holding each channel's mean: the floor any codec must beat."""
    flat = np.broadcast_to(np.round(pixels.mean(axis=(0, 1))), pixels.shape)
    return psnr(flat.astype(np.uint8), pixels)


def odd_rgb_image() -> np.ndarray:
    """A small RGB image of odd size (33x47): the ``rgb_odd`` fixture's, for helpers outside fixtures."""
    return smooth_image(33, 47, 3)


@pytest.fixture(scope="session")
def rgb_odd() -> np.ndarray:
    return odd_rgb_image()


@pytest.fixture(scope="session")
def rgb_encoded(rgb_odd):
    """One real encode of a 47x33 RGB image at k=8, shared by the tests that only read it."""
    return ddcodec.encode(rgb_odd, k=8, iters=TEST_ITERS, device="cpu", seed=7)
