"""Quality bar: a short CPU run really learns the style and the adversarial term really trains.

What it takes (measured on 2 CPU cores; see docs/TRAINING.md and the report): the small
generator (``johnson-small``), 128² crops, batch 2, 300 steps at lr 2e-3 (≈190 s on one
core), the
style loss on the first two VGG19 blocks (relu1_1, relu2_1 — the third block's texture
needs many more steps), content at relu2_2, λ_style 100, λ_adv 1e6 with the
spectral-norm PatchGAN, EMA decay 0.95 (a short run).  Content: six "sequences" of one
synthetic show (one palette, different layouts), two of them held out by the
sequence-aware split.  Style: Van Gogh's *Starry Night* from the real corpus.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vfx_nodes.train.loop import TrainConfig, train

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]


def make_show(root: Path) -> Path:
    """Six two-frame sequences of one synthetic show: sky, ground, a few round props."""
    from PIL import Image

    rng = np.random.default_rng(0)
    out = root / "content"
    out.mkdir(parents=True)
    palette = np.array([[0.15, 0.35, 0.55], [0.85, 0.75, 0.45], [0.25, 0.5, 0.2], [0.7, 0.3, 0.2],
                        [0.9, 0.9, 0.85]])
    for s in range(6):
        h, w = 144, 176
        y, x = np.mgrid[0:h, 0:w] / 176.0
        horizon = rng.uniform(0.3, 0.6)
        sky = palette[0] + (palette[4] - palette[0]) * (y / horizon)[..., None] * 0.6
        ground = palette[2] + 0.2 * np.sin(9 * x + s)[..., None] * (palette[1] - palette[2])
        base = np.where((y < horizon)[..., None], sky, ground)
        for _ in range(5):
            cy, cx, r = rng.uniform(0.3, 1), rng.uniform(0, 1.2), rng.uniform(0.04, 0.15)
            base[((x - cx) ** 2 + (y - cy) ** 2) < r * r] = palette[rng.integers(1, 4)]
        for f in (1, 2):  # a small camera move between the two frames
            img = np.roll(base, 2 * f, axis=1) + 0.02 * rng.standard_normal((h, w, 3))
            Image.fromarray((img.clip(0, 1) * 255).astype(np.uint8)).save(out / f"shot{s}.{1000 + f}.png")
    return out


def test_short_run_learns_the_style_on_held_out_plates(tmp_path, style_corpus):
    from vfx_nodes.model import load_vgg19
    from vfx_nodes.train.data import center_crop, collect_files, load_image_set, split_by_sequence
    from vfx_nodes.train.objective import StyleObjective

    content = make_show(tmp_path)
    style = style_corpus / "starry_night.jpg"
    cfg = TrainConfig(content=[str(content)], style=[str(style)], out=str(tmp_path / "starry.safetensors"),
                      steps=300, size=128, batch=2, arch="johnson-small", lr=2e-3, ema_decay=0.95,
                      content_layer="relu2_2", style_layers=["relu1_1", "relu2_1"], style_weight=100.0,
                      adv_weight=1e6, d_width=16, warmup=10, eval_every=100, checkpoint_every=300,
                      test_fraction=0.34, seed=0)
    vgg = load_vgg19()
    res = train(cfg, loss_network=vgg, progress=False)
    records = [json.loads(x) for x in res.metrics.read_text().splitlines()]
    evals = [r for r in records if r["kind"] == "eval"]
    base, last = evals[0], evals[-1]
    assert base["baseline"] and base["held_out"] and last["step"] == 300

    # 1. the style loss on held-out plates falls at least 3.5× below the untrained
    #    generator's (measured at 128², seed 0: 11.3× on an AVX-512 CPU, 4.2× on an AVX2
    #    one — oneDNN's kernels differ and the adversarial run follows another path; at 64²
    #    the same recipe gave 13.8×, and 6.8× / 12.3× for seeds 1 and 2; 200 steps gave
    #    3.3× for seed 1, so 300 it is)
    assert last["style"] * 3.5 <= base["style"], (base["style"], last["style"])

    # 2. the content stays: the look's content loss is under that of an image that
    #    ignores the plate (a crop of the style image): at most 95 % of it.  Measured
    #    0.77 at 128² (seed 0); at 64²: 0.86, 0.93, 0.90 (seeds 0–2) — relu2_2 carries texture, so
    #    stylising moves them a lot; the layout survives (see the contact sheets).
    srgb = "sRGB Encoded Rec.709 (sRGB)"
    _, test_files = split_by_sequence(collect_files(str(content)), cfg.test_fraction, cfg.seed)
    held = load_image_set(test_files, size=128, working_colorspace=srgb)
    style_img = load_image_set([str(style)], size=128, working_colorspace=srgb).images[0]
    objective = StyleObjective(vgg, [style_img], content_layer="relu2_2", style_layers=["relu1_1", "relu2_1"])
    x = torch.stack([center_crop(t, 128) for t in held.images])
    ignore_plate = center_crop(style_img, 128)[None].expand_as(x).contiguous()
    bound = float(objective.losses(ignore_plate, x)["content"])
    assert last["content"] <= 0.95 * bound, (last["content"], bound)

    # 3. the adversarial term trains: the discriminator learns (accuracy leaves 0.5) but
    #    the generator keeps fooling it on some patches (accuracy stays below 1.0)
    acc = [r["d_acc"] for r in records if r["kind"] == "train"]
    assert max(acc) >= 0.75
    assert np.mean(acc[len(acc) // 2:]) <= 0.99
    assert 0.6 <= np.mean(acc) <= 0.99
