"""``ddcodec rd`` end to end on two tiny images (classical codecs and a fake ddcodec)."""

import csv
import io
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, features

import ddcodec
from ddcodec.rd.cli import rd

DATA = Path(__file__).parent / "data_rd"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fake_core(monkeypatch):
    """A stand-in for the core codec: downsample by sqrt(k / 3), store as PNG."""
    calls = []

    def encode(image, k=32.0, preset="default", bits=None, seed=0, iters=None, device="auto"):
        calls.append(k)
        f = max(1, round((k / 3) ** 0.5))
        small = image.resize((max(1, image.width // f), max(1, image.height // f)), Image.Resampling.BOX)
        buf = io.BytesIO()
        small.save(buf, "PNG")
        return struct.pack(">HH", *image.size) + buf.getvalue(), None

    def decode(data, device="auto"):
        size = struct.unpack(">HH", data[:4])
        return Image.open(io.BytesIO(data[4:])).convert("RGB").resize(size, Image.Resampling.BILINEAR)

    monkeypatch.setattr(ddcodec, "encode", encode, raising=False)
    monkeypatch.setattr(ddcodec, "decode", decode, raising=False)
    return calls


def _run(*args):
    return CliRunner().invoke(rd, [str(a) for a in args])


def test_full_run_writes_every_output(tmp_path, fake_core):
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    result = _run(DATA, "--codecs", "ddcodec,jpeg,jpeg2000,webp", "--out", out, "--ddc-ratios", "48,12,3",
                  "--reference", DATA / "published_sample.json", "--sheet-image", "kodim23_64x48")
    assert result.exit_code == 0, result.output
    assert "MS-SSIM skipped for 2 image(s)" in result.output
    names = {p.name for p in out.iterdir()}
    assert {"ddcodec.json", "jpeg.json", "jpeg2000.json", "webp.json", "per_image.csv", "bd_table.md",
            "rd.png", "rd.svg", "sheet.png", "rd_cache.jsonl", "streams"} <= names

    ddc = json.loads((out / "ddcodec.json").read_text())
    assert ddc["name"] == "ddcodec" and "torch" in ddc["description"]
    assert len(ddc["results"]["bpp"]) == 3 and fake_core == [48.0, 48.0, 12.0, 12.0, 3.0, 3.0]
    with (out / "per_image.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {r["codec"] for r in rows} == {"ddcodec", "jpeg", "jpeg2000", "webp"}
    assert {r["image"] for r in rows} == {"kodim01_64x48.png", "kodim23_64x48.png"}

    table = (out / "bd_table.md").read_text()
    assert "against JPEG 2000 (anchor)" in table
    for label in ("| ddcodec |", "| JPEG |", "| WebP |"):
        assert label in table
    with Image.open(out / "sheet.png") as sheet:  # original + 4 codecs, crops enlarged to >= 160 px
        assert sheet.width >= 5 * 160 and sheet.height > 160
    with Image.open(out / "rd.png") as plot:
        assert plot.width > 600
    svg = (out / "rd.svg").read_text()
    for text in ("published: Sample JPEG", "ddcodec", "JPEG 2000"):
        assert f"<!-- {text} -->" in svg
    assert "full 24-image Kodak set at full size" in svg


def test_second_run_resumes_from_the_cache(tmp_path, fake_core):
    out = tmp_path / "out"
    assert _run(DATA, "--codecs", "ddcodec,jpeg", "--anchor", "jpeg", "--out", out,
                "--ddc-ratios", "48,12").exit_code == 0
    first = (out / "jpeg.json").read_text()
    fake_core.clear()
    result = _run(DATA, "--codecs", "ddcodec,jpeg", "--anchor", "jpeg", "--out", out, "--ddc-ratios", "48,12,6")
    assert result.exit_code == 0, result.output
    assert fake_core == [6.0, 6.0]  # only the new operating point is encoded
    assert json.loads((out / "jpeg.json").read_text()) == json.loads(first)


def test_missing_codec_is_skipped_not_fatal(tmp_path, monkeypatch):
    real = features.check
    monkeypatch.setattr(features, "check", lambda f: False if f == "avif" else real(f))
    result = _run(DATA, "--codecs", "jpeg,avif", "--anchor", "jpeg", "--out", tmp_path / "o", "--max-images", "1")
    assert result.exit_code == 0, result.output
    assert "avif: Pillow on this machine has no avif support; skipped" in result.output
    assert not (tmp_path / "o" / "avif.json").exists() and (tmp_path / "o" / "jpeg.json").exists()


def test_msssim_reported_on_larger_images(tmp_path):
    pytest.importorskip("pytorch_msssim")
    yy, xx = np.mgrid[0:168, 0:176]
    img = (127 + 80 * np.sin(xx / 7.0) * np.cos(yy / 11.0))[..., None].repeat(3, 2).astype(np.uint8)
    Image.fromarray(img).save(tmp_path / "wave.png")
    result = _run(tmp_path / "wave.png", "--codecs", "jpeg", "--anchor", "jpeg", "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert "MS-SSIM skipped" not in result.output
    ms = json.loads((tmp_path / "o" / "jpeg.json").read_text())["results"]["ms-ssim"]
    assert len(ms) == 13 and all(0 < v <= 1 for v in ms) and ms[-1] > ms[0]


@pytest.mark.parametrize("args, message", [
    (["--codecs", "jpeg,heif"], "unknown codec heif"),
    (["--codecs", "jpeg,webp", "--anchor", "avif"], "--anchor 'avif' is not among --codecs"),
    (["--codecs", "jpeg", "--anchor", "jpeg", "--resize", "big"], "--resize must look like 384x256"),
    (["--codecs", "jpeg", "--anchor", "jpeg", "--sheet-image", "nope"], "--sheet-image 'nope' is not among"),
    (["--codecs", "jpeg", "--anchor", "jpeg", "--ddc-ratios", "a,b"], "--ddc-ratios must be numbers"),
])
def test_errors_are_one_line(tmp_path, args, message):
    result = _run(DATA, "--out", tmp_path / "o", *args)
    assert result.exit_code == 1
    assert message in result.output and result.output.count("\n") == 1


def test_resize_and_scale(tmp_path):
    out = tmp_path / "o"
    result = _run(DATA, "--codecs", "webp", "--anchor", "webp", "--out", out, "--scale", "0.5",
                  "--reference", DATA / "published_sample.json")
    assert result.exit_code == 0, result.output
    assert "measured at full size; this run is resized" in result.output
    with (out / "per_image.csv").open() as f:
        row = next(csv.DictReader(f))
    assert float(row["bpp"]) == pytest.approx(8 * int(row["bytes"]) / (32 * 24))
    assert "2 image(s), 32x24" in (out / "bd_table.md").read_text()


def test_works_without_the_bench_extra(tmp_path):
    """Block matplotlib, scipy and pytorch-msssim: JSON/CSV/table still come, with notes."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('matplotlib', 'scipy', 'pytorch_msssim'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import ddcodec.rd\n"
        "from ddcodec.rd.cli import rd\n"
        f"rd([{str(DATA)!r}, '--codecs', 'jpeg,webp', '--anchor', 'jpeg', '--out', {str(tmp_path / 'o')!r}])\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "pip install ddcodec[bench]" in proc.stderr and "no RD plot" in proc.stderr
    names = {p.name for p in (tmp_path / "o").iterdir()}
    assert {"jpeg.json", "webp.json", "per_image.csv", "bd_table.md", "sheet.png"} <= names
    assert "rd.png" not in names
    table = (tmp_path / "o" / "bd_table.md").read_text()
    webp_row = next(line for line in table.splitlines() if line.startswith("| WebP |"))
    assert webp_row.split("|")[2].strip().endswith("%") and webp_row.split("|")[3].strip() == "n/a"


def test_python_dash_m_entry_point(monkeypatch, capsys):
    import runpy

    monkeypatch.setattr(sys, "argv", ["ddcodec.rd", "--help"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("ddcodec.rd", run_name="__main__")
    assert exit_info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Usage: python -m ddcodec.rd" in out and "--sheet-bpp" in out
    assert "published curves are for full size" in out


def test_jobs_gives_the_numbers_of_a_plain_run(tmp_path):
    plain, workers = tmp_path / "plain", tmp_path / "workers"
    assert CliRunner().invoke(rd, [str(DATA), "--codecs", "jpeg", "--anchor", "jpeg", "--out", str(plain)]).exit_code == 0
    result = CliRunner().invoke(rd, [str(DATA), "--codecs", "jpeg", "--anchor", "jpeg", "--out", str(workers), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    rows = lambda folder: sorted(  # noqa: E731
        (r["image"], r["setting"], r["bytes"], r["psnr"]) for r in csv.DictReader(open(folder / "per_image.csv")))
    assert rows(workers) == rows(plain) and len(rows(plain)) > 2


def test_jobs_with_ddcodec_on_a_gpu_is_refused(tmp_path):
    result = CliRunner().invoke(rd, [str(DATA), "--codecs", "ddcodec", "--out", str(tmp_path), "--jobs", "2",
                                     "--device", "cuda"])
    assert result.exit_code == 1
    assert "--jobs runs ddcodec in CPU worker processes" in result.output


def test_report_only_measures_nothing_and_greys_panels_without_files(tmp_path, fake_core):
    out = tmp_path / "out"
    args = [DATA, "--codecs", "ddcodec,jpeg", "--anchor", "jpeg", "--out", out, "--ddc-ratios", "48,12",
            "--sheet-image", "kodim23_64x48", "--sheet-bpp", "1"]
    assert _run(*args).exit_code == 0
    table = (out / "bd_table.md").read_text()
    for name in ("bd_table.md", "sheet.png"):
        (out / name).unlink()
    for stream in (out / "streams").glob("*.ddcodec.*"):  # as when caches of two runs are joined by hand
        stream.unlink()
    fake_core.clear()
    result = _run(*args, "--report-only")
    assert result.exit_code == 0, result.output
    assert fake_core == [] and (out / "bd_table.md").read_text() == table
    with Image.open(out / "sheet.png") as sheet:  # original, ddcodec (grey: no file), JPEG
        panel = sheet.width // 3
        middle = sheet.convert("RGB").getpixel((panel + panel // 2, sheet.height // 2))
        right = sheet.convert("RGB").getpixel((2 * panel + panel // 2, sheet.height // 2))
    assert middle == (200, 200, 200) and right != (200, 200, 200)


def test_report_only_refuses_a_cache_short_of_points(tmp_path, fake_core):
    out = tmp_path / "out"
    assert _run(DATA, "--codecs", "ddcodec", "--anchor", "ddcodec", "--out", out, "--ddc-ratios", "48").exit_code == 0
    fake_core.clear()
    result = _run(DATA, "--codecs", "ddcodec", "--anchor", "ddcodec", "--out", out, "--ddc-ratios", "48,12",
                  "--report-only")
    assert result.exit_code == 1 and fake_core == []
    assert result.output == ("Error: 2 of 4 points are not in the cache (first: kodim01_64x48.png, ddcodec k=12); "
                             "run without --report-only to measure them\n")
    fresh = tmp_path / "fresh"
    result = _run(DATA, "--codecs", "jpeg", "--anchor", "jpeg", "--out", fresh, "--report-only")
    assert result.exit_code == 1 and "points are not in the cache" in result.output and not fresh.exists()


def test_report_only_says_when_the_cache_holds_a_point_for_another_configuration(tmp_path, fake_core):
    """A new version (or other settings) keys its points afresh: the error says that is why they are missing."""
    out = tmp_path / "out"
    assert _run(DATA, "--codecs", "ddcodec", "--anchor", "ddcodec", "--out", out, "--ddc-ratios", "48").exit_code == 0
    result = _run(DATA, "--codecs", "ddcodec", "--anchor", "ddcodec", "--out", out, "--ddc-ratios", "48",
                  "--ddc-iters", "7", "--report-only")
    assert result.exit_code == 1 and len(result.output.splitlines()) == 1
    assert result.output.startswith("Error: 2 of 2 points are not in the cache (first: kodim01_64x48.png, ddcodec k=48; "
                                    "the cache has that point only for another configuration of ddcodec (ddcodec ")
    assert "which a report does not mix in); run without --report-only" in result.output
