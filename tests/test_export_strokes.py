"""Looks in every host at their stroke scales: the exported modules paint as render's
``scale="auto"`` does (a coarse pass, a fine pass, each residual resized to the frame).

Specification: the Nuke (TorchScript) and Flame (ONNX) files give render's untiled
working-space result within 1e-4 on frames with two passes below their resolution, one
pass at a stroke scale and a fine pass at the frame's own; the host's integer sizes are
render's; a shot's statistics baked in normalise both passes.  Helpers and small
generators come from ``test_export``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_export import STROKES, TOL, _image, _nchw, _render, _run_onnx, _run_ts, _stroke_look

from vfx_nodes.export import export_look
from vfx_nodes.model import build_generator, make_look
from vfx_nodes.plate import Plate

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")


@pytest.fixture(autouse=True)
def _plain_execution():
    with torch.jit.optimized_execution(False):
        yield


@pytest.mark.parametrize("frame_height,detail_height,size", STROKES)
def test_nuke_export_paints_at_the_looks_stroke_scales(tmp_path, frame_height, detail_height, size):
    """The exported module paints as render does with scale "auto": the look's coarse
    pass, its fine pass, each residual resized to the frame (render's default for an
    instant look; before, the export ran one pass at the frame's resolution)."""
    look = _stroke_look(tmp_path, frame_height, detail_height)
    files = export_look(look, "nuke", tmp_path / "nuke")
    module = torch.jit.load(str(files["torchscript"]))
    rgb = _image(*size, seed=21)
    out = _run_ts(module, rgb)
    np.testing.assert_allclose(out, _render(look, rgb), atol=TOL, rtol=0)
    from vfx_nodes.engine import stylize

    one_pass = stylize(Plate(rgb, ("R", "G", "B"), colorspace=look.working_colorspace), look, tile=0,
                       scale=1.0).pixels
    assert np.abs(out - one_pass).max() > 0.05  # the stroke scales are what it carries


def test_stroke_sizes_are_renders():
    """The host's integer sizes are render's resolve_scale + detail_scale + network_size."""
    from vfx_nodes.engine.detail import detail_scale
    from vfx_nodes.engine.pipeline import network_size, resolve_scale
    from vfx_nodes.export.strokes import stroke_size, two_strokes

    for h in (9, 45, 64, 135, 480, 1080, 2160):
        for w in (7, 53, 640, 1920, 4096):
            plate = Plate(np.zeros((h, w, 3), np.float32), ("R", "G", "B"))
            for fh in (3, 16, 40, 160, 256):
                for dh in (0, 40, 80, 512):
                    look = make_look(build_generator("johnson-small", width=4, blocks=1),
                                     {"frame_height": fh} | ({"detail_height": dh} if dh else {}))
                    stroke = resolve_scale("auto", look, plate)
                    fine = detail_scale("auto", look, plate, stroke)
                    assert two_strokes(h, fh, dh) == (fine is not None), (h, w, fh, dh)
                    if stroke < 1:
                        assert stroke_size(h, w, fh) == network_size(h, w, stroke), (h, w, fh)
                    if fine is not None:
                        assert stroke_size(h, w, dh) == network_size(h, w, fine), (h, w, dh)


@pytest.mark.parametrize("frame_height,detail_height,size", STROKES)
def test_flame_export_paints_at_the_looks_stroke_scales(tmp_path, frame_height, detail_height, size):
    """The ONNX graph cannot branch on the frame's size: its sizes are tensors and the
    coarse pass always runs, weighted 0 where render paints one pass — the same picture,
    for any frame size (one graph: a frame shorter than the look's rows too)."""
    look = _stroke_look(tmp_path, frame_height, detail_height)
    files = export_look(look, "flame", tmp_path / "flame")
    sess = ort.InferenceSession(str(files["onnx"]), providers=["CPUExecutionProvider"])
    for shape in (size, (12, 20)):
        rgb = _image(*shape, seed=22)
        np.testing.assert_allclose(_run_onnx(sess, rgb), _render(look, rgb), atol=TOL, rtol=0)
    meta = {p.key: p.value for p in onnx.load(str(files["onnx"])).metadata_props}
    assert meta["vfx_nodes.stroke_rows"] == f"{frame_height} {detail_height}"


@pytest.mark.parametrize("target", ["nuke", "flame"])
def test_baked_statistics_at_the_stroke_scales(tmp_path, target):
    """A shot's statistics baked in: render normalises both passes by them, and so do
    the exports."""
    from vfx_nodes.engine import stylize

    look = _stroke_look(tmp_path, 16, 40)
    stats = look.generator.collect_stats(_nchw(_image(40, 28, seed=11)))
    stats_file = tmp_path / "shot.safetensors"
    stats.save(stats_file)
    files = export_look(look, target, tmp_path / target, stats=stats_file)
    rgb = _image(64, 45, seed=12)
    want = stylize(Plate(rgb, ("R", "G", "B"), colorspace=look.working_colorspace), look,
                   tile=0, stats=stats).pixels
    if target == "nuke":
        got = _run_ts(torch.jit.load(str(files["torchscript"])), rgb)
    else:
        got = _run_onnx(ort.InferenceSession(str(files["onnx"]), providers=["CPUExecutionProvider"]), rgb)
    np.testing.assert_allclose(got, want, atol=TOL, rtol=0)
