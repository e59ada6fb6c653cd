"""Deprecated path: the default colourspace names live in :mod:`vfx_nodes.policy.colour`
(the policy layer, importable without OCIO). Nothing in vfx_nodes imports this module any
more (importing it loads the colour room and PyOpenColorIO); it stays one release for
outside imports and will then be removed."""

from ..policy.colour import ALIASES, DEFAULT_PLATE_SPACE, DEFAULT_RASTER_SPACE, DEFAULT_WORKING_SPACE  # noqa: F401
