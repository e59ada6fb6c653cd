"""Default colourspace names every room agrees on (OCIO names or roles) — in the policy layer,
so rooms that must not import OCIO (the model room) read them too.

They are names in OCIO's built-in studio config; with a facility config (``$OCIO``) that
spells them differently, :func:`vfx_nodes.color.resolve_colorspace` falls back through
the aliases below, and every node and command has a knob/flag to name the space.
"""

from __future__ import annotations

#: Colourspace of EXR plates whose header does not say: the config's scene-linear role.
DEFAULT_PLATE_SPACE = "scene_linear"

#: Colourspace of 8/16-bit PNG/JPEG/TIFF references (sRGB-encoded Rec.709).
DEFAULT_RASTER_SPACE = "sRGB Encoded Rec.709 (sRGB)"

#: Working space a look is trained in unless told otherwise.  sRGB-encoded Rec.709 is the
#: space the Caffe VGG19 loss network was trained on (ImageNet photographs) and the space
#: painted style references arrive in, so both the loss network and the style images see
#: their native encoding (Simonyan & Zisserman 2015; Johnson et al. 2016).
DEFAULT_WORKING_SPACE = "sRGB Encoded Rec.709 (sRGB)"

#: Other spellings of the defaults in common configs (ACES 1.x, older studio configs).
#: :func:`vfx_nodes.color.resolve_colorspace` tries a group's members in order when a
#: config has none of the names asked for.  Only spellings of the *same* encoding are
#: listed: roles such as ``scene_linear``, ``compositing_log`` or ``texture_paint`` are
#: facility choices (``scene_linear`` is linear Rec.709 in many configs), so using them
#: as fallbacks would silently feed a look the wrong colours.  ``aces_interchange`` is the
#: exception: OCIO 2 defines that role as ACES2065-1.
ALIASES: dict[str, tuple[str, ...]] = {
    "sRGB Encoded Rec.709 (sRGB)": ("srgb_texture", "sRGB - Texture", "Utility - sRGB - Texture",
                                    "srgb_tx", "sRGB"),
    "ACEScg": ("ACES - ACEScg", "acescg", "lin_ap1"),
    "ACES2065-1": ("ACES - ACES2065-1", "aces_interchange", "lin_ap0"),
    "ACEScct": ("ACES - ACEScct", "acescct_ap1"),
}
