"""The ablation command's config parsing and one tiny run."""
import pytest
from PIL import Image

from ddcodec import codec
from ddcodec.ablation import parse_config, run
from conftest import smooth_image


def test_parse_config_overrides_only_named_keys():
    schedule, kwargs = parse_config("k=28,bits=7,lr=0.05,qat=10")
    base = codec.PRESETS["default"]
    assert (schedule.iters, schedule.qat_iters, schedule.lr, schedule.qat_lr) == (base.iters, 10, 0.05, base.qat_lr)
    assert kwargs == {"k": 28.0, "bits": 7}
    schedule, kwargs = parse_config("seed=3,rows=0.5")
    assert kwargs == {"seed": 3} and schedule.row_fraction == 0.5
    _, kwargs = parse_config("bpp=0.25,depth=5")
    assert kwargs == {"bpp": 0.25, "depth": 5}
    schedule, _ = parse_config("jitter=0.005")
    assert schedule.input_jitter == 0.005 and schedule.coarse_fraction == codec.PRESETS["default"].coarse_fraction
    schedule, _ = parse_config("coarse=0.75")
    assert schedule.coarse_fraction == 0.75 and schedule.row_fraction == 1.0
    with pytest.raises(ValueError, match="unknown key 'speed'"):
        parse_config("speed=3")


def test_run_reports_each_image_and_config(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(smooth_image(20, 24)).save(path)
    before = dict(codec.PRESETS)
    rows = run([path], ["k=4,iters=5,qat=2", "k=4,bits=5,iters=5,qat=2,depth=4"], None, "cpu")
    assert [(r["image"], r["bits"], r["depth"]) for r in rows] == [("a.png", 7, 6), ("a.png", 5, 4)]
    assert codec.PRESETS == before
    assert all(r["psnr"] > 5 for r in rows)
