"""A small node graph: connect nodes and render a frame or a frame range from Python.

Example::

    from vfx_nodes.nodes import Graph, Read, StyleTransfer, Write

    g = Graph()
    read = g.add(Read(file="plate.####.exr"))
    style = g.add(StyleTransfer(look="oil.safetensors", strength=0.8))
    write = g.add(Write(file="styled.####.exr"))
    g.connect(read, style)           # into style's first input
    g.connect(style, write)
    g.render_range(write, range(1001, 1011))

Every node is rendered at most once per frame (a node feeding two others is not
rendered twice); nodes are pulled from the one asked for, so nodes that do not feed it
are not rendered.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..errors import NodeError, close_matches
from ..plate import Plate
from .node import Node

__all__ = ["Graph"]

NodeRef = Node | str


class Graph:
    """Nodes by name and the connections between them (an input takes one upstream node)."""

    def __init__(self) -> None:
        self._nodes: dict[str, Node] = {}
        # (downstream name, input name) -> upstream name
        self._edges: dict[tuple[str, str], str] = {}

    # --- building ---------------------------------------------------------------------

    def add(self, node: Node, name: str | None = None) -> Node:
        """Add ``node`` (under ``name``, default ``<NodeName><n>`` as in Nuke); returns it."""
        if not isinstance(node, Node):
            raise NodeError(f"Graph.add takes a Node, got {type(node).__name__}")
        if any(n is node for n in self._nodes.values()):
            raise NodeError(f"node {self.name_of(node)!r} is already in the graph")
        if name is None:
            i = 1
            while f"{node.name}{i}" in self._nodes:
                i += 1
            name = f"{node.name}{i}"
        elif name in self._nodes:
            raise NodeError(f"the graph already has a node called {name!r}")
        self._nodes[name] = node
        return node

    def connect(self, upstream: NodeRef, downstream: NodeRef, input: str | None = None) -> None:
        """Feed ``upstream``'s output into ``downstream``'s ``input`` (default: its first).

        Raises:
            NodeError: an unknown node or input, or a connection that would make a cycle.
        """
        up, down = self.name_of(upstream), self.name_of(downstream)
        node = self._nodes[down]
        if not node.inputs:
            raise NodeError(f"node {down!r} ({node.name}) has no inputs")
        key = input if input is not None else node.inputs[0]
        if key not in node.inputs:
            raise NodeError(f"node {down!r} has no input {key!r}; its inputs are {list(node.inputs)}")
        if up == down or down in self._upstream_names(up):
            raise NodeError(f"connecting {up!r} into {down!r} would make a cycle")
        self._edges[(down, key)] = up

    def disconnect(self, downstream: NodeRef, input: str | None = None) -> None:
        """Remove the connection into ``downstream``'s ``input`` (default: its first)."""
        down = self.name_of(downstream)
        key = input if input is not None else (self._nodes[down].inputs or ("",))[0]
        self._edges.pop((down, key), None)

    def name_of(self, node: NodeRef) -> str:
        """The graph name of ``node`` (a node object or a name)."""
        if isinstance(node, str):
            if node not in self._nodes:
                raise NodeError(f"the graph has no node {node!r}: {close_matches(node, self._nodes)}")
            return node
        for name, n in self._nodes.items():
            if n is node:
                return name
        raise NodeError(f"{node!r} is not in this graph; add it with Graph.add first")

    def node(self, name: str) -> Node:
        """The node called ``name``."""
        return self._nodes[self.name_of(name)]

    @property
    def nodes(self) -> dict[str, Node]:
        """Name → node (a copy)."""
        return dict(self._nodes)

    def inputs_of(self, node: NodeRef) -> dict[str, str]:
        """Input name → upstream node name, for the connected inputs of ``node``."""
        down = self.name_of(node)
        return {key: up for (d, key), up in self._edges.items() if d == down}

    def _upstream_names(self, name: str) -> set[str]:
        seen: set[str] = set()
        todo = [name]
        while todo:
            cur = todo.pop()
            for (d, _), up in self._edges.items():
                if d == cur and up not in seen:
                    seen.add(up)
                    todo.append(up)
        return seen

    # --- rendering --------------------------------------------------------------------

    def render(self, node: NodeRef, frame: int | None = None) -> Plate:
        """Render ``node`` at ``frame``, pulling every node upstream of it once.

        Raises:
            NodeError: an input of a node on the way is not connected.
        """
        return self._render(self.name_of(node), frame, {})

    def _render(self, name: str, frame: int | None, memo: dict[str, Plate]) -> Plate:
        if name in memo:
            return memo[name]
        node = self._nodes[name]
        plates: dict[str, Plate] = {}
        for key in node.inputs:
            up = self._edges.get((name, key))
            if up is None and key in node.optional_inputs:
                continue
            if up is None:
                raise NodeError(f"input {key!r} of node {name!r} ({node.name}) is not connected")
            plates[key] = self._render(up, frame, memo)
        memo[name] = node.render(plates, frame)
        return memo[name]

    def iter_range(self, node: NodeRef, frames: Iterable[int] | str) -> Iterator[tuple[int, Plate]]:
        """Render ``node`` frame by frame, yielding ``(frame, plate)`` (nothing is kept).

        Args:
            node: the node to render (usually a Write).
            frames: frame numbers, or a range such as ``"1001-1100"`` / ``"1001-1100x2"``.
        """
        name = self.name_of(node)
        if isinstance(frames, str):
            from ..policy.frames import parse_frames

            frames = parse_frames(frames)
        for f in frames:
            yield int(f), self._render(name, int(f), {})

    def render_range(self, node: NodeRef, frames: Iterable[int] | str) -> list[int]:
        """Render ``node`` for every frame (e.g. a Write over a shot); returns the frames.

        The plates are not kept (a shot of 4K frames does not fit in memory); use
        :meth:`iter_range` to receive each one.
        """
        return [f for f, _ in self.iter_range(node, frames)]

    def __repr__(self) -> str:
        edges = ", ".join(f"{up}->{d}.{k}" for (d, k), up in self._edges.items())
        return f"Graph(nodes={list(self._nodes)}, edges=[{edges}])"
