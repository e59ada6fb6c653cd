"""The rooms of docs/ARCHITECTURE.md, checked on the source: arrows only point down, and
tests pass fakes in rather than patching another module's private names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import vfx_nodes

PACKAGE = Path(vfx_nodes.__file__).parent
TESTS = Path(__file__).parent

#: first component under ``vfx_nodes`` → room (docs/ARCHITECTURE.md, "Rooms")
ROOMS = {
    "cli": "cli", "__main__": "cli", "hosts": "hosts", "nodes": "nodes", "train": "train",
    "engine": "engine", "recipe": "recipe", "export": "export", "model": "model", "plate": "base", "io": "base",
    "color": "base", "samples": "base", "shots": "base", "policy": "policy", "errors": "errors",
    "_atomic": "files", "_version": "files", "looks": "looks", "_lazy": "files", "__init__": "package",
}

#: room → the rooms it may import (besides itself); the table in docs/ARCHITECTURE.md
BELOW = {
    "files": set(),
    "errors": set(),
    "policy": {"errors", "files"},
    "base": {"policy", "errors", "files"},
    "model": {"policy", "errors", "files"},
    # the frame recipe's colour side: numpy and OCIO, below the engine and training
    "recipe": {"base", "policy", "errors", "files"},
    # the host module mirrors the recipe's constants (highlights, the residual's rule)
    "export": {"recipe", "model", "base", "policy", "errors", "files"},
    "engine": {"recipe", "model", "base", "policy", "errors", "files"},
    "train": {"recipe", "model", "base", "policy", "errors", "files"},
    "nodes": {"engine", "train", "recipe", "model", "base", "policy", "errors", "files", "package"},
    "looks": {"model", "errors", "package"},
    # the host adapters (Nuke, the Look Lab) drive everything below them, never the console scripts
    "hosts": {"nodes", "engine", "train", "recipe", "export", "looks", "model", "base", "policy", "errors", "files",
              "package"},
    # the console scripts sit on top: every room, the host adapters included (vfx-style lab)
    "cli": {"hosts", "nodes", "engine", "train", "recipe", "export", "looks", "model", "base", "policy", "errors",
            "files", "package"},
    # the package root is the public facade: it re-exports (lazily; its typing block names
    # them) every room but the host adapters and the console scripts
    "package": {"nodes", "engine", "train", "recipe", "export", "looks", "model", "base", "policy", "errors", "files"},
}


def _room(module: str) -> str:
    parts = module.split(".")
    return "package" if len(parts) == 1 else ROOMS.get(parts[1], "package")


def _imports() -> list[tuple[str, str]]:
    """``(importer, imported)`` module names for every vfx_nodes import, at any depth
    (imports inside functions count: they are the same dependency, made later)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("").parts
        module = ".".join(("vfx_nodes", *rel)).removesuffix(".__init__")
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                    names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
                elif node.module and node.module.split(".")[0] == "vfx_nodes":
                    names = [node.module]
                else:
                    continue
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.split(".")[0] == "vfx_nodes"]
            else:
                continue
            found += [(module, name) for name in names]
    return found


def test_the_scan_sees_the_imports():
    edges = _imports()
    assert ("vfx_nodes.engine.pipeline", "vfx_nodes.model.ops") in edges
    assert ("vfx_nodes.export.host", "vfx_nodes.model.ops") in edges
    assert len(edges) > 200


def test_every_room_has_its_rule():
    assert set(ROOMS.values()) <= set(BELOW), set(ROOMS.values()) - set(BELOW)
    first = {path.relative_to(PACKAGE).parts[0].removesuffix(".py") for path in PACKAGE.rglob("*.py")}
    assert first <= set(ROOMS), f"modules in no room: {sorted(first - set(ROOMS))}"


def test_rooms_import_only_the_rooms_below_them():
    wrong = sorted(f"{a} imports {b}" for a, b in _imports()
                   if _room(a) in BELOW and _room(b) != _room(a) and _room(b) not in BELOW[_room(a)])
    assert not wrong, "\n".join(wrong)


def test_training_never_imports_the_engine():
    assert not [a for a, b in _imports() if _room(a) == "train" and _room(b) == "engine"]


_PATCH = re.compile(r"monkeypatch\.setattr\(\s*(?:[\w.]+\s*,\s*)?[\"']([\w.]+)[\"']")


def test_no_test_patches_a_private_name_of_another_module():
    """Seams are passed in (``RenderIO``, a failing generator, the OpenEXR binding's own
    ``File.write``), not made by replacing private functions."""
    offenders = []
    for path in sorted(TESTS.glob("test_*.py")):
        for match in _PATCH.finditer(path.read_text(encoding="utf-8")):
            if match.group(1).rpartition(".")[2].startswith("_"):
                offenders.append(f"{path.name}: {match.group(0)}")
    assert not offenders, offenders


def test_policy_needs_only_the_standard_library():
    """The bottom rooms (policy, errors, files) import nothing outside the standard library,
    so everything above can rely on them anywhere (device choice, which needs torch, lives
    in model/device.py)."""
    import sys

    bottom = [*sorted((PACKAGE / "policy").glob("*.py")), PACKAGE / "errors.py", PACKAGE / "_atomic.py",
              PACKAGE / "_version.py", PACKAGE / "_lazy.py"]
    foreign = []
    for path in bottom:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                     else [])
            foreign += [f"{path.name}: {n}" for n in names
                        if n.split(".")[0] not in sys.stdlib_module_names and n.split(".")[0] != "vfx_nodes"]
    assert not foreign, foreign


def test_only_the_colour_room_talks_to_ocio():
    """Every conversion goes through vfx_nodes.color (its processor cache, its config
    choice): no other module imports PyOpenColorIO."""
    talkers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] == "color":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            talkers += [str(path.relative_to(PACKAGE)) for n in names if n.split(".")[0] == "PyOpenColorIO"]
    assert not talkers, talkers


def test_io_knows_nothing_of_colour():
    """Within the base room, files sit below colour: io/ reads and writes plates and movie
    files; pictures for review (display/view) are colour's (color/display.py, color/movie.py)."""
    wrong = sorted(f"{a} imports {b}" for a, b in _imports()
                   if a.startswith("vfx_nodes.io") and b.startswith("vfx_nodes.color"))
    assert not wrong, wrong
