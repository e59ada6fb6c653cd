"""The look bundled with the package: found on disk, loaded like any other look.

The package ships one small look, ``vfx_nodes/data/starry_night.safetensors`` (the
instant look of Van Gogh's *The Starry Night* from the arbitrary-style network, fine-tuned
with ``vfx-style train`` on OpenEXR sample plates; docs/DEFAULT_LOOK.md records the
command, the data and the losses), so ``vfx-style demo`` and first experiments need no
file of the user's own.

It is found with :mod:`importlib.resources` (package data declared in pyproject's
``[tool.setuptools.package-data]``), so it is there in an editable checkout and in an
installed wheel alike.  Nothing here imports torch until :func:`load_default_look` is
called.

Example::

    import vfx_nodes as vn
    from vfx_nodes.looks import load_default_look
    styled = vn.stylize(vn.samples.sample_plate(), load_default_look())
    # or, with the path: vn.stylize(plate, vn.default_look_path())
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import LookError, LookNotFoundError

if TYPE_CHECKING:  # pragma: no cover
    from .model import Look

__all__ = ["DEFAULT_LOOK_NAME", "MAX_BUNDLED_BYTES", "default_look_path", "load_default_look"]

#: file name of the bundled look inside ``vfx_nodes/data/``
DEFAULT_LOOK_NAME = "starry_night.safetensors"

#: the size limit a bundled look keeps to (it ships inside the wheel); a test checks it
MAX_BUNDLED_BYTES = 10 * 1024 * 1024


def default_look_path() -> Path:
    """The path of the bundled look file.

    Returns:
        An absolute :class:`~pathlib.Path` to ``vfx_nodes/data/starry_night.safetensors``.

    Raises:
        LookNotFoundError: the installation lacks the file (a build that dropped the
            package data); the message says how to repair it.
        LookError: the package is imported from a zip archive, where the look has no
            path of its own.
    """
    ref = resources.files(__package__ or "vfx_nodes").joinpath("data").joinpath(DEFAULT_LOOK_NAME)
    if not isinstance(ref, Path):
        # A zipimported package: the file exists only inside the archive.
        raise LookError(
            f"the bundled look {DEFAULT_LOOK_NAME!r} is inside a zip archive ({ref}); "
            "install vfx_nodes as a normal (unzipped) package to use it by path")
    path = ref.resolve()
    if not path.is_file():
        raise LookNotFoundError(
            f"the bundled look {str(path)!r} is missing from this installation; reinstall "
            "vfx_nodes (`pip install -e .` from a clone, or the wheel) so that its package "
            "data (vfx_nodes/data/*) is installed, or pass a look file of your own")
    return path


def load_default_look(device: Any = None) -> Look:
    """Load the bundled look (see :func:`vfx_nodes.model.load_look`).

    Args:
        device: where to put the generator (default CPU).

    Returns:
        The :class:`~vfx_nodes.model.Look`: generator in eval mode, metadata with the
        working colourspace and the training summary.

    Raises:
        LookNotFoundError: the bundled file is missing (see :func:`default_look_path`).
        LookError: the bundled file is damaged.
        DeviceError: the device is unknown or not available.
    """
    from .model import load_look

    return load_look(default_look_path(), device=device)
