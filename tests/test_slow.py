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
    assert 0.55 < result.bpp < 0.7  # about 21 / k at the default 7 bits; measured 0.622
    assert result.psnr > 27.5  # measured 28.45 dB on 2026-11-22 (2-core CPU, 84 s)
    decoded = np.asarray(ddcodec.decode(data, device="cpu"))
    assert decoded.shape == (171, 256, 3)
