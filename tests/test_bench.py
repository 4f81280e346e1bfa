"""The benchmark's synthetic file is a real .ddc of the asked size (its figures are measured, not tested)."""
from __future__ import annotations

import dataclasses

import pytest

import ddcodec
from ddcodec import bench
from ddcodec.codec import choose_net_width


def test_synthetic_file_is_a_decodable_file_of_that_size():
    data = bench.synthetic_file(40, 24, k=4)
    header = ddcodec.read_header(data)
    assert (header.width, header.height, header.channels) == (40, 24, 3)
    assert header.net_width == choose_net_width(24, 40, 3, 4)
    assert ddcodec.decode_pixels(data, device="cpu").shape == (24, 40, 3)


def test_synthetic_file_has_the_kernels_encode_would_give_it():
    wide = ddcodec.read_header(bench.synthetic_file(96, 64, k=4))  # width 20: auto gives kernels
    assert wide.depthwise == 0b111111 and wide.net_width >= ddcodec.codec.DEPTHWISE_MIN_WIDTH
    plain = ddcodec.read_header(bench.synthetic_file(96, 64, k=4, depthwise="off"))
    assert plain.depthwise == 0 and plain.net_width == choose_net_width(64, 96, 3, 4)


def test_decode_only_reports_the_file_it_decoded():
    result = bench.run_decode_only("cpu", 40, 24, 4.0, repeats=2)
    assert result["size"] == "40x24" and result["file_bytes"] == len(bench.synthetic_file(40, 24, 4))
    assert result["net_width"] == choose_net_width(24, 40, 3, 4)
    assert result["decode_ms"] > 0 and result["decode_first_ms"] > 0 and result["peak_rss_mb"] > 0


def test_preset_time_counts_half_size_steps_at_their_own_rate():
    schedule = ddcodec.codec.FitSchedule(iters=100, qat_iters=20, coarse_fraction=0.5)
    full, half = bench.StepSeconds(1.0), bench.StepSeconds(0.25)
    # 50 full-size steps + 20 fine-tuning steps at 1 s, 50 half-size steps at 0.25 s
    assert bench._fit_seconds(schedule, full, half) == 70 + 12.5
    assert bench._fit_seconds(ddcodec.codec.FitSchedule(iters=100, qat_iters=20), full, half) == 120
    # progressive rounding: 10 steps after each of the 6 hidden layers, counted as full-size steps
    progressive = dataclasses.replace(schedule, progressive_steps=10)
    assert bench._fit_seconds(progressive, full, half) == 70 + 12.5 + 6 * 10
    tried = dataclasses.replace(progressive, weight_l1_tries=(0.0006, 0.0012))
    assert bench._fit_seconds(tried, full, half) == 3 * (70 + 12.5 + 6 * 10)  # one whole fit per strength
    # 20 of the main fit's steps at quarter size first, at their own rate; they need it timed
    quarter = dataclasses.replace(schedule, quarter_fraction=0.2, coarse_fraction=0.3)
    assert bench._fit_seconds(quarter, full, half, bench.StepSeconds(0.125)) == 70 + 7.5 + 2.5
    with pytest.raises(ValueError, match="quarter-size"):
        bench._fit_seconds(quarter, full, half)


def test_preset_time_takes_bf16_steps_only_in_the_phases_that_fit_in_bf16():
    full, half = bench.StepSeconds(1.0, 0.5), bench.StepSeconds(0.25)  # half-size steps stay float32
    main_only = ddcodec.codec.FitSchedule(iters=100, qat_iters=20, coarse_fraction=0.5, bf16=True)
    assert bench._fit_seconds(main_only, full, half) == 50 * 0.5 + 20 + 50 * 0.25
    both = dataclasses.replace(main_only, qat_bf16=True)
    assert bench._fit_seconds(both, full, half) == 70 * 0.5 + 50 * 0.25
    assert bench._fit_seconds(dataclasses.replace(both, bf16=False, qat_bf16=False), full, half) == 70 + 12.5
    assert bench.StepSeconds(1.0).taken(True) == 1.0  # not timed in bfloat16: the fit stays float32


def test_pad_limit_option_reaches_the_decoder(tmp_path, monkeypatch):
    import json

    from ddcodec import render
    monkeypatch.setattr(render, "PAD_LIMIT", render.PAD_LIMIT)  # restored after the test
    out = tmp_path / "r.json"
    bench.main(["--decode-only", "--device", "cpu", "--size", "40x24", "-k", "4", "--repeats", "1",
                "--pad-limit", "0.5", "--json", str(out)])
    result = json.loads(out.read_text())
    assert result["decode_pad_limit"] == 0.5 and render.PAD_LIMIT == 0.5
    assert result["decode_ms"] == result["decode_first_ms"]  # one decode: timed once, no warm-up


def test_jobs_option_times_worker_processes_and_shares_the_threads(tmp_path, monkeypatch):
    import json

    import torch

    from ddcodec.parallel import default_threads
    monkeypatch.setattr(torch, "get_num_threads", lambda: 5)
    assert [default_threads(j) for j in (1, 2, 3, 8)] == [5, 2, 1, 1]
    monkeypatch.undo()
    # --encodes runs every preset: tiny ones here
    monkeypatch.setattr(ddcodec.codec, "PRESETS", {"default": ddcodec.codec.FitSchedule(iters=30, qat_iters=6),
                                                   "tiny2": ddcodec.codec.FitSchedule(iters=60, qat_iters=6)})
    out = tmp_path / "r.json"
    bench.main(["--device", "cpu", "--size", "40x24", "-k", "4", "--iters", "2", "--repeats", "1",
                "--batch", "1", "--jobs", "2", "--no-pillow", "--encodes", "--json", str(out)])
    result = json.loads(out.read_text())
    assert result["jobs2_images_per_s_default"] > 0 and result["single_images_per_s_default"] > 0
    assert "batch1_images_per_s_default" not in result
    from pathlib import Path
    assert result["photo"] == (bench.PHOTO if Path(bench.PHOTO).exists() else "synthetic")
    assert not any(key.startswith("pillow_") for key in result)  # --no-pillow
    assert {k[len("encoded_s_"):] for k in result if k.startswith("encoded_s_")} == {"default", "tiny2"}
    assert all(result[f"encoded_psnr_{p}"] > 10 for p in ("default", "tiny2"))  # --encodes


def test_step_anatomy_times_every_variant_and_graphs_only_on_cuda():
    import torch

    from ddcodec import stepbench
    rows = dict(stepbench.run(torch.device("cpu"), 24, 40, [6], steps=2, batch=2))
    assert set(rows) == {f"w6 {size} {variant}" for size in ("full", "half")
                         for variant in ("eager", "eager, loss read every step", "eager, fused Adam")} | {
        "w6 full eager, 2 batched"}
    assert all(ms > 0 for ms in rows.values())


def test_implied_preset_times_use_bf16_steps_where_the_fits_take_them(tmp_path, monkeypatch):
    import json


    from ddcodec import fit

    def bench_json(name: str) -> dict:
        out = tmp_path / name
        bench.main(["--device", "cpu", "--size", "40x24", "-k", "4", "--iters", "2", "--repeats", "1",
                    "--batch", "1", "--no-pillow", "--json", str(out)])
        return json.loads(out.read_text())

    monkeypatch.setattr(bench, "bf16_supported", lambda: False)  # an AVX2 CPU: every step float32
    plain = bench_json("plain.json")
    assert not any("bf16" in key for key in plain)
    full, half = bench.StepSeconds(1 / plain["fit_iters_per_s"]), bench.StepSeconds(1 / plain["fit_coarse_iters_per_s"])
    quarter = bench.StepSeconds(1 / plain["fit_quarter_iters_per_s"])
    assert plain["encode_s_default"] == pytest.approx(bench._fit_seconds(ddcodec.PRESETS["default"], full, half, quarter))
    monkeypatch.undo()
    if not fit.bf16_supported():
        pytest.skip("this CPU has no native bfloat16: the bench times no bfloat16 steps")
    assert "fit_bf16_iters_per_s" not in bench_json("small.json")  # 40x24 layers are far under BF16_MIN_BYTES
    monkeypatch.setattr(fit, "BF16_MIN_BYTES", 0)
    timed = bench_json("bf16.json")
    full = bench.StepSeconds(1 / timed["fit_iters_per_s"], 1 / timed["fit_bf16_iters_per_s"])
    half = bench.StepSeconds(1 / timed["fit_coarse_iters_per_s"], 1 / timed["fit_bf16_coarse_iters_per_s"])
    quarter = bench.StepSeconds(1 / timed["fit_quarter_iters_per_s"], 1 / timed["fit_bf16_quarter_iters_per_s"])
    for preset, schedule in ddcodec.PRESETS.items():
        assert timed[f"encode_s_{preset}"] == pytest.approx(bench._fit_seconds(schedule, full, half, quarter))
    assert timed["encode_s_default"] != pytest.approx(bench._fit_seconds(ddcodec.PRESETS["default"],
                                                                         bench.StepSeconds(full.float32),
                                                                         bench.StepSeconds(half.float32),
                                                                         bench.StepSeconds(quarter.float32)))


def test_allocator_settings_fit_a_c_int():
    """mallopt takes C ints: a larger value would reach glibc truncated (1 << 34 arrived as 0, "trim at every free")."""
    import ctypes

    from ddcodec.fit import MALLOC_SETTINGS

    for param, value in MALLOC_SETTINGS.items():
        assert ctypes.c_int(param).value == param and ctypes.c_int(value).value == value > 0
