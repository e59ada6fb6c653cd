"""vfx_nodes: compositor nodes that apply GAN-trained neural style transfer looks to
scene-linear EXR plates, and the tools to train those looks.

Importing ``vfx_nodes`` is cheap: it registers nothing, starts nothing and does not import
torch.  The public names below are loaded on first use (PEP 562 module ``__getattr__``).

Three lines in a Python console::

    import vfx_nodes as vn
    plate = vn.read_plate("plate.1001.exr")
    vn.write_plate(vn.stylize(plate, vn.load_look("oil.safetensors")), "styled.1001.exr")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_attributes
from ._version import __version__

# public name -> module that defines it (relative to this package)
_LAZY = {
    "Plate": ".plate",
    "errors": ".errors",
    "VfxNodesError": ".errors",
    "read_plate": ".io",
    "write_plate": ".io",
    "plate_info": ".io",
    "convert_plate": ".color",
    "get_config": ".color",
    "load_look": ".model",
    "save_look": ".model",
    "look_from_style": ".train.instant",
    "stylize": ".engine",
    "collect_stats": ".engine",
    "render_sequence": ".engine.sequence",
    "Registry": ".nodes",
    "samples": ".samples",
    "default_look_path": ".looks",
}

__all__ = sorted(_LAZY) + ["__version__"]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from . import errors, samples
    from .color import convert_plate, get_config
    from .engine import collect_stats, stylize
    from .engine.sequence import render_sequence
    from .errors import VfxNodesError
    from .io import plate_info, read_plate, write_plate
    from .looks import default_look_path
    from .model import load_look, save_look
    from .nodes import Registry
    from .plate import Plate
    from .train.instant import look_from_style


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
