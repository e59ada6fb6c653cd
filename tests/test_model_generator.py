"""Generators: shapes at any size, output head, receptive field, settings, FLOPs."""

from __future__ import annotations

import pytest
import torch

from vfx_nodes.errors import ModelError
from vfx_nodes.model import ARCHITECTURES, Generator, build_generator, conv_flops
from vfx_nodes.model.generator import _walk

torch.manual_seed(0)

SMALL_UNET = {"width": 4, "depth": 2, "blocks": 1, "max_width": 16}


def small(arch: str) -> Generator:
    torch.manual_seed(0)
    return build_generator(arch, **SMALL_UNET) if arch == "unet" else build_generator(arch, width=4, blocks=1)


@pytest.mark.parametrize("arch", ["johnson", "johnson-small", "unet", "arbitrary"])
def test_smoke_every_architecture(arch: str) -> None:
    gen = build_generator(arch)
    assert gen.arch == arch
    x = torch.rand(1, 3, 24, 32)
    y = gen(x)
    assert y.shape == x.shape and y.dtype == torch.float32
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("arch", ["johnson-small", "unet", "arbitrary"])
@pytest.mark.parametrize("size", [(37, 51), (1, 1), (2, 3), (5, 7), (16, 16), (33, 8)])
def test_any_size_comes_back_the_same_size(arch: str, size: tuple[int, int]) -> None:
    gen = small(arch)
    x = torch.rand(2, 3, *size)
    before = x.clone()
    y = gen(x)
    assert y.shape == (2, 3, *size)
    assert torch.isfinite(y).all()
    assert torch.equal(x, before), "the generator must not modify its input"


def test_default_johnson_matches_the_paper() -> None:
    gen = build_generator("johnson")
    assert gen.settings == {"width": 32, "blocks": 5, "residual": True}
    # 9x9 3->32, 3x3 32->64 /2, 3x3 64->128 /2, 5 x 2 x (3x3 128->128), up 128->64, up 64->32, 9x9 32->3
    weights = 81 * 3 * 32 + 9 * 32 * 64 + 9 * 64 * 128 + 10 * 9 * 128 * 128 + 9 * 128 * 64 + 9 * 64 * 32 + 81 * 32 * 3
    biases = 32 + 64 + 128 + 10 * 128 + 64 + 32 + 3
    norms = 2 * (32 + 64 + 128 + 10 * 128 + 64 + 32)  # gamma and beta of 15 instance norms
    assert sum(p.numel() for p in gen.parameters()) == weights + biases + norms == 1_679_235
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in gen.modules())
    assert len(gen.norm_layers()) == 15


def test_small_variant_settings() -> None:
    gen = build_generator("johnson-small")
    assert gen.settings == {"width": 16, "blocks": 3, "residual": True}
    assert len(gen.blocks) == 3 and gen.stem.conv.conv.out_channels == 16


def test_flops_per_pixel_of_default_johnson() -> None:
    # MACs per output pixel: 9*9*3*32 + (9*32*64)/4 + (9*64*128 + 10*9*128*128)/16
    #   + (9*128*64)/4 + 9*64*32 + 9*9*32*3 = 7776 + 4608 + 4608 + 92160 + 18432 + 18432 + 7776
    #   = 153792 MACs = 307584 FLOP  (≈ 0.31 MFLOP, as DESIGN.md says)
    gen = build_generator("johnson")
    f = conv_flops(gen, 64, 96)
    assert f["flops_per_pixel"] == 307_584
    assert f["flops"] == 2 * f["macs"]
    assert gen.head.conv.weight.device.type == "cpu"  # counting ran on a meta copy


def test_residual_head_starts_near_identity_and_can_be_turned_off() -> None:
    torch.manual_seed(1)
    x = torch.rand(1, 3, 32, 32)
    gen = build_generator("johnson-small")
    with torch.no_grad():
        d = (gen(x) - x).abs().mean().item()
    assert 0 < d < 0.2
    # zero head: the residual generator is exactly the identity, with no clamp on HDR values
    with torch.no_grad():
        gen.head.conv.weight.zero_()
        gen.head.conv.bias.zero_()
        hdr = x * 4 - 1  # values from -1 to 3
        assert torch.equal(gen(hdr), hdr)
    plain = build_generator("johnson-small", residual=False)
    with torch.no_grad():
        plain.head.conv.weight.zero_()
        plain.head.conv.bias.fill_(0.25)
        assert torch.allclose(plain(x), torch.full_like(x, 0.25))


def test_forward_is_deterministic_and_channels_last_friendly() -> None:
    gen = small("johnson-small").eval()
    x = torch.rand(2, 3, 20, 28)
    with torch.inference_mode():
        a, b = gen(x), gen(x)
        c = gen.to(memory_format=torch.channels_last)(x.contiguous(memory_format=torch.channels_last))
    assert torch.equal(a, b)
    assert torch.allclose(a, c, atol=1e-5)
    assert c.is_contiguous(memory_format=torch.channels_last)


def test_backward_reaches_every_parameter() -> None:
    gen = small("unet")
    gen(torch.rand(2, 3, 12, 20)).square().mean().backward()
    assert all(p.grad is not None for p in gen.parameters())


def test_receptive_field_values() -> None:
    # Johnson default, walked by hand from one full-resolution output pixel o (intervals of
    # positions per level; nearest x2 upsampling maps position u to floor(u/2)):
    #   head 9x9: o-4..o+4 | up2's 3x3: o-5..o+5 (11 px) -> half res: 6 positions
    #   | up1's 3x3: 8 positions -> quarter res: 4 or 5 positions (5 for the worst phase)
    #   | 10 block convs 3x3: 5 + 20 = 25 | down2 3x3/2: 2*24+3 = 51 at half res
    #   | down1 3x3/2: 2*50+3 = 103 | stem 9x9: 103 + 8 = 111 input pixels.
    # (The additive formula r += (k-1)*j gives 109: it misses the outward rounding of
    # the upsampling.)  Worst-phase extents: 57 px up/left, 54 px down/right.
    gen = build_generator("johnson")
    assert gen.receptive_span == 111
    assert gen.receptive_extent == (57, 54)
    assert gen.halo == 57
    # centred window 2*57+1, so "halo >= ceil(receptive_field / 2)" is always enough
    assert gen.receptive_field == 115
    assert (gen.receptive_field + 1) // 2 >= gen.halo
    small_gen = build_generator("johnson-small")
    assert small_gen.receptive_span == 79 and small_gen.receptive_field == 2 * small_gen.halo + 1
    assert build_generator("johnson", blocks=0).receptive_field < build_generator("johnson", blocks=1).receptive_field


@pytest.mark.parametrize("arch", ["johnson-small", "unet", "arbitrary"])
def test_receptive_field_walk_matches_the_gradient(arch: str) -> None:
    """With frozen statistics the generator is a local operator: the input pixels an
    output pixel depends on (non-zero gradient) are exactly the interval the walk gives."""
    gen = small(arch).double()
    height = 2 * gen.receptive_field + 16  # room for the whole interval, away from the borders
    x = torch.rand(1, 3, height, 6, dtype=torch.float64)
    gen.freeze_stats(gen.collect_stats(x))
    for phase in range(gen.alignment):
        p = height // 2 - (height // 2) % gen.alignment + phase
        xi = x.clone().requires_grad_(True)
        gen(xi)[0, :, p, 3].sum().backward()
        rows = (xi.grad.abs().sum(dim=(0, 1, 3)) > 0).nonzero().flatten()
        lo, hi = _walk(gen._rf_layers(), p, p)
        assert (rows.min().item(), rows.max().item()) == (lo, hi), f"phase {phase}"
    spans = [_walk(gen._rf_layers(), 400 + k, 400 + k) for k in range(gen.alignment)]
    assert gen.receptive_span == max(hi - lo + 1 for lo, hi in spans)
    assert gen.receptive_extent == (max(400 + k - lo for k, (lo, _) in enumerate(spans)),
                                    max(hi - 400 - k for k, (_, hi) in enumerate(spans)))


def test_arbitrary_matches_ghiasi_layout() -> None:
    """Magenta's transformer at width ¼: 8-16-32 channels, norm-free contracting path,
    13 conditional norms (10 residual, 2 upsampling, 1 output), sigmoid output."""
    gen = build_generator("arbitrary")
    assert gen.settings == {"width": 8, "blocks": 5} and gen.residual is False
    assert [gen.stem.norm, gen.down1.norm, gen.down2.norm] == [None, None, None]
    assert len(gen.norm_layers()) == 13 and "head.norm" in gen.norm_layers()
    with torch.no_grad():
        y = gen(torch.randn(1, 3, 20, 24) * 5)
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0  # sigmoid head
    assert gen.halo == 57


def test_unet_alignment_and_settings() -> None:
    gen = build_generator("unet", depth=2, width=8)
    assert gen.alignment == 4
    assert gen.settings == {"width": 8, "depth": 2, "blocks": 2, "max_width": 256, "residual": True}
    assert build_generator("unet").alignment == 8


def test_unknown_architecture_suggests_names() -> None:
    with pytest.raises(ModelError, match="johnson-small"):
        build_generator("johnson_small")
    assert set(ARCHITECTURES) == {"johnson", "johnson-small", "unet", "arbitrary"}


@pytest.mark.parametrize("settings, match", [
    ({"widht": 8}, "unknown setting.*'widht'.*valid settings are blocks, residual, width"),
    ({"width": 0}, "width=0"),
    ({"blocks": -1}, "blocks=-1"),
    ({"width": 2.5}, "width=2.5"),
    ({"residual": "yes"}, "residual='yes'"),
])
def test_bad_settings_are_refused(settings: dict, match: str) -> None:
    with pytest.raises(ModelError, match=match):
        build_generator("johnson", **settings)


@pytest.mark.parametrize("shape", [(3, 16, 16), (1, 4, 16, 16), (1, 1, 16, 16)])
def test_bad_input_shape_is_refused(shape: tuple[int, ...]) -> None:
    with pytest.raises(ModelError, match="N×3×H×W"):
        small("johnson-small")(torch.rand(*shape))


@pytest.mark.parametrize("arch", ["johnson-small", "unet"])
def test_forward_and_inference_form_on_each_device_and_precision(arch: str, device_precision) -> None:
    """The generator and its inference form (``model.fused``) give the CPU fp32 pixels on
    every device × precision, within that precision's tolerance."""
    from vfx_nodes.model.device import autocast
    from vfx_nodes.model.fused import fused

    torch.manual_seed(0)
    settings = {"width": 8, "blocks": 1} if arch == "johnson-small" else {"width": 4, "depth": 2, "blocks": 1,
                                                                           "max_width": 8}
    gen = build_generator(arch, **settings).eval()
    x = torch.rand(1, 3, 32, 40)
    with torch.no_grad():
        ref = gen(x)
        stats = gen.collect_stats(x)
        with gen.frozen_stats(stats):
            ref_frozen = gen(x)
    dev, dtype, atol = device_precision["device"], device_precision["dtype"], device_precision["atol"]
    moved = gen.to(dev)
    # reduced precision as the engine and training run it: autocast (model/device.py)
    with torch.no_grad(), autocast(dev, dtype):
        out = moved(x.to(dev)).float().cpu()
        with moved.frozen_stats(stats.to(dev)):
            fast = fused(moved)
        folded = fast(x.to(dev)).float().cpu()
    assert out.shape == ref.shape and torch.isfinite(out).all()
    torch.testing.assert_close(out, ref, atol=atol, rtol=0)
    torch.testing.assert_close(folded, ref_frozen, atol=atol, rtol=0)
