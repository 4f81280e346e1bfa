"""The codecs a rate-distortion sweep compares, as one small class hierarchy.

Follows CompressAI's shape (a ``Codec`` base and a ``PillowCodec`` for the classical
formats) without its flaws: codecs are plain objects built from keyword arguments,
not from argparse, and nothing here calls ``sys.exit``. Each codec knows its sweep
(``settings``), turns an image into the bytes of a real file and back, and describes
itself with the library versions that produced the numbers.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import PIL
from PIL import Image, features

DEFAULT_CODECS = ("ddcodec", "jpeg", "jpeg2000", "webp", "avif")
DEFAULT_DDC_RATIOS = (128.0, 64.0, 32.0, 16.0)


class Codec:
    """One codec and its sweep of operating points.

    Subclasses set ``name``, ``ext`` and ``settings`` and implement ``encode`` and
    ``decode``. ``config()`` names everything besides the setting that changes the
    output; the result cache keys on it, so changing it invalidates old results.
    """

    name: str = "codec"
    label: str = "Codec"
    ext: str = "bin"
    param: str = "setting"
    settings: Sequence[Any] = ()

    def description(self) -> str:
        """A one-line description naming the library versions behind the numbers."""
        return self.label

    def config(self) -> str:
        """What, besides the setting, determines the encoded bytes (never the sweep)."""
        return self.label

    def setting_label(self, setting: Any) -> str:
        """The setting as written in the CSV and the cache, e.g. ``quality=75``."""
        return f"{self.param}={_value(setting)}"

    def sweep_text(self) -> str:
        """The sweep in words, for descriptions: ``quality 5, 10, 20``."""
        return f"{self.param} {', '.join(_value(s) for s in self.settings)}"

    def available(self) -> str | None:
        """None when the codec can run here, else a one-line reason why not."""
        return None

    def encode(self, img: Image.Image, setting: Any) -> bytes:
        """Encode an RGB image at one operating point into the bytes of a file."""
        raise NotImplementedError

    def decode(self, data: bytes) -> Image.Image:
        """Decode the bytes ``encode`` produced back into an RGB image."""
        raise NotImplementedError

    def is_classical(self) -> bool:
        """Classical codecs are drawn dashed, ddcodec solid."""
        return True


class PillowCodec(Codec):
    """A classical codec reached through Pillow's own plugins (no external binaries)."""

    fmt: str = ""
    feature: str = ""
    library_name: str = ""
    options: dict[str, Any] = {}

    def library(self) -> str:
        """The codec library and its version as Pillow reports it."""
        return f"{self.library_name} {features.version(self.feature)}"

    def available(self) -> str | None:
        if not features.check(self.feature):
            return f"{self.name}: Pillow on this machine has no {self.feature} support; skipped"
        return None

    def save_options(self, setting: Any) -> dict[str, Any]:
        """The keyword arguments ``Image.save`` gets for one setting (a quality by default)."""
        return {"quality": int(setting)}

    def encode(self, img: Image.Image, setting: Any) -> bytes:
        buf = io.BytesIO()
        img.save(buf, self.fmt, **self.options, **self.save_options(setting))
        return buf.getvalue()

    def decode(self, data: bytes) -> Image.Image:
        with Image.open(io.BytesIO(data)) as im:
            return im.convert("RGB")

    def config(self) -> str:
        # Library versions and fixed options, not the sweep: extending a sweep keeps the cache.
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{self.label} via Pillow {PIL.__version__} ({self.library()}); {opts}"

    def description(self) -> str:
        return f"{self.config()}; sweep over {self.sweep_text()}"


class JpegCodec(PillowCodec):
    """Baseline JPEG at Pillow's defaults (4:2:0 subsampling), as CompressAI runs it."""

    name, label, ext, fmt, feature, param = "jpeg", "JPEG", "jpg", "JPEG", "jpg", "quality"
    options = {"subsampling": "4:2:0"}  # Pillow's default, stated
    settings = (1, 3, 5, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90)

    def library(self) -> str:
        if features.check("libjpeg_turbo"):
            return f"libjpeg-turbo {features.version('libjpeg_turbo')}"
        return f"libjpeg {features.version('jpg')}"


class Jpeg2000Codec(PillowCodec):
    """JPEG 2000 via OpenJPEG: irreversible 9/7 wavelet with the colour transform.

    Pillow's defaults (reversible 5/3, no colour transform) cost about 3 dB, so they
    would be an unfair baseline. The setting is the compression ratio of one layer.
    """

    name, label, ext, fmt, feature, param = "jpeg2000", "JPEG 2000", "jp2", "JPEG2000", "jpg_2000", "ratio"
    library_name = "OpenJPEG"
    options = {"quality_mode": "rates", "irreversible": True, "mct": 1}
    settings = (240, 192, 160, 128, 96, 80, 64, 48, 40, 32, 24, 20, 16, 12)

    def save_options(self, setting: Any) -> dict[str, Any]:
        return {"quality_layers": [float(setting)]}


class WebpCodec(PillowCodec):
    """Lossy WebP at its slowest, best method."""

    name, label, ext, fmt, feature, param = "webp", "WebP", "webp", "WEBP", "webp", "quality"
    library_name = "libwebp"
    options = {"method": 6}
    settings = (0, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90)


class AvifCodec(PillowCodec):
    """AVIF through Pillow's built-in plugin (libavif, 4:2:0) at a stated speed."""

    name, label, ext, fmt, feature, param = "avif", "AVIF", "avif", "AVIF", "avif", "quality"
    library_name = "libavif"
    settings = (10, 20, 30, 40, 50, 60, 70, 75)

    def __init__(self, speed: int = 6) -> None:
        self.options = {"speed": speed, "subsampling": "4:2:0"}


class DdcCodec(Codec):
    """ddcodec itself, swept over the compression ratio k, or over target bpp (``bpp_targets``).

    The core library is imported inside the methods so that this module (and the
    classical-codec benchmarks) work before, and independently of, the core codec.
    """

    name, label, ext, param = "ddcodec", "ddcodec", "ddc", "k"

    def __init__(
        self,
        ratios: Sequence[float] = DEFAULT_DDC_RATIOS,
        preset: str = "default",
        bits: int | None = None,
        iters: int | None = None,
        device: str = "auto",
        seed: int = 0,
        bpp_targets: Sequence[float] | None = None,
        depth: int | None = None,
        depthwise: str = "auto",
    ) -> None:
        self.param = "bpp" if bpp_targets else "k"
        self.settings = tuple(float(r) for r in (bpp_targets or ratios))
        self.preset, self.bits, self.iters, self.device, self.seed = preset, bits, iters, device, seed
        self.depth = depth  # None: the encoder's choice (presets.choose_depth)
        self.depthwise = depthwise

    def is_classical(self) -> bool:
        return False

    def available(self) -> str | None:
        try:
            import ddcodec
        except Exception as exc:  # a broken core must not take the classical runs down
            return f"ddcodec: the core codec does not import ({exc}); skipped"
        if not callable(getattr(ddcodec, "encode", None)) or not callable(getattr(ddcodec, "decode", None)):
            return "ddcodec: the core codec API (ddcodec.encode/decode) is not available; skipped"
        return None

    def config(self) -> str:
        # The device is left out on purpose: the file format decodes identically anywhere.
        # The preset's schedule and the default bits are in, so re-tuning them invalidates the cache.
        from ddcodec import presets as core
        from ddcodec.ratecontrol import SIZE_MODEL

        rate_control = f" size_model={SIZE_MODEL}" if self.param == "bpp" else ""
        return (
            f"ddcodec {_ddcodec_version()}{rate_control} preset={self.preset} "
            f"schedule={core.PRESETS.get(self.preset)} default_bits={core.DEFAULT_BITS} bits={self.bits} "
            f"iters={self.iters} seed={self.seed} depth={self.depth} default_depth={core.DEFAULT_DEPTH} "
            f"low_rate_depth={core.LOW_RATE_DEPTH}@{core.LOW_RATE_DEPTH_MIN_SIDE}px,{core.LOW_RATE_DEPTH_MAX_BPP:g}bpp "
            f"bpp_bits_tiers={core.BPP_BITS_TIERS} depthwise={self.depthwise} "
            f"depthwise_min_width={core.DEPTHWISE_MIN_WIDTH}"
        )

    def description(self) -> str:
        import torch

        return (
            f"ddcodec {_ddcodec_version()} (torch {torch.__version__}), preset={self.preset}, "
            f"bits={self.bits if self.bits is not None else 'preset'}, "
            f"iters={self.iters if self.iters is not None else 'preset'}, seed={self.seed}, "
            f"depth={self.depth if self.depth is not None else 'auto'}, depthwise={self.depthwise}, "
            f"device={self.device}; sweep over compression ratio {self.sweep_text()}"
        )

    def encode(self, img: Image.Image, setting: Any) -> bytes:
        import ddcodec

        size = {"bpp": float(setting)} if self.param == "bpp" else {"k": float(setting)}
        # only what differs from the encoder's defaults
        options = ({} if self.depth is None else {"depth": self.depth}) | (
            {} if self.depthwise == "auto" else {"depthwise": self.depthwise})
        data, _result = ddcodec.encode(
            img, **size, preset=self.preset, bits=self.bits, seed=self.seed,
            iters=self.iters, device=self.device, **options,
        )
        return data

    def decode(self, data: bytes) -> Image.Image:
        import ddcodec

        return ddcodec.decode(data, device=self.device).convert("RGB")


def _value(setting: Any) -> str:
    return f"{setting:g}" if isinstance(setting, float) else str(setting)


def _ddcodec_version() -> str:
    """The version of the code that runs: an editable install's metadata keeps the version it was installed
    at (session 20's 384x256 sweep of 1.4.0 was labelled 1.3.0 so), so the package's own string comes first."""
    import ddcodec

    version = getattr(ddcodec, "__version__", None)
    if version:
        return str(version)
    from importlib import metadata

    try:
        return metadata.version("ddcodec")
    except metadata.PackageNotFoundError:
        return "unknown"


CLASSICAL = {c.name: c for c in (JpegCodec, Jpeg2000Codec, WebpCodec, AvifCodec)}
KNOWN = ("ddcodec", *CLASSICAL)


def make_codecs(names: Sequence[str], ddc: dict[str, Any] | None = None) -> tuple[list[Codec], list[str]]:
    """Build the named codecs; return those that can run here and one note per skip.

    Raises ValueError for a name that is not a codec at all (a typo must not pass
    silently as a skip).
    """
    unknown = [n for n in names if n not in KNOWN]
    if unknown:
        raise ValueError(f"unknown codec {', '.join(unknown)} (known: {', '.join(KNOWN)})")
    codecs: list[Codec] = []
    notes: list[str] = []
    for name in dict.fromkeys(names):
        codec = DdcCodec(**(ddc or {})) if name == "ddcodec" else CLASSICAL[name]()
        reason = codec.available()
        if reason:
            notes.append(reason)
        else:
            codecs.append(codec)
    return codecs, notes
