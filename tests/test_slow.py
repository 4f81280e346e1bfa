"""Slow checks, out of CI (`python -m pytest -m slow`): real photo content at a realistic ratio."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ddcodec

SAMPLE = Path(__file__).parent.parent / "samples" / "kodim23_256x171.png"


@pytest.mark.slow
def test_sample_photo_at_ratio_32_default_preset():
    data, result = ddcodec.encode(SAMPLE, k=32, device="cpu")
    assert 0.6 < result.bpp < 0.8  # about 24 / k at 8 bits
    assert result.psnr > 24.0  # measured 25.9 dB on 2026-11-22
    decoded = np.asarray(ddcodec.decode(data, device="cpu"))
    assert decoded.shape == (171, 256, 3)
