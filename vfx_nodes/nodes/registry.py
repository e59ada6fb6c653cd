"""The node registry: built-in nodes, installed packages' nodes and a path variable.

Where nodes come from, searched in this order (OpenTimelineIO's plugin order); **the
first place that defines a name wins**, so a studio can replace a built-in by publishing
a node of the same name, and an artist can try a fix from a folder without reinstalling:

1. ``$VFX_NODES_PATH`` — folders (``os.pathsep``-separated, searched left to right) of
   ``.py`` files; every :class:`~vfx_nodes.nodes.node.Node` subclass *defined* in a file
   (with a ``name``) is a node. Files starting with ``_`` or ``.`` are skipped.
2. Entry points of the ``vfx_nodes.nodes`` group, from installed distributions
   (:func:`importlib.metadata.entry_points`). An entry point names either a Node
   subclass (``blur = studio_nodes.blur:Blur``) or a module (``studio = studio_nodes``)
   whose Node subclasses are all taken. Entry points are taken sorted by name.
3. The built-ins: Read, Write, ColorSpace, StyleTransfer.

A folder may **declare** its nodes in a manifest, ``vfx_nodes_plugins.json`` (as
OpenTimelineIO's ``plugin_manifest.json`` does)::

    {"nodes": {"Blur": "blur.py", "Sharpen": "sharpen.py"}}

Then only the files it names are read, and each is imported on the first use of one of
its nodes (not at discovery): listing the nodes imports nothing, and a module that fails
is reported under the **node's** name (``get("Blur")`` says why Blur could not be
loaded, instead of "no node called 'Blur'").

A name found again further down the order is *shadowed*: it is kept in
:attr:`NodeInfo.shadows` of the winner (``vfx-style nodes`` prints it) and logged at
INFO level.

Nothing is imported when a :class:`Registry` is made; the first look-up (``names()``,
``get()``, ``in``, iteration ...) discovers the nodes, importing plugin modules then.
A module that fails to import, or a class that is not a valid node, is reported in
:attr:`Registry.failures` (name, where from, reason) and as a logged warning, and every
other node still loads. There is no module-level registry: make one where you need it
(``vfx_nodes.Registry()``), and :meth:`Registry.refresh` to look again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any

from ..errors import NodeError, NodeLoadError, close_matches
from .node import Node

__all__ = ["ENTRY_POINT_GROUP", "MANIFEST", "PATH_VARIABLE", "NodeFailure", "NodeInfo", "Registry"]

log = logging.getLogger(__name__)

#: The entry-point group third-party packages publish nodes under.
ENTRY_POINT_GROUP = "vfx_nodes.nodes"
#: The environment variable naming folders of node modules.
PATH_VARIABLE = "VFX_NODES_PATH"
#: The manifest a node folder may hold: ``{"nodes": {"NodeName": "file.py", ...}}``.
MANIFEST = "vfx_nodes_plugins.json"


@dataclasses.dataclass(frozen=True)
class NodeInfo:
    """A registered node and where it came from.

    Attributes:
        name: the node's name.
        cls: the Node subclass.
        origin: ``"path"``, ``"entry_point"`` or ``"builtin"``.
        source: the file (path), ``"<distribution> <version>: <entry point>"`` or the
            module (built-ins).
        shadows: ``"origin: source"`` of same-named nodes found later in the search order.
    """

    name: str
    cls: type[Node]
    origin: str
    source: str
    shadows: tuple[str, ...] = ()

    @property
    def loaded(self) -> bool:
        """Always true for a NodeInfo handed out (declared nodes are loaded on first use)."""
        return self.cls is not _DECLARED

    def describe(self) -> dict[str, Any]:
        """JSON-ready description: the node's declaration plus where it came from."""
        out = self.cls.describe()
        out.update(origin=self.origin, source=self.source, shadows=list(self.shadows))
        return out


@dataclasses.dataclass(frozen=True)
class NodeFailure:
    """A node (or module of nodes) that could not be loaded.

    Attributes:
        name: the entry point's name, the module file's stem, or the class name.
        origin: ``"path"``, ``"entry_point"`` or ``"builtin"``.
        source: where it was looked for (file, distribution, module).
        reason: one line: the exception type and message.
    """

    name: str
    origin: str
    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name} ({self.origin}: {self.source}): {self.reason}"


class Registry:
    """Finds and holds the nodes; see the module documentation for the search order.

    Args:
        path: folders to search instead of ``$VFX_NODES_PATH`` (a list, or one
            ``os.pathsep``-separated string); ``None`` reads the variable when discovery
            runs.
        entry_points: search the ``vfx_nodes.nodes`` entry-point group.
        builtins: include the built-in nodes.

    Example:
        >>> reg = Registry()
        >>> node = reg.create("StyleTransfer", look="oil.safetensors")   # doctest: +SKIP
        >>> [f.name for f in reg.failures]                                 # doctest: +SKIP
        []
    """

    def __init__(self, path: Sequence[str | os.PathLike[str]] | str | None = None, *,
                 entry_points: bool = True, builtins: bool = True) -> None:
        self._path = path
        self._use_entry_points = entry_points
        self._use_builtins = builtins
        self._nodes: dict[str, NodeInfo] | None = None
        self._failures: list[NodeFailure] = []

    # --- discovery --------------------------------------------------------------------

    def refresh(self) -> None:
        """Forget what was found; the next look-up searches again."""
        self._nodes = None
        self._failures = []

    def _discovered(self) -> dict[str, NodeInfo]:
        nodes = self._nodes
        if nodes is None:
            nodes, self._failures = self._discover()
            self._nodes = nodes
        return nodes

    def _discover(self) -> tuple[dict[str, NodeInfo], list[NodeFailure]]:
        found: list[tuple[str, type[Node], str, str]] = []  # (name, cls, origin, source)
        failures: list[NodeFailure] = []
        for folder in self.search_path():
            found += self._from_folder(folder, failures)
        if self._use_entry_points:
            found += self._from_entry_points(failures)
        if self._use_builtins:
            builtin = importlib.import_module(f"{__package__}.builtin")
            found += [(c.name, c, "builtin", c.__module__) for c in builtin.BUILTIN_NODES]

        nodes: dict[str, NodeInfo] = {}
        for name, cls, origin, source in found:
            if name in nodes:
                winner = nodes[name]
                if winner.cls is cls and cls is not _DECLARED:
                    continue  # the same class reached twice (a module re-exporting it)
                nodes[name] = dataclasses.replace(winner, shadows=winner.shadows + (f"{origin}: {source}",))
                log.info("node %s from %s: %s shadows the one from %s: %s",
                         name, winner.origin, winner.source, origin, source)
                continue
            nodes[name] = NodeInfo(name, cls, origin, source)
        for failure in failures:
            log.warning("vfx_nodes: node %s could not be loaded (%s: %s): %s",
                        failure.name, failure.origin, failure.source, failure.reason)
        return nodes, failures

    def search_path(self) -> list[str]:
        """The folders searched for node modules (the argument, else ``$VFX_NODES_PATH``)."""
        value = self._path if self._path is not None else os.environ.get(PATH_VARIABLE, "")
        if isinstance(value, (str, os.PathLike)):
            parts = os.fspath(value).split(os.pathsep)
        else:
            parts = [os.fspath(p) for p in value]
        return [p for p in parts if p]

    def _from_folder(self, folder: str, failures: list[NodeFailure]) -> list[tuple[str, type[Node], str, str]]:
        if not os.path.isdir(folder):
            failures.append(NodeFailure(os.path.basename(folder) or folder, "path", folder,
                                        f"{PATH_VARIABLE} names {folder!r}, which is not a folder"))
            return []
        manifest = os.path.join(folder, MANIFEST)
        if os.path.isfile(manifest):
            return self._from_manifest(manifest, failures)
        out = []
        for entry in sorted(os.listdir(folder)):
            if not entry.endswith(".py") or entry.startswith(("_", ".")):
                continue
            file = os.path.join(folder, entry)
            stem = entry[:-3]
            try:
                module = _import_file(file)
            except Exception as exc:
                failures.append(NodeFailure(stem, "path", file, _reason(exc)))
                continue
            classes = _node_classes(module, defined_in=module.__name__)
            if not classes:
                failures.append(NodeFailure(stem, "path", file, "the module defines no Node subclass with a name"))
            out += [(c.name, c, "path", file) for c in classes]
        return out

    def _from_manifest(self, manifest: str, failures: list[NodeFailure]) -> list[tuple[str, type[Node], str, str]]:
        """Declared nodes of a folder's manifest, not imported yet (see the module notes)."""
        import json

        folder = os.path.dirname(manifest)
        try:
            with open(manifest, encoding="utf-8") as f:
                doc = json.load(f)
            declared = doc["nodes"]
            if not isinstance(declared, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in declared.items()):
                raise ValueError('"nodes" must map node names to .py file names')
        except (OSError, ValueError, KeyError, TypeError) as exc:
            failures.append(NodeFailure(os.path.basename(folder) or folder, "path", manifest,
                                        f"unreadable manifest: {_reason(exc)}"))
            return []
        return [(name, _DECLARED, "path", os.path.join(folder, file)) for name, file in sorted(declared.items())]

    def _load_declared(self, info: NodeInfo) -> NodeInfo:
        """Import a declared node's file now; a failure is recorded under the node's name."""
        nodes = self._discovered()
        try:
            module = _import_file(info.source)
            found = [c for c in _node_classes(module, defined_in=module.__name__) if c.name == info.name]
            if not found:
                defined = [c.name for c in _node_classes(module, defined_in=module.__name__)]
                raise NodeLoadError(f"{MANIFEST} declares {info.name!r} in {os.path.basename(info.source)}, "
                                    f"which defines {', '.join(map(repr, defined)) or 'no node'}")
        except Exception as exc:
            failure = NodeFailure(info.name, info.origin, info.source, _reason(exc))
            self._failures.append(failure)
            nodes.pop(info.name, None)
            log.warning("vfx_nodes: node %s could not be loaded (%s: %s): %s",
                        failure.name, failure.origin, failure.source, failure.reason)
            raise NodeLoadError(f"node {info.name!r} could not be loaded ({info.source}): {failure.reason}") from None
        loaded = dataclasses.replace(info, cls=found[0])
        nodes[info.name] = loaded
        return loaded

    def _from_entry_points(self, failures: list[NodeFailure]) -> list[tuple[str, type[Node], str, str]]:
        out: list[tuple[str, type[Node], str, str]] = []
        try:
            eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        except Exception as exc:
            failures.append(NodeFailure(ENTRY_POINT_GROUP, "entry_point", "importlib.metadata", _reason(exc)))
            return out
        seen: set[tuple[str, str]] = set()
        for ep in sorted(eps, key=lambda e: (e.name, e.value)):
            if (ep.name, ep.value) in seen:  # the same distribution on sys.path twice
                continue
            seen.add((ep.name, ep.value))
            dist = getattr(ep, "dist", None)
            where = f"{dist.name} {dist.version}: " if dist is not None else ""
            source = f"{where}{ep.name} = {ep.value}"
            try:
                target = ep.load()
            except Exception as exc:
                failures.append(NodeFailure(ep.name, "entry_point", source, _reason(exc)))
                continue
            if isinstance(target, ModuleType):
                classes = _node_classes(target, defined_in=None)
            elif inspect.isclass(target) and issubclass(target, Node) and target.name:
                classes = [target]
            else:
                failures.append(NodeFailure(
                    ep.name, "entry_point", source,
                    f"{ep.value} is a {type(target).__name__}, not a named Node subclass or a "
                    f"module of them"))
                continue
            if not classes:
                failures.append(NodeFailure(ep.name, "entry_point", source,
                                            "the module defines no Node subclass with a name"))
            out += [(c.name, c, "entry_point", source) for c in classes]
        return out

    # --- look-ups ---------------------------------------------------------------------

    @property
    def failures(self) -> list[NodeFailure]:
        """Nodes that could not be loaded (discovers first; declared nodes are tried)."""
        self._load_all()
        return list(self._failures)

    def _load_all(self) -> dict[str, NodeInfo]:
        nodes = self._discovered()
        for info in list(nodes.values()):
            if info.cls is _DECLARED:
                with contextlib.suppress(NodeLoadError):  # recorded in failures
                    self._load_declared(info)
        return nodes

    def names(self) -> list[str]:
        """Names of the registered nodes, in search order (path, entry points, built-ins)."""
        return list(self._discovered())

    def infos(self) -> list[NodeInfo]:
        """Every registered node with its origin (declared nodes are imported now)."""
        return list(self._load_all().values())

    def info(self, name: str) -> NodeInfo:
        """The :class:`NodeInfo` of ``name``; raises :class:`NodeError` listing close names,
        or :class:`NodeLoadError` saying why a node that exists could not be loaded."""
        nodes = self._discovered()
        if name in nodes:
            found = nodes[name]
            return self._load_declared(found) if found.cls is _DECLARED else found
        failed = [f for f in self._failures if f.name == name]
        if failed:
            raise NodeLoadError(f"node {name!r} could not be loaded: {failed[0].reason}")
        raise NodeError(f"no node called {name!r} is registered: {close_matches(name, nodes)}")

    def get(self, name: str) -> type[Node]:
        """The Node subclass called ``name``."""
        return self.info(name).cls

    def create(self, name: str, **values: Any) -> Node:
        """A new node ``name`` with the given knob values."""
        return self.get(name)(**values)

    def __contains__(self, name: object) -> bool:
        return name in self._discovered()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._discovered())

    def __repr__(self) -> str:
        if self._nodes is None:
            return "Registry(<not searched yet>)"
        return f"Registry({self.names()}, failures={len(self._failures)})"


class _Declared(Node):
    """Stands for a manifest-declared node whose module is not imported yet."""

    name = ""


_DECLARED: Any = _Declared


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _node_classes(module: ModuleType, defined_in: str | None) -> list[type[Node]]:
    """Named Node subclasses of ``module`` (only those defined in it, for path files)."""
    out = []
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if obj is Node or not issubclass(obj, Node) or not obj.name:
            continue
        if defined_in is not None and obj.__module__ != defined_in:
            continue  # imported from elsewhere (e.g. `from vfx_nodes.nodes import Read`)
        out.append(obj)
    return sorted(out, key=lambda c: c.name)


def _import_file(file: str) -> ModuleType:
    """Import a ``.py`` file under a private, path-unique module name."""
    digest = hashlib.sha1(os.path.abspath(file).encode()).hexdigest()[:10]
    stem = os.path.splitext(os.path.basename(file))[0]
    name = f"vfx_nodes_path_plugins.{stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise NodeLoadError(f"{file} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    # Registered while it runs so dataclasses/pickle inside the plugin can find it;
    # removed again on failure so a fixed file is imported afresh by the next refresh().
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module
