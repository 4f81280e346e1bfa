"""Batched fitting (several images in one grouped network) computes what separate fits compute."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import ddcodec
from ddcodec.imageio import psnr
from ddcodec.fit import penalty_strength, weight_magnitude, weight_magnitudes
from ddcodec.model import BatchedDeepDecoder, DeepDecoder, coarse_size
from conftest import smooth_image

SHORT = 24  # fits are chaotic: float rounding alone (even the thread count) moves a tiny fit by
# 0.5 dB over hundreds of steps, and batched and separate fits of these images were seen to part
# by 0.1 dB after 40 to 60 steps, so equality is checked over a short horizon


def _perturbed(n: int) -> list[DeepDecoder]:
    gen = torch.Generator().manual_seed(0)
    models = [DeepDecoder(20, 24, 3, 6, 5, seed=3) for _ in range(n)]
    with torch.no_grad():
        for m in models:
            for p in m.parameters():
                p.add_(torch.randn(p.shape, generator=gen) * 0.3)
    return models


def test_batched_network_equals_separate_networks_with_their_gradients():
    models = _perturbed(3)
    batched = BatchedDeepDecoder(models)
    target = torch.rand(3, 3, 20, 24, generator=torch.Generator().manual_seed(1))
    out = batched()
    assert out.shape == (3, 3, 20, 24)
    torch.testing.assert_close(out, torch.cat([m() for m in models]), rtol=0, atol=1e-5)
    F.mse_loss(out, target, reduction="none").mean(dim=(1, 2, 3)).sum().backward()
    for i, m in enumerate(models):
        F.mse_loss(m(), target[i:i + 1]).backward()
        for name, p in m.weights.items():
            torch.testing.assert_close(batched.weights[name].grad[i], p.grad, rtol=1e-4, atol=1e-6)
        for name, w in batched.image_weights(i).items():
            assert torch.equal(w, m.weights[name].detach())


@pytest.mark.parametrize("levels, size", [(1, (10, 12)), (2, (5, 6))])
def test_batched_coarse_render_equals_separate_coarse_renders(levels, size):
    models = _perturbed(2)
    assert coarse_size(models[0].sizes, levels) == size
    with torch.no_grad():
        out = BatchedDeepDecoder(models)(coarse=levels)
        assert out.shape == (2, 3, *size)
        torch.testing.assert_close(out, torch.cat([m(coarse=levels) for m in models]), rtol=0, atol=1e-5)


def test_weight_penalty_of_a_batch_is_the_sum_of_its_networks_with_their_gradients():
    models = _perturbed(2)
    batched = BatchedDeepDecoder(models)
    weight_magnitude(batched).backward()
    singles = [weight_magnitude(m) for m in models]
    for m, value in zip(models, singles):
        value.backward()
        # by hand: each hidden conv's rows divided by their max-abs, then the mean magnitude
        by_hand = sum((p / p.abs().amax(dim=1, keepdim=True)).abs().mean() for n, p in m.weights.items()
                      if n.startswith("conv"))
        torch.testing.assert_close(value, by_hand)
    torch.testing.assert_close(weight_magnitude(batched), sum(singles))
    for i, m in enumerate(models):
        for name, p in m.weights.items():
            if name.startswith("conv"):
                torch.testing.assert_close(batched.weights[name].grad[i], p.grad)
            else:  # only the hidden convs are penalised
                assert batched.weights[name].grad is None and p.grad is None


def test_batched_networks_must_share_a_shape():
    with pytest.raises(ValueError, match="same shape"):
        BatchedDeepDecoder([DeepDecoder(20, 24, 3, 6, 5, 0), DeepDecoder(20, 24, 3, 7, 5, 0)])


def test_encode_batch_matches_separate_encodes_in_input_order():
    images = [smooth_image(30, 36, 3, seed=1), smooth_image(22, 28, 3, seed=5), smooth_image(30, 36, 3, seed=2)]
    batched = ddcodec.encode_batch(images, k=8, iters=SHORT, device="cpu", seed=4, batch_size=2)
    assert [r.batch for _, r in batched] == [2, 1, 2]  # the two 36x30 images were fitted together
    for image, (data, result) in zip(images, batched):
        alone_data, alone = ddcodec.encode(image, k=8, iters=SHORT, device="cpu", seed=4)
        assert (result.image_height, result.image_width) == image.shape[:2]
        assert abs(result.psnr - alone.psnr) < 0.02
        assert abs(result.float_psnr - alone.float_psnr) < 0.02
        decoded = ddcodec.decode_pixels(data, device="cpu")
        assert abs(psnr(decoded, image) - result.psnr) < 0.01  # the file holds this image's network
    other = ddcodec.decode_pixels(batched[2][0], device="cpu")
    # 2 dB: in 24 steps, with the output conv at an eighth of the learning rate (the default's out_gain since 1.30.0),
    # the file came to 18.4 dB of its own image against 15.6 of the other in 1.30.0 (3 dB and more before)
    assert psnr(other, images[2]) > psnr(other, images[0]) + 2


def test_encode_batch_rejects_a_bad_batch_size():
    with pytest.raises(ddcodec.DdcInputError, match="batch size"):
        ddcodec.encode_batch([np.zeros((8, 8, 3), np.uint8)], batch_size=0)


def test_a_penalty_of_its_own_strength_per_network_weighs_each_networks_magnitude():
    models = _perturbed(2)
    batched = BatchedDeepDecoder(models)
    per_network = weight_magnitudes(batched)
    assert per_network.shape == (2,)
    torch.testing.assert_close(per_network, torch.stack([weight_magnitude(m) for m in models]))
    torch.testing.assert_close(weight_magnitudes(models[0]), weight_magnitude(models[0]))
    strengths = torch.tensor([0.5, 2.0])
    (strengths * per_network).sum().backward()
    for m, strength in zip(models, strengths):
        (strength * weight_magnitude(m)).backward()
        torch.testing.assert_close(batched.weights["conv1"].grad[models.index(m)], m.weights["conv1"].grad)


def test_the_penalty_follows_each_networks_mse_within_its_floor():
    mse = torch.tensor([4e-3, 1e-3, 7.5e-4, 1e-4], dtype=torch.float64)
    strength = penalty_strength(mse, 6e-4, 1e-3, 0.5)
    assert strength.dtype == torch.float32
    torch.testing.assert_close(strength, torch.tensor([6e-4, 6e-4, 4.5e-4, 3e-4]))


def test_encode_batch_tries_the_schedules_penalties_per_image():
    images = [smooth_image(30, 36, 3, seed=1), smooth_image(30, 36, 3, seed=2)]
    schedule = dataclasses.replace(ddcodec.codec.PRESETS["default"], iters=SHORT, weight_l1=0.0003,
                                   weight_l1_tries=(0.05,))
    batched = ddcodec.encode_batch(images, k=8, preset=schedule, device="cpu", seed=4, batch_size=2)
    for image, (data, result) in zip(images, batched):
        candidates = [ddcodec.encode_batch([image], k=8, preset=dataclasses.replace(schedule, weight_l1=l1,
                                                                                    weight_l1_tries=()),
                                           device="cpu", seed=4)[0][1] for l1 in (0.0003, 0.05)]
        assert result.penalties == 2 and result.weight_l1 == max(candidates, key=lambda r: r.psnr).weight_l1
        assert abs(result.psnr - max(r.psnr for r in candidates)) < 0.02  # fitted together, as the batch is
