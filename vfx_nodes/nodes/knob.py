"""Knobs: the typed, validated settings of a node.

A :class:`Knob` declares one setting of a node — its name, type, default, range or
choices and a help text.  The same declaration drives the Python API
(``StyleTransfer(strength=0.5)``), the console scripts (``vfx-style nodes`` prints it)
and every host adapter (the Nuke adapter makes a ``Double_Knob`` from a ``float`` knob
with the same range and tooltip), so a setting is described once.

Types and what :meth:`Knob.validate` accepts (anything else raises
:class:`~vfx_nodes.errors.KnobError` naming the knob, the value and what is valid):

=========  ==================================================  ==========================
type       accepts                                             stored as
=========  ==================================================  ==========================
float      int, float, numeric string; finite; inside range    ``float``
int        int, integral float, integer string; inside range   ``int``
bool       bool, 0/1, "true/false/yes/no/on/off/1/0"            ``bool``
str        str                                                 ``str``
choice     one of ``choices`` (case-insensitive)               the canonical choice
file       str or ``os.PathLike`` (not checked for existence)  ``str``
=========  ==================================================  ==========================

``enum`` is accepted as a spelling of ``choice``.  Files are not checked when the knob is
set because a path may hold a frame token (``plate.####.exr``) or name a file that a node
upstream is about to write; the node that opens it raises the file error.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import KnobError, close_matches

__all__ = ["KNOB_TYPES", "Knob"]

#: The knob types every host adapter must map.
KNOB_TYPES = ("float", "int", "bool", "str", "choice", "file")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclasses.dataclass(frozen=True)
class Knob:
    """One declared setting of a node.

    Args:
        name: identifier used in Python (``node["strength"]``), on the command line and
            as the host knob's name.
        type: one of :data:`KNOB_TYPES` (``"enum"`` is read as ``"choice"``).
        default: the value a new node starts with (validated against the knob).
        range: ``(min, max)``, inclusive, for ``float``/``int`` knobs; either end may
            be ``None`` for no bound.
        help: one or two sentences for the user (tooltips, ``vfx-style nodes``).
        choices: the valid values of a ``choice`` knob.
        label: text shown in a host's panel; defaults to the name with spaces.

    Example:
        >>> k = Knob("strength", "float", 1.0, range=(0.0, 1.0), help="mix")
        >>> k.validate("0.25")
        0.25
    """

    name: str
    type: str
    default: Any = None
    range: tuple[float | None, float | None] | None = None
    help: str = ""
    choices: tuple[str, ...] = ()
    label: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise KnobError(f"knob name {self.name!r} must be a Python identifier (letters, digits, _)")
        kind = "choice" if self.type == "enum" else self.type
        if kind not in KNOB_TYPES:
            raise KnobError(f"knob {self.name!r} has type {self.type!r}; "
                            f"valid types are {', '.join(KNOB_TYPES)} (or 'enum')")
        object.__setattr__(self, "type", kind)
        object.__setattr__(self, "choices", tuple(str(c) for c in self.choices))
        if kind == "choice" and not self.choices:
            raise KnobError(f"choice knob {self.name!r} needs at least one choice")
        if self.range is not None:
            if kind not in ("float", "int"):
                raise KnobError(f"knob {self.name!r}: a range only applies to float and int knobs")
            lo, hi = self.range
            if lo is not None and hi is not None and lo > hi:
                raise KnobError(f"knob {self.name!r}: range {self.range} has min > max")
        if not self.label:
            object.__setattr__(self, "label", self.name.replace("_", " "))
        if self.default is None and kind in ("str", "file"):
            object.__setattr__(self, "default", "")
        if self.default is None and kind == "choice":
            object.__setattr__(self, "default", self.choices[0])
        # The default must itself be valid, so a typo in a declaration fails at import.
        object.__setattr__(self, "default", self.validate(self.default))

    def validate(self, value: Any, node: str | None = None) -> Any:
        """Return ``value`` coerced to this knob's type, or raise :class:`KnobError`.

        Args:
            value: the value to check (strings from a command line are converted).
            node: the node's name, to make the message say whose knob it is.

        Raises:
            KnobError: wrong type, out of range, or not one of the choices; the message
                names the knob and the value and says what is valid.
        """
        where = f"knob {self.name!r}" + (f" of {node}" if node else "")
        return _COERCE[self.type](self, value, where)

    def _float(self, value: Any, where: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise KnobError(f"{where} must be a number, got {value!r}")
        try:
            number = float(value)
        except ValueError:
            raise KnobError(f"{where} must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise KnobError(f"{where} must be a finite number, got {value!r}")
        return self._in_range(number, where)

    def _int(self, value: Any, where: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise KnobError(f"{where} must be a whole number, got {value!r}")
        try:
            number = float(value) if not isinstance(value, int) else value
        except ValueError:
            raise KnobError(f"{where} must be a whole number, got {value!r}") from None
        if isinstance(number, float) and not (math.isfinite(number) and number.is_integer()):
            raise KnobError(f"{where} must be a whole number, got {value!r}")
        return self._in_range(int(number), where)

    def _bool(self, value: Any, where: str) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise KnobError(f"{where} must be true or false (also 1/0, yes/no, on/off), got {value!r}")

    def _str(self, value: Any, where: str) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            # a whole number typed into a text knob (tile, halo: "auto" or a number), or
            # saved by an older release whose knob was an integer
            return str(value)
        if not isinstance(value, str):
            raise KnobError(f"{where} must be text, got {type(value).__name__} {value!r}")
        return value

    def _file(self, value: Any, where: str) -> str:
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str):
            raise KnobError(f"{where} must be a file path, got {type(value).__name__} {value!r}")
        return value

    def _choice(self, value: Any, where: str) -> str:
        text = str(value)
        lowered = {c.lower(): c for c in self.choices}
        if text.lower() in lowered:
            return lowered[text.lower()]
        raise KnobError(f"{where} must be one of {', '.join(repr(c) for c in self.choices)}, "
                        f"got {value!r} ({close_matches(text, self.choices)})")

    def _in_range(self, number: float, where: str) -> Any:
        if self.range is None:
            return number
        lo, hi = self.range
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            if lo is not None and hi is not None:
                valid = f"between {_num(lo)} and {_num(hi)}"
            elif lo is not None:
                valid = f"at least {_num(lo)}"
            else:
                valid = f"at most {_num(hi)}"
            raise KnobError(f"{where} must be {valid}, got {_num(number)}")
        return number

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description (what ``vfx-style nodes --json`` prints)."""
        out: dict[str, Any] = {"name": self.name, "type": self.type, "default": self.default,
                               "label": self.label, "help": self.help}
        if self.range is not None:
            out["range"] = list(self.range)
        if self.choices:
            out["choices"] = list(self.choices)
        return out


def _num(x: float | None) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x)) if abs(x) < 1e15 else repr(x)
    return repr(x)


def knob_table(knobs: Sequence[Knob]) -> dict[str, Knob]:
    """Knobs by name; raises :class:`KnobError` on a duplicate name."""
    table: dict[str, Knob] = {}
    for k in knobs:
        if not isinstance(k, Knob):
            raise KnobError(f"knobs must be Knob objects, got {type(k).__name__} {k!r}")
        if k.name in table:
            raise KnobError(f"knob {k.name!r} is declared twice")
        table[k.name] = k
    return table


#: how each knob type checks and converts a value (:meth:`Knob.validate`)
_COERCE: dict[str, Callable[[Knob, Any, str], Any]] = {
    "float": Knob._float, "int": Knob._int, "bool": Knob._bool, "str": Knob._str, "file": Knob._file,
    "choice": Knob._choice,
}
