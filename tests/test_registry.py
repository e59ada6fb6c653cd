"""The registry: built-ins, entry points of installed packages, $VFX_NODES_PATH, failures."""

from __future__ import annotations

import json
import logging
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import tomllib

import vfx_nodes
from vfx_nodes.cli.main import main
from vfx_nodes.errors import NodeError, NodeLoadError
from vfx_nodes.nodes import ENTRY_POINT_GROUP, Registry, StyleTransfer
from vfx_nodes.plate import Plate

FIXTURES = Path(__file__).parent / "fixtures" / "third_party_nodes"
PLUGIN_MODULES = ("vfx_nodes_demo_plugin", "vfx_nodes_demo_plugin.more", "vfx_nodes_broken_plugin")


def _install(package: Path, site: Path) -> str:
    """'Install' a fixture package: a dist-info from its pyproject, the source on sys.path."""
    project = tomllib.loads((package / "pyproject.toml").read_text())["project"]
    eps = project["entry-points"][ENTRY_POINT_GROUP]
    dist = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\n"
                                   f"Version: {project['version']}\n")
    lines = [f"[{ENTRY_POINT_GROUP}]"] + [f"{k} = {v}" for k, v in eps.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return project["name"]


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Both fixture packages installed through a temporary site folder."""
    site = tmp_path / "site"
    for name in ("good", "broken"):
        _install(FIXTURES / name, site)
        monkeypatch.syspath_prepend(str(FIXTURES / name))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("VFX_NODES_PATH", raising=False)
    for mod in PLUGIN_MODULES:
        monkeypatch.delitem(sys.modules, mod, raising=False)
    yield site
    for mod in PLUGIN_MODULES:
        sys.modules.pop(mod, None)


@pytest.fixture
def plugin_dir(tmp_path) -> Path:
    """A $VFX_NODES_PATH folder: a good module, a broken one, a syntax error, a private file."""
    d = tmp_path / "nodes"
    d.mkdir()
    (d / "sharpen.py").write_text(textwrap.dedent("""\
        from vfx_nodes.nodes import Knob, Node, Read   # Read is imported, not defined here

        class Sharpen(Node):
            '''A path node.'''
            name = "Sharpen"
            inputs = ("input",)
            knobs = (Knob("amount", "float", 0.5, range=(0, 1)),)

            def process(self, inputs, frame):
                return inputs["input"].replace()

        class StyleTransfer(Node):
            '''A studio's patched StyleTransfer: shadows the built-in.'''
            name = "StyleTransfer"
            inputs = ("input",)

            def process(self, inputs, frame):
                return inputs["input"].replace()
    """))
    (d / "explodes.py").write_text("raise RuntimeError('licence server down')\n")
    (d / "typo.py").write_text("def broken(:\n")
    (d / "badnode.py").write_text(textwrap.dedent("""\
        from vfx_nodes.nodes import Knob, Node

        class Bad(Node):
            name = "Bad"
            knobs = (Knob("gain", "float", 5.0, range=(0, 1)),)
    """))
    (d / "_private.py").write_text("raise RuntimeError('never imported')\n")
    (d / "notes.txt").write_text("not python\n")
    return d


def _plate() -> Plate:
    return Plate(np.full((4, 5, 4), 0.25, np.float32), ("R", "G", "B", "A"))


def test_builtins_and_lazy_export():
    reg = vfx_nodes.Registry()
    assert repr(reg) == "Registry(<not searched yet>)"
    assert reg.names()[-4:] == ["Read", "Write", "ColorSpace", "StyleTransfer"]
    info = reg.info("StyleTransfer")
    assert info.origin == "builtin" and info.cls is StyleTransfer
    node = reg.create("StyleTransfer", strength=0.5)
    assert node["strength"] == 0.5
    with pytest.raises(NodeError, match="no node called 'StyleTransfr'.*did you mean 'StyleTransfer'"):
        reg.get("StyleTransfr")
    assert "Read" in reg and len(reg) >= 4 and list(reg) == reg.names()


def test_registries_are_independent_objects(plugin_dir, monkeypatch):
    monkeypatch.delenv("VFX_NODES_PATH", raising=False)
    with_path = Registry(path=[plugin_dir])
    plain = Registry(entry_points=False)
    assert "Sharpen" in with_path and "Sharpen" not in plain


def test_entry_points_load_and_a_broken_package_is_reported(installed, caplog):
    reg = Registry()
    assert "vfx_nodes_demo_plugin" not in sys.modules  # nothing imported before first use
    with caplog.at_level(logging.WARNING, logger="vfx_nodes.nodes.registry"):
        names = reg.names()
    assert "vfx_nodes_demo_plugin" in sys.modules
    # entry points come before the built-ins, sorted by entry-point name
    assert names == ["Mode", "Offset", "Invert", "Read", "Write", "ColorSpace", "StyleTransfer"]
    info = reg.info("Invert")
    assert info.origin == "entry_point"
    assert info.source == "vfx-nodes-demo-plugin 1.0.0: invert = vfx_nodes_demo_plugin:Invert"
    out = reg.create("Invert").render(_plate(), 1)
    np.testing.assert_allclose(out.channel("R"), 0.75)
    assert reg.create("Offset", value=0.5).render(_plate(), 1).channel("G")[0, 0] == 0.75

    failures = {f.name: f for f in reg.failures}
    assert set(failures) == {"broken", "not_a_node"}
    assert failures["broken"].origin == "entry_point"
    assert "ModuleNotFoundError" in failures["broken"].reason
    assert "vfx_nodes_dependency_that_is_not_installed" in failures["broken"].reason
    assert "vfx-nodes-broken-plugin 0.1.0" in failures["broken"].source
    assert failures["not_a_node"].reason == ("vfx_nodes_demo_plugin:helper is a function, "
                                             "not a named Node subclass or a module of them")
    warned = [r.getMessage() for r in caplog.records]
    assert any("node broken could not be loaded" in m and "ModuleNotFoundError" in m for m in warned)
    with pytest.raises(NodeLoadError, match="node 'broken' could not be loaded: ModuleNotFoundError"):
        reg.get("broken")


def test_path_modules_win_over_entry_points_and_builtins(installed, plugin_dir, monkeypatch):
    monkeypatch.setenv("VFX_NODES_PATH", f"{plugin_dir}{__import__('os').pathsep}{plugin_dir / 'missing'}")
    reg = Registry()
    names = reg.names()
    assert names[:2] == ["Sharpen", "StyleTransfer"]
    st = reg.info("StyleTransfer")
    assert st.origin == "path" and st.source == str(plugin_dir / "sharpen.py")
    assert st.cls is not StyleTransfer
    assert st.shadows == ("builtin: vfx_nodes.nodes.builtin",)
    assert reg.info("Read").origin == "builtin"  # imported into sharpen.py, not defined there
    failures = {f.name: f for f in reg.failures}
    assert {"explodes", "typo", "badnode", "missing", "broken", "not_a_node"} == set(failures)
    assert failures["explodes"].reason == "RuntimeError: licence server down"
    assert failures["typo"].reason.startswith("SyntaxError")
    assert "KnobError" in failures["badnode"].reason and "between 0 and 1" in failures["badnode"].reason
    assert "not a folder" in failures["missing"].reason
    assert all("never imported" not in f.reason for f in failures.values())  # _private.py skipped


def test_refresh_picks_up_a_fixed_module(plugin_dir):
    reg = Registry(path=str(plugin_dir), entry_points=False)
    assert "explodes" in {f.name for f in reg.failures}
    (plugin_dir / "explodes.py").write_text(textwrap.dedent("""\
        from vfx_nodes.nodes import Node

        class Fixed(Node):
            name = "Fixed"
            inputs = ("input",)

            def process(self, inputs, frame):
                return inputs["input"].replace()
    """))
    assert "Fixed" not in reg.names()  # found once, kept until refresh
    reg.refresh()
    assert "Fixed" in reg.names() and "explodes" not in {f.name for f in reg.failures}


def test_cli_lists_nodes_knobs_origins_and_failures(installed, plugin_dir, monkeypatch, capsys):
    monkeypatch.setenv("VFX_NODES_PATH", str(plugin_dir))
    assert main(["nodes"]) == 0
    out = capsys.readouterr().out
    assert "Invert  [entry_point: vfx-nodes-demo-plugin 1.0.0: invert = vfx_nodes_demo_plugin:Invert]" in out
    assert "value (float [-10.0..10.0]) = 0.0: added to R, G and B" in out
    assert "mode (choice {'fast', 'best'}) = 'fast': a choice" in out
    winner = out.split("StyleTransfer  [")[1].split("\n\n")[0]
    assert winner.startswith("path: ") and "shadows builtin: vfx_nodes.nodes.builtin" in winner
    assert "5 node(s) failed to load:" in out
    assert "explodes (path: " in out and "RuntimeError: licence server down" in out

    assert main(["nodes", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    by_name = {n["name"]: n for n in doc["nodes"]}
    assert by_name["Invert"]["origin"] == "entry_point" and by_name["Invert"]["inputs"] == ["input"]
    assert by_name["ColorSpace"]["origin"] == "builtin"
    knobs = {k["name"]: k for k in by_name["Offset"]["knobs"]}
    assert knobs["value"] == {"name": "value", "type": "float", "default": 0.0, "label": "value",
                              "help": "added to R, G and B", "range": [-10.0, 10.0]}
    assert {f["name"] for f in doc["failures"]} >= {"broken", "explodes"}
    assert doc["search_path"] == [str(plugin_dir)]

    assert main(["nodes", "Offset", "--path", ""]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Offset  [entry_point") and "Invert" not in out.split("failed")[0]
    assert main(["nodes", "Nope"]) == 1
    assert "vfx-style nodes: error: no node called 'Nope'" in capsys.readouterr().err


def test_listing_nodes_does_not_import_torch_or_ocio():
    import subprocess

    code = ("import sys; from vfx_nodes.cli.main import main; main(['nodes', '--json']);"
            "print('torch' in sys.modules, 'PyOpenColorIO' in sys.modules, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "VFX_NODES_PATH": ""})
    assert out.stderr.strip().splitlines()[-1] == "False False"
    assert json.loads(out.stdout)["nodes"]


# --- a folder's manifest: declared names, loaded on first use (issue 15.5) ----------------------

MANIFEST_NODES = {
    "sharp.py": """
from vfx_nodes.nodes import Node
(__import__("pathlib").Path(__file__).with_suffix(".imported")).write_text("yes")

class Sharp(Node):
    '''Sharpen.'''
    name = "Sharp"
    inputs = ("input",)

    def process(self, inputs, frame):
        return inputs["input"]
""",
    "blur.py": "import vfx_nodes_dependency_that_is_not_installed\n",
    "soft.py": """
from vfx_nodes.nodes import Node

class Softer(Node):
    name = "Softer"
    inputs = ("input",)

    def process(self, inputs, frame):
        return inputs["input"]
""",
}


@pytest.fixture
def declared_dir(tmp_path):
    import json

    folder = tmp_path / "declared"
    folder.mkdir()
    for name, text in MANIFEST_NODES.items():
        (folder / name).write_text(text)
    (folder / "vfx_nodes_plugins.json").write_text(json.dumps(
        {"nodes": {"Sharp": "sharp.py", "Blur": "blur.py", "Soft": "soft.py"}}))
    return folder


def test_manifest_names_nodes_without_importing_and_reports_failures_by_node(declared_dir):
    reg = Registry(path=[declared_dir], entry_points=False)
    assert {"Sharp", "Blur", "Soft", "StyleTransfer"} <= set(reg.names())
    assert not (declared_dir / "sharp.imported").exists()  # listing imported nothing
    assert reg.get("Sharp").name == "Sharp" and (declared_dir / "sharp.imported").exists()
    with pytest.raises(NodeLoadError, match=r"node 'Blur' could not be loaded .*blur\.py.*ModuleNotFoundError"):
        reg.get("Blur")
    with pytest.raises(NodeLoadError, match="node 'Blur' could not be loaded"):
        reg.get("Blur")  # still the reason, not "no node called 'Blur'"
    with pytest.raises(NodeLoadError, match="declares 'Soft' in soft.py, which defines 'Softer'"):
        reg.get("Soft")
    failures = {f.name: f for f in reg.failures}
    assert set(failures) == {"Blur", "Soft"} and failures["Blur"].source.endswith("blur.py")
    assert "Blur" not in reg.names() and "Sharp" in reg.names()


def test_a_damaged_manifest_is_one_failure(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "vfx_nodes_plugins.json").write_text("{not json")
    reg = Registry(path=[folder], entry_points=False)
    assert [f.name for f in reg.failures] == ["bad"] and "unreadable manifest" in reg.failures[0].reason
    assert "StyleTransfer" in reg.names()
