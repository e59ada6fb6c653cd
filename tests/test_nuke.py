"""The Nuke adapter, against a stand-in ``nuke`` module (tests/fixtures/nuke/nuke.py).

What is checked: start-up is safe twice and does no UI work in render mode; the toolbar
lists the host nodes; a node's knobs become the documented Nuke knob classes with ranges,
defaults and tooltips; rendering (the Render button and a farm-style execute of the
internal Write) runs the vfx_nodes node on the input's pixels for each frame, reading
animated knobs per frame and failing the render on a bad value; the start-up files stay
small; and the adapter type-checks against the ``types-nuke`` stubs.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from vfx_nodes.errors import KnobError, NodeError
from vfx_nodes.nodes import Registry
from vfx_nodes.plate import Plate

REPO = Path(__file__).resolve().parents[1]
STANDIN = Path(__file__).parent / "fixtures" / "nuke"
ADAPTER = REPO / "vfx_nodes" / "hosts" / "nuke.py"

NODES_PY = textwrap.dedent("""\
    from vfx_nodes.nodes import Knob, Node

    class Gain(Node):
        '''Multiply R, G, B (animatable).'''
        name = "Gain"
        inputs = ("input",)
        knobs = (
            Knob("gain", "float", 1.0, range=(0.0, 4.0), help="multiplier"),
            Knob("steps", "int", 2, range=(1, 8), help="a whole number"),
            Knob("clamp", "bool", False, help="clamp at 1"),
            Knob("mode", "choice", "", choices=("", "fast", "best"), help="a choice"),
            Knob("lut", "file", "", help="a file"),
            Knob("note", "str", "hello", help="some text"),
            Knob("label", "str", "", help="clashes with the Group's own 'label' knob"),
        )

        def process(self, inputs, frame):
            p = inputs["input"]
            g = self["gain"]
            return p.with_channels({c: (np.minimum(p.channel(c) * g, 1) if self["clamp"]
                                        else p.channel(c) * g) for c in p.rgb_names()})

    class Add(Node):
        '''Add two plates' RGB.'''
        name = "Add"
        inputs = ("a", "b")

        def process(self, inputs, frame):
            a, b = inputs["a"], inputs["b"]
            return a.with_channels({c: a.channel(c) + b.channel(c) for c in a.rgb_names()})

    class Noise(Node):
        '''A source node: no image input, so Nuke does not offer it.'''
        name = "Noise"

        def process(self, inputs, frame):
            raise NotImplementedError

    import numpy as np
""")


@pytest.fixture
def nuke(monkeypatch, tmp_path):
    """The stand-in as ``nuke``, a registry with the test nodes, and a clean adapter."""
    spec = importlib.util.spec_from_file_location("nuke", STANDIN / "nuke.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "nuke", module)
    spec.loader.exec_module(module)
    folder = tmp_path / "nodes"
    folder.mkdir()
    (folder / "test_nodes.py").write_text(NODES_PY)
    import vfx_nodes.hosts.nuke as adapter

    adapter.use_registry(Registry(path=[folder], entry_points=False))
    module.root().script = str(tmp_path / "comp_v001.nk")
    # the default cache folder is under the system temp folder: keep it inside tmp_path
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "systemp"))
    yield module
    adapter.use_registry(None)


@pytest.fixture
def adapter(nuke, tmp_path):
    import vfx_nodes.hosts.nuke as adapter

    return adapter


def _plate(frame: int, value: float | None = None) -> Plate:
    rng = np.random.default_rng(frame)
    rgb = rng.random((6, 8, 3), dtype=np.float32) * 0.8 if value is None else np.full((6, 8, 3), value, np.float32)
    a = np.ones((6, 8, 1), np.float32)
    z = np.full((6, 8, 1), float(frame), np.float32)
    return Plate(np.concatenate([rgb, a, z], -1), ("R", "G", "B", "A", "Z"),
                 data_window=(-1, -1, 6, 4), display_window=(0, 0, 5, 3))


def _group(nuke, adapter, name="Gain", frames=(1, 2), tmp=None):
    source = nuke.Source({f: _plate(f) for f in frames})
    group = adapter.create_node(name)
    group.setInput(0, source)
    if tmp is not None:
        group["vfx_cache_dir"].setValue(str(tmp))
    return group, source


# --- start-up ---------------------------------------------------------------------------


def test_init_is_safe_twice_and_touches_no_ui(nuke, adapter):
    nuke.reset(gui=False)  # render mode (nuke -x / -t)
    handlers = list(logging.getLogger().handlers)
    adapter.init()
    adapter.init()
    assert [c for c in nuke.CALLS if c[0] == "addOnScriptLoad"] == [("addOnScriptLoad", "check_script")] * 2
    assert len(nuke.onScriptLoads["Root"]) == 1  # Nuke keeps one entry per callable
    assert not [c for c in nuke.CALLS if c[0] in ("menu", "addMenu", "addCommand", "createNode")]
    assert logging.getLogger().handlers == handlers
    assert adapter.menu() is None  # menu.py in render mode: no UI


def test_menu_lists_the_host_nodes_once(nuke, adapter):
    m = adapter.menu()
    adapter.menu()
    assert [c for c in nuke.CALLS if c[0] == "addMenu"] == [("addMenu", "Nodes", "VFX Nodes")]
    names = [i.name() for i in m.items]
    # Read and Write (Nuke has its own) and Noise (no image input) are not offered
    assert names == ["Add", "Gain", "ColorSpace", "StyleTransfer"]
    assert names == [c.name for c in adapter.host_nodes()]
    group = m.findItem("Gain").invoke()  # the toolbar command creates the node
    assert group.Class() == "Group" and group.name() == "Gain1"


def test_knobs_become_nuke_knobs(nuke, adapter):
    group = adapter.create_node("Gain")
    k = group.knobs()
    assert k["gain"].Class() == "Double_Knob" and k["gain"].range == (0.0, 4.0)
    assert k["gain"].value() == 1.0 and k["gain"].tooltip_text == "multiplier"
    assert k["steps"].Class() == "Int_Knob" and k["steps"].range == (1, 8) and k["steps"].value() == 2
    assert k["clamp"].Class() == "Boolean_Knob" and k["clamp"].value() is False
    assert k["mode"].Class() == "Enumeration_Knob" and k["mode"].values == ["(default)", "fast", "best"]
    assert k["lut"].Class() == "File_Knob" and k["note"].Class() == "String_Knob"
    assert k["note"].value() == "hello"
    assert "label" not in k and k["vfx_label"].label() == "label"  # no clash with Group knobs
    assert k["vfx_node"].value() == "Gain" and nuke.INVISIBLE in k["vfx_node"].flags
    assert k["vfx_render"].Class() == "PyScript_Knob"
    inner = {n.name(): n for n in group.nodes()}
    assert set(inner) == {"input", "vfx_in_input", "vfx_result", "Output1"}
    w = inner["vfx_in_input"]
    assert w.Class() == "Write" and w.input(0) is inner["input"]
    for knob, value in {"file_type": "exr", "channels": "all", "datatype": "32 bit float",
                        "raw": True, "render_order": 0}.items():
        assert w[knob].value() == value
    assert "after_frame_render()" in w["afterFrameRender"].value()
    assert "before_render()" in w["beforeRender"].value()
    assert inner["Output1"].input(0) is inner["vfx_result"] and inner["vfx_result"]["raw"].value() is True
    assert w["file"].value().endswith(os.path.join("comp_v001", "Gain1", "in_input.%04d.exr"))


def test_the_styletransfer_group_has_every_knob(nuke, adapter):
    from vfx_nodes.nodes import StyleTransfer

    group = adapter.create_node("StyleTransfer")
    classes = {k.name: group[k.name].Class() for k in StyleTransfer.knobs}
    assert classes["look"] == "File_Knob" and classes["strength"] == "Double_Knob"
    assert classes["precision"] == "Enumeration_Knob" and classes["preserve_alpha"] == "Boolean_Knob"
    assert classes["tile"] == "String_Knob" and classes["colorspace"] == "String_Knob"
    assert group["strength"].range == (0.0, 1.0)
    assert adapter.knob_values(group, StyleTransfer, 1) == StyleTransfer().values
    with pytest.raises(NodeError, match="cannot be used in Nuke"):
        adapter.create_node("Read")


# --- rendering --------------------------------------------------------------------------


def test_render_button_runs_the_node_on_the_input_pixels(nuke, adapter, tmp_path):
    from vfx_nodes.io import read_plate

    group, source = _group(nuke, adapter, tmp=tmp_path / "cache")
    group["gain"].setValueAt(2.0, 1)   # animated: 2 at frame 1, 3 at frame 2
    group["gain"].setValueAt(3.0, 2)
    nuke.root().first, nuke.root().last = 1, 2
    nuke._CONTEXT["node"] = group
    group["vfx_render"].execute()      # what pressing the button does
    read = group.node("vfx_result")
    assert read["reload"].executed == 1
    for f, gain in ((1, 2.0), (2, 3.0)):
        nuke.frame(f)
        out = read_plate(nuke.filename(read, nuke.REPLACE))
        src = source.plates[f]
        np.testing.assert_allclose(out.channel("R"), src.channel("R") * gain, rtol=1e-6)
        np.testing.assert_array_equal(out.channel("Z"), src.channel("Z"))  # other channels carried
        assert out.data_window == src.data_window and out.display_window == src.display_window
    assert str(tmp_path / "cache") in nuke.filename(read, nuke.REPLACE)
    # Render frame: only the current frame
    nuke.CALLS.clear()
    nuke.frame(2)
    group["vfx_render_frame"].execute()
    assert [c for c in nuke.CALLS if c[0] == "execute"] == [("execute", "Gain1.vfx_in_input", 2, 2)]


def test_farm_render_frames_outside_the_script_range(nuke, adapter, tmp_path):
    """`nuke -x -F 20-21`: the internal Write runs with its callbacks, no GUI, no buttons."""
    from vfx_nodes.io import read_plate

    group, source = _group(nuke, adapter, frames=(20, 21))
    nuke.reset(gui=False)  # a fresh render process opens the saved script...
    nuke._ROOT[0]._children.extend([source, group])  # ...holding the same nodes
    group["gain"].setValue(0.5)
    nuke.execute(group.node("vfx_in_input"), 20, 21)  # what -x does for the internal Write
    read = group.node("vfx_result")
    assert read["first"].value() == 1 and read["last"].value() == 21  # widened to frame 21
    nuke.frame(21)
    out = read_plate(nuke.filename(read, nuke.REPLACE))
    np.testing.assert_allclose(out.channel("G"), source.plates[21].channel("G") * 0.5, rtol=1e-6)


def test_a_bad_knob_value_fails_the_render(nuke, adapter, tmp_path):
    group, _ = _group(nuke, adapter)
    group["gain"].setValue(9.0)  # Nuke's slider range does not stop a typed value
    with pytest.raises(KnobError, match="knob 'gain' of Gain must be between 0 and 4, got 9"):
        adapter.render_group(group, 1, 1)
    group["gain"].setValue(1.0)
    group["mode"].setValue("best")
    assert adapter.knob_values(group, adapter.node_class(group), 1)["mode"] == "best"
    group["mode"].setValue("(default)")
    assert adapter.knob_values(group, adapter.node_class(group), 1)["mode"] == ""


def test_file_knobs_are_evaluated(nuke, adapter, monkeypatch):
    monkeypatch.setenv("SHOW_LOOKS", "/shows/abc/looks")
    group = adapter.create_node("Gain")
    group["lut"].setValue("[getenv SHOW_LOOKS]/oil.safetensors")
    assert adapter.knob_values(group, adapter.node_class(group), 1)["lut"] == "/shows/abc/looks/oil.safetensors"


def test_two_input_node_runs_when_both_inputs_are_written(nuke, adapter, tmp_path):
    from vfx_nodes.io import read_plate

    a = nuke.Source({1: _plate(1, 0.25)})
    b = nuke.Source({1: _plate(1, 0.5)})
    group = adapter.create_node("Add")
    group.setInput(0, a)
    group.setInput(1, b)
    adapter.prepare(group)
    nuke.execute(group.node("vfx_in_a"), 1, 1)
    nuke.frame(1)
    out_file = nuke.filename(group.node("vfx_result"), nuke.REPLACE)
    assert str(tmp_path / "systemp" / "vfx_nodes_nuke" / "comp_v001" / "Add1") in out_file
    assert not os.path.exists(out_file)  # waiting for input b
    nuke.execute(group.node("vfx_in_b"), 1, 1)
    np.testing.assert_allclose(read_plate(out_file).channel("B"), 0.75)
    # input a changes: its result is removed at once, then remade from a and the b on disk
    a.plates[1] = _plate(1, 0.0)
    nuke.execute(group.node("vfx_in_a"), 1, 1)
    np.testing.assert_allclose(read_plate(out_file).channel("B"), 0.5)


def test_style_transfer_in_nuke_equals_the_node(nuke, adapter, tmp_path):
    torch = pytest.importorskip("torch")
    from vfx_nodes.io import read_plate
    from vfx_nodes.model import build_generator, save_look
    from vfx_nodes.nodes import StyleTransfer

    torch.manual_seed(3)
    look = save_look(build_generator("johnson-small", width=4, blocks=1), tmp_path / "look.safetensors", {})
    group, source = _group(nuke, adapter, name="StyleTransfer", frames=(1,))
    group["look"].setValue(str(look))
    group["strength"].setValue(0.6)
    group["device"].setValue("cpu")
    adapter.render_group(group, 1, 1)
    nuke.frame(1)
    got = read_plate(nuke.filename(group.node("vfx_result"), nuke.REPLACE))
    # the node on the same pixels Nuke handed over (the internal Write's file)
    given = read_plate(nuke.filename(group.node("vfx_in_input"), nuke.REPLACE))
    want = StyleTransfer(look=str(look), strength=0.6, device="cpu").render(given, 1)
    np.testing.assert_array_equal(got.pixels, want.pixels)
    assert not np.array_equal(got.channel("R"), source.plates[1].channel("R"))


def test_check_script_warns_about_unregistered_nodes(nuke, adapter, caplog):
    group = adapter.create_node("Gain")
    assert adapter.check_script() == []
    group["vfx_node"].setValue("Sharpen")
    with caplog.at_level(logging.WARNING, logger="vfx_nodes.hosts.nuke"):
        problems = adapter.check_script()
    assert len(problems) == 1 and "node 'Sharpen' is not registered on this machine" in problems[0]
    assert "Sharpen" in caplog.text


def test_render_script_runs_groups_then_writes(nuke, adapter, tmp_path):
    group, _ = _group(nuke, adapter)
    final = nuke.nodes.Write(name="Write1", file=str(tmp_path / "final.%04d.exr"))
    final.setInput(0, group)
    group.plate = lambda f: __import__("vfx_nodes.io", fromlist=["_"]).read_plate(
        nuke.filename(group.node("vfx_result"), nuke.REPLACE))
    adapter.render_script(1, 2)
    order = [c[1] for c in nuke.CALLS if c[0] == "execute"]
    assert order == ["Gain1.vfx_in_input", "Write1"]
    assert (tmp_path / "final.0002.exr").exists()
    with pytest.raises(NodeError, match="no Write node called 'Nope'"):
        adapter.render_script(1, 1, ["Nope"])


# --- start-up files ---------------------------------------------------------------------


def test_plugin_files_are_small_and_work_twice(nuke, adapter):
    init_py, menu_py = REPO / "plugin/nuke/init.py", REPO / "plugin/nuke/menu.py"
    for path in (init_py, menu_py):
        code = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
        assert len(code) <= 10, path
        assert not [ln for ln in code if "logging" in ln or "urllib" in ln or "socket" in ln]
    for _ in range(2):
        for path in (init_py, menu_py):
            code = compile(path.read_text(), str(path), "exec")
            exec(code, {"__file__": str(path), "__name__": "__main__"})
    assert [c for c in nuke.CALLS if c[0] == "addMenu"] == [("addMenu", "Nodes", "VFX Nodes")]
    assert len(nuke.onScriptLoads["Root"]) == 1


def test_init_py_finds_the_package_next_to_the_plugin_folder(tmp_path):
    """Nuke's Python without vfx_nodes installed: init.py puts the checkout on sys.path."""
    import numpy

    site = str(Path(numpy.__file__).parents[1])  # numpy etc., but not the editable install
    code = ("import runpy, sys; runpy.run_path(sys.argv[1]);"
            "import vfx_nodes, nuke; print(vfx_nodes.__file__); print(len(nuke.onScriptLoads['Root']))")
    env = {"PYTHONPATH": os.pathsep.join([str(STANDIN), site]), "PATH": os.environ.get("PATH", "")}
    out = subprocess.run([sys.executable, "-S", "-c", code, str(REPO / "plugin/nuke/init.py")],
                         check=False, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split()
    assert lines[0] == str(REPO / "vfx_nodes" / "__init__.py") and lines[1] == "1"


# --- type check against the Nuke stubs ---------------------------------------------------


def test_adapter_type_checks_against_the_nuke_stubs():
    api = pytest.importorskip("mypy.api")
    try:
        from importlib.metadata import distribution

        distribution("types-nuke")
    except Exception:
        pytest.skip("types-nuke (the Nuke stubs) is not installed")
    # follow-imports=skip: check this file against the stubs (which mypy always reads)
    # without type-checking the rest of the package (torch, numpy) on every run.
    stdout, stderr, status = api.run([str(ADAPTER), "--follow-imports=skip", "--no-incremental",
                                      "--cache-dir", os.devnull, "--check-untyped-defs",
                                      "--disallow-untyped-defs", "--warn-unused-ignores",
                                      "--python-version", f"{sys.version_info[0]}.{sys.version_info[1]}"])
    assert status == 0, stdout + stderr
    assert "Success" in stdout
