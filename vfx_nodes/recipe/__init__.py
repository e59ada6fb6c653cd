"""The frame recipe: one place for what happens to a frame around a network.

Scene-linear plate → (non-finite pixels set aside, unpremultiplied, OCIO to the mixing
and working spaces, over-range light split off) → the network's 0–1 working-space frame
→ (the network) → back: over-range light added, strength mixed in scene-linear, OCIO to
the plate's space, premultiplied, untouched pixels restored.  ``engine.stylize``,
``engine.collect_stats``, the Gatys ``optimize`` and the training data all go through
:func:`prepare` (and the first and third through :func:`finish`); the host exports mirror
it with the host's own nodes (tests hold them equal).

* :mod:`.frame` — :func:`prepare`, :func:`finish` (strips of rows, in parallel);
* :mod:`.highlights` — the ``"carry"`` and ``"paint"`` treatments of over-range light.

Room: below ``engine/`` and ``train/``; imports plates, colour, I/O, policy (numpy and
OCIO only: the torch plumbing of the recipe, resizing and thumbnails, is in
:mod:`vfx_nodes.model.ops`).
"""

from .frame import LUMA_WEIGHTS, Frame, finish, prepare, spaces, threads
from .highlights import (
    HIGHLIGHT_CEILING,
    HIGHLIGHT_CONTRAST,
    HIGHLIGHT_KNEE,
    HIGHLIGHTS,
    check_highlights,
    compress_highlights,
    expand_painted,
)

__all__ = [
    "HIGHLIGHTS",
    "HIGHLIGHT_CEILING",
    "HIGHLIGHT_CONTRAST",
    "HIGHLIGHT_KNEE",
    "LUMA_WEIGHTS",
    "Frame",
    "check_highlights",
    "compress_highlights",
    "expand_painted",
    "finish",
    "prepare",
    "spaces",
    "threads",
]
