"""Fitting through quantisation noise (FitSchedule.quant_noise, quant.noise_quant): the noise's size, its gradient,
and a main fit that ends on its noisy steps' last iterate."""
from __future__ import annotations

import pytest
import torch

from ddcodec.codec import FitSchedule, _to_tensor
from ddcodec.fit import _main_fit, per_image_mse
from ddcodec.model import DeepDecoder, unit_rows
from ddcodec.quant import _steps_of, noise_quant, qmax

from conftest import smooth_image


@pytest.mark.parametrize("bits", [6, 8])
def test_noise_is_within_half_a_rounding_step_and_passes_the_gradient_through(bits):
    gen = torch.Generator().manual_seed(0)
    conv = torch.randn(12, 12, generator=gen, requires_grad=True)
    out = torch.randn(3, 12, generator=gen, requires_grad=True)
    noisy_conv = noise_quant("conv0", conv, bits, gen)
    noisy_out = noise_quant("out", out, bits, gen)
    conv_error = (noisy_conv - unit_rows(conv)).detach()
    out_error = (noisy_out - out).detach()
    assert conv_error.abs().max() <= 0.5 / qmax(bits) + 1e-7
    assert (out_error.abs() <= 0.5 * _steps_of("out", out, bits) + 1e-7).all()
    # spread over the whole step, not a constant offset or nothing
    assert conv_error.abs().max() > 0.4 / qmax(bits) and conv_error.std() > 0.2 / qmax(bits)
    (noisy_conv.sum() + noisy_out.sum()).backward()
    plain = conv.detach().clone().requires_grad_()
    unit_rows(plain).sum().backward()
    torch.testing.assert_close(conv.grad, plain.grad)
    torch.testing.assert_close(out.grad, torch.ones_like(out))


def test_a_fit_with_noise_is_deterministic_and_returns_its_last_clean_loss():
    target = _to_tensor(smooth_image(40, 48, 3, seed=3), torch.device("cpu"))

    def fitted(noise: float) -> tuple[DeepDecoder, float]:
        net = DeepDecoder(40, 48, 3, 10, 5, seed=0, depthwise=0b11111)
        mse = _main_fit(net, target, FitSchedule(iters=120, qat_iters=0, quant_noise=noise), bits=6)
        return net, float(mse[0])

    (a, mse_a), (b, _), (plain, _) = fitted(0.25), fitted(0.25), fitted(0.0)
    for name, w in a.weights.items():
        torch.testing.assert_close(w, b.weights[name], rtol=0, atol=0)
    assert any(not torch.equal(w, plain.weights[name]) for name, w in a.weights.items())
    with torch.no_grad():
        assert mse_a == pytest.approx(float(per_image_mse(a, target, None)[0]), rel=1e-6)


def test_the_noisy_steps_last_iterate_is_kept_even_where_an_earlier_one_was_better(monkeypatch):
    """Noise 30 steps wide wrecks the fit's last steps, yet the fit must end on them, not restore the best clean
    iterate from before them (the final restore's mask is all false)."""
    import ddcodec.fit as fit_module

    masks = []

    def recording(dst, src, mask, batched):
        masks.append(mask.clone())
        return copy_where(dst, src, mask, batched)

    copy_where = fit_module._copy_where
    monkeypatch.setattr(fit_module, "_copy_where", recording)
    target = _to_tensor(smooth_image(24, 32, 3, seed=5), torch.device("cpu"))
    net = DeepDecoder(24, 32, 3, 8, 4, seed=0)
    clean = _main_fit(net, target, FitSchedule(iters=60, qat_iters=0, lr=0.05), bits=6)
    net = DeepDecoder(24, 32, 3, 8, 4, seed=0)
    noisy = _main_fit(net, target, FitSchedule(iters=60, qat_iters=0, lr=0.05, quant_noise=0.5, quant_noise_scale=30),
                      bits=6)
    assert float(noisy[0]) > float(clean[0])  # the noisy steps left it worse than the best clean iterate
    assert not masks[-1].any()


def test_the_scale_sets_the_noise_width():
    w = torch.randn(8, 8, generator=torch.Generator().manual_seed(1))
    full = noise_quant("conv1", w, 7, torch.Generator().manual_seed(2)) - unit_rows(w)
    half = noise_quant("conv1", w, 7, torch.Generator().manual_seed(2), scale=0.5) - unit_rows(w)
    torch.testing.assert_close(half, full * 0.5)


def test_the_fraction_and_scale_are_checked():
    with pytest.raises(ValueError, match="quant_noise must"):
        FitSchedule(iters=10, qat_iters=1, quant_noise=1.0)
    with pytest.raises(ValueError, match="quant_noise_scale"):
        FitSchedule(iters=10, qat_iters=1, quant_noise=0.1, quant_noise_scale=0)


def test_rounding_noise_and_input_jitter_draw_from_generators_of_their_own(monkeypatch):
    """With both on, the input jitter's draws must not move the rounding noise's: its generator's state at every noisy
    draw is the same with and without jitter."""
    import ddcodec.fit as fit_module

    target = _to_tensor(smooth_image(24, 32, 3, seed=4), torch.device("cpu"))
    states: dict[float, list[torch.Tensor]] = {}
    for jitter in (0.0, 0.01):
        seen = states.setdefault(jitter, [])

        def recording(name, w, bits, generator, scale=1.0, seen=seen):
            seen.append(generator.get_state())
            return noise_quant(name, w, bits, generator, scale)

        monkeypatch.setattr(fit_module, "noise_quant", recording)
        net = DeepDecoder(24, 32, 3, 8, 4, seed=0)
        _main_fit(net, target, FitSchedule(iters=40, qat_iters=0, quant_noise=0.5, input_jitter=jitter), bits=6)
    assert len(states[0.0]) == len(states[0.01]) == 20 * len(net.weights)
    assert all(torch.equal(a, b) for a, b in zip(states[0.0], states[0.01]))
