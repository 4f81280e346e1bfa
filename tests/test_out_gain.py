"""FitSchedule.out_gain: the output conv fitted as if its weights were that factor times what Adam moves, its initial
weights and its learning rate scaled by it, the other weights' fit unchanged."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ddcodec.ablation import parse_config
from ddcodec.codec import FitSchedule, _to_tensor
from ddcodec.fit import _run_phase
from ddcodec.model import DeepDecoder, initial_weights

from conftest import smooth_image


def test_only_the_output_conv_starts_scaled():
    plain = initial_weights(3, 12, 4, 3, depthwise=0b1111)
    scaled = initial_weights(3, 12, 4, 3, depthwise=0b1111, out_gain=0.5)
    assert plain.keys() == scaled.keys()
    for name in plain:
        if name == "out":
            np.testing.assert_allclose(scaled[name], 0.5 * plain[name], rtol=1e-6)
            assert np.abs(plain[name]).max() > 0.1
        else:
            np.testing.assert_array_equal(scaled[name], plain[name])


def _network_and_target(out_gain: float = 1.0) -> tuple[DeepDecoder, torch.Tensor]:
    """A small network with kernels, its output conv's init scaled by ``out_gain``, and an image to fit."""
    model = DeepDecoder(40, 48, 3, 12, 4, seed=1, depthwise=0b1111, out_gain=out_gain)
    return model, _to_tensor(smooth_image(40, 48, 3, seed=2), torch.device("cpu"))


def _one_step(out_gain: float) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """A network's weights before and after one Adam step at lr 1e-4 with ``out_gain``, from the same start."""
    model, target = _network_and_target()
    before = {n: w.detach().clone() for n, w in model.weights.items()}
    _run_phase(model, target, 1, 1e-4, lambda step: 1.0, None, None, 0, 1, out_gain=out_gain)
    return before, {n: w.detach().clone() for n, w in model.weights.items()}


def test_the_output_conv_steps_out_gain_times_as_far_and_nothing_else_changes():
    start, plain = _one_step(1.0)
    _, tripled = _one_step(3.0)
    moved = plain["out"] - start["out"]
    assert moved.abs().min() > 5e-5  # Adam's first step: lr times the gradient's sign, for every weight
    torch.testing.assert_close(tripled["out"] - start["out"], 3 * moved, rtol=1e-3, atol=1e-9)
    for name in start:
        if name != "out":
            torch.testing.assert_close(tripled[name], plain[name], rtol=0, atol=0)


def _recorded_fit(monkeypatch, out_gain: float, steps: int = 40) -> tuple[list[float], torch.Tensor]:
    """Each step's loss of a fit at lr 0.06 with ``out_gain``, and its output conv's weights after it."""
    import ddcodec.fit as fit_module

    losses, plain = [], fit_module.per_image_mse
    monkeypatch.setattr(fit_module, "per_image_mse", lambda *a, **k: losses.append(plain(*a, **k)) or losses[-1])
    model, target = _network_and_target(out_gain)
    _run_phase(model, target, steps, 0.06, lambda step: 1.0, None, None, 0, steps, out_gain=out_gain)
    return [float(x.detach()) for x in losses], model.weights["out"].detach().clone()


def test_a_power_of_two_gain_fits_exactly_as_a_sigmoid_of_the_scaled_output_would(monkeypatch):
    """What the screens measured (RESULTS.md, "The output conv's learning rate"): sigmoid(0.25 * conv) in the
    model with every rate 1. out_gain 0.25 must be that same fit, step for step, its weights a quarter of it."""
    gained, out = _recorded_fit(monkeypatch, 0.25)
    sigmoid = torch.sigmoid
    monkeypatch.setattr(torch, "sigmoid", lambda t: sigmoid(0.25 * t))
    scaled, out_scaled = _recorded_fit(monkeypatch, 1.0)
    assert gained[-1] < 0.5 * gained[0]  # it fitted
    assert gained == scaled
    torch.testing.assert_close(out, 0.25 * out_scaled, rtol=0, atol=0)


def test_out_gain_is_checked_and_reaches_the_schedule_from_an_ablation_config():
    with pytest.raises(ValueError, match="out_gain must be a positive number"):
        FitSchedule(iters=10, qat_iters=0, out_gain=0)
    schedule, _ = parse_config("bpp=0.25,out_gain=0.25")
    assert schedule.out_gain == 0.25
