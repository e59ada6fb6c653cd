"""Colour management through OpenColorIO, and premultiplication (one scene-linear ↔ working-space boundary).

Every conversion is OCIO's.  The config comes from an explicit argument, else ``$OCIO``,
else OCIO's built-in ``ocio://studio-config-latest`` (:func:`get_config`); names may be
colourspaces, aliases or roles (:func:`resolve_colorspace`).  NaN, Inf, negative values
and alpha 0 each have one documented treatment: see :mod:`vfx_nodes.color.convert` and
:mod:`vfx_nodes.color.alpha`.

Example::

    from vfx_nodes.color import convert_plate
    working = convert_plate(plate, "sRGB Encoded Rec.709 (sRGB)")   # from plate.colorspace
"""

from __future__ import annotations

from ..policy.colour import ALIASES, DEFAULT_PLATE_SPACE, DEFAULT_RASTER_SPACE, DEFAULT_WORKING_SPACE
from .alpha import alpha_mask, premultiply, unpremultiply
from .config import BUILTIN_DEFAULT, ConfigLike, clear_caches, config_source, get_config
from .convert import (
    ALPHA_MODES,
    convert_plate,
    convert_rgb,
    display_view_plate,
    display_view_rgb,
    get_display_view_processor,
    get_processor,
)
from .luts import LUT_DIR, lut_names, lut_path
from .names import (
    colorspace_names,
    display_names,
    is_scene_linear,
    resolve_colorspace,
    resolve_display_view,
    view_names,
)

__all__ = [
    "ALIASES",
    "ALPHA_MODES",
    "BUILTIN_DEFAULT",
    "DEFAULT_PLATE_SPACE",
    "DEFAULT_RASTER_SPACE",
    "DEFAULT_WORKING_SPACE",
    "LUT_DIR",
    "ConfigLike",
    "alpha_mask",
    "clear_caches",
    "colorspace_names",
    "config_source",
    "convert_plate",
    "convert_rgb",
    "display_names",
    "display_view_plate",
    "display_view_rgb",
    "get_config",
    "get_display_view_processor",
    "get_processor",
    "is_scene_linear",
    "lut_names",
    "lut_path",
    "premultiply",
    "resolve_colorspace",
    "resolve_display_view",
    "unpremultiply",
    "view_names",
]
