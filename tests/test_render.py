"""The banded renderer: any band height and cache size give the same pixels as one band, and the
renderer computes the same function as the fitted network (DeepDecoder.forward)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ddcodec.model import DeepDecoder
from ddcodec.render import BandRenderer

CPU = torch.device("cpu")


def _model(h: int, w: int, c: int, upsample: str = "bilinear", seed: int = 3) -> DeepDecoder:
    """A network with non-trivial scales and shifts, so every normalisation matters."""
    model = DeepDecoder(h, w, c, net_width=7, depth=5, seed=seed, upsample=upsample)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.weights.items():
            p.add_(torch.randn(p.shape, generator=gen) * (0.5 if name.startswith(("scale", "shift")) else 0.2))
    return model


def _render(model: DeepDecoder, h: int, w: int, c: int, upsample: str, **kw) -> np.ndarray:
    weights = {n: p.detach() for n, p in model.weights.items()}
    with torch.no_grad():
        return BandRenderer(h, w, c, 7, 5, 3, upsample, weights, CPU, **kw).render()


def _forward_pixels(model: DeepDecoder) -> np.ndarray:
    with torch.no_grad():
        image = model()[0]
    return torch.round(image.clamp(0, 1) * 255).to(torch.uint8).permute(1, 2, 0).numpy()


@pytest.mark.parametrize("upsample", ["bilinear", "nearest"])
@pytest.mark.parametrize("h, w, c", [(37, 29, 3), (50, 17, 1)])
def test_band_height_and_cache_never_change_pixels(h, w, c, upsample):
    model = _model(h, w, c, upsample)
    whole = _render(model, h, w, c, upsample, band_rows=h, cache_bytes=1 << 30)
    assert whole.shape == (h, w, c) and whole.dtype == np.uint8
    assert whole.std() > 5  # a real picture, not a flat colour that any band split would reproduce
    for band_rows, cache_bytes in [(1, 0), (3, 0), (5, 4000), (8, 1 << 30), (None, 0)]:
        banded = _render(model, h, w, c, upsample, band_rows=band_rows, cache_bytes=cache_bytes)
        np.testing.assert_array_equal(banded, whole, err_msg=f"band_rows={band_rows} cache={cache_bytes}")


@pytest.mark.parametrize("upsample", ["bilinear", "nearest"])
def test_renderer_matches_the_fitted_network(upsample):
    # The renderer folds each normalisation into the next conv and interpolates by hand, so its
    # float rounding differs from torch's ops: at most one level, and rarely.
    h, w, c = 37, 29, 3
    model = _model(h, w, c, upsample)
    rendered = _render(model, h, w, c, upsample, band_rows=4, cache_bytes=0)
    reference = _forward_pixels(model)
    diff = np.abs(rendered.astype(int) - reference.astype(int))
    assert diff.max() <= 1
    assert (diff > 0).mean() < 0.01
    assert reference.std() > 5


def test_uncached_levels_are_recomputed_from_the_kept_ones():
    h, w, c = 37, 29, 3
    model = _model(h, w, c)
    weights = {n: p.detach() for n, p in model.weights.items()}
    # conv0 at 4x4; its upsampled output at 5x4, which conv1 overwrites in two bands, so with a
    # lead band of 4 rows for conv1 to write each band above the rows it reads; that upsampled
    # to 10x8, which conv2 overwrites, plus 4 rows; the next upsampled level, 19x15, does not fit
    fits = 7 * 4 * (4 * 4 + (5 + 4) * 4 + (10 + 4) * 8)
    smaller = BandRenderer(h, w, c, 7, 5, 3, "bilinear", weights, CPU, band_rows=4, cache_bytes=fits - 1)
    assert set(smaller.kept) == {0, 1}
    renderer = BandRenderer(h, w, c, 7, 5, 3, "bilinear", weights, CPU, band_rows=4, cache_bytes=fits)
    assert set(renderer.kept) == {0, 1, 2}
    assert [tuple(renderer.kept[i].shape) for i in range(3)] == [(4, 4, 7), (5, 4, 7), (10, 8, 7)]
    whole = _render(model, h, w, c, "bilinear", cache_bytes=1 << 30)
    with torch.no_grad():
        np.testing.assert_array_equal(renderer.render(), whole)
    # levels 0 and 1 were upsampled into buffers 1 and 2, which conv 1 and conv 2 then overwrote
    assert renderer._up_ready == set() and renderer._ready == {0, 1, 2}
    # levels done in one band need no lead: exactly their areas keep all five
    one_band = BandRenderer(h, w, c, 7, 5, 3, "bilinear", weights, CPU,
                            cache_bytes=7 * 4 * (4 * 4 + 5 * 4 + 10 * 8 + 19 * 15 + 37 * 29))
    assert one_band.fully_cached
    with torch.no_grad():
        np.testing.assert_array_equal(one_band.render(), whole)
    assert one_band.upsampled == {}  # each conv's output replaced the buffer it read


def test_the_default_cache_keeps_every_level_where_that_costs_at_most_the_full_cache_limit(monkeypatch):
    """Below render.FULL_CACHE_BYTES every level is kept even beyond the default budget; above it, the default
    budget holds (so the largest images keep their bounded memory). The pixels are the same either way."""
    import ddcodec.render as render
    h, w, c = 37, 29, 3
    model = _model(h, w, c)
    weights = {n: p.detach() for n, p in model.weights.items()}
    every_level = 7 * 4 * (4 * 4 + 5 * 4 + 10 * 8 + 19 * 15 + 37 * 29)  # each level in one band: no leads
    monkeypatch.setattr(render, "DEFAULT_CACHE_BYTES", 7 * 4 * 4 * 4)  # level 0 only
    monkeypatch.setattr(render, "FULL_CACHE_BYTES", every_level)
    kept_all = BandRenderer(h, w, c, 7, 5, 3, "bilinear", weights, CPU)
    assert kept_all.fully_cached
    monkeypatch.setattr(render, "FULL_CACHE_BYTES", every_level - 1)
    budgeted = BandRenderer(h, w, c, 7, 5, 3, "bilinear", weights, CPU)
    assert set(budgeted.kept) == {0}
    asked = BandRenderer(h, w, c, 7, 5, 3, "bilinear", weights, CPU, cache_bytes=7 * 4 * 4 * 4)  # a budget asked for
    assert set(asked.kept) == {0}
    with torch.no_grad():
        np.testing.assert_array_equal(kept_all.render(), budgeted.render())


@pytest.mark.parametrize("n_in", [1, 2, 5, 12])
def test_doubling_takes_the_gathered_paths_products_bit_for_bit(n_in):
    # Exact doubling reads strided views instead of gathering copies; every band of outputs it
    # writes must equal the general (gathering) path's, whatever the band's start and parity.
    from ddcodec.render import _interpolate, _upsampling
    fast = _upsampling(n_in, 2 * n_in, "bilinear", CPU)
    assert fast[-1] is True
    general = fast[:-1] + (False,)
    gen = torch.Generator().manual_seed(n_in)
    src = torch.randn(n_in, 6, 3, generator=gen) * 1e3
    for o0 in range(2 * n_in):
        for o1 in range(o0 + 1, 2 * n_in + 1):
            s0, s1 = int(fast[0][o0]), int(fast[1][o1 - 1]) + 1
            for dim, data in [(0, src[s0:s1]), (1, src.transpose(0, 1)[:, s0:s1])]:
                a = _interpolate(data, dim, fast, o0, o1, s0)
                b = _interpolate(data, dim, general, o0, o1, s0)
                assert torch.equal(a, b), (o0, o1, dim)
    whole = _interpolate(src, 0, fast, 0, 2 * n_in, 0)
    assert torch.equal(whole[0], src[0]) and torch.equal(whole[-1], src[-1])


def test_padded_channels_keep_bands_identical_and_change_almost_nothing(monkeypatch):
    # On CPU a width a little under a multiple of 8 is padded with zero channels (faster
    # products): bands must still agree bit for bit, and the padding may move a rare pixel by
    # one level (a different summation order), never more.
    import ddcodec.render as render
    h, w, c = 37, 29, 3
    model = _model(h, w, c)
    plain = _render(model, h, w, c, "bilinear", cache_bytes=1 << 30)
    monkeypatch.setattr(render, "PAD_LIMIT", 1.0)
    weights = {n: p.detach() for n, p in model.weights.items()}
    assert BandRenderer(h, w, c, 7, 5, 3, "bilinear", weights, CPU).net_width == 8
    whole = _render(model, h, w, c, "bilinear", band_rows=h, cache_bytes=1 << 30)
    for band_rows, cache_bytes in [(1, 0), (5, 4000), (None, 0)]:
        np.testing.assert_array_equal(_render(model, h, w, c, "bilinear", band_rows=band_rows,
                                              cache_bytes=cache_bytes), whole)
    diff = np.abs(whole.astype(int) - plain.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01


@pytest.mark.parametrize("upsample", ["bilinear", "nearest"])
def test_whole_image_render_is_the_fitted_networks_forward(upsample):
    # the GPU's one-pass decode, run here on the CPU: the network's own forward in the layout a GPU
    # uses (stacked=False: matrix products, not convs), so within one level of it and of the bands
    from ddcodec.render import render_whole
    h, w, c = 37, 29, 3
    model = _model(h, w, c, upsample)
    weights = {n: p.detach() for n, p in model.weights.items()}
    with torch.no_grad():
        whole = render_whole(h, w, c, 7, 5, 3, upsample, weights, CPU)
    assert whole.shape == (h, w, c) and whole.dtype == np.uint8
    reference = _forward_pixels(model)
    assert np.abs(whole.astype(int) - reference.astype(int)).max() <= 1
    banded = _render(model, h, w, c, upsample, band_rows=4, cache_bytes=0)
    diff = np.abs(whole.astype(int) - banded.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01 and reference.std() > 5


def test_only_a_gpu_renders_whole_images_and_only_those_that_fit():
    from ddcodec.render import WHOLE_IMAGE_BYTES, renders_whole
    cuda = torch.device("cuda")
    assert renders_whole(512, 768, 77, cuda)
    assert not renders_whole(512, 768, 77, CPU)
    assert not renders_whole(4096, 4096, 126, cuda)
    side = int((WHOLE_IMAGE_BYTES / 4 / 77) ** 0.5)
    assert renders_whole(side, side, 77, cuda) and not renders_whole(side + 1, side + 1, 77, cuda)
