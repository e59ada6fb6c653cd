"""The :class:`Node` base class: a declaration of name, inputs and knobs around one function.

A node is declared with class attributes, as pyblish plugins are — the engine knows no
host, and hosts learn everything they need from the declaration::

    class Gain(Node):
        name = "Gain"
        inputs = ("input",)
        knobs = (Knob("gain", "float", 1.0, range=(0.0, 10.0), help="multiplier"),)

        def process(self, inputs, frame):
            plate = inputs["input"]
            rgb = plate.rgb_names()
            return plate.with_channels({c: plate.channel(c) * self["gain"] for c in rgb})

:meth:`Node.render` checks the inputs, calls :meth:`Node.process` and checks that a
new :class:`~vfx_nodes.plate.Plate` came back.  Plates are immutable, so a node cannot
change its inputs; ``process`` must be deterministic (same inputs, knobs and frame →
same pixels), which is what lets a farm retry a frame or split a shot into chunks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ..errors import KnobError, NodeError, close_matches
from ..plate import Plate
from .knob import Knob, knob_table

__all__ = ["Inputs", "Node"]

Inputs = Mapping[str, Plate]
"""Input name → plate, as :meth:`Node.process` receives them."""


class Node:
    """Base of every node.

    Class attributes (the declaration):
        name: the node's name in the registry, on the command line and in hosts.
        inputs: names of the image inputs, in order (``()`` for a source such as Read).
        knobs: the :class:`~vfx_nodes.nodes.knob.Knob` declarations.
        help: one-line description (defaults to the first line of the docstring).
        host_exposed: whether host adapters offer this node (``False`` for Read and
            Write, whose job the host's own file nodes do).

    Args:
        **values: knob values, validated like :meth:`set`.

    Raises:
        KnobError: an unknown knob or an invalid value.

    Example:
        >>> node = StyleTransfer(look="oil.safetensors", strength=0.5)   # doctest: +SKIP
        >>> node["strength"]                                               # doctest: +SKIP
        0.5
    """

    name: ClassVar[str] = ""
    inputs: ClassVar[tuple[str, ...]] = ()
    #: inputs that may be left unconnected (a mask input, as on every Nuke node)
    optional_inputs: ClassVar[tuple[str, ...]] = ()
    knobs: ClassVar[tuple[Knob, ...]] = ()
    help: ClassVar[str] = ""
    host_exposed: ClassVar[bool] = True

    # Filled in by __init_subclass__: knob name -> Knob.
    _knob_table: ClassVar[dict[str, Knob]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Check the declaration when the class is defined, so a broken third-party node
        # fails while the registry imports it (and is reported there), not mid-render.
        if not isinstance(cls.name, str):
            raise NodeError(f"{cls.__qualname__}.name must be a string, got {cls.name!r}")
        if cls.name and not cls.name.replace("_", "").isalnum():
            raise NodeError(f"node name {cls.name!r} ({cls.__qualname__}) may hold only letters, "
                            f"digits and _")
        if isinstance(cls.inputs, str) or not all(isinstance(i, str) and i for i in cls.inputs):
            raise NodeError(f"{cls.__qualname__}.inputs must be a tuple of input names, got {cls.inputs!r}")
        cls.inputs = tuple(cls.inputs)
        if len(set(cls.inputs)) != len(cls.inputs):
            raise NodeError(f"{cls.__qualname__}.inputs has a repeated name: {cls.inputs}")
        cls.knobs = tuple(cls.knobs)
        cls._knob_table = knob_table(cls.knobs)
        if "help" not in cls.__dict__:  # each class's own docstring, not its parent's help
            doc = (cls.__doc__ or "").strip()
            cls.help = doc.splitlines()[0] if doc else ""

    def __init__(self, **values: Any) -> None:
        if not type(self).name:
            raise NodeError(f"{type(self).__qualname__} has no name: it is an abstract node class")
        self._values: dict[str, Any] = {k.name: k.default for k in self.knobs}
        self.set(**values)

    # --- knobs ------------------------------------------------------------------------

    @classmethod
    def knob(cls, name: str) -> Knob:
        """The declaration of knob ``name``; raises :class:`KnobError` listing valid names."""
        try:
            return cls._knob_table[name]
        except KeyError:
            raise KnobError(f"{cls.name or cls.__qualname__} has no knob {name!r}: "
                            f"{close_matches(name, cls._knob_table)}") from None

    @classmethod
    def validate_values(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """All knob values (defaults filled in) after validating ``values``.

        Raises:
            KnobError: an unknown knob name or an invalid value.
        """
        out = {k.name: k.default for k in cls.knobs}
        for name, value in values.items():
            out[name] = cls.knob(name).validate(value, cls.name)
        return out

    def set(self, **values: Any) -> Node:
        """Set knob values (validated); returns the node, so calls can be chained.

        Nothing is changed when one of the values is invalid.
        """
        checked = {name: self.knob(name).validate(v, self.name) for name, v in values.items()}
        self._values.update(checked)
        return self

    def __getitem__(self, name: str) -> Any:
        self.knob(name)
        return self._values[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self.set(**{name: value})

    @property
    def values(self) -> dict[str, Any]:
        """A copy of every knob's current value."""
        return dict(self._values)

    # --- rendering --------------------------------------------------------------------

    def render(self, inputs: Inputs | Sequence[Plate] | Plate | None = None,
               frame: int | None = None) -> Plate:
        """Render one frame and return a new plate; the inputs are not changed.

        Args:
            inputs: the input plates by input name; a sequence in :attr:`inputs` order or
                a single plate are accepted for convenience.
            frame: the frame number (used by nodes that read or write sequences).

        Raises:
            NodeError: an input is missing, unknown or not a Plate, or the node returned
                something that is not a Plate.
        """
        plates = self._bind(inputs)
        result = self.process(plates, frame)
        if not isinstance(result, Plate):
            raise NodeError(f"node {self.name} returned {type(result).__name__}, not a Plate")
        return result

    def process(self, inputs: Inputs, frame: int | None) -> Plate:
        """Do the node's work; subclasses implement this (inputs are already checked)."""
        raise NodeError(f"node {self.name} does not implement process()")

    def _bind(self, inputs: Inputs | Sequence[Plate] | Plate | None) -> dict[str, Plate]:
        if inputs is None:
            given: dict[str, Any] = {}
        elif isinstance(inputs, Plate):
            given = {self.inputs[0]: inputs} if self.inputs else {"input": inputs}
        elif isinstance(inputs, Mapping):
            given = dict(inputs)
        else:
            seq = list(inputs)
            if len(seq) > len(self.inputs):
                raise NodeError(f"node {self.name} takes {len(self.inputs)} input(s) "
                                f"{list(self.inputs)}, got {len(seq)} plates")
            given = dict(zip(self.inputs, seq))
        for key in given:
            if key not in self.inputs:
                valid = ", ".join(repr(i) for i in self.inputs) or "none"
                raise NodeError(f"node {self.name} has no input {key!r}; its inputs are {valid}")
        for key in self.inputs:
            if key not in given and key in self.optional_inputs:
                continue
            if key not in given:
                raise NodeError(f"input {key!r} of node {self.name} is not given (inputs: {list(self.inputs)})")
            if not isinstance(given[key], Plate):
                raise NodeError(f"input {key!r} of node {self.name} must be a Plate, "
                                f"got {type(given[key]).__name__}")
        return given

    # --- description ------------------------------------------------------------------

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """A JSON-ready description of the declaration."""
        return {"name": cls.name, "help": cls.help, "inputs": list(cls.inputs),
                "optional_inputs": list(cls.optional_inputs), "knobs": [k.describe() for k in cls.knobs]}

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._values.items() if v != self.knob(k).default}
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"{type(self).__name__}({args})"
