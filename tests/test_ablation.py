"""The ablation command's config parsing and one tiny run."""
import dataclasses

import pytest
from PIL import Image

from ddcodec import codec
from ddcodec.ablation import main, parse_config, read_results, run, summarize
from ddcodec.presets import WEIGHT_L1, FitSchedule
from conftest import smooth_image

# 1.15.0's best preset (plain 6,000 full-size steps at Adam's defaults, then a 1,200-step fine-tune) as an ablation config
# 1.16.0 to 1.33.0's best preset: the default's schedule made longer
BEST_1_33 = "iters=6000,qat=1200,qnoise=0,prog=25,prog_lr=0.0001,out_gain=1,lr=0.06"
OLD_BEST = BEST_1_33 + ",quarter=0,coarse=0,beta2=0.999,lr=0.03,prog=0,prog_low=0"  # 1.15.0's


def test_parse_config_overrides_only_named_keys():
    schedule, kwargs = parse_config("k=28,bits=7,lr=0.05,qat=10")
    base = codec.PRESETS["default"]
    assert (schedule.iters, schedule.qat_iters, schedule.lr, schedule.qat_lr) == (base.iters, 10, 0.05, base.qat_lr)
    assert kwargs == {"k": 28.0, "bits": 7}
    schedule, kwargs = parse_config("seed=3,rows=0.5")
    assert kwargs == {"seed": 3} and schedule.row_fraction == 0.5
    _, kwargs = parse_config("bpp=0.25,seed=2,tries=3")
    assert kwargs == {"bpp": 0.25, "seed": 2, "tries": 3}
    _, kwargs = parse_config("bpp=0.25,depth=5")
    assert kwargs == {"bpp": 0.25, "depth": 5}
    schedule, _ = parse_config("jitter=0.005")
    assert schedule.input_jitter == 0.005 and schedule.coarse_fraction == codec.PRESETS["default"].coarse_fraction
    schedule, _ = parse_config("l1=0.001")
    assert schedule.weight_l1 == 0.001 and schedule.input_jitter == 0.0 and schedule.qat_weight_l1 is None
    schedule, _ = parse_config("l1=0.0006,l1_ref=28,l1_floor=0.25")
    assert (schedule.weight_l1, schedule.l1_ref_db, schedule.l1_floor) == (0.0006, 28.0, 0.25)
    assert codec.PRESETS["default"].l1_ref_db is None
    schedule, _ = parse_config("l1_tries=0.0006:0.0012")
    assert schedule.weight_l1_tries == (0.0006, 0.0012)
    schedule, _ = parse_config("l1_end=0.0006")
    assert schedule.weight_l1_end == 0.0006 and codec.PRESETS["default"].weight_l1_end is None
    schedule, _ = parse_config("qat_l1=0")
    assert schedule.qat_weight_l1 == 0.0 and schedule.weight_l1 == codec.PRESETS["default"].weight_l1
    schedule, _ = parse_config("fixed_scale=0")
    assert schedule.fixed_scale is False and codec.PRESETS["default"].fixed_scale is True
    schedule, _ = parse_config("bf16=0")
    assert schedule.bf16 is False and codec.PRESETS["default"].bf16 is True
    schedule, _ = parse_config("qat_bf16=1")
    assert schedule.qat_bf16 is True and schedule.bf16 is True and codec.PRESETS["default"].qat_bf16 is False
    schedule, _ = parse_config("gptq=1")
    assert schedule.hessian_round is True and schedule.progressive_steps == codec.PRESETS["default"].progressive_steps
    schedule, _ = parse_config("prog=40,prog_lr=0.001")
    assert (schedule.progressive_steps, schedule.progressive_lr) == (40, 0.001)
    schedule, _ = parse_config("prog_low=60,prog_low_lr=0.002")
    assert schedule.progressive_for(6) == (60, 0.002)
    assert schedule.progressive_for(7) == (codec.PRESETS["default"].progressive_steps, codec.PRESETS["default"].progressive_lr)
    schedule, _ = parse_config("coarse=0.75,quarter=0")
    assert schedule.coarse_fraction == 0.75 and schedule.quarter_fraction == 0 and schedule.row_fraction == 1.0
    schedule, _ = parse_config("quarter=0,coarse=0.5")  # 1.10.0's main fit
    assert (schedule.quarter_fraction, schedule.coarse_fraction) == (0, 0.5)
    with pytest.raises(ValueError, match="quarter_fraction"):
        parse_config("coarse=0.75")  # with the default's quarter at quarter size, no full-size steps are left
    schedule, _ = parse_config("beta2=0.999")  # 1.12.0's main fit
    assert schedule.beta2 == 0.999 and codec.PRESETS["default"].beta2 == codec.PRESETS["fast"].beta2 == 0.99
    assert codec.PRESETS["fast"].lr == 0.08  # 1.15.0
    assert codec.PRESETS["default"].lr == schedule.lr == 0.08  # 1.31.0 (0.06 from 1.15.0)
    # 1.34.0: best is the default at its penalty and at twice it, the arms sessions 56 and 58 measured
    assert parse_config("l1_tries=0.0006")[0] == codec.PRESETS["best"]
    assert codec.PRESETS["best"].weight_l1_tries == (2 * codec.PRESETS["default"].weight_l1,)
    # 1.30.0: the default's output conv at an eighth of the learning rate, the config session 55 measured; 1.31.0 keeps
    # that conv's rate (0.06 x 0.125) under the others' 0.08, as session 56 measured
    assert codec.PRESETS["default"].out_gain * codec.PRESETS["default"].lr == 0.06 * 0.125
    # 1.32.0: the fast preset's output conv at the default's 0.0075 too, the config session 57 measured
    assert codec.PRESETS["fast"].out_gain == codec.PRESETS["default"].out_gain == 0.09375
    assert codec.PRESETS["fast"].lr == codec.PRESETS["default"].lr
    # 1.18.0: the default rounds at every precision with 50 steps per layer at 3e-4, as session 37 measured
    assert parse_config("prog=50,prog_lr=0.0003")[0] == codec.PRESETS["default"]
    assert all(codec.PRESETS["default"].progressive_for(bits) == (50, 3e-4) for bits in (5, 6, 7, 8))
    # 1.17.0: the default's main fit ends with 8% of its steps through rounding noise, as session 36 measured
    assert codec.PRESETS["default"].quant_noise == 0.08 and codec.PRESETS["fast"].quant_noise == 0
    # and 1.15.0's plain best, as the GPU checklist in RESULTS.md spells it: no rounding steps at any precision
    # (where the old preset left the low-bits fields unset)
    old_best, _ = parse_config(OLD_BEST)
    assert all(old_best.progressive_for(bits)[0] == 0 for bits in (5, 6, 7, 8))
    assert dataclasses.replace(old_best, low_bits_progressive_steps=None, low_bits_progressive_lr=None) == FitSchedule(
        iters=6000, qat_iters=1200, weight_l1=WEIGHT_L1, fixed_scale=True, bf16=True)
    with pytest.raises(ValueError, match="unknown key 'speed'"):
        parse_config("speed=3")


def test_parse_config_starts_from_the_named_preset():
    schedule, _ = parse_config("preset=fast,quarter=0,coarse=0.5")  # 1.11.0's fast main fit
    assert schedule == dataclasses.replace(codec.PRESETS["fast"], quarter_fraction=0, coarse_fraction=0.5)
    assert schedule.iters == codec.PRESETS["fast"].iters != codec.PRESETS["default"].iters
    assert parse_config("preset=best")[0] == codec.PRESETS["best"]
    with pytest.raises(ValueError, match="unknown preset 'quick'"):
        parse_config("preset=quick")


def test_run_reports_each_image_and_config(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(smooth_image(20, 24)).save(path)
    before = dict(codec.PRESETS)
    rows = run([path], ["k=4,iters=5,qat=2", "k=4,bits=5,iters=5,qat=2,depth=4"], None, "cpu")
    assert [(r["image"], r["bits"], r["depth"]) for r in rows] == [("a.png", 7, 6), ("a.png", 5, 4)]
    assert codec.PRESETS == before
    assert all(r["psnr"] > 5 for r in rows)


def test_summarize_pools_saved_outputs_per_config(tmp_path, capsys):
    lines = [
        "# a command line",
        " kodim01.png  bpp=0.125                            w=15  bits=7 bpp=0.1213 float=21.43 psnr=21.32 171s",
        " kodim01.png  bpp=0.125,bits=6                     w=17  bits=6 bpp=0.1292 float=21.65 psnr=21.33 109s",
        " kodim15.png  bpp=0.125                            w=15  bits=7 bpp=0.1206 float=23.78 psnr=23.64 157s",
    ]
    rows = summarize(lines)
    assert [(r["config"], r["images"]) for r in rows] == [("bpp=0.125", 2), ("bpp=0.125,bits=6", 1)]
    assert rows[0]["psnr"] == pytest.approx((21.32 + 23.64) / 2) and rows[0]["seconds"] == pytest.approx(164)
    assert rows[0]["bpp"] == pytest.approx((0.1213 + 0.1206) / 2) and rows[1]["float_psnr"] == pytest.approx(21.65)
    saved = tmp_path / "out.txt"
    saved.write_text("\n".join(lines) + "\n")
    main([str(saved), "--summarize"])
    assert capsys.readouterr().out.splitlines()[0].split() == [
        "bpp=0.125", "images=2", "bpp=0.1210", "float=22.61", "psnr=22.48", "164s"]


def test_a_trimmed_files_levels_are_read_back():
    """Where rate control rounded to fewer codes, the line says so after the bits (bits=7/58)."""
    (trimmed, plain) = read_results([
        " kodim05.png  bpp=0.25                             w=45  bits=7/58 bpp=0.2540 float=22.10 psnr=22.03 520s",
        " kodim03.png  bpp=0.25                             w=45  bits=7 bpp=0.2437 float=32.67 psnr=32.62 516s"])
    assert (trimmed["bits"], trimmed["levels"], trimmed["bpp"]) == (7, 58, 0.254)
    assert (plain["bits"], plain["levels"], plain["psnr"]) == (7, 63, 32.62)


def test_the_printed_line_is_what_summarize_reads(tmp_path, capsys):
    path = tmp_path / "a.png"
    Image.fromarray(smooth_image(20, 24)).save(path)
    rows = run([path], ["k=4,iters=5,qat=2"], None, "cpu")
    (pooled,) = summarize(capsys.readouterr().out.splitlines())
    assert pooled["config"] == "k=4,iters=5,qat=2" and pooled["images"] == 1
    assert pooled["psnr"] == pytest.approx(rows[0]["psnr"], abs=0.005)


def test_keep_writes_each_encode_as_a_file_that_decodes_to_the_reported_psnr(tmp_path, capsys):
    import numpy as np
    import ddcodec
    from ddcodec.ablation import kept_name
    from ddcodec.fit import psnr_from_mse

    assert kept_name(tmp_path / "kodim01.png", "bpp=0.125,fixed_scale=0") == "kodim01_bpp0.125_fixedscale0.ddc"
    pixels = smooth_image(20, 24)
    path = tmp_path / "a.png"
    Image.fromarray(pixels).save(path)
    main([str(path), "--size", "full", "--config", "k=4,iters=5,qat=2", "--config", "k=6,iters=5,qat=2",
          "--keep", str(tmp_path / "kept"), "--device", "cpu"])
    (first, second) = summarize(capsys.readouterr().out.splitlines())
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == ["a_k4_iters5_qat2.ddc", "a_k6_iters5_qat2.ddc"]
    data = (tmp_path / "kept" / "a_k4_iters5_qat2.ddc").read_bytes()
    decoded = np.asarray(ddcodec.decode(data, device="cpu"), dtype=np.float64) / 255
    assert psnr_from_mse(float(np.mean((decoded - pixels / 255) ** 2))) == pytest.approx(first["psnr"], abs=0.01)
    assert len(data) * 8 / (20 * 24) == pytest.approx(first["bpp"], abs=1e-4)


def test_size_is_turned_to_each_images_orientation(tmp_path, capsys):
    """--size 24x16 gives a portrait image 16x24, as the RD tool's --scale does, not a squashed 24x16 (before 1.16.0)."""
    import ddcodec
    from ddcodec.ablation import oriented

    assert oriented((384, 256), (512, 768)) == (256, 384) and oriented((384, 256), (768, 512)) == (384, 256)
    assert oriented((256, 384), (768, 512)) == (384, 256) and oriented((384, 256), (500, 500)) == (384, 256)
    for name, (h, w) in (("tall.png", (36, 24)), ("wide.png", (24, 36))):
        Image.fromarray(smooth_image(h, w)).save(tmp_path / name)
    main([str(tmp_path / "tall.png"), str(tmp_path / "wide.png"), "--size", "24x16", "--config", "k=4,iters=3,qat=1",
          "--keep", str(tmp_path / "kept"), "--device", "cpu"])
    capsys.readouterr()
    sizes = {p.name: ddcodec.decode(p.read_bytes(), device="cpu").size for p in (tmp_path / "kept").iterdir()}
    assert sizes == {"tall_k4_iters3_qat1.ddc": (16, 24), "wide_k4_iters3_qat1.ddc": (24, 16)}
