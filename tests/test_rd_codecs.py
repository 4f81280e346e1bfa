"""The classical codecs through Pillow, the skip rule, and the ddcodec adapter."""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, features

import ddcodec
from ddcodec.rd import codecs as rdc
from ddcodec.rd.metrics import psnr

DATA = Path(__file__).parent / "data_rd"
IMAGES = sorted(DATA.glob("*.png"))


def _image(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("RGB")


@pytest.mark.parametrize("name", list(rdc.CLASSICAL))
def test_more_bytes_give_higher_psnr(name):
    codec = rdc.CLASSICAL[name]()
    if codec.available():
        pytest.skip(codec.available())
    for path in IMAGES:
        img = _image(path)
        points = []
        for setting in codec.settings:
            data = codec.encode(img, setting)
            out = codec.decode(data)
            assert out.size == img.size and out.mode == "RGB"
            points.append((len(data), psnr(img, out)))
        points.sort()
        sizes = [b for b, _ in points]
        quality = [q for _, q in points]
        assert len(set(sizes)) >= 5, f"{name}: the sweep barely changes the size on {path.name}"
        # Sorted by bytes, PSNR never drops (equal sizes may be the same file).
        assert all(b >= a - 1e-9 for a, b in zip(quality, quality[1:])), (name, path.name, points)
        assert quality[-1] > quality[0] + 5


def test_jpeg2000_uses_the_lossy_wavelet_and_real_file_bytes():
    img = _image(IMAGES[0])
    codec = rdc.Jpeg2000Codec()
    data = codec.encode(img, 24)
    assert data[:12] == b"\x00\x00\x00\x0cjP  \r\n\x87\n"  # a .jp2 file, not a raw codestream
    buf = io.BytesIO()
    img.save(buf, "JPEG2000", quality_mode="rates", quality_layers=[24.0], irreversible=True, mct=1)
    assert data == buf.getvalue()


def test_descriptions_name_library_versions():
    import PIL

    assert f"Pillow {PIL.__version__}" in rdc.JpegCodec().description()
    assert f"OpenJPEG {features.version('jpg_2000')}" in rdc.Jpeg2000Codec().description()
    assert "irreversible=True" in rdc.Jpeg2000Codec().description()
    assert "method=6" in rdc.WebpCodec().description()
    assert "speed=6" in rdc.AvifCodec().description()
    assert "speed=4" in rdc.AvifCodec(speed=4).description()


def test_cache_config_leaves_out_the_sweep():
    codec = rdc.WebpCodec()
    before = codec.config()
    codec.settings = (10, 50)
    assert codec.config() == before and "method=6" in before and "libwebp" in before
    assert "quality 10, 50" in codec.description()


def test_missing_codec_is_skipped_with_a_message(monkeypatch):
    real = features.check
    monkeypatch.setattr(features, "check", lambda f: False if f == "avif" else real(f))
    chosen, notes = rdc.make_codecs(["jpeg", "avif", "webp"])
    assert [c.name for c in chosen] == ["jpeg", "webp"]
    assert len(notes) == 1 and notes[0].startswith("avif:") and "skipped" in notes[0]


def test_unknown_codec_is_an_error():
    with pytest.raises(ValueError, match="unknown codec heif"):
        rdc.make_codecs(["jpeg", "heif"])


def test_ddc_codec_calls_the_core_api(monkeypatch):
    calls = []

    def encode(image, **kw):
        calls.append(kw)
        return b"DDC" + image.tobytes(), object()

    def decode(data, device="auto"):
        calls.append({"decode_device": device})
        return Image.frombytes("RGB", (64, 48), data[3:])

    monkeypatch.setattr(ddcodec, "encode", encode, raising=False)
    monkeypatch.setattr(ddcodec, "decode", decode, raising=False)
    codec = rdc.DdcCodec(ratios=[64, 32], preset="fast", bits=7, device="cpu")
    assert codec.available() is None
    assert codec.settings == (64.0, 32.0) and not codec.is_classical()
    img = _image(IMAGES[0])
    out = codec.decode(codec.encode(img, 32.0))
    assert np.array_equal(np.asarray(out), np.asarray(img))
    assert calls[0] == {"k": 32.0, "preset": "fast", "bits": 7, "seed": 0, "iters": None, "device": "cpu"}
    assert calls[1] == {"decode_device": "cpu"}
    assert codec.setting_label(32.0) == "k=32"
    assert "preset=fast" in codec.config() and "bits=7" in codec.config() and "depth=None" in codec.config()
    deeper = rdc.DdcCodec(ratios=[32], device="cpu", depth=7)
    deeper.encode(img, 32.0)
    assert calls[-1]["depth"] == 7 and "depth=7" in deeper.config() != codec.config()
    plain = rdc.DdcCodec(ratios=[32], device="cpu", depthwise="off")
    plain.encode(img, 32.0)
    assert calls[-1]["depthwise"] == "off" and "depthwise=off" in plain.config() != codec.config()
    # a bpp sweep's files depend on rate control's size model: a new model must not reuse cached points
    from ddcodec.ratecontrol import SIZE_MODEL
    assert f"size_model={SIZE_MODEL}" in rdc.DdcCodec(bpp_targets=[0.25]).config()
    assert "size_model" not in codec.config()
    assert codec.config().startswith(f"ddcodec {ddcodec.__version__} ")  # the running code's, not install metadata


def test_ddc_codec_without_core_api_is_skipped(monkeypatch):
    monkeypatch.setattr(ddcodec, "encode", None, raising=False)  # the core API not there (yet)
    chosen, notes = rdc.make_codecs(["ddcodec", "jpeg"])
    assert [c.name for c in chosen] == ["jpeg"]
    assert notes and notes[0].startswith("ddcodec:")


def test_ddcodec_bpp_sweep_uses_rate_control():
    import numpy as np
    from PIL import Image

    from ddcodec.rd.codecs import DdcCodec

    codec = DdcCodec(bpp_targets=[1.0], iters=3, device="cpu")
    assert codec.settings == (1.0,) and codec.setting_label(1.0) == "bpp=1"
    yy, xx = np.mgrid[0:64, 0:96]
    img = Image.fromarray(np.stack([xx * 2, yy * 3, xx + yy], 2).astype(np.uint8))
    data = codec.encode(img, 1.0)
    assert abs(8 * len(data) / (64 * 96) - 1.0) < 0.03
    assert DdcCodec(ratios=[32]).setting_label(32.0) == "k=32"
