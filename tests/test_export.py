"""Looks in every host: the exported TorchScript and ONNX files are render's network.

Specification:

* ``export_look(look, "nuke"|"flame", out)`` writes the files each host loads;
* the TorchScript file (``torch.jit.load``) and the ONNX file (ONNX Runtime) give
  ``vfx_nodes.engine.stylize``'s untiled working-space result within 1e-4 (fp32) on
  sizes that are not multiples of 4, with per-image statistics;
* ``strength`` is a model attribute (0 = input, 1 = the look, mixed in working space);
* NaN/Inf and over-range pixels get the engine's treatments; fp16 runs (or skips);
* the archive keeps to old TorchScript (file-format version 3, a fixed operator list);
* errors: missing/corrupt look → LookError, unknown target → ExportError naming both
  targets, the output folder is created, files are written atomically.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from vfx_nodes.errors import ExportError, LookError, LookNotFoundError, SettingsError
from vfx_nodes.export import TARGETS, TORCHSCRIPT_OPERATORS, build_host_module, export_look
from vfx_nodes.export.flame import DEFAULT_OPSET, INPUT_NAME, OUTPUT_NAME
from vfx_nodes.export.host import THUMBNAIL
from vfx_nodes.model import build_generator, load_look, save_look
from vfx_nodes.plate import Plate

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

SIZES = [(37, 53), (64, 45)]  # neither side a multiple of 4
TOL = 1e-4


#: Small but complete architectures (every layer type; short receptive field = fast).
SMALL = {"johnson-small": {"width": 8, "blocks": 1},
         "unet": {"width": 8, "depth": 2, "blocks": 1, "max_width": 32},
         "arbitrary": {"width": 4, "blocks": 1}}


def _styled_generator(arch: str = "johnson-small", seed: int = 0):
    """A generator that actually changes the image (fresh ones start near identity)."""
    torch.manual_seed(seed)
    gen = build_generator(arch, **SMALL[arch])
    with torch.no_grad():
        for p in gen.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    return gen.eval()


@pytest.fixture(scope="module")
def look_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("looks") / "oil paint.safetensors"
    save_look(_styled_generator(), path)
    return path


@pytest.fixture(scope="module")
def look(look_path):
    return load_look(look_path)


@pytest.fixture(scope="module")
def nuke_files(look_path, tmp_path_factory) -> dict[str, Path]:
    return export_look(look_path, "nuke", tmp_path_factory.mktemp("exp") / "nested" / "nuke")


@pytest.fixture(scope="module")
def flame_files(look_path, tmp_path_factory) -> dict[str, Path]:
    return export_look(look_path, "flame", tmp_path_factory.mktemp("exp") / "flame")


@pytest.fixture(scope="module")
def scripted(nuke_files):
    return torch.jit.load(str(nuke_files["torchscript"]))


@pytest.fixture(scope="module")
def session(flame_files):
    return ort.InferenceSession(str(flame_files["onnx"]), providers=["CPUExecutionProvider"])


@pytest.fixture(autouse=True)
def _plain_execution():
    # TorchScript's profiling executor re-profiles every freshly loaded module on its
    # first calls, which dominates these tiny runs; the numbers are the same without it.
    with torch.jit.optimized_execution(False):
        yield


def _image(h: int, w: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


def _nchw(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))[None]


def _render(look, rgb: np.ndarray) -> np.ndarray:
    """The engine's untiled result for a plate already in the look's working space, with
    render's default treatments (painted highlights), what the exports do by default."""
    from vfx_nodes.engine import stylize

    plate = Plate(rgb, ("R", "G", "B"), colorspace=look.working_colorspace)
    return stylize(plate, look, tile=0).pixels


def _run_ts(module, rgb: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(_nchw(rgb))[0].permute(1, 2, 0).numpy()


def _run_onnx(sess, rgb: np.ndarray) -> np.ndarray:
    return sess.run(None, {INPUT_NAME: _nchw(rgb).numpy()})[0][0].transpose(1, 2, 0)


# --- files ---------------------------------------------------------------------------


def test_targets():
    assert TARGETS == ("nuke", "flame")


def test_nuke_export_writes_its_files(nuke_files):
    assert set(nuke_files) == {"torchscript", "nuke_script", "cat_script", "readme"}
    folder = nuke_files["torchscript"].parent
    assert folder.name == "nuke" and folder.parent.name == "nested"  # created with parents
    assert nuke_files["torchscript"].name == "oil_paint.pt"  # name from the look, made node-safe
    for path in nuke_files.values():
        assert path.is_file() and path.stat().st_size > 0
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left


def test_flame_export_writes_onnx_and_sidecar(flame_files):
    assert set(flame_files) == {"onnx", "sidecar"}
    assert flame_files["onnx"].stem == flame_files["sidecar"].stem  # Flame pairs them by name
    assert not [p for p in flame_files["onnx"].parent.iterdir() if p.name.startswith(".")]


# --- equivalence with render ---------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_torchscript_matches_render(scripted, look, size):
    rgb = _image(*size, seed=1)
    out = _run_ts(scripted, rgb)
    assert out.shape == rgb.shape
    np.testing.assert_allclose(out, _render(look, rgb), atol=TOL, rtol=0)


@pytest.mark.parametrize("size", SIZES)
def test_onnx_matches_render(session, look, size):
    rgb = _image(*size, seed=2)
    out = _run_onnx(session, rgb)
    assert out.shape == rgb.shape
    np.testing.assert_allclose(out, _render(look, rgb), atol=TOL, rtol=0)


def test_torchscript_thumbnail_statistics_match_render(scripted, look):
    # Long side above THUMBNAIL: render takes statistics from an area-averaged thumbnail,
    # and so does the exported module.
    rgb = _image(THUMBNAIL + 37, 21, seed=3)
    np.testing.assert_allclose(_run_ts(scripted, rgb), _render(look, rgb), atol=TOL, rtol=0)


def test_onnx_thumbnail_statistics_match_render(session, look):
    rgb = _image(21, THUMBNAIL + 37, seed=3)
    np.testing.assert_allclose(_run_onnx(session, rgb), _render(look, rgb), atol=TOL, rtol=0)


def test_thumbnail_size_is_the_engines():
    from vfx_nodes.engine.pipeline import THUMBNAIL as ENGINE_THUMBNAIL

    assert THUMBNAIL == ENGINE_THUMBNAIL


def test_host_pass_is_the_bare_generator(look):
    # No halo at the frame's edges: on a frame of a multiple of the stride the host's
    # styled pass is the generator itself, its own per-layer padding at the edges
    # included (the statistics pass sees the same frame as the generator's layers do).
    gen = look.generator
    a = gen.alignment
    module = torch.jit.script(build_host_module(gen))
    rgb = _image(10 * a, 11 * a, seed=4)
    with torch.no_grad():
        plain = gen(_nchw(rgb))[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(_run_ts(module, rgb), plain, atol=TOL, rtol=0)


@pytest.mark.parametrize("arch", ["unet", "arbitrary"])
def test_other_architectures_export_and_match_render(tmp_path, arch):
    path = tmp_path / f"{arch}.safetensors"
    save_look(_styled_generator(arch, seed=5), path)
    lk = load_look(path)
    files = export_look(lk, "nuke", tmp_path / "n", name="u")
    onnx_file = export_look(lk, "flame", tmp_path / "f", name="u")["onnx"]
    rgb = _image(41, 35, seed=6)
    want = _render(lk, rgb)
    np.testing.assert_allclose(_run_ts(torch.jit.load(str(files["torchscript"])), rgb), want, atol=TOL, rtol=0)
    sess = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(_run_onnx(sess, rgb), want, atol=TOL, rtol=0)


# --- statistics ----------------------------------------------------------------------


def test_statistics_are_per_image_not_frozen(scripted, look):
    a, b = _image(40, 44, seed=7), _image(40, 44, seed=8) * 0.3 + 0.6  # different content
    out_a, out_b = _run_ts(scripted, a), _run_ts(scripted, b)
    np.testing.assert_allclose(out_a, _render(look, a), atol=TOL, rtol=0)
    np.testing.assert_allclose(out_b, _render(look, b), atol=TOL, rtol=0)
    # b rendered with a's statistics is a different picture: nothing was frozen.
    from vfx_nodes.engine import stylize

    stats_a = look.generator.collect_stats(_nchw(a))
    frozen_b = stylize(Plate(b, ("R", "G", "B"), colorspace=look.working_colorspace), look,
                       tile=0, stats=stats_a).pixels
    assert np.abs(out_b - frozen_b).max() > 100 * TOL


# --- stroke scales (a look's frame_height / detail_height: engine/detail.py) -----------

#: (frame_height, detail_height, frame size): two passes below the frame's resolution;
#: one pass at a stroke scale; a fine pass at the frame's own resolution.
STROKES = [(16, 40, (64, 45)), (20, 0, (61, 47)), (16, 80, (64, 45))]


def _stroke_look(tmp_path: Path, frame_height: int, detail_height: int, arch: str = "johnson-small"):
    meta = {"frame_height": frame_height} | ({"detail_height": detail_height} if detail_height else {})
    path = tmp_path / f"strokes_{frame_height}_{detail_height}.safetensors"
    save_look(_styled_generator(arch), path, metadata=meta)
    return load_look(path)


def test_baked_statistics_match_render_with_those_statistics(look, tmp_path):
    from vfx_nodes.engine import stylize

    a, b = _image(36, 52, seed=9), _image(36, 52, seed=10) * 0.5
    stats = look.generator.collect_stats(_nchw(a))
    stats_file = tmp_path / "shot.safetensors"
    stats.save(stats_file)
    files = export_look(look, "nuke", tmp_path / "baked", stats=stats_file)
    module = torch.jit.load(str(files["torchscript"]))
    want = stylize(Plate(b, ("R", "G", "B"), colorspace=look.working_colorspace), look,
                   tile=0, stats=stats).pixels
    np.testing.assert_allclose(_run_ts(module, b), want, atol=TOL, rtol=0)


def test_statistics_that_do_not_fit_are_refused(look):
    other = build_generator("unet", **SMALL["unet"])
    stats = other.collect_stats(torch.rand(1, 3, 32, 32))
    with pytest.raises(ExportError, match="do not fit"):
        build_host_module(look.generator, stats=stats)


def test_stats_look_without_stored_statistics(look, tmp_path):
    with pytest.raises(LookError, match="no statistics"):
        export_look(look, "nuke", tmp_path, stats="look")


def test_stats_of_a_wrong_type(look, tmp_path):
    with pytest.raises(SettingsError, match="stats must be"):
        export_look(look, "nuke", tmp_path, stats=3)


# --- strength, value treatments, precision --------------------------------------------


def test_strength_is_a_float_attribute_of_the_torchscript_module(scripted):
    assert isinstance(scripted.strength, float) and scripted.strength == 1.0


def test_strength_zero_is_identity_and_half_is_a_working_space_mix(nuke_files):
    module = torch.jit.load(str(nuke_files["torchscript"]))  # own copy: attributes change
    rgb = _image(29, 31, seed=11)
    full = _run_ts(module, rgb)
    module.strength = 0.0
    np.testing.assert_array_equal(_run_ts(module, rgb), rgb)
    module.strength = 0.5
    np.testing.assert_allclose(_run_ts(module, rgb), rgb + 0.5 * (full - rgb), atol=1e-6, rtol=0)


def test_flame_export_bakes_strength(look, tmp_path):
    files = export_look(look, "flame", tmp_path, name="half", strength=0.0)
    sess = ort.InferenceSession(str(files["onnx"]), providers=["CPUExecutionProvider"])
    rgb = _image(30, 34, seed=12)
    np.testing.assert_allclose(_run_onnx(sess, rgb), rgb, atol=1e-6, rtol=0)
    assert "Strength 0 is baked in" in json.loads(files["sidecar"].read_text())["ModelDescription"]["Description"]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "much", 5.0, -0.5])
@pytest.mark.parametrize("target", ["nuke", "flame"])
def test_strength_must_be_a_number_from_0_to_1(look, tmp_path, bad, target):
    # One strength check for stylize and the exports (model.ops.check_strength), one class.
    with pytest.raises(SettingsError, match="strength must be .*from 0"):
        export_look(look, target, tmp_path / "out", strength=bad)
    assert not (tmp_path / "out").exists()  # refused before any work


@pytest.mark.parametrize("target", ["nuke", "flame"])
def test_unknown_plate_colorspace_is_refused_before_any_work(look, tmp_path, target):
    with pytest.raises(ExportError, match="Nope"):
        export_look(look, target, tmp_path / "out", plate_colorspace="Nope")
    assert not (tmp_path / "out").exists()


def test_export_cli_refuses_bad_flags(look, tmp_path, capsys):
    from vfx_nodes.cli.main import main
    from vfx_nodes.model import save_look

    path = tmp_path / "l.safetensors"
    save_look(look.generator, path, {"working_colorspace": look.working_colorspace})
    for flags in (["--strength", "5"], ["--plate-colorspace", "Nope"]):
        assert main(["export", "--look", str(path), "--target", "nuke", "--out", str(tmp_path / "o"), *flags]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error:" in err
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def carried(look_path, tmp_path_factory):
    """The TorchScript module of an export with ``highlights="carry"``."""
    files = export_look(look_path, "nuke", tmp_path_factory.mktemp("exp") / "carry", highlights="carry")
    return torch.jit.load(str(files["torchscript"]))


def test_over_range_and_non_finite_pixels(carried, look):
    scripted = carried
    rgb = _image(33, 39, seed=13)
    rgb[5, 7] = (3.0, 0.5, -0.25)  # over-range highlight, negative
    rgb[20, 20] = (np.nan, 0.2, 0.2)
    rgb[21, 30] = (0.1, np.inf, 0.3)
    x = _nchw(rgb)
    before = x.clone()
    with torch.no_grad():
        out = scripted(x)[0].permute(1, 2, 0).numpy()
    assert torch.equal(x.nan_to_num(), before.nan_to_num())  # input unchanged
    assert np.isnan(out[20, 20, 0]) and out[21, 30, 1] == np.inf  # returned as they were
    mask = np.ones(rgb.shape[:2], bool)
    mask[20, 20] = mask[21, 30] = False
    assert np.isfinite(out[mask]).all()  # one bad pixel does not poison the statistics
    # The network saw the clipped pixel; the clipped-off part rides around it.
    clean = rgb.copy()
    clean[20, 20] = clean[21, 30] = 0.0
    clipped = np.clip(clean, 0, 1)
    want = _run_ts(scripted, clipped) + (clean - clipped)
    np.testing.assert_allclose(out[mask], want[mask], atol=1e-6, rtol=0)


def test_painted_light_matches_render_and_keeps_nothing_negative(scripted, session, look):
    """The default export paints light above 1 as render's default does: the shoulder in,
    the ratio out (export/light.py); a pixel below 0 has its residual added back by
    render's rule — in Flame's model in scene-linear (export/linear_way.py), in the Nuke
    module alone only its colour half, in the working space (the Group does the rest)."""
    rgb = _image(40, 36, seed=15) * 3.0  # a third of the frame above 1
    rgb[4:9, 4:20] = (40.0, 30.0, 12.0)  # a lit window
    rgb[30, 5] = (0.9, -0.2, 0.1)  # out of gamut
    want = _render(look, rgb)
    got, got_onnx = _run_ts(scripted, rgb), _run_onnx(session, rgb)
    ok = np.ones(rgb.shape[:2], bool)
    ok[30, 5] = False
    np.testing.assert_allclose(got[ok], want[ok], rtol=2e-5, atol=TOL)
    # Flame's model goes to scene-linear by the working space's curve and matrix and
    # applies render's whole rule there: the out-of-gamut pixel too
    np.testing.assert_allclose(got_onnx, want, rtol=1e-4, atol=TOL)
    # the Nuke module alone (no Group around it) keeps the colour half of the rule in the
    # working space: nearby, not equal
    assert np.abs(got[30, 5] - want[30, 5]).max() < 0.3
    assert got[4:9, 4:20].min() > 1.0  # the window stays light
    assert not np.allclose(got[4:9, 4:20], rgb[4:9, 4:20], rtol=1e-3)  # and is painted


def test_onnx_over_range_agrees_with_torchscript_and_render(scripted, session, look):
    """Light above 1 and colour below 0 on every third pixel: Flame's model is render's
    picture everywhere; the Nuke module alone, wherever nothing is below 0 (below 0 the
    Group around it adds render's rule)."""
    rgb = _image(26, 30, seed=14) * 1.6 - 0.3
    want = _render(look, rgb)
    np.testing.assert_allclose(_run_onnx(session, rgb), want, atol=TOL, rtol=1e-4)
    held = (rgb >= 0).all(-1)
    assert 0.3 < held.mean() < 0.9
    np.testing.assert_allclose(_run_onnx(session, rgb)[held], _run_ts(scripted, rgb)[held], atol=TOL, rtol=1e-5)


def test_fp16_half_input(nuke_files):
    # Nuke's "Optimize for Speed and Memory" converts the model and its input to half.
    module = torch.jit.load(str(nuke_files["torchscript"])).half()
    rgb = _image(24, 28, seed=15) * 2.0  # light above 1: the painted shoulder in half too
    x = _nchw(rgb).half()
    try:  # only a CPU build without half convolutions may skip; the module itself must run
        torch.nn.functional.conv2d(x, torch.zeros(3, 3, 3, 3, dtype=torch.float16))
    except RuntimeError as exc:  # pragma: no cover - depends on the CPU kernels
        pytest.skip(f"half precision is not supported on this CPU build: {exc}")
    with torch.no_grad():
        out = module(x)
    assert out.dtype == torch.float16 and out.shape == x.shape
    ref = _run_ts(torch.jit.load(str(nuke_files["torchscript"])), rgb)
    np.testing.assert_allclose(out[0].permute(1, 2, 0).float().numpy(), ref, atol=5e-2, rtol=0)


@pytest.mark.cuda
def test_cuda_device_follows_the_input(nuke_files):
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    module = torch.jit.load(str(nuke_files["torchscript"]), map_location="cuda")
    x = torch.rand(1, 3, 37, 53, device="cuda")
    with torch.no_grad():
        assert module(x).device == x.device
        assert module.half()(x.half()).dtype == torch.float16


def test_batch_of_images_each_with_its_own_statistics(scripted):
    a, b = _image(20, 24, seed=16), _image(20, 24, seed=17)
    with torch.no_grad():
        both = scripted(torch.cat([_nchw(a), _nchw(b)]))
    np.testing.assert_allclose(both[1].permute(1, 2, 0).numpy(), _run_ts(scripted, b), atol=1e-6)


def test_tiny_images(scripted, look):
    """Frames with a side under SMALL_FRAME take their statistics on the frame mirrored up
    to the alignment, as render's one tile sees it (before, the module took them on the
    bare frame and a 4×3 frame came out up to 11 away from render's)."""
    for size in [(1, 1), (3, 5), (2, 9), (4, 3), (15, 40)]:
        rgb = _image(*size, seed=18)
        out = _run_ts(scripted, rgb)
        assert out.shape == rgb.shape and np.isfinite(out).all()
        np.testing.assert_allclose(out, _render(look, rgb), atol=TOL, rtol=0)


# --- compatibility with old TorchScript runtimes ---------------------------------------


def test_archive_file_format_version_is_3(nuke_files):
    with zipfile.ZipFile(nuke_files["torchscript"]) as z:
        versions = [z.read(n).strip() for n in z.namelist() if n.endswith("/version")]
    # 3: no operator with a dynamic version (e.g. aten::div → 4); torch 1.6 reads it.
    assert versions == [b"3"]


def _operators(module) -> set[str]:
    kinds: set[str] = set()

    def walk(block) -> None:
        for node in block.nodes():
            kinds.add(node.kind())
            for sub in node.blocks():
                walk(sub)

    # Inlined graphs: the layers' arithmetic lives in free functions (model.ops) that the
    # methods call, and an operator used only there must be counted too.
    for name in module._c._method_names():
        walk(getattr(module, name).inlined_graph)
    return kinds


def test_operators_are_the_listed_old_ones(scripted):
    ops = _operators(scripted)
    assert "aten::conv2d" in ops and "aten::reflection_pad2d" in ops
    assert ops <= TORCHSCRIPT_OPERATORS, sorted(ops - TORCHSCRIPT_OPERATORS)
    assert "aten::pad" not in ops and "aten::div" not in ops and "aten::slice" not in ops


def test_saved_code_uses_no_new_ops(nuke_files):
    with zipfile.ZipFile(nuke_files["torchscript"]) as z:
        code = "\n".join(z.read(n).decode() for n in z.namelist() if n.endswith(".py"))
        roots = {n.split("/")[0] for n in z.namelist()}
    for new in ("torch.pad(", "torch.div(", "torch.slice("):
        assert new not in code
    # nn.Module's _is_full_backward_hook would be saved typed NoneType: torch 1.6 refuses.
    assert "NoneType" not in code
    assert roots == {"archive"}  # not the temporary file's name


def _old_pythons() -> list[str]:
    import os

    return [p for p in os.environ.get("VFX_NODES_OLD_TORCH", "").split(os.pathsep) if p]


def _run_old(python: str, pt_file: Path, rgb: np.ndarray, tmp_path: Path) -> np.ndarray:
    """``pt_file`` loaded and run by another Python's torch; strength 0 checked there too."""
    import subprocess

    np.save(tmp_path / "x.npy", _nchw(rgb).numpy())
    code = (
        "import sys, numpy as np, torch\n"
        "m = torch.jit.load(sys.argv[1])\n"
        "x = torch.from_numpy(np.load(sys.argv[2]))\n"
        "with torch.no_grad():\n"
        "    np.save(sys.argv[3], m(x).numpy())\n"
        "m.strength = 0.0\n"
        "with torch.no_grad():\n"
        "    assert bool((m(x) == x).all())\n"
        "print(torch.__version__)\n"
    )
    done = subprocess.run([python, "-c", code, str(pt_file), str(tmp_path / "x.npy"), str(tmp_path / "y.npy")],
                          check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return np.load(tmp_path / "y.npy")[0].transpose(1, 2, 0)


@pytest.mark.parametrize("python", _old_pythons() or [None])
def test_older_torch_loads_and_runs_the_file(python, nuke_files, scripted, tmp_path):
    """Opt-in: ``VFX_NODES_OLD_TORCH`` lists Python executables with an old torch (e.g.
    1.6 for Nuke 13, 1.12 for Nuke 14), separated by ``os.pathsep``."""
    if python is None:
        pytest.skip("VFX_NODES_OLD_TORCH is not set (no older torch to load the file with)")
    rgb = _image(37, 53, seed=20)
    np.testing.assert_allclose(_run_old(python, nuke_files["torchscript"], rgb, tmp_path), _run_ts(scripted, rgb),
                               atol=TOL, rtol=0)
    # a look with two stroke scales: the passes, the area and bilinear resizes run there too
    look = _stroke_look(tmp_path, 16, 40)
    files = export_look(look, "nuke", tmp_path / "strokes")
    rgb = _image(64, 45, seed=23)
    np.testing.assert_allclose(_run_old(python, files["torchscript"], rgb, tmp_path), _render(look, rgb),
                               atol=TOL, rtol=0)


# --- ONNX file -----------------------------------------------------------------------


def test_onnx_graph_has_dynamic_height_and_width(flame_files):
    model = onnx.load(str(flame_files["onnx"]))
    onnx.checker.check_model(model)
    assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [DEFAULT_OPSET]
    (inp,), (out,) = model.graph.input, model.graph.output
    assert (inp.name, out.name) == (INPUT_NAME, OUTPUT_NAME)
    dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    assert dims == [1, 3, "height", "width"]
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["vfx_nodes.working_colorspace"] == "sRGB Encoded Rec.709 (sRGB)"
    assert meta["vfx_nodes.arch"] == "johnson-small"


def test_opset_option(look, tmp_path):
    files = export_look(look, "flame", tmp_path, name="o16", opset=16)
    model = onnx.load(str(files["onnx"]))
    assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [16]
    with pytest.raises(ExportError, match="opset"):
        export_look(look, "flame", tmp_path, opset=9)
    with pytest.raises(ExportError, match="flame target only"):
        export_look(look, "nuke", tmp_path, opset=17)


def test_flame_sidecar_follows_the_inference_builder_schema(flame_files, look):
    doc = json.loads(flame_files["sidecar"].read_text())
    desc = doc["ModelDescription"]
    for key in ("MinimumVersion", "Name", "Description", "SupportsSceneLinear", "KeepAspectRatio",
                "Padding", "Inputs", "Outputs"):
        assert key in desc
    assert desc["SupportsSceneLinear"] is False and desc["Padding"] == 1
    (inp,), (out,) = desc["Inputs"], desc["Outputs"]
    assert inp == {"Name": INPUT_NAME, "Description": inp["Description"], "Type": "Front",
                   "Gain": 1.0, "Channels": "RGB"}
    assert out["Name"] == OUTPUT_NAME and out["Type"] == "Result" and out["Channels"] == "RGB"
    # The colour management that must travel with the model.
    assert look.working_colorspace in desc["Description"] and "scene_linear" in desc["Description"]


# --- errors --------------------------------------------------------------------------


def test_missing_look(tmp_path):
    with pytest.raises(LookNotFoundError):
        export_look(tmp_path / "nope.safetensors", "nuke", tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_corrupt_look(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(LookError):
        export_look(bad, "flame", tmp_path / "out")


def test_unknown_target_names_the_valid_ones(look_path, tmp_path):
    with pytest.raises(ExportError) as info:
        export_look(look_path, "maya", tmp_path)
    assert "'maya'" in str(info.value) and "nuke" in str(info.value) and "flame" in str(info.value)


def test_output_folder_that_is_a_file(look, tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(ExportError, match="is a file where a folder should be"):
        export_look(look, "nuke", tmp_path / "taken")


def test_failed_write_leaves_the_old_file_and_no_temporary(look, tmp_path, monkeypatch):
    files = export_look(look, "nuke", tmp_path, name="keep")
    before = files["torchscript"].read_bytes()

    real_write_bytes = Path.write_bytes

    def broken_write(self, data):
        real_write_bytes(self, data[: len(data) // 2])  # half a model on disk, then
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_bytes", broken_write)
    with pytest.raises(ExportError, match="disk full"):
        export_look(look, "nuke", tmp_path, name="keep", overwrite=True)
    assert files["torchscript"].read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("target", ["nuke", "flame"])
def test_an_earlier_export_is_never_replaced_silently(look, tmp_path, target):
    files = export_look(look, target, tmp_path, name="mine")
    nk = next(iter(files.values()))
    nk.write_bytes(b"hand-edited")
    with pytest.raises(ExportError, match="already exist.*overwrite=True"):
        export_look(look, target, tmp_path, name="mine")
    assert nk.read_bytes() == b"hand-edited"
    export_look(look, target, tmp_path, name="mine", overwrite=True)
    assert nk.read_bytes() != b"hand-edited"


def test_name_without_letters(look, tmp_path):
    with pytest.raises(ExportError, match="give name="):
        export_look(look, "nuke", tmp_path, name="???")


def test_look_of_a_wrong_type(tmp_path):
    with pytest.raises(LookError, match="look must be"):
        export_look(42, "nuke", tmp_path)


def test_build_host_module_refuses_other_modules():
    with pytest.raises(ExportError, match="not a vfx_nodes generator"):
        build_host_module(torch.nn.Conv2d(3, 3, 3))


def test_export_does_not_change_the_look(look, tmp_path):
    before = {k: v.clone() for k, v in look.generator.state_dict().items()}
    export_look(look, "nuke", tmp_path, name="same")
    after = look.generator.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not look.generator.stats_frozen


# --- command line --------------------------------------------------------------------


def test_cli_exports_each_target(look_path, tmp_path, capsys):
    from vfx_nodes.cli.main import main

    assert main(["export", "--look", str(look_path), "--target", "nuke", "--out", str(tmp_path / "n"),
                 "--name", "oil", "--strength", "0.8"]) == 0
    out = capsys.readouterr().out
    assert "oil.pt" in out and "oil.nk" in out
    assert " strength 0.8\n" in (tmp_path / "n" / "oil.nk").read_text()  # the Group's knob
    assert torch.jit.load(str(tmp_path / "n" / "oil.pt")).strength == 1.0
    assert main(["export", "--look", str(look_path), "--target", "flame", "--out", str(tmp_path / "f"),
                 "--opset", "17"]) == 0
    assert (tmp_path / "f" / "oil_paint.onnx").is_file() and (tmp_path / "f" / "oil_paint.json").is_file()


def test_cli_errors_are_one_line(look_path, tmp_path, capsys):
    from vfx_nodes.cli.main import main

    assert main(["export", "--look", str(look_path), "--target", "resolve", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("vfx-style export: error:") and "'nuke', 'flame'" in err[0]
    assert main(["export", "--look", str(tmp_path / "none.safetensors"), "--target", "nuke",
                 "--out", str(tmp_path)]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_serialised_module_round_trips_through_bytes(scripted):
    buf = io.BytesIO()
    torch.jit.save(scripted, buf)
    buf.seek(0)
    again = torch.jit.load(buf)
    rgb = _image(17, 19, seed=19)
    np.testing.assert_array_equal(_run_ts(again, rgb), _run_ts(scripted, rgb))
