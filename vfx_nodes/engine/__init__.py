"""The engine: pure functions on plates — stylize, tiling, device and precision choice, sequences.

Public names are loaded on first use (PEP 562), so ``import vfx_nodes.engine.sequence``
does not pay for torch.  (The implementation of :func:`stylize` lives in
:mod:`.pipeline`, not in a module called ``stylize``: a submodule of that name would
shadow the function as ``vfx_nodes.engine.stylize`` once imported.)

* :func:`stylize` — apply a look to one plate, tiled and seamless (:mod:`.pipeline`);
* :func:`collect_stats` — normalisation statistics of a shot (:mod:`.pipeline`);
* :class:`TileGrid` — tile geometry (:mod:`.tiling`);
* :func:`resolve_device`, :func:`resolve_precision` (:mod:`.device`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

_LAZY = {
    "stylize": ".pipeline",
    "collect_stats": ".pipeline",
    "TileGrid": ".tiling",
    "resolve_device": ".device",
    "resolve_precision": ".device",
}

__all__ = ["TileGrid", "collect_stats", "resolve_device", "resolve_precision", "stylize"]

if TYPE_CHECKING:  # pragma: no cover
    from .device import resolve_device, resolve_precision
    from .pipeline import collect_stats, stylize
    from .tiling import TileGrid


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
