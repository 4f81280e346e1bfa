"""The depth an encode gets when none is given: 7 for large images at low rates, else 6 (presets.choose_depth)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import ddcodec
from ddcodec import codec, presets
from ddcodec.cli import main
from conftest import smooth_image


@pytest.mark.parametrize("height, width, kwargs, depth", [
    (512, 768, dict(bpp=0.125), 7),  # Kodak at full size, the lowest target: +0.36 dB measured
    (768, 512, dict(bpp=0.125), 7),  # portrait: the shorter side counts
    (512, 768, dict(bpp=presets.LOW_RATE_DEPTH_MAX_BPP), 7),  # the limit is included
    (512, 768, dict(bpp=0.25), 6),  # depth 7 lost at 0.25 bpp
    (384, 576, dict(bpp=0.125), 7),  # 576x384: +0.18 dB measured (since 1.20.0; 512 pixels before)
    (576, 384, dict(bpp=presets.LOW_RATE_DEPTH_MAX_BPP), 7),
    (384, 576, dict(bpp=0.25), 6),
    (256, 384, dict(bpp=0.125), 6),  # at 384x256 it lost 0.14 dB
    (383, 2000, dict(bpp=0.05), 6),
    (512, 768, dict(k=192.0), 7),  # 21 / 192 = 0.11 bpp
    (512, 768, dict(k=32.0), 6),  # 0.66 bpp
    (512, 768, dict(k=128.0), 7),  # 7 bits: 0.164 bpp
    (512, 768, dict(k=128.0, bits=8), 6),  # 8 bits: 0.1875 bpp
    (512, 768, dict(k=0.0), 6),  # not a ratio: planning reports it, choosing the depth does not fail
])
def test_choose_depth(height, width, kwargs, depth):
    options = dict(kwargs)
    k = options.pop("k", 32.0)
    assert presets.choose_depth(height, width, 3, k, **options) == depth


def test_grey_images_count_one_channel_for_k():
    assert presets.choose_depth(512, 768, 1, 64.0) == 7  # 7 / 64 = 0.11 bpp
    assert presets.choose_depth(512, 768, 3, 64.0) == 6  # 21 / 64 = 0.33 bpp


def test_the_plan_takes_the_chosen_depth_unless_one_is_given():
    pixels = np.zeros((512, 768, 3), np.uint8)
    low = codec._plan(pixels, 32.0, 0.125, None, 0, None)
    assert low.depth == 7
    # the same rate as a file size, the header included
    assert codec._plan(pixels, 32.0, None, None, 0, None, target_bytes=512 * 768 // 64).depth == 7
    assert codec._plan(pixels, 32.0, 0.125, None, 0, 6).depth == 6
    assert codec._plan(pixels, 32.0, 0.25, None, 0, None).depth == 6
    # the width and ratio are planned for a 7-deep network's parameter count
    assert low.k == pytest.approx(pixels.size / ddcodec.format.param_count(low.net_width, 7, 3, low.depthwise))


def test_a_ratio_zero_is_still_reported_as_a_bad_ratio():
    with pytest.raises(ddcodec.DdcInputError, match="compression ratio k must be a positive number"):
        codec._plan(np.zeros((512, 768, 3), np.uint8), 0.0, None, None, 0, None)


def test_encode_writes_the_chosen_depth_and_says_so(tmp_path):
    """A whole encode at 768x512 and a low rate (a few steps): the file and the summary carry depth 7,
    and it decodes at full size."""
    source = tmp_path / "large.png"
    Image.fromarray(smooth_image(512, 768)).save(source)
    out = tmp_path / "large.ddc"
    result = CliRunner().invoke(main, ["encode", str(source), "--bpp", "0.125", "--iters", "2", "--preset", "fast",
                                       "--device", "cpu", "--json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    data = out.read_bytes()
    assert summary["depth"] == 7 and ddcodec.read_header(data).depth == 7
    assert summary["bpp"] <= 0.125 * (1 + presets.RATE_TOLERANCE)
    assert ddcodec.decode(data, device="cpu").size == (768, 512)
    text = CliRunner().invoke(main, ["encode", str(source), "--bpp", "0.125", "--iters", "2", "--preset", "fast",
                                     "--device", "cpu", "--depth", "6", "-o", str(tmp_path / "six.ddc")])
    assert text.exit_code == 0, text.output
    assert ", depth 6 (ratio " in text.output
    assert ddcodec.read_header((tmp_path / "six.ddc").read_bytes()).depth == 6
