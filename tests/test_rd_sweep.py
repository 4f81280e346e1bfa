"""The sweep runner, its resumable cache, the metrics and the report files."""

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ddcodec.rd import report
from ddcodec.rd.codecs import Codec
from ddcodec.rd.metrics import ms_ssim, psnr
from ddcodec.rd.sweep import CACHE_NAME, BenchImage, Cache, find_images, load_image, run_sweep, stream_path

DATA = Path(__file__).parent / "data_rd"


class CountingCodec(Codec):
    """A fake codec: keeps the top ``setting`` bits of each sample, stored as PNG."""

    name, label, ext, param = "fake", "Fake", "png", "bits"
    settings = (2, 4, 6)

    def __init__(self):
        self.encodes = 0

    def encode(self, img, setting):
        self.encodes += 1
        arr = np.asarray(img) >> (8 - setting) << (8 - setting)
        buf = io.BytesIO()
        Image.fromarray(arr.astype(np.uint8)).save(buf, "PNG")
        return buf.getvalue()

    def decode(self, data):
        return Image.open(io.BytesIO(data)).convert("RGB")


def _images():
    return [load_image(p) for p in find_images([DATA])]


def test_records_use_real_bytes_and_rgb_psnr(tmp_path):
    images, codec = _images(), CountingCodec()
    records = run_sweep(images, [codec], Cache(tmp_path / CACHE_NAME))
    assert len(records) == len(images) * 3 and codec.encodes == len(records)
    rec = records[0]
    data = codec.encode(images[0].image, 2)
    assert rec.image == images[0].name and rec.setting == "bits=2"
    assert rec.bytes == len(data) and rec.bpp == 8 * len(data) / (64 * 48)
    assert rec.psnr == pytest.approx(psnr(images[0].image, codec.decode(data)))
    assert rec.msssim is None  # 64x48 is below MS-SSIM's minimum size


def test_cache_resumes_without_recomputing(tmp_path):
    images = _images()
    first = CountingCodec()
    run_sweep(images[:1], [first], Cache(tmp_path / CACHE_NAME))
    assert first.encodes == 3
    # The "interrupted" run is picked up again, now over both images: only the new points run.
    second = CountingCodec()
    records = run_sweep(images, [second], Cache(tmp_path / CACHE_NAME))
    assert second.encodes == 3 and len(records) == 6
    third = CountingCodec()
    again = run_sweep(images, [third], Cache(tmp_path / CACHE_NAME))
    assert third.encodes == 0 and again == records


def test_cache_tolerates_a_torn_last_line_and_keys_on_pixels(tmp_path):
    images = _images()
    path = tmp_path / CACHE_NAME
    run_sweep(images, [CountingCodec()], Cache(path))
    with path.open("a") as f:
        f.write('{"key": "half a li')
    assert len(Cache(path).entries) == 6
    # Same file name, other pixels: not the same image.
    changed = BenchImage(images[0].name, images[0].image.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    codec = CountingCodec()
    run_sweep([changed], [codec], Cache(path))
    assert codec.encodes == 3


def test_streams_of_the_sheet_image_are_kept(tmp_path):
    images, codec = _images(), CountingCodec()
    run_sweep(images, [codec], Cache(tmp_path / CACHE_NAME), keep=images[1], streams=tmp_path / "s")
    kept = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert kept == sorted(stream_path(tmp_path / "s", images[1], codec, s).name for s in codec.settings)
    (tmp_path / "s" / kept[0]).unlink()
    again = CountingCodec()
    run_sweep(images, [again], Cache(tmp_path / CACHE_NAME), keep=images[1], streams=tmp_path / "s")
    assert again.encodes == 1 and (tmp_path / "s" / kept[0]).exists()


def test_psnr_by_hand():
    a = np.zeros((4, 4, 3), np.uint8)
    b = a.copy()
    b[0, 0, 0] = 16  # MSE = 256 / 48
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2 * 48 / 256))
    assert psnr(a, a) == math.inf


def test_msssim_only_above_160_px():
    pytest.importorskip("pytorch_msssim")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:176, 0:192]
    smooth = (127 + 60 * np.sin(xx / 9.0)[..., None] * np.cos(yy / 13.0)[..., None]).repeat(3, 2)
    noisy = np.clip(smooth + rng.normal(0, 8, smooth.shape), 0, 255).astype(np.uint8)
    clean = smooth.astype(np.uint8)
    value = ms_ssim(clean, noisy)
    assert value is not None and 0.5 < value < 0.999
    assert ms_ssim(clean, clean) == pytest.approx(1.0)
    assert ms_ssim(clean[:160], noisy[:160]) is None


def test_json_layout_and_csv_columns(tmp_path):
    images, codec = _images(), CountingCodec()
    records = run_sweep(images, [codec], Cache(tmp_path / CACHE_NAME))
    curves = report.summarise(records, [codec])
    (path,) = report.write_json(curves, tmp_path)
    data = json.loads(path.read_text())
    assert path.name == "fake.json"
    assert list(data) == ["name", "description", "results"] and data["name"] == "fake"
    # No ms-ssim key: these images are too small for it.
    assert list(data["results"]) == ["bpp", "psnr-rgb", "encoding_time", "decoding_time"]
    bpp = data["results"]["bpp"]
    assert len(bpp) == 3 and bpp == sorted(bpp)
    by_setting = {s: [r for r in records if r.setting == s] for s in ("bits=2", "bits=4", "bits=6")}
    assert bpp[0] == pytest.approx(np.mean([r.bpp for r in by_setting["bits=2"]]))
    assert data["results"]["psnr-rgb"][2] == pytest.approx(np.mean([r.psnr for r in by_setting["bits=6"]]))

    report.write_csv(records, tmp_path / "per_image.csv")
    with (tmp_path / "per_image.csv").open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["image", "codec", "setting", "bytes", "bpp", "psnr", "ms-ssim", "encode_s", "decode_s"]
    assert len(rows) == 7 and rows[1][6] == "" and int(rows[1][3]) == records[0].bytes


def test_json_has_msssim_when_every_image_has_it():
    rec = dict(codec="fake", bytes=100, psnr=30.0, encode_s=0.1, decode_s=0.1, width=200, height=200)
    records = [report.Record(image=i, setting="bits=2", bpp=b, msssim=m, **rec)
               for i, b, m in (("a", 0.1, 0.9), ("b", 0.3, 0.8))]
    (curve,) = report.summarise(records, [CountingCodec()])
    assert curve.to_json()["results"]["ms-ssim"] == pytest.approx([0.85])
    records[1].msssim = None
    (curve,) = report.summarise(records, [CountingCodec()])
    assert "ms-ssim" not in curve.to_json()["results"]


def test_markdown_table():
    def curve(name, scale):
        rate = [0.1, 0.25, 0.5, 1.0, 1.5]
        return report.Curve(name, name.upper(), "", True, [], [r * scale for r in rate],
                            [26.0, 29.0, 32.0, 36.0, 38.5], None, [0.0] * 5, [0.0] * 5)

    anchor, better = curve("a", 1.0), curve("b", 0.8)
    text = report.markdown([anchor, better], anchor, 2, "test")
    row = next(line for line in text.splitlines() if line.startswith("| B |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:3] == ["-20.00 %", "-20.00 %"]
    assert cells[3].endswith(" dB") and float(cells[3][:-3]) > 0.5
    assert "| A |" not in text.split("## Mean PSNR")[0]  # the anchor is not compared with itself
    assert report.psnr_at(anchor, 0.5) == pytest.approx(32.0)
    assert report.psnr_at(anchor, 2.0) is None


def test_per_image_markdown_has_a_row_per_image_and_a_mean():
    from ddcodec.rd.report import per_image_markdown
    from ddcodec.rd.sweep import Record

    recs = [Record(image=f"im{i}.png", codec="ddcodec", setting=s, bytes=100, bpp=b, psnr=p,
                   msssim=None, encode_s=10.0 * (i + 1), decode_s=0.5, width=8, height=8)
            for i, (b, p) in enumerate([(0.5, 30.0), (0.7, 32.0)]) for s in ("k=32", "k=64")]
    text = per_image_markdown(recs, "ddcodec")
    lines = text.splitlines()
    assert lines[2].startswith("| image | k=32 bpp | k=32 PSNR | k=32 enc s | k=32 dec s | k=64 bpp")
    assert lines[4].startswith("| im0.png | 0.500 | 30.00 | 10.0 | 0.500 |")
    assert lines[-1] == "| mean | 0.600 | 31.00 | 15.0 | 0.500 | 0.600 | 31.00 | 15.0 | 0.500 |"
    assert per_image_markdown(recs, "jpeg") is None


def test_worker_processes_measure_the_same_points_in_order(tmp_path):
    images = _images()
    (tmp_path / "plain").mkdir(), (tmp_path / "workers").mkdir()
    plain = run_sweep(images, [CountingCodec()], Cache(tmp_path / "plain" / CACHE_NAME))
    shown = []

    def progress(items):
        shown.append(len(items))  # sized: a progress bar can stream it
        yield from items

    cache = Cache(tmp_path / "workers" / CACHE_NAME)
    parallel = run_sweep(images, [CountingCodec()], cache, keep=images[1], streams=tmp_path / "s",
                         progress=progress, jobs=2)
    same = [(r.image, r.setting, r.bytes, r.psnr) for r in plain]
    assert [(r.image, r.setting, r.bytes, r.psnr) for r in parallel] == same and shown == [len(same)]
    assert len(Cache(cache.path).entries) == len(same)
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        f"{Path(images[1].name).stem}.fake.bits{b}.png" for b in (2, 4, 6)]
