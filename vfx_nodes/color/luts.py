"""Files shipped in ``vfx_nodes/luts/`` (OCIO configs, LUTs), found by name.

Nodes and looks refer to these files by name (``"vfx_nodes_studio"``), never by an
absolute path, so a look or a node graph moves between machines and facilities.  Folders
listed in ``$VFX_NODES_LUT_PATH`` (separated by :data:`os.pathsep`) are searched first, so
a facility can add files or override shipped ones without touching the package.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ColorConfigError, close_matches

__all__ = ["LUT_DIR", "LUT_EXTENSIONS", "LUT_PATH_ENV", "lut_names", "lut_path"]

#: The folder shipped inside the package (pyproject ``package-data``: ``luts/*``).
LUT_DIR = Path(__file__).resolve().parent.parent / "luts"

#: Environment variable naming extra folders searched before :data:`LUT_DIR`.
LUT_PATH_ENV = "VFX_NODES_LUT_PATH"

#: Extensions tried, in order, when a name is given without one: OCIO configs first, then
#: the LUT formats OCIO's FileTransform reads.
LUT_EXTENSIONS = (".ocio", ".clf", ".ctf", ".cube", ".spi1d", ".spi3d", ".spimtx", ".csp",
                  ".3dl", ".cc", ".ccc", ".cdl")


def _search_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(LUT_PATH_ENV, "").split(os.pathsep) if p]
    return [*extra, LUT_DIR]


def lut_names() -> list[str]:
    """Names (file names without extension) of every file :func:`lut_path` can find.

    Returns:
        Sorted, de-duplicated names from ``$VFX_NODES_LUT_PATH`` and the shipped folder.
    """
    names: set[str] = set()
    for folder in _search_dirs():
        if folder.is_dir():
            names.update(p.stem for p in folder.iterdir()
                         if p.is_file() and p.suffix.lower() in LUT_EXTENSIONS)
    return sorted(names)


def lut_path(name: str, *, extensions: tuple[str, ...] = LUT_EXTENSIONS) -> Path:
    """The path of the LUT or config file called ``name``.

    Args:
        name: a file name (``"vfx_nodes_studio.ocio"``) or a name without extension
            (``"vfx_nodes_studio"``), in which case ``extensions`` are tried in order.
            Path separators are not allowed: this looks up names, not paths.
        extensions: the extensions to try (``(".ocio",)`` to find configs only).

    Returns:
        The first match in ``$VFX_NODES_LUT_PATH`` folders, then ``vfx_nodes/luts/``.

    Raises:
        ColorConfigError: nothing of that name exists; the message lists close names.
    """
    if not isinstance(name, str) or not name or "/" in name or os.sep in name or name in (".", ".."):
        raise ColorConfigError(
            f"LUT name must be a plain file name such as 'vfx_nodes_studio', got {name!r}")
    wanted = [name] if Path(name).suffix.lower() in extensions else []
    wanted += [name + ext for ext in extensions]
    for folder in _search_dirs():
        for candidate in wanted:
            path = folder / candidate
            if path.is_file():
                return path
    searched = ", ".join(str(d) for d in _search_dirs())
    raise ColorConfigError(
        f"no LUT or config called {name!r} in {searched}: {close_matches(name, lut_names())}")
