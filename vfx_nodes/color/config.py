"""Finding, loading and caching the OCIO config.

Search order (:func:`get_config`):

1. the ``config`` argument: an ``ocio.Config`` (used as is), an ``ocio://`` URI of an
   OCIO built-in config, a path to a ``.ocio`` file (or a folder holding
   ``config.ocio``), or the name of a config shipped in ``vfx_nodes/luts/``
   (``"vfx_nodes_studio"``, see :func:`vfx_nodes.color.lut_path`);
2. else ``$OCIO`` (same forms, except an ``ocio.Config``), as every OCIO host does;
3. else OCIO's built-in ``ocio://studio-config-latest`` (compiled into the OCIO library,
   so it needs no file and no network).

Loaded configs are cached by what they were loaded from: the URI, or the absolute path
together with the file's modification time and size (an edited config is reloaded).
Reading ``$OCIO`` happens on every call, so changing the variable takes effect at once.
A missing or broken config raises :class:`~vfx_nodes.errors.ColorConfigError` naming it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Union

import PyOpenColorIO as ocio

from ..errors import ColorConfigError
from .luts import lut_names, lut_path

__all__ = ["BUILTIN_DEFAULT", "ConfigLike", "clear_caches", "config_source", "get_config"]

#: What every ``config=`` argument accepts.
ConfigLike = Union[str, os.PathLike, "ocio.Config", None]

#: The config used when neither an argument nor ``$OCIO`` names one.
BUILTIN_DEFAULT = "ocio://studio-config-latest"

_lock = threading.Lock()
_configs: dict[tuple, ocio.Config] = {}
# id(config) -> where it came from, for messages.  Cached configs live as long as the
# cache, so their ids stay valid; the entries are dropped together in clear_caches().
_sources: dict[int, str] = {}


def _builtin_names() -> list[str]:
    return ["ocio://" + n for n in ocio.BuiltinConfigRegistry()]


def _locate(value: str, origin: str) -> tuple[tuple, str]:
    """Turn a string naming a config into (cache key, what to hand CreateFromFile)."""
    if value.startswith("ocio://"):
        return ("uri", value), value
    path = Path(value).expanduser()
    if path.is_dir() and (path / "config.ocio").is_file():
        path = path / "config.ocio"
    if path.is_file():
        path = path.resolve()
        st = path.stat()
        return ("file", str(path), st.st_mtime_ns, st.st_size), str(path)
    if path.exists():
        raise ColorConfigError(f"OCIO config {value!r}{origin} is not a file "
                               "(nor a folder holding config.ocio)")
    if "/" not in value and os.sep not in value:
        try:
            shipped = lut_path(value, extensions=(".ocio",))
        except ColorConfigError:
            pass
        else:
            return _locate(str(shipped), origin)
    shipped_names = [n for n in lut_names() if n]
    raise ColorConfigError(
        f"OCIO config {value!r}{origin} does not exist; give a path to a .ocio file, an "
        f"ocio:// URI ({', '.join(_builtin_names()[-2:])}, ...) or a config shipped with "
        f"vfx_nodes ({', '.join(shipped_names) or 'none'})")


def get_config(config: ConfigLike = None) -> ocio.Config:
    """The OCIO config to use: the argument, else ``$OCIO``, else the built-in studio config.

    Args:
        config: an ``ocio.Config`` (returned unchanged), an ``ocio://`` URI, a path to a
            ``.ocio`` file or to a folder holding ``config.ocio``, the name of a config
            in ``vfx_nodes/luts/`` (``"vfx_nodes_studio"``), or ``None`` to use
            ``$OCIO`` and then :data:`BUILTIN_DEFAULT`.

    Returns:
        A loaded, validated config, shared with every other caller asking for the same
        source (treat it as read-only).

    Raises:
        ColorConfigError: the config does not exist, cannot be parsed or fails OCIO's
            validation; the message names the config and where the name came from.

    Example:
        >>> get_config().getName()  # doctest: +SKIP
        'studio-config-v5.0.0_aces-v2.1_ocio-v2.6'
    """
    if isinstance(config, ocio.Config):
        return config
    if config is None:
        env = os.environ.get("OCIO", "")
        value, origin = (env, " (from $OCIO)") if env else (BUILTIN_DEFAULT, " (built-in default)")
    elif isinstance(config, (str, os.PathLike)):
        value, origin = os.fspath(config), ""
        if not value:
            raise ColorConfigError("OCIO config name is empty; give a path, an ocio:// URI "
                                   "or None for $OCIO / the built-in studio config")
    else:
        raise ColorConfigError(
            f"config must be a path, an ocio:// URI, a shipped config name, an "
            f"ocio.Config or None, got {type(config).__name__}")
    key, target = _locate(str(value), origin)
    with _lock:
        cached = _configs.get(key)
    if cached is not None:
        return cached
    try:
        loaded = ocio.Config.CreateFromFile(target)
        # validate() catches what parsing lets through (roles naming missing colourspaces,
        # views naming missing transforms); it takes about a millisecond.
        loaded.validate()
    except ocio.Exception as exc:
        raise ColorConfigError(f"OCIO config {value!r}{origin} could not be loaded: {exc}") from None
    with _lock:
        # Another thread may have loaded it meanwhile: keep the first, so callers share
        # one object (and one processor cache entry).
        loaded = _configs.setdefault(key, loaded)
        _sources[id(loaded)] = target if target == value else f"{value} ({target})"
    return loaded


def config_source(config: ocio.Config) -> str:
    """Where a config came from (path or URI), or its name for configs made elsewhere."""
    with _lock:
        source = _sources.get(id(config))
    return source or repr(config.getName() or "<unnamed in-memory config>")


def clear_caches() -> None:
    """Forget every cached config and processor (tests; after editing a config in place)."""
    from . import baked, convert  # local import: both import this module

    with _lock:
        _configs.clear()
        _sources.clear()
    convert._clear_processors()
    baked.clear_bakes()
