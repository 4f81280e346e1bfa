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
from collections.abc import Callable, Iterable, Iterator, Sequence
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


def points(images: Sequence[BenchImage], codecs: Sequence[Codec]) -> list[tuple[BenchImage, Codec, Any]]:
    """Every point of the sweep, codec by codec so a partial run has whole curves soonest."""
    return [(im, c, s) for c in codecs for s in c.settings for im in images]


def _measure_task(task: tuple[int, BenchImage, Codec, Any]) -> tuple[int, Record, bytes]:
    position, image, codec, setting = task
    return (position, *measure(image, codec, setting))


class _Measured:
    """The points to measure, measured as they finish: in ``jobs`` worker processes when
    jobs > 1, else in order here. Sized, so a progress bar can show it as it streams."""

    def __init__(self, todo: list[tuple[int, BenchImage, Codec, Any]], jobs: int) -> None:
        self.todo, self.jobs, self.by_position = todo, jobs, {t[0]: t for t in todo}

    def __len__(self) -> int:
        return len(self.todo)

    def __iter__(self) -> Iterator[tuple[BenchImage, Codec, Any, int, Record, bytes]]:
        if self.jobs == 1:
            done = map(_measure_task, self.todo)
        else:
            from ..parallel import run_in_processes

            done = run_in_processes(_measure_task, self.todo, self.jobs)
        for position, record, data in done:
            _, image, codec, setting = self.by_position[position]
            yield image, codec, setting, position, record, data


def cached_records(images: Sequence[BenchImage], codecs: Sequence[Codec], cache: Cache) -> list[Record]:
    """Every point's record from the cache alone, in ``points`` order, measuring nothing: for a
    report from caches joined by hand. A point not in the cache is an error, as a curve short of
    some images would give means over a different set."""
    every = points(images, codecs)
    records = [cache.get(cache.key(*point)) for point in every]
    missing = [point for point, record in zip(every, records) if record is None]
    if missing:
        image, codec, setting = missing[0]
        other = _other_config(cache, image, codec, setting)
        why = (f"; the cache has that point only for another configuration of {codec.name} ({other}), which a "
               "report does not mix in" if other else "")
        raise ValueError(f"{len(missing)} of {len(every)} points are not in the cache (first: {image.name}, "
                         f"{codec.name} {codec.setting_label(setting)}{why}); run without --report-only to measure them")
    return records  # type: ignore[return-value]


def _other_config(cache: Cache, image: BenchImage, codec: Codec, setting: Any) -> str | None:
    """The start of another codec configuration (another version, preset, ...) the cache holds this point for:
    every record is keyed by the configuration it was measured with, so a new version finds none of the old."""
    wanted, current = (image.key, codec.name, codec.setting_label(setting)), codec.config()
    for key in cache.entries:
        stored_image, name, config, label = json.loads(key)
        if (stored_image, name, label) == wanted and config != current:
            return " ".join(config.split()[:2])
    return None


def run_sweep(
    images: Sequence[BenchImage],
    codecs: Sequence[Codec],
    cache: Cache,
    keep: BenchImage | None = None,
    streams: Path | None = None,
    progress: Callable[[Iterable[Any]], Iterable[Any]] = iter,
    jobs: int = 1,
) -> list[Record]:
    """Measure every point not already in the cache and return all records, in ``points`` order.

    The encoded files of ``keep`` (the sheet image) are written to ``streams``, so
    the comparison sheet can be drawn from the real files without encoding again.
    With ``jobs`` > 1 the points are measured in that many worker processes at once (their
    timings then include the contention); ``progress`` wraps the points being measured.
    """
    every = points(images, codecs)
    records: list[Record | None] = [None] * len(every)
    todo, where = [], {}  # where: position -> (cache key, stream path or None) of each point to measure
    for position, (image, codec, setting) in enumerate(every):
        key = cache.key(image, codec, setting)
        record = cache.get(key)
        path = stream_path(streams, image, codec, setting) if streams is not None and image is keep else None
        if record is None or (path is not None and not path.exists()) or _lacks_msssim(record):
            todo.append((position, image, codec, setting))
            where[position] = (key, path)
        else:
            records[position] = record
    for *_, position, record, data in progress(_Measured(todo, jobs)):
        key, path = where[position]
        cache.put(key, record)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        records[position] = record
    return records
