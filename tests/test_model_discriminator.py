"""PatchGAN discriminator: receptive field, output size, spectral norm, errors."""

from __future__ import annotations

import pytest
import torch

from vfx_nodes.errors import ModelError
from vfx_nodes.model import PatchDiscriminator


def test_default_is_the_70x70_patchgan() -> None:
    d = PatchDiscriminator()
    # 4×4 convs, strides 2, 2, 2, 1, 1 walked back from one logit: r ← r·s + (k − s)
    # 1 → 4 → 7 → 16 → 34 → 70
    assert d.receptive_field == 70
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 128, 256, 512, 1]
    assert all(c.kernel_size == (4, 4) for c in convs)
    assert d(torch.rand(1, 3, 70, 70)).shape == (1, 1, 6, 6)
    assert d(torch.rand(2, 3, 256, 256)).shape == (2, 1, 30, 30)  # pix2pix's 30×30 patches


def test_one_logit_sees_exactly_70_pixels() -> None:
    torch.manual_seed(0)
    d = PatchDiscriminator(width=4, norm="none").double()
    x = torch.rand(1, 3, 140, 140, dtype=torch.float64, requires_grad=True)
    d(x)[0, 0, 10, 10].backward()
    rows = (x.grad.abs().sum(dim=(0, 1, 3)) > 0).nonzero().flatten()
    assert rows.max().item() - rows.min().item() + 1 == 70


@pytest.mark.parametrize("norm", ["instance", "batch", "none"])
@pytest.mark.parametrize("sn", [False, True])
def test_variants_run_and_train(norm: str, sn: bool) -> None:
    d = PatchDiscriminator(width=8, norm=norm, spectral_norm=sn)
    out = d(torch.rand(2, 3, 64, 64))
    assert out.shape == (2, 1, 6, 6)
    out.mean().backward()
    assert all(p.grad is not None for p in d.parameters() if p.requires_grad)


def test_spectral_norm_bounds_the_weights() -> None:
    torch.manual_seed(0)
    d = PatchDiscriminator(width=8, norm="none", spectral_norm=True)
    x = torch.rand(1, 3, 64, 64)
    for _ in range(20):  # power iterations converge while running
        d(x)
    conv = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)][1]
    sigma = torch.linalg.matrix_norm(conv.weight.reshape(conv.weight.shape[0], -1), ord=2)
    assert sigma.item() == pytest.approx(1.0, abs=0.05)


def test_fewer_layers_smaller_field() -> None:
    assert PatchDiscriminator(n_layers=1).receptive_field == 16
    assert PatchDiscriminator(n_layers=2).receptive_field == 34


@pytest.mark.parametrize("kwargs, match", [
    ({"width": 0}, "width=0"),
    ({"n_layers": 0}, "n_layers=0"),
    ({"norm": "group"}, "instance, batch, none"),
])
def test_bad_settings(kwargs: dict, match: str) -> None:
    with pytest.raises(ModelError, match=match):
        PatchDiscriminator(**kwargs)


def test_bad_input() -> None:
    with pytest.raises(ModelError, match="N×3×H×W"):
        PatchDiscriminator(width=4)(torch.rand(1, 4, 64, 64))
