"""Losses: golden values worked out by hand, per-image batches, float64 gradients."""

from __future__ import annotations

import math

import pytest
import torch
from torch.autograd import gradcheck

from vfx_nodes.errors import ModelError
from vfx_nodes.model import losses as L

# one image, C=2, H=1, W=2: channel 0 = [1, 2], channel 1 = [3, 4]
F1 = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])


def test_content_loss_golden() -> None:
    # (1² + 2² + 3² + 4²) / (C·H·W = 4) = 30 / 4 = 7.5
    assert L.content_loss(F1, torch.zeros_like(F1)).item() == pytest.approx(7.5)
    # batch: second image differs by 1 everywhere -> 4·1 / 4 = 1; mean of (7.5, 1) = 4.25
    feats = torch.cat([F1, torch.ones_like(F1)])
    per = L.content_loss(feats, torch.zeros_like(feats), reduction="none")
    assert per.tolist() == pytest.approx([7.5, 1.0])
    assert L.content_loss(feats, torch.zeros_like(feats)).item() == pytest.approx(4.25)
    # a 1×C×H×W target broadcasts to every image
    assert L.content_loss(feats, torch.zeros_like(F1)).item() == pytest.approx(4.25)


def test_content_loss_is_per_image_then_mean() -> None:
    torch.manual_seed(0)
    a, b = torch.rand(3, 4, 5, 6), torch.rand(3, 4, 5, 6)
    singles = [L.content_loss(a[i:i + 1], b[i:i + 1]) for i in range(3)]
    assert L.content_loss(a, b).item() == pytest.approx(torch.stack(singles).mean().item())


def test_gram_matrix_golden() -> None:
    # G_ij = Σ_k F_ik F_jk / (C·H·W = 4):
    # G00 = (1·1 + 2·2)/4 = 1.25, G01 = (1·3 + 2·4)/4 = 2.75, G11 = (3·3 + 4·4)/4 = 6.25
    g = L.gram_matrix(F1)
    assert g.shape == (1, 2, 2)
    assert torch.allclose(g[0], torch.tensor([[1.25, 2.75], [2.75, 6.25]]))
    # per image of a batch, symmetric
    batch = torch.rand(3, 5, 4, 4)
    gb = L.gram_matrix(batch)
    assert gb.shape == (3, 5, 5) and torch.allclose(gb, gb.transpose(1, 2))
    assert torch.allclose(gb[1], L.gram_matrix(batch[1:2])[0])


def test_style_loss_golden() -> None:
    # layer a: G(F1) = [[1.25, 2.75], [2.75, 6.25]] against a zero Gram, C = 2:
    #   (1.5625 + 7.5625 + 7.5625 + 39.0625) / 2² = 55.75 / 4 = 13.9375, weight 2 -> 27.875
    # layer b: C = 1, F = [1, 1] (H=1, W=2): G = (1 + 1)/(1·1·2) = 1; target 0.5:
    #   (1 − 0.5)² / 1² = 0.25, weight 4 -> 1.0            total: 28.875
    feats = {"a": F1, "b": torch.ones(1, 1, 1, 2)}
    grams = {"a": torch.zeros(2, 2), "b": torch.tensor([[0.5]])}
    w = {"a": 2.0, "b": 4.0}
    assert L.style_loss(feats, grams, w).item() == pytest.approx(28.875)
    # the style Gram (C×C or 1×C×C) broadcasts across a batch; a zero second image gives
    # layer a: 0, layer b: (0 − 0.5)²·4 = 1 -> per image (28.875, 1.0), mean 14.9375
    batch = {"a": torch.cat([F1, torch.zeros_like(F1)]),
             "b": torch.cat([torch.ones(1, 1, 1, 2), torch.zeros(1, 1, 1, 2)])}
    assert L.style_loss(batch, grams, w, reduction="none").tolist() == pytest.approx([28.875, 1.0])
    grams3 = {k: v.unsqueeze(0) for k, v in grams.items()}
    assert L.style_loss(batch, grams3, w).item() == pytest.approx(14.9375)
    # default weights are 1 per layer: 13.9375 + 0.25
    assert L.style_loss(feats, grams).item() == pytest.approx(14.1875)


def test_total_variation_golden() -> None:
    # image [[1, 2], [4, 8]]: vertical (4−1)² + (8−2)² = 9 + 36 = 45,
    # horizontal (2−1)² + (8−4)² = 1 + 16 = 17, total 62
    img = torch.tensor([[[[1.0, 2.0], [4.0, 8.0]]]])
    assert L.total_variation_loss(img).item() == pytest.approx(62.0)
    # normalised: 45 / (C·(H−1)·W = 2) + 17 / (C·H·(W−1) = 2) = 22.5 + 8.5 = 31
    assert L.total_variation_loss(img, normalize=True).item() == pytest.approx(31.0)
    # a constant image has no variation; a batch is per image then mean: (62 + 0) / 2
    batch = torch.cat([img, torch.full_like(img, 3.0)])
    assert L.total_variation_loss(batch, reduction="none").tolist() == pytest.approx([62.0, 0.0])
    assert L.total_variation_loss(batch).item() == pytest.approx(31.0)
    # one row: no vertical pairs, not NaN
    row = torch.tensor([[[[0.0, 1.0, 3.0]]]])
    assert L.total_variation_loss(row, normalize=True).item() == pytest.approx((1 + 4) / 2)


REAL = torch.tensor([2.0, 0.0])
FAKE = torch.tensor([-1.0, 1.0])


def sp(x: float) -> float:
    return math.log1p(math.exp(x))


@pytest.mark.parametrize("mode, d_expected, g_expected", [
    # LSGAN: ½·mean((2−1)², (0−1)²) + ½·mean((−1)², 1²) = ½·1 + ½·1 = 1; G: ½·mean(4, 0) = 1
    ("lsgan", 1.0, 1.0),
    # hinge: mean(max(0, −1), max(0, 1)) + mean(max(0, 0), max(0, 2)) = 0.5 + 1 = 1.5; G: −mean(−1, 1) = 0
    ("hinge", 1.5, 0.0),
    # BCE from logits: mean(sp(−2), sp(0)) + mean(sp(−1), sp(1)); G: mean(sp(1), sp(−1))
    ("bce", (sp(-2) + sp(0)) / 2 + (sp(-1) + sp(1)) / 2, (sp(1) + sp(-1)) / 2),
])
def test_adversarial_golden(mode: str, d_expected: float, g_expected: float) -> None:
    assert L.discriminator_loss(REAL, FAKE, mode).item() == pytest.approx(d_expected, rel=1e-6)
    assert L.generator_adversarial_loss(FAKE, mode).item() == pytest.approx(g_expected, rel=1e-6, abs=1e-7)


def test_bce_equals_probability_form_and_stays_finite() -> None:
    real, fake = torch.tensor([0.3, -1.2]), torch.tensor([0.8, -0.4])
    bce = torch.nn.functional.binary_cross_entropy
    d_ref = bce(torch.sigmoid(real), torch.ones(2)) + bce(torch.sigmoid(fake), torch.zeros(2))
    assert L.discriminator_loss(real, fake, "bce").item() == pytest.approx(d_ref.item(), rel=1e-5)
    # logits of ±100: sigmoid saturates to exactly 0/1 in float32, softplus does not blow up
    big = torch.tensor([100.0, -100.0], requires_grad=True)
    d = L.discriminator_loss(big, -big, "bce") + L.generator_adversarial_loss(big, "bce")
    d.backward()
    assert torch.isfinite(d) and torch.isfinite(big.grad).all()
    assert L.generator_adversarial_loss(torch.tensor([-100.0]), "bce").item() == pytest.approx(100.0)


def test_total_loss_weighted_sum_and_parts() -> None:
    c = torch.tensor(2.0, requires_grad=True)
    s, tv = torch.tensor(3.0), torch.tensor(4.0)
    # 1·2 + 10·3 + 0.5·4 = 34 ; adversarial left out
    total, parts = L.total_loss(content=c, style=s, tv=tv, content_weight=1, style_weight=10, tv_weight=0.5)
    assert total.item() == pytest.approx(34.0)
    assert parts == {"content": 2.0, "style": 30.0, "tv": 2.0, "total": 34.0}
    total.backward()
    assert c.grad.item() == 1.0
    _, p2 = L.total_loss(adversarial=torch.tensor([0.5]), adversarial_weight=2)
    assert p2 == {"adversarial": 1.0, "total": 1.0}


@pytest.mark.parametrize("call, match", [
    (lambda: L.total_loss(), "at least one"),
    (lambda: L.total_loss(content=torch.ones(2)), "scalar"),
    (lambda: L.discriminator_loss(REAL, FAKE, "wgan"), "lsgan, hinge, bce"),
    (lambda: L.generator_adversarial_loss(FAKE, "BCE"), "lsgan, hinge, bce"),
    (lambda: L.content_loss(F1, torch.zeros(1, 3, 1, 2)), "does not match"),
    (lambda: L.content_loss(F1[0], F1[0]), "N×C×H×W"),
    (lambda: L.style_loss({"a": F1}, {"b": torch.zeros(2, 2)}), "no features for layer 'b'"),
    (lambda: L.style_loss({"a": F1}, {"a": torch.zeros(3, 3)}), "shape"),
    (lambda: L.style_loss({"a": F1}, {}), "at least one"),
    (lambda: L.style_loss({"a": F1}, {"a": torch.zeros(2, 2)}, {"c": 1.0}), "no weight"),
    (lambda: L.total_variation_loss(F1, reduction="sum"), "'mean' or 'none'"),
])
def test_errors(call, match: str) -> None:
    with pytest.raises(ModelError, match=match):
        call()


def test_inputs_unchanged() -> None:
    a, b = torch.rand(2, 3, 4, 4), torch.rand(2, 3, 4, 4)
    ca, cb = a.clone(), b.clone()
    L.content_loss(a, b)
    L.total_variation_loss(a, normalize=True)
    L.style_loss({"x": a}, {"x": L.gram_matrix(b[:1])})
    assert torch.equal(a, ca) and torch.equal(b, cb)


def _d(*shape: int) -> torch.Tensor:
    return torch.rand(*shape, dtype=torch.float64, requires_grad=True)


def test_gradients_float64() -> None:
    torch.manual_seed(0)
    t = torch.rand(2, 3, 3, 4, dtype=torch.float64)
    assert gradcheck(lambda x: L.content_loss(x, t), (_d(2, 3, 3, 4),))
    assert gradcheck(L.gram_matrix, (_d(2, 3, 3, 4),))
    g = L.gram_matrix(torch.rand(1, 3, 3, 4, dtype=torch.float64))
    assert gradcheck(lambda x, y: L.style_loss({"a": x, "b": y}, {"a": g, "b": torch.zeros(2, 2, dtype=torch.float64)},
                                               {"a": 1.0, "b": 3.0}), (_d(2, 3, 3, 4), _d(2, 2, 2, 2)))
    assert gradcheck(lambda x: L.total_variation_loss(x), (_d(2, 3, 4, 5),))
    assert gradcheck(lambda x: L.total_variation_loss(x, normalize=True), (_d(2, 3, 4, 5),))
    # logits away from the hinge's kinks at ±1
    real = (torch.rand(2, 1, 3, 3, dtype=torch.float64) * 0.8 - 0.4).requires_grad_(True)
    fake = (torch.rand(2, 1, 3, 3, dtype=torch.float64) * 0.8 - 0.4).requires_grad_(True)
    for mode in L.ADVERSARIAL_MODES:
        assert gradcheck(lambda r, f, m=mode: L.discriminator_loss(r, f, m), (real, fake))
        assert gradcheck(lambda f, m=mode: L.generator_adversarial_loss(f, m), (fake,))
    assert gradcheck(lambda c, s: L.total_loss(content=c, style=s, style_weight=3.0)[0],
                     (_d(1).sum().detach().requires_grad_(True), _d(1).sum().detach().requires_grad_(True)))
