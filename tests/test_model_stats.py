"""Normalisation statistics: collect, freeze, clear, merge, save — and seamless tiles."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from vfx_nodes.errors import LookError, LookNotFoundError, ModelError
from vfx_nodes.model import Generator, NormStats, StatsInstanceNorm2d, build_generator


def small(arch: str = "johnson-small", **kw: int) -> Generator:
    torch.manual_seed(0)
    if arch == "unet":
        return build_generator("unet", width=4, depth=2, blocks=1, max_width=16).eval()
    return build_generator(arch, **({"width": 8, "blocks": 2} | kw)).eval()


def image(h: int = 64, w: int = 72, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    # smooth structure + noise, so statistics differ between crops
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    base = torch.stack([yy, xx, yy * xx])[None]
    return (0.7 * base + 0.3 * torch.rand(1, 3, h, w, generator=g)).float()


def test_norm_layer_matches_torch_instance_norm() -> None:
    torch.manual_seed(0)
    m = StatsInstanceNorm2d(5)
    ref = torch.nn.InstanceNorm2d(5, affine=True)
    with torch.no_grad():
        m.weight.uniform_(0.5, 2)
        m.bias.uniform_(-1, 1)
        ref.weight.copy_(m.weight)
        ref.bias.copy_(m.bias)
    x = torch.randn(3, 5, 7, 9) * 3 + 1
    assert torch.allclose(m(x), ref(x), atol=1e-5)


def test_frozen_layer_is_a_fixed_affine_map() -> None:
    m = StatsInstanceNorm2d(2)
    m.freeze(torch.tensor([1.0, -2.0]), torch.tensor([4.0, 0.25]))
    x = torch.tensor([[[[3.0]], [[-1.0]]]])
    # (3 - 1) / sqrt(4 + 1e-5) ≈ 1.0 ; (-1 + 2) / sqrt(0.25 + 1e-5) ≈ 2.0
    assert torch.allclose(m(x).flatten(), torch.tensor([1.0, 2.0]), atol=1e-4)
    with pytest.raises(ModelError, match="2 channels"):
        m.freeze(torch.zeros(3), torch.ones(3))


@pytest.mark.parametrize("arch", ["johnson-small", "unet"])
def test_frozen_stats_of_an_image_reproduce_its_per_image_output(arch: str) -> None:
    gen = small(arch)
    a = image()
    with torch.no_grad():
        per_image = gen(a)
        stats = gen.collect_stats(a)
        assert not gen.stats_frozen, "collecting does not freeze"
        gen.freeze_stats(stats)
        assert gen.stats_frozen
        frozen = gen(a)
    assert torch.allclose(frozen, per_image, atol=1e-5)
    assert stats.names == list(gen.norm_layers())
    assert stats.count == 64 * 72


def test_frozen_stats_change_the_output_of_another_image() -> None:
    gen = small()
    a, b = image(seed=1), image(seed=2) * 0.5 + 0.4
    with torch.no_grad():
        own = gen(b)
        with gen.frozen_stats(gen.collect_stats(a)):
            borrowed = gen(b)
    assert not torch.allclose(own, borrowed, atol=1e-3)


def test_clear_and_context_manager_restore_state() -> None:
    gen = small()
    a, b = image(seed=1), image(seed=3)
    sa, sb = gen.collect_stats(a), gen.collect_stats(b)
    gen.freeze_stats(sa)
    with gen.frozen_stats(sb):
        assert gen.frozen_statistics().allclose(sb)
    assert gen.frozen_statistics().allclose(sa), "the outer statistics come back"
    gen.clear_stats()
    assert not gen.stats_frozen and gen.frozen_statistics() is None
    with gen.frozen_stats(sa):
        pass
    assert not gen.stats_frozen
    with pytest.raises(RuntimeError), gen.frozen_stats(sa):
        raise RuntimeError("boom")
    assert not gen.stats_frozen, "restored even when the body raises"


def test_collect_while_frozen_uses_the_images_own_statistics() -> None:
    gen = small()
    a, b = image(seed=1), image(seed=4)
    fresh = gen.collect_stats(a)
    with gen.frozen_stats(gen.collect_stats(b)):
        again = gen.collect_stats(a)
        assert gen.stats_frozen
    assert again.allclose(fresh)


@pytest.mark.parametrize("arch", ["johnson-small", "unet"])
def test_seamless_tiles_crop_interior_equals_full_frame(arch: str) -> None:
    """URST (Chen et al. 2022): with the whole frame's statistics frozen, a tile whose
    origin is a multiple of the alignment reproduces the full-frame output everywhere at
    least `halo` pixels from its cut edges (and at the frame's own edges)."""
    gen = small(arch)
    full = image(96, 104)
    with torch.no_grad(), gen.frozen_stats(gen.collect_stats(full)):
        whole = gen(full)
        y0, x0 = 8, 4  # multiples of 4 = the alignment of both variants here
        # tile reaching the bottom/right edge of the frame: exact beyond the halo at top/left
        tile = gen(full[..., y0:, x0:])
        h = gen.halo
        assert torch.allclose(tile[..., h:, h:], whole[..., y0 + h:, x0 + h:], atol=1e-5)
        # a tile cut on all four sides (odd size: padded internally) — exact inside the halo
        y1, x1 = 95, 101
        inner = gen(full[..., y0:y1, x0:x1])
        assert inner.shape[-2:] == (y1 - y0, x1 - x0)
        ref = whole[..., y0 + h:y1 - h, x0 + h:x1 - h]
        assert ref.numel() > 0
        assert torch.allclose(inner[..., h:-h, h:-h], ref, atol=1e-5)
        # an origin off the stride grid samples other pixels: the interior differs
        shifted = gen(full[..., y0 + 1:, x0:])
        assert not torch.allclose(shifted[..., h:, h:], whole[..., y0 + 1 + h:, x0 + h:], atol=1e-3)
    with torch.no_grad():
        # per-tile statistics (nothing frozen): the tile has its own look — the seam problem
        per_tile = gen(full[..., y0:, x0:])
    assert not torch.allclose(per_tile[..., h:, h:], whole[..., y0 + h:, x0 + h:], atol=1e-3)


def test_collect_from_a_batch_pools_the_images() -> None:
    gen = small()
    a, b = image(seed=1), image(seed=5) * 0.5
    sa, sb = gen.collect_stats(a), gen.collect_stats(b)
    both = gen.collect_stats(torch.cat([a, b]))
    assert both.allclose(NormStats.merge([sa, sb]), atol=1e-5)
    assert both.count == 2 * 64 * 72


def test_merge_is_the_pooled_mean_and_variance() -> None:
    # Two "frames" of one channel: A = {0, 2} (mean 1, var 1), B = {4, 6, 8, 10}
    # (mean 7, var 5).  Pooled pixels {0,2,4,6,8,10}: mean 5, var (25+9+1+1+9+25)/6 = 70/6.
    # Formula with weights 2 and 4 (pixel counts): μ = (2·1 + 4·7)/6 = 5;
    # σ² = (2·(1 + (1−5)²) + 4·(5 + (7−5)²))/6 = (2·17 + 4·9)/6 = 70/6.
    a = NormStats({"n": (torch.tensor([1.0]), torch.tensor([1.0]))}, count=2)
    b = NormStats({"n": (torch.tensor([7.0]), torch.tensor([5.0]))}, count=4)
    m = NormStats.merge([a, b])
    assert torch.allclose(m.layers["n"][0], torch.tensor([5.0]))
    assert torch.allclose(m.layers["n"][1], torch.tensor([70 / 6]))
    assert m.count == 6
    pixels = torch.tensor([0.0, 2, 4, 6, 8, 10])
    assert torch.allclose(m.layers["n"][1], pixels.var(unbiased=False))
    # explicit equal weights: μ = 4, σ² = ((1+9) + (5+9))/2 = 12
    e = NormStats.merge([a, b], weights=[1, 1])
    assert torch.allclose(e.layers["n"][0], torch.tensor([4.0]))
    assert torch.allclose(e.layers["n"][1], torch.tensor([12.0]))
    # merging one is the identity
    assert NormStats.merge([a]).allclose(a)


def test_merge_errors() -> None:
    a = NormStats({"n": (torch.zeros(2), torch.ones(2))})
    with pytest.raises(ModelError, match="at least one"):
        NormStats.merge([])
    with pytest.raises(ModelError, match="different generators"):
        NormStats.merge([a, NormStats({"m": (torch.zeros(2), torch.ones(2))})])
    with pytest.raises(ModelError, match="channels"):
        NormStats.merge([a, NormStats({"n": (torch.zeros(3), torch.ones(3))})])
    with pytest.raises(ModelError, match="weights"):
        NormStats.merge([a, a], weights=[1])
    with pytest.raises(ModelError, match="not NormStats"):
        NormStats.merge([a, "frame"])  # type: ignore[list-item]


def test_stats_that_do_not_fit_are_refused() -> None:
    gen, other = small(), small(width=4)
    s = other.collect_stats(image())
    with pytest.raises(ModelError, match="channels"):
        gen.freeze_stats(s)
    with pytest.raises(ModelError, match="do not fit"):
        gen.freeze_stats(small("unet").collect_stats(image()))
    with pytest.raises(ModelError, match="NormStats"):
        gen.freeze_stats({"x": 1})  # type: ignore[arg-type]
    assert not gen.stats_frozen, "a refused freeze changes nothing"


def test_layer_order_does_not_matter() -> None:
    gen = small()
    a = image()
    s = gen.collect_stats(a)
    reordered = NormStats(dict(reversed(list(s.layers.items()))), s.count)
    assert reordered.names != s.names and reordered.allclose(s)
    with torch.no_grad(), gen.frozen_stats(reordered):
        out = gen(a)
    with torch.no_grad():
        assert torch.allclose(out, gen(a), atol=1e-5)
    assert NormStats.merge([s, reordered]).allclose(s)


def test_to_and_dtype() -> None:
    gen = small()
    s = gen.collect_stats(image())
    d = s.to(dtype=torch.float64)
    assert all(m.dtype == torch.float64 for m, _ in d.layers.values())
    assert s.layers[s.names[0]][0].dtype == torch.float32, "to() returns a copy"
    gen.freeze_stats(d)  # any float dtype is accepted and stored as float32
    with torch.no_grad():
        out = gen.to(torch.bfloat16)(image().to(torch.bfloat16))
    assert out.dtype == torch.bfloat16 and torch.isfinite(out.float()).all()


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    gen = small()
    s = gen.collect_stats(torch.cat([image(seed=1), image(seed=2)]))
    path = tmp_path / "shot.stats.safetensors"
    s.save(path)
    back = NormStats.load(path)
    assert back.names == s.names and back.count == s.count
    assert back.allclose(s, rtol=0, atol=0)
    assert [p.name for p in tmp_path.iterdir()] == [path.name], "no temporary file left"


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(LookNotFoundError, match="does not exist"):
        NormStats.load(tmp_path / "missing.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file at all")
    with pytest.raises(LookError, match="not a readable"):
        NormStats.load(junk)
    from safetensors.torch import save_file

    other = tmp_path / "other.safetensors"
    save_file({"a": torch.zeros(2)}, str(other))
    with pytest.raises(LookError, match="not a vfx_nodes normalisation statistics"):
        NormStats.load(other)


def test_bad_construction() -> None:
    with pytest.raises(ModelError, match="1-D"):
        NormStats({"n": (torch.zeros(2, 2), torch.ones(2, 2))})
    with pytest.raises(ModelError, match="count"):
        NormStats({"n": (torch.zeros(2), torch.ones(2))}, count=0)
