"""The Pillow plugin: .ddc files open, load and save through PIL.Image like any other format."""
from __future__ import annotations

import inspect
import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import ddcodec
from ddcodec.cli import main
from click.testing import CliRunner
from conftest import smooth_image


def test_open_reads_the_header_and_loads_the_decoder_pixels(tmp_path, rgb_encoded):
    path = tmp_path / "a.ddc"
    path.write_bytes(rgb_encoded[0])
    with Image.open(path) as image:
        assert (image.format, image.mode, image.size) == ("DDC", "RGB", (47, 33))
        assert image.info["ddc"]["seed"] == 7 and image.info["ddc"]["bits"] == ddcodec.read_header(
            rgb_encoded[0]).bits
        np.testing.assert_array_equal(np.asarray(image), np.asarray(ddcodec.decode(rgb_encoded[0], device="cpu")))
    assert Image.registered_extensions()[".ddc"] == "DDC"


def test_open_needs_no_torch(tmp_path, rgb_encoded):
    path = tmp_path / "a.ddc"
    path.write_bytes(rgb_encoded[0])
    code = (f"import sys, ddcodec; from PIL import Image; im = Image.open({str(path)!r}); "
            "print(im.size, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "(47, 33) False"


def test_save_passes_the_encoder_options_and_round_trips(tmp_path):
    pixels = smooth_image(24, 32, 1)[:, :, 0]
    path = tmp_path / "gray.ddc"
    Image.fromarray(pixels).save(path, k=4, bits=6, seed=5, iters=20, device="cpu", quality=90)  # quality: ignored
    data = path.read_bytes()
    header = ddcodec.read_header(data)
    assert (header.channels, header.bits, header.seed, header.target_ratio) == (1, 6, 5, 4.0)
    with Image.open(path) as image:
        assert image.mode == "L"
        np.testing.assert_array_equal(np.asarray(image), np.asarray(ddcodec.decode(data, device="cpu")))
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="DDC", k=4, bits=6, seed=5, iters=20, device="cpu")
    assert buffer.getvalue() == data  # same options, same file


def test_bad_files_and_failed_saves(tmp_path, rgb_encoded):
    data = bytearray(rgb_encoded[0])
    data[-10] ^= 1
    (tmp_path / "bad.ddc").write_bytes(bytes(data))
    with pytest.raises(ddcodec.DdcFormatError, match="CRC mismatch"):
        Image.open(tmp_path / "bad.ddc")
    Image.fromarray(smooth_image(8, 8)).save(tmp_path / "photo.png")
    with Image.open(tmp_path / "photo.png") as png:
        assert png.format == "PNG"  # the plugin claims only its magic bytes
        with pytest.raises(ddcodec.DdcInputError, match="too small for ratio k=32"):
            png.save(tmp_path / "tiny.ddc")
    assert not (tmp_path / "tiny.ddc").exists()


def test_cli_decode_does_not_write_ddc(tmp_path, rgb_encoded):
    (tmp_path / "a.ddc").write_bytes(rgb_encoded[0])
    result = CliRunner().invoke(main, ["decode", str(tmp_path / "a.ddc"), "-o", str(tmp_path / "b.ddc")])
    assert result.exit_code == 1 and "decode writes an image; .ddc files come from ddcodec encode" in result.output
    assert not (tmp_path / "b.ddc").exists()


def test_save_options_are_encode_s_keywords():
    """Every option of ``encode`` but the image and the progress callback can be given to ``Image.save``."""
    from ddcodec.pillow_plugin import SAVE_OPTIONS

    keywords = set(inspect.signature(ddcodec.encode).parameters) - {"image", "progress"}
    assert sorted(SAVE_OPTIONS) == sorted(keywords)
