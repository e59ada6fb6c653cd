"""The temporal training objective: random motion, the loss, and a run that uses it."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from test_train_loop import config, make_data

from vfx_nodes.train.loop import score_from, train
from vfx_nodes.train.temporal import MAX_SHIFT, held_out_temporal, random_motion, temporal_loss

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_random_motion_is_small_seeded_and_moves_pixels():
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    a, b = random_motion(4, 40, 64, g1), random_motion(4, 40, 64, g2)
    assert a.shape == (4, 40, 64, 2) and torch.equal(a, b)
    ident = torch.nn.functional.affine_grid(torch.eye(2, 3)[None].repeat(4, 1, 1), [4, 3, 40, 64],
                                            align_corners=False)
    px = (a - ident) * torch.tensor([32.0, 20.0])  # normalised → pixels
    assert 0.05 < px.abs().max() < MAX_SHIFT + 64 * 0.03 + 64 * 0.03


def test_the_loss_is_zero_for_an_equivariant_network_and_not_for_a_boiling_one():
    x = torch.rand(2, 3, 48, 48)
    grid = random_motion(2, 48, 48, torch.Generator().manual_seed(0))
    pointwise = lambda t: t * 0.5 + 0.1  # noqa: E731  # moves with the picture
    assert float(temporal_loss(pointwise, x, pointwise(x), grid)) < 1e-10
    pattern = torch.rand(1, 3, 48, 48)
    gridded = lambda t: t + pattern  # noqa: E731  # strokes fixed to the frame: boils
    assert float(temporal_loss(gridded, x, gridded(x), grid)) > 1e-3


def test_training_with_the_temporal_term_logs_it_and_scores_it(tmp_path, vgg_module):
    data = make_data(tmp_path / "data")
    cfg = config(tmp_path, data, temporal_weight=1e3, steps=2, eval_every=2, checkpoint_every=2, select_by="losses")
    res = train(cfg, loss_network=vgg_module)
    lines = [json.loads(x) for x in res.metrics.read_text().splitlines()]
    assert all("temporal" in r for r in lines if r["kind"] == "train")
    evals = [r for r in lines if r["kind"] == "eval"]
    assert all(r["temporal"] > 0 for r in evals)
    assert all(r["score"] == pytest.approx(score_from({k: r[k] for k in ("content", "style", "tv", "temporal")},
                                                      cfg)) for r in evals)
    assert score_from({"content": 1, "style": 1, "tv": 1, "temporal": 1}, cfg) > score_from(
        {"content": 1, "style": 1, "tv": 1, "temporal": 0}, cfg)
    from vfx_nodes.model import load_look

    assert load_look(res.look_path).metadata["training"]["recipe"]["temporal_weight"] == 1e3


def test_held_out_temporal_is_deterministic():
    from vfx_nodes.model import build_generator

    torch.manual_seed(0)
    gen = build_generator("johnson-small")
    crops = torch.rand(3, 3, 32, 32)
    assert held_out_temporal(gen, crops, seed=1) == held_out_temporal(gen, crops, seed=1)


@pytest.fixture(scope="module")
def vgg_module():
    from vfx_nodes.model import load_vgg19

    return load_vgg19()


def test_cli_flag_sets_the_weight():
    from vfx_nodes.cli.train import _temporal_weight
    from vfx_nodes.train.temporal import TEMPORAL_TRAIN_WEIGHT

    assert _temporal_weight(None) == 0.0
    assert _temporal_weight(-1.0) == TEMPORAL_TRAIN_WEIGHT
    assert _temporal_weight(5e6) == 5e6
