"""Nodes: Node and Knob, the registry, the built-in nodes (Read, Write, ColorSpace, StyleTransfer)."""
