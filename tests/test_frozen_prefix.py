"""model.FrozenPrefix: progressive rounding's stages start each step from the rounded layers' stored output, and
that must be the computation it replaces, bit for bit."""
from __future__ import annotations

import torch

from ddcodec import model as model_module
from ddcodec.codec import FitSchedule
from ddcodec.fit import _progressive_rounding
from ddcodec.model import BatchedDeepDecoder, DeepDecoder, run_layers
from ddcodec.quant import fake_quant

DEPTH = 5


def network(seed: int = 0) -> DeepDecoder:
    """A small network with kernels whose weights are far from their initial values, so every layer matters."""
    net = DeepDecoder(40, 48, 3, 12, DEPTH, seed=seed, depthwise=0b11111)
    gen = torch.Generator().manual_seed(seed + 10)
    with torch.no_grad():
        for p in net.weights.values():
            p.add_(torch.randn(p.shape, generator=gen) * 0.3)
    return net


def whole_pass(net: DeepDecoder, transform=None) -> torch.Tensor:
    w = {n: (transform(n, p) if transform else p) for n, p in net.weights.items()}
    return run_layers(net.z, w, net.sizes, net.upsample)


def count_prefix_passes(monkeypatch) -> list[int]:
    """Spy on the passes that start at the fixed input: the length of each, in layers."""
    calls = []
    real = model_module.hidden_layers

    def spy(z, w, sizes, upsample, groups, layers, *args, **kwargs):
        if layers.start == 0:
            calls.append(len(layers))
        return real(z, w, sizes, upsample, groups, layers, *args, **kwargs)
    monkeypatch.setattr(model_module, "hidden_layers", spy)
    return calls


def test_a_held_prefix_renders_exactly_what_the_whole_pass_renders():
    net = network()
    with torch.no_grad():
        expected = whole_pass(net)
        for layers in range(1, DEPTH + 1):
            net.frozen.hold(layers)
            assert torch.equal(net(), expected), layers
            assert torch.equal(net(), expected), layers  # from the stored activation


def test_the_prefix_is_computed_once_per_autocast_state_and_dropped_by_hold_0(monkeypatch):
    net = network()
    calls = count_prefix_passes(monkeypatch)
    net.frozen.hold(3)
    with torch.no_grad():
        first, second = net(), net()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = net()
            assert torch.equal(net(), low)
            net.frozen.hold(0)
            plain_low = net()
        net.frozen.hold(0)
        plain = net()
    assert torch.equal(first, second) and torch.equal(first, plain)
    assert torch.equal(low, plain_low) and not torch.equal(low, first)  # bfloat16 is not float32's computation
    assert calls == [3, 3, DEPTH, DEPTH], calls  # stored once per autocast state, then whole passes


def test_transformed_partial_and_reduced_size_renders_run_the_whole_pass(monkeypatch):
    net = network()
    net.frozen.hold(2)
    with torch.no_grad():
        net()  # stored

        def quantised(name, w):
            return fake_quant(name, w, 5)
        assert torch.equal(net(quantised), whole_pass(net, quantised))
        calls = count_prefix_passes(monkeypatch)
        rows = torch.tensor([0, 3, 7])
        assert torch.equal(net(rows=rows), whole_pass(net)[:, :, rows])
        assert net(coarse=1).shape[2:] == net.sizes[-2]
    assert calls == [DEPTH] * 3, calls  # the rows, the whole pass they are checked against, the coarse render


def test_progressive_rounding_is_the_same_computation_with_the_stored_prefix(monkeypatch):
    """Single and batched networks end with bit-identical weights whether the stages start from the stored output of
    the rounded layers or recompute it every step; the stages did use it, and release it at the end."""
    target = torch.rand(2, 3, 40, 48, generator=torch.Generator().manual_seed(3))
    schedule = FitSchedule(iters=0, qat_iters=0, progressive_steps=4, weight_l1=3e-4, fixed_scale=True)

    def rounded(hold: bool) -> list[dict[str, torch.Tensor]]:
        single, batch = network(0), BatchedDeepDecoder([network(1), network(2)])
        calls = count_prefix_passes(monkeypatch)
        if not hold:
            monkeypatch.setattr(model_module.FrozenPrefix, "hold", lambda self, layers: None)
        _progressive_rounding(single, target[:1], schedule, 6)
        _progressive_rounding(batch, target, schedule, 6)
        monkeypatch.undo()
        # the stage after layer i is rounded computes the output of layers 0 to i once, for all its steps and its
        # final check; without the stored prefix every step is a whole pass
        if hold:
            assert calls == list(range(1, DEPTH + 1)) * 2, calls
        else:
            assert len(calls) >= 2 * DEPTH * 4 and set(calls) == {DEPTH}, calls
        assert single.frozen.layers == 0 and batch.frozen.layers == 0
        return [dict(single.weights), batch.image_weights(0), batch.image_weights(1)]

    for with_it, without in zip(rounded(True), rounded(False)):
        for name in with_it:
            assert torch.equal(with_it[name], without[name]), name
