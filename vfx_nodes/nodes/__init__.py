"""Nodes: Node and Knob, the registry, the built-in nodes (Read, Write, ColorSpace, StyleTransfer).

* :class:`Knob` — a typed, validated setting (float, int, bool, str, choice, file).
* :class:`Node` — declares ``name``, ``inputs`` and ``knobs`` as class attributes;
  ``render(inputs, frame)`` returns a new Plate.
* :class:`Graph` — connect nodes and render a frame or a range.
* :class:`Registry` — built-ins, the ``vfx_nodes.nodes`` entry-point group and
  ``$VFX_NODES_PATH``; failures are reported, not raised.
* Built-ins: :class:`Read`, :class:`Write`, :class:`ColorSpace`, :class:`StyleTransfer`
  (``StyleTransfer.stylize_kwargs`` maps its knobs onto :func:`vfx_nodes.engine.stylize`).

Importing this package imports neither torch nor OpenColorIO; the built-in nodes import
the library they wrap when they render.
"""

from __future__ import annotations

from .builtin import (
    BUILTIN_NODES,
    STYLIZE_KNOBS,
    ColorSpace,
    Read,
    StyleTransfer,
    Write,
    frame_path,
)
from .graph import Graph
from .knob import KNOB_TYPES, Knob
from .node import Inputs, Node
from .registry import ENTRY_POINT_GROUP, PATH_VARIABLE, NodeFailure, NodeInfo, Registry

__all__ = [
    "BUILTIN_NODES",
    "ENTRY_POINT_GROUP",
    "KNOB_TYPES",
    "PATH_VARIABLE",
    "STYLIZE_KNOBS",
    "ColorSpace",
    "Graph",
    "Inputs",
    "Knob",
    "Node",
    "NodeFailure",
    "NodeInfo",
    "Read",
    "Registry",
    "StyleTransfer",
    "Write",
    "frame_path",
]
