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
"""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["deprecated_alias"]


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
