"""The sweep: every (image, codec, setting) encoded, decoded and measured once.

Results are appended to a JSON-lines cache in the output folder as soon as each
point is done, keyed by the image (file name, size, pixel hash), the codec and its
configuration, and the setting; a run that was interrupted (or extended with more
images, codecs or settings) continues where it stopped instead of starting over.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from PIL import Image

from ..imageio import images_in
from .codecs import Codec
from .metrics import ms_ssim, msssim_applies, msssim_available, psnr

CACHE_NAME = "rd_cache.jsonl"


@dataclass(frozen=True)
class BenchImage:
    """One test image, already converted to RGB (and resized if asked)."""

    name: str
    image: Image.Image

    @cached_property
    def key(self) -> str:
        digest = hashlib.sha256(self.image.tobytes()).hexdigest()[:16]
        return f"{self.name}:{self.image.width}x{self.image.height}:{digest}"


@dataclass
class Record:
    """The measurement of one image at one operating point of one codec."""

    image: str
    codec: str
    setting: str
    bytes: int
    bpp: float
    psnr: float
    msssim: float | None
    encode_s: float
    decode_s: float
    width: int
    height: int


def find_images(paths: Sequence[Path]) -> list[Path]:
    """Image files named directly or found (not recursively) in the named folders, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += images_in(path)
        else:
            found.append(path)
    return found


def load_image(
    path: Path, size: tuple[int, int] | None = None, scale: float | None = None,
) -> BenchImage:
    """Open an image as RGB, optionally downscaled to ``size`` or by ``scale``."""
    with Image.open(path) as im:
        img = im.convert("RGB")
    if scale is not None:
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    if size is not None and size != img.size:
        img = img.resize(size, Image.Resampling.LANCZOS)
    return BenchImage(path.name, img)


class Cache:
    """Append-only JSON-lines store of records; a torn last line is ignored."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, Record] = {}
        if path.exists():
            for line in path.read_text().splitlines():
                try:
                    row = json.loads(line)
                    self.entries[row["key"]] = Record(**row["record"])
                except (ValueError, KeyError, TypeError):
                    continue

    @staticmethod
    def key(image: BenchImage, codec: Codec, setting: Any) -> str:
        return json.dumps([image.key, codec.name, codec.config(), codec.setting_label(setting)])

    def get(self, key: str) -> Record | None:
        return self.entries.get(key)

    def put(self, key: str, record: Record) -> None:
        self.entries[key] = record
        with self.path.open("a") as f:
            f.write(json.dumps({"key": key, "record": asdict(record)}) + "\n")


def measure(image: BenchImage, codec: Codec, setting: Any) -> tuple[Record, bytes]:
    """Encode, decode and measure one point; also return the encoded bytes."""
    img = image.image
    t0 = time.perf_counter()
    data = codec.encode(img, setting)
    t1 = time.perf_counter()
    out = codec.decode(data)
    t2 = time.perf_counter()
    if out.size != img.size:
        raise ValueError(f"{codec.name} decoded {image.name} to {out.size}, expected {img.size}")
    record = Record(
        image=image.name, codec=codec.name, setting=codec.setting_label(setting),
        bytes=len(data), bpp=8.0 * len(data) / (img.width * img.height),
        psnr=psnr(img, out), msssim=ms_ssim(img, out),
        encode_s=t1 - t0, decode_s=t2 - t1, width=img.width, height=img.height,
    )
    return record, data


def _lacks_msssim(record: Record) -> bool:
    """A cached point measured without pytorch-msssim, now that it is installed."""
    return record.msssim is None and msssim_applies(record.width, record.height) and msssim_available()


def stream_path(folder: Path, image: BenchImage, codec: Codec, setting: Any) -> Path:
    """Where the encoded file of one point of the sheet image is kept."""
    label = codec.setting_label(setting).replace("=", "")
    return folder / f"{Path(image.name).stem}.{codec.name}.{label}.{codec.ext}"


def jobs(images: Sequence[BenchImage], codecs: Sequence[Codec]) -> list[tuple[BenchImage, Codec, Any]]:
    """Every point of the sweep, codec by codec so a partial run has whole curves soonest."""
    return [(im, c, s) for c in codecs for s in c.settings for im in images]


def run_sweep(
    images: Sequence[BenchImage],
    codecs: Sequence[Codec],
    cache: Cache,
    keep: BenchImage | None = None,
    streams: Path | None = None,
    progress: Callable[[Iterable[Any]], Iterable[Any]] = iter,
) -> list[Record]:
    """Measure every point not already in the cache and return all records.

    The encoded files of ``keep`` (the sheet image) are written to ``streams``, so
    the comparison sheet can be drawn from the real files without encoding again.
    """
    records: list[Record] = []
    for image, codec, setting in progress(jobs(images, codecs)):
        key = cache.key(image, codec, setting)
        record = cache.get(key)
        want_stream = streams is not None and image is keep
        path = stream_path(streams, image, codec, setting) if want_stream else None
        if record is None or (path is not None and not path.exists()) or _lacks_msssim(record):
            record, data = measure(image, codec, setting)
            cache.put(key, record)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        records.append(record)
    return records
