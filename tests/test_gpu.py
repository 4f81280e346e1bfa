"""GPU-only behaviour (skipped without CUDA; run on a GPU machine): the CUDA-graph fit and the
GPU decoder agree with the step-by-step fit and the CPU decoder."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

import ddcodec
from ddcodec.presets import PRESETS, FitSchedule
from conftest import TEST_ITERS

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_graphed_fit_replays_and_matches_the_step_by_step_fit(rgb_odd, monkeypatch):
    replays = []
    original = torch.cuda.CUDAGraph.replay
    monkeypatch.setattr(torch.cuda.CUDAGraph, "replay", lambda self: (replays.append(1), original(self))[1])
    schedule = FitSchedule(iters=200, qat_iters=40, coarse_fraction=0.5)
    monkeypatch.setenv("DDCODEC_CUDA_GRAPHS", "1")
    _, graphed = ddcodec.encode(rgb_odd, k=4, preset=schedule, device="cuda")
    # 100 coarse + 100 full + 40 fine-tuning steps, each run's first 3 eager
    assert len(replays) == 240 - 3 * 3
    monkeypatch.setenv("DDCODEC_CUDA_GRAPHS", "0")
    _, eager = ddcodec.encode(rgb_odd, k=4, preset=schedule, device="cuda")
    assert len(replays) == 231  # no replays with graphs off
    # GPU fits are not bit-reproducible (cuDNN's batch-norm backward): two graph-less default encodes
    # of one 768x512 image differed by 0.05 dB, and this short fit by 0.065 dB graphed against eager
    assert abs(graphed.psnr - eager.psnr) < 0.15 and graphed.psnr > 20


def test_gpu_decode_is_within_one_level_of_the_cpu_decode(rgb_encoded):
    gpu = ddcodec.decode_pixels(rgb_encoded[0], device="cuda").astype(int)
    cpu = ddcodec.decode_pixels(rgb_encoded[0], device="cpu").astype(int)
    assert np.abs(gpu - cpu).max() <= 1


def test_step_anatomy_captures_cuda_graphs():
    from ddcodec import stepbench
    rows = dict(stepbench.run(torch.device("cuda"), 24, 40, [6], steps=3, batch=2))
    assert {"w6 full CUDA graph", "w6 half CUDA graph", "w6 full CUDA graph, 2 batched"} <= set(rows)
    assert all(ms > 0 for ms in rows.values())


def test_graphed_rounding_stages_from_the_stored_prefix_match_recomputing_it(rgb_odd, monkeypatch):
    """Progressive rounding's stages (captured as graphs) read the rounded layers' output stored during their eager
    warm-up steps (model.FrozenPrefix); an encode that recomputes it every step ends within the GPU's noise."""
    from ddcodec import model as model_module
    replays = []
    original = torch.cuda.CUDAGraph.replay
    monkeypatch.setattr(torch.cuda.CUDAGraph, "replay", lambda self: (replays.append(1), original(self))[1])
    monkeypatch.setenv("DDCODEC_CUDA_GRAPHS", "1")
    schedule = FitSchedule(iters=100, qat_iters=0, progressive_steps=25, progressive_lr=3e-4)
    _, stored = ddcodec.encode(rgb_odd, k=4, preset=schedule, device="cuda", depth=6)
    assert len(replays) == (100 - 3) + 6 * (25 - 3)  # the main fit and the six stages replayed, the last step eager
    monkeypatch.setattr(model_module.FrozenPrefix, "hold", lambda self, layers: None)
    _, recomputed = ddcodec.encode(rgb_odd, k=4, preset=schedule, device="cuda", depth=6)
    assert abs(stored.psnr - recomputed.psnr) < 0.15 and stored.psnr > 20


def test_tries_on_a_gpu_finish_the_seed_picked_after_the_reduced_size_stages(rgb_odd, monkeypatch):
    """--tries on a GPU (since 1.23.0): every seed's quarter- and half-size stages run as CUDA graphs one seed after
    another, the fit paused between them (fit.fit_best_seed), then only the picked seed's fit goes on; its file
    decodes to the PSNR reported and reaches a real fit's quality."""
    replays = []
    original = torch.cuda.CUDAGraph.replay
    monkeypatch.setattr(torch.cuda.CUDAGraph, "replay", lambda self: (replays.append(1), original(self))[1])
    monkeypatch.setenv("DDCODEC_CUDA_GRAPHS", "1")
    schedule = FitSchedule(iters=200, qat_iters=40, quarter_fraction=0.25, coarse_fraction=0.25)
    data, result = ddcodec.encode(rgb_odd, k=4, preset=schedule, device="cuda", seed=3, tries=3)
    # three seeds' two 50-step stages, then the picked one's 100 full-size and 40 fine-tuning steps, 3 eager per run
    assert len(replays) == 3 * 2 * (50 - 3) + (100 - 3) + (40 - 3)
    assert result.tries == 3 and result.seed in (3, 4, 5) and ddcodec.read_header(data).seed == result.seed
    decoded = ddcodec.decode_pixels(data, device="cuda")
    assert ddcodec.codec.psnr(decoded, rgb_odd) == pytest.approx(result.psnr, abs=0.01) and result.psnr > 20


def test_gpu_decode_of_a_tapered_file_is_within_one_level_of_the_cpu_decode(rgb_odd):
    """Format version 3 (1.24.0; since 1.35.0 its widths in version 4's compact layout): a network whose layers narrow
    is decoded as the flat one of its first layer's width (model.flat_embedding), which the GPU's one-pass renderer and
    the CPU's bands both serve."""
    schedule = dataclasses.replace(PRESETS["default"], taper=50)
    data, result = ddcodec.encode(rgb_odd, k=6, preset=schedule, iters=TEST_ITERS, device="cpu")
    assert ddcodec.read_header(data).version == 4 and ddcodec.read_header(data).widths
    gpu = ddcodec.decode_pixels(data, device="cuda").astype(int)
    cpu = ddcodec.decode_pixels(data, device="cpu").astype(int)
    assert np.abs(gpu - cpu).max() <= 1
    assert ddcodec.codec.psnr(gpu.astype(np.uint8), rgb_odd) == pytest.approx(result.psnr, abs=0.05)
