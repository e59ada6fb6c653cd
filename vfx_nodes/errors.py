"""The one error hierarchy of vfx_nodes.

Every error a user can cause (a missing or damaged file, an unknown colourspace, a
corrupt look, a bad frame range, a bad knob value) is raised as a subclass of
:class:`VfxNodesError`.  Each subclass also derives from the matching builtin
(``ValueError``, ``FileNotFoundError`` ...), so callers that already catch builtins keep
working, and each message says what was wrong and what is valid.

Console scripts catch :class:`VfxNodesError` and print one line; library code never
uses ``assert`` or ``sys.exit`` for user input.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ChannelNotFoundError",
    "ColorConfigError",
    "ColorError",
    "ColorSpaceError",
    "DeviceError",
    "ExportError",
    "FrameRangeError",
    "KnobError",
    "LookError",
    "LookNotFoundError",
    "MissingFrameError",
    "ModelError",
    "MotionError",
    "NodeError",
    "NodeLoadError",
    "PlateError",
    "PlateNotFoundError",
    "PlateReadError",
    "PlateWriteError",
    "RenderCancelled",
    "SettingsError",
    "TrainingDataError",
    "TrainingDivergedError",
    "TrainingInterrupted",
    "UnsupportedPlateError",
    "VfxNodesError",
    "close_matches",
]


def close_matches(name: str, candidates: Iterable[str], n: int = 5) -> str:
    """Return a human phrase listing the candidates closest to ``name``.

    Used by every "unknown X" message so the user sees what they probably meant::

        >>> close_matches("ACEScgg", ["ACEScg", "ACEScct", "Raw"])
        "did you mean 'ACEScg', 'ACEScct'?"
    """
    pool = sorted(set(candidates))
    lowered = {c.lower(): c for c in pool}
    hits = [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)]
    # Substring matches catch "srgb" -> "sRGB Encoded Rec.709 (sRGB)" that difflib misses.
    for c in pool:
        if len(hits) >= n:
            break
        if name and name.lower() in c.lower() and c not in hits:
            hits.append(c)
    if hits:
        return "did you mean " + ", ".join(repr(h) for h in hits) + "?"
    shown = ", ".join(repr(c) for c in pool[:10])
    more = f" (and {len(pool) - 10} more)" if len(pool) > 10 else ""
    return f"valid names are {shown}{more}" if pool else "there are no valid names"


class VfxNodesError(Exception):
    """Base of every error vfx_nodes raises on purpose."""


# --- plates and files -------------------------------------------------------------------


class PlateError(VfxNodesError):
    """A plate (image file or in-memory Plate) could not be used."""


class PlateNotFoundError(PlateError, FileNotFoundError):
    """The plate file does not exist."""


class PlateReadError(PlateError, OSError):
    """The file exists but could not be read: damaged, truncated or not an image."""


class PlateWriteError(PlateError, OSError):
    """The plate could not be written (folder missing, disk full, bad option)."""


class UnsupportedPlateError(PlateError, ValueError):
    """The file is valid but holds something vfx_nodes does not process (deep data...)."""


class ChannelNotFoundError(PlateError, KeyError):
    """A channel, layer or part asked for is not in the plate."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0]) if self.args else ""


class MotionError(PlateError, ValueError):
    """Motion between frames cannot be had: vectors missing, of another size, non-finite,
    or optical flow unavailable (``opencv-python-headless`` not installed)."""


# --- colour -----------------------------------------------------------------------------


class ColorError(VfxNodesError, ValueError):
    """A colour-management problem."""


class ColorConfigError(ColorError):
    """The OCIO config could not be loaded."""


class ColorSpaceError(ColorError):
    """An unknown colourspace, role, display or view name."""


# --- looks and models -------------------------------------------------------------------


class LookError(VfxNodesError, ValueError):
    """A look file is not a valid vfx_nodes look (pickle, truncated, wrong shapes...)."""


class LookNotFoundError(LookError, FileNotFoundError):
    """The look file does not exist."""


class ModelError(VfxNodesError, ValueError):
    """A model was asked for something it cannot do (bad architecture, bad input shape)."""


# --- nodes and hosts --------------------------------------------------------------------


class SettingsError(VfxNodesError, ValueError):
    """A setting (a keyword argument, a command-line flag, a config field) is of the wrong
    type, outside its range, or contradicts another."""


class KnobError(SettingsError):
    """A node's knob value is of the wrong type or outside its range (a
    :class:`SettingsError` of a node)."""


class NodeError(VfxNodesError, ValueError):
    """A node or node graph is used wrongly (unknown node, missing input...)."""


class NodeLoadError(VfxNodesError, ImportError):
    """A third-party node could not be loaded; the registry reports it and goes on."""


# --- shots and the farm -----------------------------------------------------------------


class FrameRangeError(VfxNodesError, ValueError):
    """A frame range, pattern or chunk specification is malformed."""


class MissingFrameError(PlateNotFoundError):
    """A frame of a sequence is missing."""


class RenderCancelled(VfxNodesError):
    """A sequence render was cancelled between frames by its caller."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on Ctrl-C or SIGTERM after writing a checkpoint.

    A :class:`KeyboardInterrupt` (callers that stop on Ctrl-C still do), carrying where to
    resume from: ``step`` and ``checkpoint``. The library does not print; the command line
    says it.
    """

    def __init__(self, step: int, checkpoint: object) -> None:
        super().__init__(f"interrupted at step {step}; checkpoint {checkpoint}")
        self.step = step
        self.checkpoint = checkpoint


# --- training, devices, export ----------------------------------------------------------


class TrainingDataError(VfxNodesError, ValueError):
    """The training data set is empty or unusable."""


class TrainingDivergedError(VfxNodesError, RuntimeError):
    """The training losses became NaN or infinite (not a data problem: the settings)."""


class DeviceError(VfxNodesError, RuntimeError):
    """A device or precision was asked for that this machine cannot provide."""


class ExportError(VfxNodesError, RuntimeError):
    """A look could not be exported for a host."""
