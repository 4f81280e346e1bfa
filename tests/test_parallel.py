"""Encoding in worker processes (``--jobs``) makes the very files a plain encode makes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ddcodec
from ddcodec.cli import main
from ddcodec.errors import DdcInputError
from ddcodec.parallel import encode_in_processes
from conftest import smooth_image

ITERS = 12


@pytest.fixture(scope="module")
def three_pngs(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("parallel")
    paths = []
    for i, size in enumerate([(20, 24), (18, 30), (22, 22)]):
        paths.append(folder / f"img{i}.png")
        Image.fromarray(smooth_image(*size, seed=i)).save(paths[-1])
    return paths


def test_workers_make_the_bytes_a_single_thread_encode_makes(three_pngs, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_text("not a picture")
    images = [*three_pngs, bad]
    outcomes = dict(encode_in_processes(images, jobs=2, threads=1, k=4, iters=ITERS, device="cpu"))
    assert sorted(outcomes) == [0, 1, 2, 3]
    assert isinstance(outcomes[3], DdcInputError) and "not an image Pillow can read" in str(outcomes[3])
    assert torch.get_num_threads() == 1  # conftest: the same thread count as the workers
    for i, path in enumerate(three_pngs):
        data, result = outcomes[i]
        expected, _ = ddcodec.encode(path, k=4, iters=ITERS, device="cpu")
        assert data == expected, f"{path.name}: the worker's file differs from a plain encode"
        assert (result.image_width, result.image_height) == Image.open(path).size


def test_bad_jobs_and_progress_are_refused():
    with pytest.raises(DdcInputError, match="jobs must be a positive integer"):
        list(encode_in_processes([], jobs=0))
    with pytest.raises(DdcInputError, match="progress callbacks"):
        list(encode_in_processes([], jobs=2, progress=print))


def test_cli_jobs_writes_every_good_file_and_reports_the_bad_one(three_pngs, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    bad = tmp_path / "broken.png"
    bad.write_text("not a picture")
    args = ["encode", *three_pngs, bad, "-o", out, "-k", "4", "--iters", ITERS, "--jobs", 2, "--device", "cpu", "--json"]
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 1, result.output
    lines = [json.loads(ln) for ln in result.output.splitlines() if ln.startswith("{")]
    assert sorted(Path(r["output"]).name for r in lines) == ["img0.ddc", "img1.ddc", "img2.ddc"]
    assert {p.name for p in out.iterdir()} == {"img0.ddc", "img1.ddc", "img2.ddc"}
    errors = [ln for ln in result.output.splitlines() if ln.startswith("ddcodec: error:")]
    assert errors == [f"ddcodec: error: {bad}: not an image Pillow can read", "ddcodec: error: 1 of 4 files failed"]


def test_cli_jobs_and_batch_together_is_one_line_error(three_pngs):
    result = CliRunner().invoke(main, ["encode", *map(str, three_pngs), "--jobs", "2", "--batch", "2"])
    assert result.exit_code == 1
    assert result.output.strip() == ("ddcodec: error: give --jobs (CPU worker processes) or --batch "
                                     "(GPU batches), not both")
    assert not any(p.with_suffix(".ddc").exists() for p in three_pngs)
