"""Colourspace, role, display and view names: resolving them and listing them.

OCIO looks colourspace names up case-insensitively and accepts aliases and role names
(``config.getColorSpace``).  On top of that, :func:`resolve_colorspace` falls back through
:data:`~vfx_nodes.policy.colour.ALIASES`, so the project's default names also work with
configs that spell them differently (ACES 1.x ``"Utility - sRGB - Texture"``, the older
studio configs' ``"sRGB - Texture"``).  Unknown names raise
:class:`~vfx_nodes.errors.ColorSpaceError` listing the closest valid names.
"""

from __future__ import annotations

import PyOpenColorIO as ocio

from ..errors import ColorConfigError, ColorSpaceError, close_matches
from ..policy.colour import ALIASES
from .config import ConfigLike, config_source, get_config

__all__ = [
    "colorspace_names",
    "display_names",
    "is_scene_linear",
    "resolve_colorspace",
    "resolve_display_view",
    "view_names",
]


def is_scene_linear(name: str, config: ConfigLike = None) -> bool:
    """Whether the colourspace ``name`` (as the config spells it) is linear with respect to
    the scene-referred reference (OCIO ≥ 2.1's ``isColorSpaceLinear``; older OCIO: True)."""
    cfg = get_config(config)
    try:
        return bool(cfg.isColorSpaceLinear(name, ocio.REFERENCE_SPACE_SCENE))
    except (AttributeError, TypeError):  # pragma: no cover - OCIO < 2.1 lacks the query
        return True


def colorspace_names(config: ConfigLike = None) -> list[str]:
    """Every colourspace name of the config (active and inactive), in config order."""
    cfg = get_config(config)
    return list(cfg.getColorSpaceNames(ocio.SEARCH_REFERENCE_SPACE_ALL, ocio.COLORSPACE_ALL))


def display_names(config: ConfigLike = None) -> list[str]:
    """The config's active displays, in config order (the first is the default)."""
    return list(get_config(config).getDisplays())


def view_names(display: str | None = None, config: ConfigLike = None) -> list[str]:
    """The views of ``display`` (default: the config's default display)."""
    cfg = get_config(config)
    disp = cfg.getDefaultDisplay() if display is None else _resolve_display(cfg, display)
    return list(cfg.getViews(disp))


def _known_names(cfg: ocio.Config) -> list[str]:
    names = list(cfg.getColorSpaceNames(ocio.SEARCH_REFERENCE_SPACE_ALL, ocio.COLORSPACE_ALL))
    names += [role for role, _ in cfg.getRoles()]
    for cs in cfg.getColorSpaces(ocio.SEARCH_REFERENCE_SPACE_ALL, ocio.COLORSPACE_ALL):
        names += list(cs.getAliases())
    return names


def resolve_colorspace(name: str, config: ConfigLike = None) -> str:
    """The config's own name of a colourspace given by name, alias or role.

    Args:
        name: a colourspace name (any case), one of its aliases, a role name
            (``"scene_linear"``) or one of the spellings in
            :data:`~vfx_nodes.policy.colour.ALIASES`.
        config: see :func:`~vfx_nodes.color.get_config`.

    Returns:
        The colourspace's name as the config spells it (roles resolve to their space).

    Raises:
        ColorSpaceError: no such colourspace or role; the message names the config and
            the closest colourspace, role and alias names.
        ColorConfigError: ``name`` is a role of the config that points at a colourspace
            the config does not define.

    Example:
        >>> resolve_colorspace("scene_linear")  # doctest: +SKIP
        'ACEScg'
    """
    cfg = get_config(config)
    if not isinstance(name, str) or not name.strip():
        raise ColorSpaceError(f"colourspace name must be a non-empty string, got {name!r}")
    cs = cfg.getColorSpace(name)
    if cs is not None:
        return cs.getName()
    if cfg.hasRole(name):
        raise ColorConfigError(
            f"role {name!r} of OCIO config {config_source(cfg)} names colourspace "
            f"{cfg.getRoleColorSpace(name)!r}, which the config does not define")
    folded = name.casefold()
    for canonical, spellings in ALIASES.items():
        group = (canonical, *spellings)
        if folded in (g.casefold() for g in group):
            for candidate in group:
                cs = cfg.getColorSpace(candidate)
                if cs is not None:
                    return cs.getName()
    raise ColorSpaceError(
        f"unknown colourspace {name!r} in OCIO config {config_source(cfg)}: "
        f"{close_matches(name, _known_names(cfg))}")


def _resolve_display(cfg: ocio.Config, display: str) -> str:
    displays = list(cfg.getDisplaysAll()) if hasattr(cfg, "getDisplaysAll") else list(cfg.getDisplays())
    if not isinstance(display, str) or not display:
        raise ColorSpaceError(f"display name must be a non-empty string, got {display!r}")
    for d in displays:
        if d == display:
            return d
    for d in displays:
        if d.casefold() == display.casefold():
            return d
    raise ColorSpaceError(f"unknown display {display!r} in OCIO config {config_source(cfg)}: "
                          f"{close_matches(display, displays)}")


def resolve_display_view(display: str | None = None, view: str | None = None, *,
                         src: str | None = None, config: ConfigLike = None) -> tuple[str, str]:
    """The config's spelling of a display and one of its views, with OCIO's defaults.

    Args:
        display: a display name (exact, else case-insensitive); ``None`` = the config's
            default display.
        view: a view of that display (exact, else case-insensitive); ``None`` = the
            config's default view for ``src`` (OCIO's viewing rules, e.g. ``Raw`` for a
            data space) or, without ``src``, the display's default view.
        src: the colourspace the pixels are in, only used to pick the default view.
        config: see :func:`~vfx_nodes.color.get_config`.

    Returns:
        ``(display, view)`` as the config spells them.

    Raises:
        ColorSpaceError: unknown display or view (listing that display's views).
    """
    cfg = get_config(config)
    disp = cfg.getDefaultDisplay() if display is None else _resolve_display(cfg, display)
    if view is None:
        chosen = cfg.getDefaultView(disp, resolve_colorspace(src, cfg)) if src else cfg.getDefaultView(disp)
        if not chosen:
            raise ColorSpaceError(f"display {disp!r} of OCIO config {config_source(cfg)} has no views")
        return disp, chosen
    if not isinstance(view, str) or not view:
        raise ColorSpaceError(f"view name must be a non-empty string, got {view!r}")
    views = list(cfg.getViews(disp))
    for v in views:
        if v == view:
            return disp, v
    for v in views:
        if v.casefold() == view.casefold():
            return disp, v
    raise ColorSpaceError(f"unknown view {view!r} for display {disp!r} in OCIO config "
                          f"{config_source(cfg)}: {close_matches(view, views)}")
