"""Default colourspace names — re-exported from :mod:`vfx_nodes.policy.colour` (the policy
layer, importable without OCIO); kept at this path for existing imports."""

from ..policy.colour import ALIASES, DEFAULT_PLATE_SPACE, DEFAULT_RASTER_SPACE, DEFAULT_WORKING_SPACE  # noqa: F401
