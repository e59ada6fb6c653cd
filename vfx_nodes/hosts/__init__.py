"""Host adapters: map nodes and knobs onto a compositing host. Host modules are imported inside functions.

* :mod:`vfx_nodes.hosts.nuke` — every registered node with an image input as a Nuke Group
  (knobs from the node's declarations; pixels carried per frame through EXR files and
  rendered by the vfx_nodes engine). Start-up files: ``plugin/nuke/``; see docs/NUKE.md.
"""
