"""Version-1 files committed on 2026-11-22, a version-2 file (depthwise kernels) committed on 2026-11-24 and two
version-4 files (the compact layout, one with layer widths of their own) committed on 2026-12-07 must decode to the
same pixels forever.

The .png beside each .ddc holds the pixels it decoded to then (tests/golden/make_golden.py).
A float difference between torch versions or CPUs may move a pixel by one level, never more.
"""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ddcodec

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("name, expected", [
    ("v1_rgb_23x17_8bit", dict(version=1, width=23, height=17, channels=3, net_width=8, depth=6,
                               seed=5, bits=8, target_ratio=2.0, upsample=0, norm=0, quant=0)),
    ("v1_gray_19x13_12bit", dict(version=1, width=19, height=13, channels=1, net_width=3, depth=6,
                                 seed=5, bits=12, target_ratio=2.0, upsample=0, norm=0, quant=0)),
    ("v2_rgb_29x21_depthwise", dict(version=2, width=29, height=21, channels=3, net_width=7, depth=6,
                                    seed=5, bits=7, target_ratio=2.0, upsample=0, norm=0, quant=0,
                                    depthwise=0b111111)),
    ("v4_rgb_31x23_compact", dict(version=4, width=31, height=23, channels=3, net_width=8, depth=6,
                                  seed=5, bits=7, target_ratio=2.0, upsample=0, norm=0, quant=0,
                                  depthwise=0b111111, widths=())),
    ("v4_rgb_27x19_tapered", dict(version=4, width=27, height=19, channels=3, net_width=12, depth=6,
                                  seed=5, bits=6, target_ratio=2.0, upsample=0, norm=0, quant=0,
                                  depthwise=0, widths=(12, 11, 10, 9, 8, 7))),
])
def test_golden_file_decodes_to_its_pixels(name, expected):
    data = (GOLDEN / f"{name}.ddc").read_bytes()
    header = ddcodec.read_header(data)
    assert {key: getattr(header, key) for key in expected} == expected
    decoded = ddcodec.decode_pixels(data, device="cpu")
    reference = np.asarray(Image.open(GOLDEN / f"{name}.png"))
    reference = reference[:, :, None] if reference.ndim == 2 else reference
    assert decoded.shape == reference.shape
    diff = np.abs(decoded.astype(int) - reference.astype(int))
    assert diff.max() <= 1
    assert (diff == 0).mean() > 0.99
