"""The project's vocabulary, and the deprecated spellings kept for one release.

One name per concept across the Python API, the node knobs and the command-line flags:

====================  ======================  =====================  ==========================
concept               API keyword             node knob              flag
====================  ======================  =====================  ==========================
a look's colourspace  ``working_colorspace``  ``working_colorspace`` ``--working-colorspace``
the plate's space     ``colorspace``          ``colorspace``         ``--in-colorspace``
OCIO config           ``config``              ``ocio_config``        ``--ocio-config``
====================  ======================  =====================  ==========================

(``config`` is the keyword because it also takes a config object; the knob and flag
say ``ocio_config`` because a host panel and a shell show no types. ``--in-colorspace``
says "in" because render also writes.)  Deprecated spellings still work for one release,
with a :class:`DeprecationWarning`: ``working_space`` (keyword, config field) and
``--working-space`` (flag) for ``working_colorspace``.

Library messages name settings by their API keyword, written ``keyword=`` (or
``keyword=True`` for a switch) — the library does not know whether a script, a node or
the command line called it.  The console scripts print errors through
:func:`as_flags`, which turns the keywords of :data:`FLAGS` into their flags, so the same
error reads ``pass skip_missing=True`` in Python and ``pass --skip-missing`` in a shell.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

__all__ = ["FLAGS", "as_flags", "deprecated_alias"]

#: API keyword → command-line flag, for the keywords library messages name
FLAGS: dict[str, str] = {
    "arch": "--arch",
    "colorspace": "--in-colorspace",
    "content": "--content",
    "frames": "--frames",
    "input": "--input",
    "keyframes": "--keyframe",
    "name": "--name",
    "opset": "--opset",
    "out": "--out",
    "resume": "--resume",
    "skip_missing": "--skip-missing",
    "workdir": "--workdir",
    "working_colorspace": "--working-colorspace",
}

_KEYWORD = re.compile(r"(?<![\w.-])(" + "|".join(sorted(FLAGS, key=len, reverse=True)) + r")=(True\b)?")


def as_flags(message: str) -> str:
    """``message`` with each ``keyword=`` / ``keyword=True`` of :data:`FLAGS` written as
    its flag (``"pass skip_missing=True"`` → ``"pass --skip-missing"``,
    ``"check frames="`` → ``"check --frames"``); other text is untouched."""
    return _KEYWORD.sub(lambda m: FLAGS[m.group(1)], message)


def deprecated_alias(new_name: str, new: Any, old_name: str, old: Any, *, stacklevel: int = 3) -> Any:
    """The value of ``new_name``, taking ``old_name``'s (with a DeprecationWarning) when only
    the old spelling was given.

    Raises:
        TypeError: both spellings given with different values.
    """
    if old is None:
        return new
    warnings.warn(f"{old_name} is deprecated; use {new_name}", DeprecationWarning, stacklevel=stacklevel)
    if new is not None and new != old:
        raise TypeError(f"give {new_name} or the deprecated {old_name}, not both")
    return old
