"""The command line through click's CliRunner: the user's three commands and every bad input."""
from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import tomllib
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import ddcodec
from ddcodec.cli import main
from ddcodec.imageio import psnr
from conftest import smooth_image


def run(*args: str, stdin: bytes | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], input=stdin)


def assert_one_line_error(result, fragment: str, code: int = 1) -> None:
    assert result.exit_code == code, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert lines == [lines[0]] and lines[0].startswith("ddcodec: error: "), result.output
    assert fragment in lines[0]
    assert "Traceback" not in result.output


def only_files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.fixture()
def png(tmp_path) -> Path:
    path = tmp_path / "photo.png"
    Image.fromarray(smooth_image(33, 47)).save(path)
    return path


@pytest.fixture()
def ddc(tmp_path, rgb_encoded) -> Path:
    path = tmp_path / "stored.ddc"
    path.write_bytes(rgb_encoded[0])
    return path


def test_encode_writes_file_and_json_summary(png):
    result = run("encode", png, "-k", "8", "--iters", "20", "--device", "cpu", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    out = png.with_suffix(".ddc")
    assert summary["output"] == str(out) and summary["bytes"] == out.stat().st_size
    assert summary["bpp"] == pytest.approx(8 * out.stat().st_size / (33 * 47))
    for key in ("psnr", "width", "encode_seconds", "ratio", "bits"):
        assert key in summary
    assert ddcodec.read_header(out.read_bytes()).target_ratio == 8.0


def test_encode_text_summary_and_quiet(png, tmp_path):
    result = run("encode", png, "-k", "8", "--iters", "5", "-o", tmp_path / "a.ddc")
    assert result.exit_code == 0
    assert result.output.startswith(f"{tmp_path / 'a.ddc'}: ") and " bpp, PSNR " in result.output
    quiet = run("encode", png, "-k", "8", "--iters", "5", "-o", tmp_path / "b.ddc", "-q")
    assert quiet.exit_code == 0 and quiet.output == ""


def test_encode_options_reach_the_file(png, tmp_path):
    out = tmp_path / "o.ddc"
    result = run("encode", png, "-k", "6", "--bits", "6", "--seed", "99", "--iters", "3",
                 "--preset", "fast", "--depth", "4", "-o", out, "-q")
    assert result.exit_code == 0, result.output
    header = ddcodec.read_header(out.read_bytes())
    assert (header.bits, header.seed, header.target_ratio, header.depth) == (6, 99, 6.0, 4)
    bad = run("encode", png, "--depth", "11", "-o", tmp_path / "bad.ddc")
    assert bad.exit_code == 2 and "--depth" in bad.output and not (tmp_path / "bad.ddc").exists()


def test_decode_round_trip_matches_library(ddc, rgb_encoded):
    result = run("decode", ddc, "--device", "cpu")
    assert result.exit_code == 0, result.output
    decoded = np.asarray(Image.open(ddc.with_suffix(".png")))
    np.testing.assert_array_equal(decoded, np.asarray(ddcodec.decode(rgb_encoded[0], device="cpu")))


def test_decode_to_other_format(ddc, tmp_path):
    assert run("decode", ddc, "-o", tmp_path / "x.webp").exit_code == 0
    assert Image.open(tmp_path / "x.webp").format == "WEBP"
    assert_one_line_error(run("decode", ddc, "-o", tmp_path / "x.nope"), "unknown image extension")


def test_standard_input_and_output(png, ddc, rgb_encoded):
    encoded = run("encode", "-", "-o", "-", "-k", "8", "--iters", "5", "--device", "cpu", stdin=png.read_bytes())
    assert encoded.exit_code == 0, encoded.output
    assert encoded.stdout_bytes.startswith(b"\x89DDC")  # the file alone: the summary went to stderr
    assert encoded.stderr.startswith("-: ") and " bpp, PSNR " in encoded.stderr
    assert ddcodec.read_header(encoded.stdout_bytes).target_ratio == 8.0
    assert json.loads(run("info", "-", "--json", stdin=encoded.stdout_bytes).stdout)["width"] == 47
    decoded = run("decode", "-", "-o", "-", "--device", "cpu", stdin=ddc.read_bytes())
    assert decoded.exit_code == 0, decoded.output
    with Image.open(io.BytesIO(decoded.stdout_bytes)) as image:
        assert image.format == "PNG"
        np.testing.assert_array_equal(np.asarray(image), np.asarray(ddcodec.decode(rgb_encoded[0], device="cpu")))
    assert only_files(png.parent) == {"photo.png", "stored.ddc"}


def test_standard_input_misuse(png, tmp_path):
    assert_one_line_error(run("encode", "-", stdin=png.read_bytes()), "reading standard input needs -o")
    assert_one_line_error(run("decode", "-", stdin=b"GIF89a, not a .ddc"), "-: not a .ddc file")
    assert_one_line_error(run("encode", "-", png, "-o", tmp_path), "- (standard input) must be the only input")
    assert_one_line_error(run("encode", "-", "-o", tmp_path / "e.ddc", stdin=b""), "-: standard input is empty")
    assert_one_line_error(run("encode", "-", "-o", tmp_path / "e.ddc", stdin=b"no image"),
                          "-: not an image Pillow can read")
    assert not (tmp_path / "e.ddc").exists()


def test_decode_names_a_file_that_is_not_ddc(png):
    # not "output path is the same as the input", though photo.png would decode to photo.png
    assert_one_line_error(run("decode", png), f"{png}: not a .ddc file (wrong magic bytes)")
    assert_one_line_error(run("info", png), f"{png}: not a .ddc file (wrong magic bytes)")


def test_decode_to_a_format_without_alpha_is_one_line(tmp_path):
    data, _ = ddcodec.encode(smooth_image(20, 24, 4), k=4, iters=2, device="cpu")
    (tmp_path / "alpha.ddc").write_bytes(data)
    assert_one_line_error(run("decode", tmp_path / "alpha.ddc", "-o", tmp_path / "alpha.jpg"),
                          "JPEG cannot hold this RGBA image")
    assert only_files(tmp_path) == {"alpha.ddc"}


def test_a_closed_pipe_stops_quietly(ddc):
    # `ddcodec info a.ddc | head -1`: the reader is gone before the header is written
    process = subprocess.Popen([sys.executable, "-m", "ddcodec", "info", str(ddc)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait() == 1 and stderr == ""


def test_python_dash_m_runs_the_command(tmp_path):
    done = subprocess.run([sys.executable, "-m", "ddcodec", "info", str(tmp_path / "none.ddc")],
                          capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr == f"ddcodec: error: {tmp_path / 'none.ddc'}: no such file\n"
    version = subprocess.run([sys.executable, "-m", "ddcodec", "--version"], capture_output=True, text=True)
    assert version.stdout == f"ddcodec, version {ddcodec.__version__}\n"


def test_version_is_the_package_metadata_version():
    """--version reports the running code's version, which must be the one pip installs."""
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert ddcodec.__version__ == pyproject["project"]["version"]


def test_info_text_and_json(ddc, rgb_encoded):
    text = run("info", ddc)
    assert text.exit_code == 0
    assert "         version: 4" in text.output and "           width: 47" in text.output
    fields = json.loads(run("info", ddc, "--json").output)
    assert fields["bytes"] == len(rgb_encoded[0]) and fields["seed"] == 7
    assert fields["upsample"] == "bilinear" and fields["quant"] == "rownorm-v1"
    assert fields["bpp"] == pytest.approx(8 * len(rgb_encoded[0]) / (47 * 33), abs=1e-5)


def test_not_an_image(tmp_path):
    bad = tmp_path / "fake.png"
    bad.write_text("not a picture")
    assert_one_line_error(run("encode", bad), "not an image Pillow can read")
    assert only_files(tmp_path) == {"fake.png"}


def test_empty_inputs(tmp_path):
    for name in ("e.png", "e.ddc"):
        (tmp_path / name).write_bytes(b"")
    assert_one_line_error(run("encode", tmp_path / "e.png"), "empty file")
    assert_one_line_error(run("decode", tmp_path / "e.ddc"), "empty file")
    assert_one_line_error(run("info", tmp_path / "e.ddc"), "empty file")


def test_missing_input(tmp_path):
    assert_one_line_error(run("decode", tmp_path / "none.ddc"), "no such file")
    assert_one_line_error(run("encode", tmp_path / "none.png"), "no such file")


def test_truncated_and_bitflipped(ddc, tmp_path):
    data = ddc.read_bytes()
    (tmp_path / "t.ddc").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    (tmp_path / "f.ddc").write_bytes(bytes(flipped))
    for name in ("t.ddc", "f.ddc"):
        assert_one_line_error(run("decode", tmp_path / name), "CRC mismatch")
        assert not (tmp_path / name).with_suffix(".png").exists()


def test_wrong_magic_and_newer_version(ddc, tmp_path):
    data = ddc.read_bytes()
    (tmp_path / "m.ddc").write_bytes(b"GIF8" + data[4:])
    assert_one_line_error(run("info", tmp_path / "m.ddc"), "not a .ddc file (wrong magic bytes)")
    body = bytearray(data[:-4])
    body[4] = 9
    (tmp_path / "v.ddc").write_bytes(bytes(body) + struct.pack("<I", zlib.crc32(body)))
    assert_one_line_error(run("decode", tmp_path / "v.ddc"), "format version 9 is newer")


def test_absurd_size_header(ddc, tmp_path):
    body = bytearray(ddc.read_bytes()[:-4])
    struct.pack_into("<HH", body, 5, 60000, 60000)
    (tmp_path / "big.ddc").write_bytes(bytes(body) + struct.pack("<I", zlib.crc32(body)))
    assert_one_line_error(run("decode", tmp_path / "big.ddc"), "exceeds the limit")


def test_image_too_small_for_ratio(tmp_path):
    path = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path)
    assert_one_line_error(run("encode", path, "-k", "32"), f"{path}: image 8x8 is too small for ratio k=32: use k <= 3.55")


def test_existing_output_needs_force(png, ddc, tmp_path):
    existing = tmp_path / "keep.ddc"
    existing.write_bytes(b"precious")
    assert_one_line_error(run("encode", png, "-o", existing, "--iters", "1"), "already exists (use --force")
    assert existing.read_bytes() == b"precious"
    png_out = ddc.with_suffix(".png")
    png_out.write_bytes(b"precious too")
    assert_one_line_error(run("decode", ddc), "already exists")
    assert png_out.read_bytes() == b"precious too"
    forced = run("encode", png, "-o", existing, "--iters", "1", "-f", "-q")
    assert forced.exit_code == 0, forced.output
    assert existing.read_bytes().startswith(b"\x89DDC")


def test_output_same_as_input(png, ddc):
    assert_one_line_error(run("encode", png, "-o", png, "-f"), "output path is the same as the input")
    assert_one_line_error(run("decode", ddc, "-o", ddc, "-f"), "output path is the same as the input")


def test_ctrl_c_leaves_no_file(png, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr("ddcodec.codec.encode", interrupted)
    result = run("encode", png)
    assert_one_line_error(result, "interrupted; no output written", code=130)
    assert only_files(png.parent) == {"photo.png"}


def test_failed_write_leaves_no_partial_file(png, monkeypatch):
    def broken_fsync(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr("os.fsync", broken_fsync)
    result = run("encode", png, "--iters", "1", "-k", "8")
    assert_one_line_error(result, "No space left on device")
    assert only_files(png.parent) == {"photo.png"}


def test_sixteen_bit_png_warns_in_one_line(tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray((smooth_image(24, 30, 1)[:, :, 0].astype(np.uint16) * 257)).save(path)
    result = run("encode", path, "-k", "2", "--iters", "2", "-q")
    assert result.exit_code == 0
    assert "ddcodec: warning: I;16 image reduced to 8-bit grayscale" in result.output


def test_animation_encodes_its_first_frame_with_a_warning(tmp_path):
    first, second = smooth_image(24, 30, seed=1), smooth_image(24, 30, seed=2)
    path = tmp_path / "anim.png"
    Image.fromarray(first).save(path, save_all=True, append_images=[Image.fromarray(second)])
    result = run("encode", path, "-k", "2", "--iters", "60", "--device", "cpu", "-q")
    assert result.exit_code == 0, result.output
    assert "ddcodec: warning: image has 2 frames: only the current one (the first, unless seeked) is encoded" \
        in result.output
    decoded = np.asarray(ddcodec.decode(path.with_suffix(".ddc").read_bytes(), device="cpu"))
    assert psnr(decoded, first) > psnr(decoded, second) + 3


def test_progress_bar_only_on_a_terminal(monkeypatch, capsys):
    from ddcodec.cli import _ProgressBar
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    bar = _ProgressBar(enabled=True)
    for done in range(1, 11):
        bar(done, 10, 20.0 + done)
    bar.close()
    shown = capsys.readouterr().err
    assert "fitting" in shown and "30.00 dB" in shown and "10/10" in shown
    monkeypatch.setattr("sys.stderr.isatty", lambda: False)
    quiet = _ProgressBar(enabled=True)
    quiet(1, 10, 20.0)
    quiet.close()
    assert capsys.readouterr().err == ""


def test_encode_a_folder_into_a_folder(tmp_path):
    src, dst = tmp_path / "in", tmp_path / "out"
    src.mkdir(), dst.mkdir()
    for i, size in enumerate([(20, 24), (18, 30)]):
        Image.fromarray(smooth_image(*size, seed=i)).save(src / f"img{i}.png")
    (src / "notes.txt").write_text("ignored: not an image extension")
    result = run("encode", src, "-o", dst, "-k", "4", "--iters", "3", "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [Path(r["output"]).name for r in lines] == ["img0.ddc", "img1.ddc"]
    assert only_files(dst) == {"img0.ddc", "img1.ddc"}
    assert ddcodec.read_header((dst / "img1.ddc").read_bytes()).width == 30


def test_several_inputs_one_bad_the_others_still_encode(tmp_path, png):
    bad = tmp_path / "broken.png"
    bad.write_text("not a picture")
    result = run("encode", png, bad, "-k", "8", "--iters", "2", "-q")
    assert result.exit_code == 1
    errors = [ln for ln in result.output.splitlines() if ln.startswith("ddcodec: error:")]
    assert errors == [f"ddcodec: error: {bad}: not an image Pillow can read",
                      "ddcodec: error: 1 of 2 files failed"]
    assert png.with_suffix(".ddc").exists() and not bad.with_suffix(".ddc").exists()


def test_batched_encode_fits_same_size_images_together(tmp_path):
    files = []
    for i, size in enumerate([(20, 24), (20, 24), (18, 30)]):
        files.append(tmp_path / f"img{i}.png")
        Image.fromarray(smooth_image(*size, seed=i)).save(files[-1])
    bad = tmp_path / "broken.png"
    bad.write_text("not a picture")
    result = run("encode", *files, bad, "-k", "4", "--iters", "3", "--batch", "2", "--json")
    assert result.exit_code == 1
    lines = [json.loads(ln) for ln in result.output.splitlines() if ln.startswith("{")]
    assert [(Path(r["output"]).name, r["batch"]) for r in lines] == [
        ("img0.ddc", 2), ("img1.ddc", 2), ("img2.ddc", 1)]
    assert f"ddcodec: error: {bad}: not an image Pillow can read" in result.output
    for r in lines:
        decoded = ddcodec.decode_pixels(Path(r["output"]).read_bytes(), device="cpu")
        assert psnr(decoded, np.asarray(Image.open(r["input"]))) == pytest.approx(r["psnr"], abs=0.01)


def test_tries_reports_the_seed_it_kept(png):
    result = run("encode", png, "-k", "8", "--iters", "20", "--seed", "10", "--tries", "2", "--json", "-f")
    assert result.exit_code == 0, result.output
    line = json.loads(result.output)
    assert line["tries"] == 2 and line["seed"] in (10, 11)
    assert ddcodec.read_header(png.with_suffix(".ddc").read_bytes()).seed == line["seed"]


def test_the_best_preset_reports_the_penalty_it_kept(png):
    result = run("encode", png, "-k", "8", "--iters", "20", "--preset", "best", "--json", "-f")
    assert result.exit_code == 0, result.output
    line = json.loads(result.output)
    assert line["penalties"] == 2 and line["weight_l1"] in (0.0003, 0.0006)
    summary = run("encode", png, "-k", "8", "--iters", "20", "--preset", "best", "-f")
    assert f"weight penalty {line['weight_l1']:g} kept of 2 tried, " in summary.output
    assert "weight penalty" not in run("encode", png, "-k", "8", "--iters", "20", "-f").output


def test_several_inputs_need_a_folder_and_all_outputs_are_checked_first(tmp_path, png):
    other = tmp_path / "other.png"
    Image.fromarray(smooth_image(20, 20)).save(other)
    assert_one_line_error(run("encode", png, other, "-o", tmp_path / "x.ddc"), "-o must be an existing folder")
    other.with_suffix(".ddc").write_bytes(b"keep")
    assert_one_line_error(run("encode", png, other, "--iters", "1"), "other.ddc: already exists")
    assert not png.with_suffix(".ddc").exists()  # nothing was encoded before the refusal


def test_info_stats_reports_entropy_and_zstd_gap(ddc):
    fields = json.loads(run("info", ddc, "--stats", "--json").output)
    assert fields["version"] == 4  # its payload holds every code but the fixed scales' (one per hidden channel)
    assert fields["weights"] == fields["params"] - fields["depth"] * fields["net_width"]
    assert 0 < fields["entropy_bits_per_weight"] <= fields["bits"]
    assert fields["zstd_bits_per_weight"] > 0
    expected_gap = 100 * (fields["zstd_bits_per_weight"] / fields["entropy_bits_per_weight"] - 1)
    assert fields["zstd_gap_percent"] == pytest.approx(expected_gap, abs=0.01)
    assert "zstd_gap_percent: " in run("info", ddc, "--stats").output


def test_running_out_of_gpu_memory_is_one_line_and_leaves_no_file(png, tmp_path, monkeypatch):
    import torch

    def out_of_memory(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 34.00 GiB\nmore detail")
    monkeypatch.setattr("ddcodec.codec.fit", out_of_memory)
    before = only_files(tmp_path)
    result = run("encode", png, "-k", "8")
    assert_one_line_error(result, "out of memory (CUDA out of memory. Tried to allocate 34.00 GiB): use a larger -k")
    assert only_files(tmp_path) == before


def test_decode_several_files_and_folders(tmp_path, rgb_encoded):
    data = rgb_encoded[0]
    pixels = np.asarray(ddcodec.decode(data, device="cpu"))
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.ddc", "b.ddc"):
        (src / name).write_bytes(data)
    (src / "notes.txt").write_text("not a .ddc file")  # folders contribute their .ddc files only
    out = tmp_path / "out"
    out.mkdir()
    result = run("decode", src, "-o", out, "--device", "cpu")
    assert result.exit_code == 0 and result.output == "", result.output
    assert only_files(out) == {"a.png", "b.png"}
    for name in ("a.png", "b.png"):
        np.testing.assert_array_equal(np.asarray(Image.open(out / name)), pixels)
    # every output is checked before any decode: nothing is written when one exists
    (out / "b.png").unlink()
    again = run("decode", src / "a.ddc", src / "b.ddc", "-o", out)
    assert_one_line_error(again, f"{out / 'a.png'}: already exists (use --force to overwrite)")
    assert only_files(out) == {"a.png"}
    # without -o each file is decoded beside its input; a bad one is named, the others still decoded
    (src / "c.ddc").write_bytes(b"garbage")
    some = run("decode", src / "a.ddc", src / "c.ddc", src / "b.ddc")
    assert some.exit_code == 1
    assert some.output.splitlines() == [f"ddcodec: error: {src / 'c.ddc'}: not a .ddc file (wrong magic bytes)",
                                        "ddcodec: error: 1 of 3 files failed"]
    assert only_files(src) == {"a.ddc", "b.ddc", "c.ddc", "a.png", "b.png", "notes.txt"}
    assert_one_line_error(run("decode", tmp_path / "in", tmp_path / "x.ddc", "-o", tmp_path / "nowhere"),
                          "with several inputs, -o must be an existing folder")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(run("decode", empty), f"{empty}: folder holds no .ddc files")


def test_info_several_files(tmp_path, rgb_encoded):
    for name in ("a.ddc", "b.ddc"):
        (tmp_path / name).write_bytes(rgb_encoded[0])
    text = run("info", tmp_path / "a.ddc", tmp_path / "b.ddc")
    assert text.exit_code == 0
    lines = text.output.splitlines()
    assert lines[0] == f"{tmp_path / 'a.ddc'}:" and f"{tmp_path / 'b.ddc'}:" in lines
    assert sum(line.strip().startswith("net_width:") for line in lines) == 2
    as_json = run("info", tmp_path, "--json")
    records = [json.loads(line) for line in as_json.output.splitlines()]
    assert [r["file"] for r in records] == [str(tmp_path / "a.ddc"), str(tmp_path / "b.ddc")]
    assert records[0]["bytes"] == len(rgb_encoded[0])
    (tmp_path / "c.ddc").write_bytes(rgb_encoded[0][:40])
    partly = run("info", tmp_path, "--json")
    assert partly.exit_code == 1 and len(partly.output.splitlines()) == 4  # two records, the failure, the count
    assert partly.output.splitlines()[-1] == "ddcodec: error: 1 of 3 files failed"
