"""Nodes: knobs, the Node base, the built-in nodes, the graph, and node = API = CLI pixels."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from vfx_nodes.errors import KnobError, LookNotFoundError, NodeError
from vfx_nodes.nodes import (
    STYLIZE_KNOBS,
    ColorSpace,
    Graph,
    Knob,
    Node,
    Read,
    StyleTransfer,
    Write,
    frame_path,
)
from vfx_nodes.plate import Plate

W, H = 24, 16


def _plate(seed: int = 0, value: float | None = None) -> Plate:
    rng = np.random.default_rng(seed)
    rgb = rng.random((H, W, 3), dtype=np.float32) if value is None else np.full((H, W, 3), value, np.float32)
    alpha = np.clip(rng.random((H, W, 1), dtype=np.float32) * 1.5, 0, 1)
    px = np.concatenate([rgb * alpha, alpha, rng.random((H, W, 1), dtype=np.float32) * 100], -1)
    return Plate(px, ("R", "G", "B", "A", "Z"), data_window=(-2, -1, W - 3, H - 2),
                 display_window=(0, 0, W - 5, H - 3), colorspace="ACEScg",
                 pixel_types=("float",) * 5)


class Gain(Node):
    """Multiply R, G, B by a gain (a test node)."""

    name = "Gain"
    inputs = ("input",)
    knobs = (Knob("gain", "float", 1.0, range=(0.0, 10.0), help="multiplier"),)

    def process(self, inputs, frame):
        p = inputs["input"]
        return p.with_channels({c: p.channel(c) * self["gain"] for c in p.rgb_names()})


class Add(Node):
    """Add two plates' RGB (a two-input test node) and count renders."""

    name = "Add"
    inputs = ("a", "b")
    calls = 0

    def process(self, inputs, frame):
        type(self).calls += 1
        a, b = inputs["a"], inputs["b"]
        return a.with_channels({c: a.channel(c) + b.channel(c) for c in a.rgb_names()})


class Constant(Node):
    """A source: a flat plate whose value is the frame number / 1000."""

    name = "Constant"
    calls = 0

    def process(self, inputs, frame):
        type(self).calls += 1
        return _plate(value=float(frame or 0) / 1000.0)


# --- knobs ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, given, want", [
    ("float", 2, 2.0), ("float", "0.25", 0.25), ("int", 3.0, 3), ("int", "12", 12),
    ("bool", "yes", True), ("bool", 0, False), ("bool", "off", False), ("str", "abc", "abc"),
    ("file", Path("a/b.exr"), os.path.join("a", "b.exr")),
])
def test_knob_coerces_valid_values(kind, given, want):
    k = Knob("k", kind, given if kind != "file" else "")
    got = k.validate(given)
    assert got == want and type(got) is type(want)


@pytest.mark.parametrize("kind, bad, words", [
    ("float", "abc", "must be a number"), ("float", True, "must be a number"),
    ("float", float("nan"), "finite"), ("int", 2.5, "whole number"), ("bool", "maybe", "true or false"),
    ("str", 2.5, "must be text"), ("file", 3, "file path"),
])
def test_knob_rejects_wrong_types_with_what_is_valid(kind, bad, words):
    k = Knob("k", kind, None if kind in ("str", "file") else (0 if kind != "bool" else False))
    with pytest.raises(KnobError, match=words) as info:
        k.validate(bad, node="Test")
    assert "'k' of Test" in str(info.value)


def test_knob_range_and_choices_messages():
    k = Knob("strength", "float", 1.0, range=(0.0, 1.0))
    with pytest.raises(KnobError, match=r"between 0 and 1, got 1.5"):
        k.validate(1.5)
    lo = Knob("tile", "int", 0, range=(0, None))
    with pytest.raises(KnobError, match="at least 0"):
        lo.validate(-1)
    c = Knob("precision", "enum", "auto", choices=("auto", "fp32", "fp16"))
    assert c.type == "choice" and c.validate("FP16") == "fp16"
    with pytest.raises(KnobError, match=r"one of 'auto', 'fp32', 'fp16'.*did you mean 'fp16'"):
        c.validate("fp61")


def test_bad_knob_declarations_fail_at_definition():
    with pytest.raises(KnobError, match="valid types"):
        Knob("x", "colour")
    with pytest.raises(KnobError, match="identifier"):
        Knob("two words", "str")
    with pytest.raises(KnobError, match="between"):
        Knob("x", "float", 5.0, range=(0, 1))  # default outside its own range
    with pytest.raises(KnobError, match="declared twice"):
        type("Twice", (Node,), {"name": "Twice", "knobs": (Knob("a", "int", 0), Knob("a", "int", 0))})
    with pytest.raises(NodeError, match="letters, digits"):
        type("BadName", (Node,), {"name": "bad name"})


# --- the Node base ----------------------------------------------------------------------


def test_node_values_defaults_set_and_errors():
    g = Gain()
    assert g["gain"] == 1.0 and g.values == {"gain": 1.0}
    assert g.set(gain="2.5") is g and g["gain"] == 2.5
    with pytest.raises(KnobError, match="has no knob 'gian': did you mean 'gain'"):
        g.set(gian=2)
    with pytest.raises(KnobError):
        Gain(gain=11)
    g["gain"] = 3
    assert g["gain"] == 3.0 and repr(g) == "Gain(gain=3.0)"
    assert Gain.help == "Multiply R, G, B by a gain (a test node)."
    with pytest.raises(NodeError, match="abstract"):
        Node()


def test_render_returns_a_new_plate_and_leaves_the_input_alone():
    plate = _plate()
    before = plate.pixels.copy()
    out = Gain(gain=2).render({"input": plate}, 1)
    assert out is not plate
    np.testing.assert_array_equal(plate.pixels, before)
    np.testing.assert_allclose(out.channel("R"), before[..., 0] * 2, rtol=1e-6)
    np.testing.assert_array_equal(out.channel("Z"), before[..., 4])
    assert out.data_window == plate.data_window and out.display_window == plate.display_window
    # deterministic: the same settings give the same pixels
    np.testing.assert_array_equal(Gain(gain=2).render(plate, 1).pixels, out.pixels)
    # a single plate or a sequence are accepted
    np.testing.assert_array_equal(Gain(gain=2).render([plate]).pixels, out.pixels)


def test_render_input_errors():
    plate = _plate()
    with pytest.raises(NodeError, match="input 'b' of node Add is not given"):
        Add().render({"a": plate})
    with pytest.raises(NodeError, match="has no input 'c'"):
        Add().render({"a": plate, "b": plate, "c": plate})
    with pytest.raises(NodeError, match="must be a Plate"):
        Gain().render({"input": plate.pixels})

    class Broken(Node):
        name = "Broken"

        def process(self, inputs, frame):
            return "not a plate"

    with pytest.raises(NodeError, match="returned str, not a Plate"):
        Broken().render()


# --- graph ------------------------------------------------------------------------------


def test_graph_renders_a_frame_and_a_range_pulling_each_node_once():
    g = Graph()
    src = g.add(Constant())
    gain = g.add(Gain(gain=2))
    add = g.add(Add())
    g.connect(src, gain)
    g.connect(src, add, "a")
    g.connect(gain, add, "b")
    assert g.name_of(add) == "Add1" and g.inputs_of("Add1") == {"a": "Constant1", "b": "Gain1"}
    Constant.calls = Add.calls = 0
    out = g.render(add, 1000)
    assert Constant.calls == 1 and Add.calls == 1          # the diamond pulls the source once
    np.testing.assert_allclose(out.channel("R"), _plate(value=1.0).channel("R") * 3, rtol=1e-6)
    frames = [(f, p.channel("G")[0, 0]) for f, p in g.iter_range(add, "1000-1002")]
    assert [f for f, _ in frames] == [1000, 1001, 1002]
    assert frames[2][1] > frames[0][1]
    assert g.render_range("Add1", [5, 6]) == [5, 6]


def test_graph_errors():
    g = Graph()
    a, b = g.add(Gain()), g.add(Gain())
    with pytest.raises(NodeError, match="input 'input' of node 'Gain1'.*not connected"):
        g.render(a, 1)
    g.connect(a, b)
    with pytest.raises(NodeError, match="cycle"):
        g.connect(b, a)
    with pytest.raises(NodeError, match="has no input 'x'"):
        g.connect(a, b, "x")
    with pytest.raises(NodeError, match="already in the graph"):
        g.add(a)
    with pytest.raises(NodeError, match="no node 'Gian1'.*did you mean 'Gain1'"):
        g.node("Gian1")
    with pytest.raises(NodeError, match="no inputs"):
        g.connect(a, g.add(Constant()))


# --- built-in nodes ---------------------------------------------------------------------


def test_frame_path_tokens():
    assert frame_path("a/plate.####.exr", 1001) == "a/plate.1001.exr"
    assert frame_path("plate.%04d.exr", 7) == "plate.0007.exr"
    assert frame_path("plate.@@@.exr", 12) == "plate.012.exr"
    assert frame_path("still.exr", 5) == "still.exr"
    with pytest.raises(NodeError, match="frame pattern"):
        frame_path("plate.####.exr", None)


def test_write_compressions_match_the_io_room():
    exr = pytest.importorskip("vfx_nodes.io.exr")
    assert set(Write.knob("compression").choices) == {""} | set(exr.COMPRESSIONS)


def test_read_write_graph_round_trip(tmp_path):
    pytest.importorskip("OpenEXR")
    from vfx_nodes.io import read_plate, write_plate

    for f in (1, 2):
        write_plate(_plate(seed=f), tmp_path / f"in.{f:04d}.exr")
    g = Graph()
    read = g.add(Read(file=str(tmp_path / "in.####.exr")))
    gain = g.add(Gain(gain=0.5))
    write = g.add(Write(file=str(tmp_path / "out.%04d.exr"), compression="zip", pixel_type="half"))
    g.connect(read, gain)
    g.connect(gain, write)
    assert g.render_range(write, [1, 2]) == [1, 2]
    for f in (1, 2):
        src, out = _plate(seed=f), read_plate(tmp_path / f"out.{f:04d}.exr")
        assert out.data_window == src.data_window and out.display_window == src.display_window
        assert out.pixel_types[:3] == ("half",) * 3
        np.testing.assert_allclose(out.channel("R"), src.channel("R") * 0.5, atol=2e-3)
        # Z is not touched by the node, only rounded to the half type asked for
        np.testing.assert_array_equal(out.channel("Z"), src.channel("Z").astype(np.float16).astype(np.float32))
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".") or "tmp" in p]  # atomic
    with pytest.raises(NodeError, match="'file' knob is empty"):
        Read().render(None, 1)
    with pytest.raises(KnobError, match="compression"):
        Write(compression="lzw")


def test_colorspace_node_equals_convert_plate():
    pytest.importorskip("PyOpenColorIO")
    from vfx_nodes.color import convert_plate

    plate = _plate()
    node = ColorSpace(out_colorspace="ACES2065-1")
    out = node.render(plate, 1)
    want = convert_plate(plate, "ACES2065-1")
    np.testing.assert_array_equal(out.pixels, want.pixels)
    assert out.colorspace == want.colorspace
    assert not np.allclose(out.channel("R"), plate.channel("R"))
    np.testing.assert_array_equal(out.channel("A"), plate.channel("A"))


# --- StyleTransfer ----------------------------------------------------------------------


def test_stylize_kwargs_maps_every_knob_one_to_one():
    import inspect

    kw = StyleTransfer.stylize_kwargs({})
    assert kw == {"strength": 1.0, "colorspace": None, "working_colorspace": None, "layer": "",
                  "tile": None, "halo": None, "device": None, "precision": None,
                  "preserve_alpha": True, "luminance_only": False, "highlights": "paint", "through_view": None,
                  "scale": "auto",
                  "config": None, "mask": None, "invert_mask": False}
    # a tile of 0 is the whole frame as one tile, as in stylize and on the command line
    assert StyleTransfer.stylize_kwargs({"tile": 0})["tile"] == 0
    assert StyleTransfer.stylize_kwargs({"tile": "auto", "halo": ""})["halo"] is None
    kw = StyleTransfer.stylize_kwargs({"strength": "0.5", "tile": 64, "device": "cuda:1",
                                       "precision": "FP16", "colorspace": "ACEScg", "layer": "diffuse",
                                       "ocio_config": "/c.ocio", "luminance_only": "true"})
    assert kw["strength"] == 0.5 and kw["tile"] == 64 and kw["device"] == "cuda:1"
    assert kw["precision"] == "fp16" and kw["colorspace"] == "ACEScg" and kw["config"] == "/c.ocio"
    assert kw["luminance_only"] is True and kw["layer"] == "diffuse"
    with pytest.raises(KnobError, match="strength"):
        StyleTransfer.stylize_kwargs({"strength": 2})
    with pytest.raises(KnobError, match="has no knob"):
        StyleTransfer.stylize_kwargs({"tiles": 2})
    # every knob but the three files and the temporal ones is a stylize keyword, and every
    # keyword it names exists; the temporal ones are render_sequence keywords
    from vfx_nodes.nodes.builtin import TEMPORAL_KNOBS

    assert set(STYLIZE_KNOBS) | {"look", "stats_file", "style"} | set(TEMPORAL_KNOBS) == {
        k.name for k in StyleTransfer.knobs}
    render = pytest.importorskip("vfx_nodes.engine.sequence").render_sequence
    assert set(TEMPORAL_KNOBS) <= set(inspect.signature(render).parameters)
    stylize = pytest.importorskip("vfx_nodes.engine").stylize
    params = inspect.signature(stylize).parameters
    # every setting a knob names is a FrameSettings field, which stylize takes by keyword
    from vfx_nodes.policy.settings import FrameSettings

    assert set(STYLIZE_KNOBS.values()) <= set(FrameSettings.names())
    assert "stats" in params and "settings" in params


def test_style_transfer_without_a_look_says_so():
    with pytest.raises(LookNotFoundError, match="'look' knob is empty"):
        StyleTransfer().render(_plate(), 1)


# --- with a real look: node = Python API = command line ---------------------------------


@pytest.fixture(scope="module")
def look_file(tmp_path_factory) -> Path:
    torch = pytest.importorskip("torch")
    from vfx_nodes.model import build_generator, save_look

    torch.manual_seed(11)
    path = tmp_path_factory.mktemp("look") / "look.safetensors"
    gen = build_generator("johnson-small", width=4, blocks=1)  # tiny: the test is about plumbing
    save_look(gen, path, metadata={"training": {"note": "test look"}})
    return path


def test_node_python_api_and_cli_give_the_same_pixels(look_file, tmp_path):
    from vfx_nodes.cli.main import main
    from vfx_nodes.engine import stylize
    from vfx_nodes.io import read_plate, write_plate
    from vfx_nodes.model import load_look

    src = _plate(seed=5)
    write_plate(src, tmp_path / "plate.1001.exr")
    plate = read_plate(tmp_path / "plate.1001.exr")
    knobs = {"look": str(look_file), "strength": 0.7, "tile": 16, "device": "cpu", "luminance_only": True}

    node_out = StyleTransfer(**knobs).render(plate, 1001)
    api_out = stylize(plate, load_look(look_file), strength=0.7, tile=16, device="cpu", luminance_only=True)
    np.testing.assert_array_equal(node_out.pixels, api_out.pixels)
    assert node_out.channel_names == api_out.channel_names
    assert not np.array_equal(node_out.channel("R"), plate.channel("R"))  # the look did something

    # The console script, through its own read/stylize/write; compare through the same
    # float file type (the input is float, so nothing is rounded).
    rc = main(["render", "--input", str(tmp_path / "plate.####.exr"), "--output",
               str(tmp_path / "cli.####.exr"), "--look", str(look_file), "--frames", "1001",
               "--strength", "0.7", "--tile", "16", "--device", "cpu", "--luminance-only", "--quiet"])
    assert rc == 0
    cli_out = read_plate(tmp_path / "cli.1001.exr")
    np.testing.assert_array_equal(cli_out.pixels, node_out.pixels)

    # A graph Read -> StyleTransfer -> Write gives the same file as well.
    g = Graph()
    r = g.add(Read(file=str(tmp_path / "plate.####.exr")))
    s = g.add(StyleTransfer(**knobs))
    w = g.add(Write(file=str(tmp_path / "graph.####.exr")))
    g.connect(r, s)
    g.connect(s, w)
    g.render(w, 1001)
    np.testing.assert_array_equal(read_plate(tmp_path / "graph.1001.exr").pixels, node_out.pixels)


def test_look_is_loaded_once_per_path(look_file, tmp_path, monkeypatch):
    from vfx_nodes import model

    calls = []
    real = model.load_look

    def counting(path, *a, **k):
        calls.append(path)
        return real(path, *a, **k)

    monkeypatch.setattr(model, "load_look", counting)
    node = StyleTransfer(look=str(look_file), device="cpu")
    plate = _plate()
    first = node.render(plate, 1)
    node.set(strength=0.5).render(plate, 2)
    assert len(calls) == 1
    other = tmp_path / "copy.safetensors"
    other.write_bytes(look_file.read_bytes())
    node.set(look=str(other), strength=1.0)
    np.testing.assert_array_equal(node.render(plate, 3).pixels, first.pixels)
    assert len(calls) == 2
    os.utime(other, ns=(1, 1))  # the file changed on disk: load it again
    node.render(plate, 4)
    assert len(calls) == 3


def test_three_lines_in_a_python_console(look_file, tmp_path):
    """The README's console example, exactly: read a plate, apply a look, write it."""
    from vfx_nodes.io import write_plate

    write_plate(_plate(seed=2), tmp_path / "plate.1001.exr")
    (tmp_path / "oil.safetensors").write_bytes(look_file.read_bytes())
    lines = textwrap.dedent("""\
        import vfx_nodes as vn
        plate = vn.read_plate("plate.1001.exr")
        vn.write_plate(vn.stylize(plate, vn.load_look("oil.safetensors")), "styled.1001.exr")
    """)
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert lines.splitlines()[2] in readme  # the tour shows these very lines
    subprocess.run([sys.executable, "-c", lines], cwd=tmp_path, check=True, timeout=120)
    from vfx_nodes.io import read_plate

    out, src = read_plate(tmp_path / "styled.1001.exr"), read_plate(tmp_path / "plate.1001.exr")
    assert out.channel_names == src.channel_names and out.data_window == src.data_window
    assert not np.array_equal(out.channel("G"), src.channel("G"))
    np.testing.assert_array_equal(out.channel("Z"), src.channel("Z"))


# --- real material ----------------------------------------------------------------------


def test_real_sequence_through_a_graph(exr_corpus, tmp_path):
    """OpenEXR's Beachball sequence (stereo layers, data window inside the display
    window): Read one layer → ColorSpace → Write, frames 1-3."""
    from vfx_nodes.color import convert_plate
    from vfx_nodes.io import read_plate

    pattern = exr_corpus / "Beachball" / "singlepart.####.exr"
    if not (exr_corpus / "Beachball" / "singlepart.0001.exr").exists():
        pytest.skip("Beachball sequence not in the corpus")
    g = Graph()
    read = g.add(Read(file=str(pattern), layer="left"))
    cs = g.add(ColorSpace(layer="left", out_colorspace="ACES2065-1", in_colorspace="ACEScg"))
    write = g.add(Write(file=str(tmp_path / "left.%04d.exr")))
    g.connect(read, cs)
    g.connect(cs, write)
    assert g.render_range(write, "1-3") == [1, 2, 3]
    for f in (1, 2, 3):
        src = read_plate(str(pattern).replace("####", f"{f:04d}"), layer="left")
        out = read_plate(tmp_path / f"left.{f:04d}.exr")
        assert all(n.startswith("left.") for n in out.channel_names)
        assert out.channel_names == src.channel_names
        assert out.data_window == src.data_window  # moves from frame to frame in this shot
        assert out.display_window == src.display_window == (0, 0, 2047, 1555)
        want = convert_plate(src, "ACES2065-1", src="ACEScg", layer="left")
        half = want.channel("left.G").astype(np.float16).astype(np.float32)  # written as half
        np.testing.assert_array_equal(out.channel("left.G"), half)
        np.testing.assert_array_equal(out.channel("left.Z"), src.channel("left.Z"))
    # a damaged file read by the node fails with the I/O room's error naming the file
    from vfx_nodes.errors import PlateError

    damaged = next(p for p in sorted((exr_corpus / "Damaged").iterdir()) if p.is_file())
    with pytest.raises(PlateError) as info:
        Read(file=str(damaged)).render(None, 1)
    assert damaged.name in str(info.value)
