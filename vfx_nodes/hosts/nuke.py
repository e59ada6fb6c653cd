"""Nuke adapter: every registered node as a Nuke Group, rendered by the vfx_nodes engine.

Nuke pulls pixels through its own C++ graph; Python cannot sit in the middle of that pull.
So a vfx_nodes node becomes a **Group** (gizmo-like) that carries the pixels through
files, one frame at a time::

    Input ──► Write "vfx_in_<input>"          (EXR, 32-bit float, raw, all channels)
                 │ afterFrameRender (Python): read the EXR(s) → Node.render(inputs, frame)
                 ▼                            → write_plate(out.%04d.exr)  (atomic)
    Read "vfx_result" (out.%04d.exr, raw) ──► Output

* **Interactive**: the group's *Render* button executes the internal Write(s) over the
  frame range (``nuke.execute``), whose ``afterFrameRender`` callback runs the node; the
  internal Read then shows the result (it is reloaded).  *Render frame* does one frame.
* **Farm** (``nuke -x script.nk -F 1001-1100``): ``-x`` executes every Write in the
  script.  The internal Writes have ``render_order`` 0, below the default 1 of the
  artist's Writes, so each task first writes and stylises its frames, then the final
  Writes pull the internal Read.  Each internal Write's ``beforeRender`` callback points
  the file knobs at this machine's cache folder first.  ``render_script()`` (used by
  ``plugin/nuke/vfx_render.py`` with ``nuke -t``) is the explicit alternative: internal
  Writes first, then the named Writes.

Every Python step runs inside Write callbacks, which Nuke runs in render mode too, and
"if they throw an exception, the render aborts" (Write node reference, Python tab:
https://learn.foundry.com/nuke/content/reference_guide/image_nodes/write.html), so a
failed frame fails the render instead of passing through unstyled.

Knobs are made from the node's :class:`~vfx_nodes.nodes.knob.Knob` declarations
(:data:`NUKE_KNOB_CLASSES`): ``float`` → ``nuke.Double_Knob``, ``int`` →
``nuke.Int_Knob``, ``bool`` → ``nuke.Boolean_Knob``, ``str`` → ``nuke.String_Knob``,
``choice`` → ``nuke.Enumeration_Knob``, ``file`` → ``nuke.File_Knob``; ranges become
``setRange`` and help texts tooltips.  Numeric knobs are read with ``getValueAt(frame)``,
so they can be animated.

``import nuke`` happens inside the functions (pyblish-nuke's habit), so this module
imports anywhere and discovery works outside Nuke; the tests run it against a stand-in
``nuke`` module, and a test type-checks it against the ``types-nuke`` stubs.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from typing import TYPE_CHECKING, Any

from ..errors import NodeError
from ..nodes.knob import Knob
from ..nodes.node import Node
from ..nodes.registry import Registry

if TYPE_CHECKING:  # pragma: no cover
    import nuke

__all__ = [
    "LAB_COMMAND",
    "MENU_NAME",
    "NUKE_KNOB_CLASSES",
    "after_frame_render",
    "before_render",
    "cache_patterns",
    "check_script",
    "create_node",
    "host_nodes",
    "init",
    "knob_values",
    "make_knob",
    "menu",
    "prepare",
    "process_frame",
    "registry",
    "render_group",
    "render_script",
    "use_registry",
    "vfx_groups",
]

log = logging.getLogger(__name__)

#: The toolbar menu (in the "Nodes" toolbar) holding one command per node.
MENU_NAME = "VFX Nodes"

#: vfx_nodes knob type → Nuke knob class name.
NUKE_KNOB_CLASSES: dict[str, str] = {
    "float": "Double_Knob",
    "int": "Int_Knob",
    "bool": "Boolean_Knob",
    "str": "String_Knob",
    "choice": "Enumeration_Knob",
    "file": "File_Knob",
}

# Knobs the adapter adds to every group.
CLASS_KNOB = "vfx_node"          # the registry name of the node (hidden)
CACHE_KNOB = "vfx_cache_dir"     # folder of the round-trip EXRs ("" = system temp)
RENDER_KNOB = "vfx_render"       # button: render the frame range
RENDER_FRAME_KNOB = "vfx_render_frame"  # button: render the current frame
RESULT_READ = "vfx_result"       # internal Read
INPUT_WRITE = "vfx_in_"          # internal Write per input: vfx_in_<input name>

# Knob names every Nuke Group already has; a vfx_nodes knob of the same name is created
# as "vfx_<name>" (the label stays the same) so it cannot clobber the Group's own.
_GROUP_KNOBS = frozenset({
    "name", "label", "help", "tile_color", "gl_color", "note_font", "note_font_size",
    "note_font_color", "selected", "xpos", "ypos", "hide_input", "cached", "disable",
    "dope_sheet", "bookmark", "postage_stamp", "postage_stamp_frame", "lifetimeStart",
    "lifetimeEnd", "useLifetime", "lock_connections", "onCreate", "onDestroy",
    "knobChanged", "updateUI", "autolabel", "panel", "icon", "indicators", "mapsize",
    "window", "process_mask", "file", "channels",
})

# Nuke shows Enumeration items by name; an empty choice ("" = use the default) is shown
# with this name and mapped back when the knob is read.
_EMPTY_CHOICE = "(default)"

# Callback knobs hold Python source run in Nuke's __main__; __import__ keeps them
# self-contained (no import needed in the artist's session).
_CALL = "__import__('vfx_nodes.hosts.nuke', fromlist=['_']).{}"

# Host-side state: the registry the adapter uses and one node instance per group, so a
# StyleTransfer keeps its loaded look between frames.  Not a node registry: the nodes
# live in a Registry object, which use_registry() replaces.
_STATE: dict[str, Any] = {"registry": None, "nodes": {}}


# --- registry ---------------------------------------------------------------------------


def use_registry(reg: Registry | None) -> None:
    """Make the adapter use ``reg`` (``None``: a fresh default :class:`Registry` on next use)."""
    _STATE["registry"] = reg
    _STATE["nodes"] = {}


def registry() -> Registry:
    """The registry the adapter creates and renders nodes from."""
    reg = _STATE["registry"]
    if reg is None:
        reg = Registry()
        _STATE["registry"] = reg
    return reg


def host_nodes(reg: Registry | None = None) -> list[type[Node]]:
    """The registered nodes Nuke can offer: ``host_exposed`` and at least one image input.

    Read and Write are left out (Nuke's own Read and Write do their job); nodes without
    an image input have no pixels for the round trip to carry.
    """
    reg = reg or registry()
    out = []
    for info in reg.infos():
        if info.cls.host_exposed and info.cls.inputs:
            out.append(info.cls)
        else:
            log.debug("vfx_nodes: %s is not offered in Nuke (no image input or host_exposed=False)",
                      info.name)
    return out


# --- start-up ---------------------------------------------------------------------------


def init(reg: Registry | None = None) -> None:
    """Set-up that is safe in render mode (``init.py``): no UI, nothing rendered.

    Registers a script-load check that warns about groups whose node is not registered on
    this machine.  Safe to call twice: Nuke's callback lists keep one entry per
    (callable, args) pair ("make it appear only once in list", nuke_internal/callbacks.py,
    https://learn.foundry.com/nuke/developers/160/pythondevguide/_modules/nuke_internal/callbacks.html).
    """
    import nuke

    if reg is not None:
        use_registry(reg)
    nuke.addOnScriptLoad(check_script)


def menu(reg: Registry | None = None) -> nuke.Menu | None:
    """Add the "VFX Nodes" menu to the Nodes toolbar (``menu.py``; GUI only).

    One command per node of :func:`host_nodes`.  Safe to call twice: the menu and each
    command are looked up with ``findItem`` before they are added.

    Returns:
        The menu, or ``None`` when Nuke runs without its GUI.
    """
    import nuke

    if reg is not None:
        use_registry(reg)
    if not nuke.GUI:
        return None
    # nuke.menu("Nodes") is the toolbar (and the Node Graph's right-click menu); addMenu on
    # it adds a toolbar button (Nuke Python guide, "Customizing the UI",
    # https://learn.foundry.com/nuke/developers/90/pythondevguide/custom_ui.html). A
    # command "can be a string to evaluate or a Python Callable" (nuke.ToolBar.addCommand).
    toolbar = nuke.menu("Nodes")
    submenu = toolbar.findItem(MENU_NAME) or toolbar.addMenu(MENU_NAME)
    for cls in host_nodes():
        if submenu.findItem(cls.name) is None:
            submenu.addCommand(cls.name, functools.partial(create_node, cls.name))
    # The Look Lab: a dockable panel (Pane menu) and a command that opens it on the
    # selected Read node. Neither imports Qt until used (docs/LAB.md).
    from .lab import nuke as lab_panel

    if lab_panel.register() and submenu.findItem(LAB_COMMAND) is None:
        submenu.addCommand(LAB_COMMAND, _open_lab)
    return submenu


#: The toolbar command that opens the Look Lab on the selected Read node.
LAB_COMMAND = "Look Lab (selected Read)"


def _open_lab() -> Any:
    from .lab import nuke as lab_panel

    return lab_panel.open_selected_read()


# --- creating a group -------------------------------------------------------------------


def nuke_knob_name(name: str) -> str:
    """The Nuke knob name of vfx_nodes knob ``name`` (``vfx_<name>`` where Groups have one)."""
    return f"vfx_{name}" if name in _GROUP_KNOBS else name


def make_knob(knob: Knob) -> nuke.Knob:
    """A Nuke knob for ``knob``: class by type, default value, range and tooltip."""
    import nuke

    name, label = nuke_knob_name(knob.name), knob.label
    k: nuke.Knob
    if knob.type == "float":
        k = nuke.Double_Knob(name, label)
    elif knob.type == "int":
        k = nuke.Int_Knob(name, label)
    elif knob.type == "bool":
        k = nuke.Boolean_Knob(name, label)
    elif knob.type == "choice":
        k = nuke.Enumeration_Knob(name, label, [c or _EMPTY_CHOICE for c in knob.choices])
    elif knob.type == "file":
        k = nuke.File_Knob(name, label)
    else:
        k = nuke.String_Knob(name, label)
    if isinstance(k, (nuke.Double_Knob, nuke.Int_Knob)) and knob.range is not None \
            and None not in knob.range:
        # Array_Knob.setRange sets the slider's range; Nuke does not clamp typed values to
        # it, so knob_values() still validates every value against the declaration.
        k.setRange(knob.range[0], knob.range[1])
    default = knob.default
    if knob.type == "choice":
        default = default or _EMPTY_CHOICE
    k.setValue(default)
    if knob.help:
        k.setTooltip(knob.help)
    return k


def create_node(name: str) -> nuke.Group:
    """Create the Group for node ``name`` in the current graph (the toolbar command).

    Raises:
        NodeError: ``name`` is not registered, or is not a node Nuke can offer.
    """
    import nuke

    cls = registry().get(name)
    if not cls.inputs or not cls.host_exposed:
        raise NodeError(f"node {name} cannot be used in Nuke: it has no image input or is a "
                        f"file node (use Nuke's own Read and Write)")
    # createNode connects the new node to the selected one, as the toolbar's own nodes do.
    group = nuke.createNode("Group", inpanel=False)
    if not isinstance(group, nuke.Group):
        raise NodeError(f"nuke.createNode('Group') returned a {group.Class()} node")
    group.setName(cls.name, uncollide=True)
    build_group(group, cls)
    return group


def build_group(group: nuke.Group, cls: type[Node]) -> None:
    """Fill ``group`` with ``cls``'s knobs and the round-trip nodes."""
    import nuke

    group.addKnob(nuke.Tab_Knob("vfx_nodes", cls.name))
    marker = nuke.String_Knob(CLASS_KNOB, "vfx node")
    marker.setValue(cls.name)
    marker.setFlag(nuke.INVISIBLE)
    group.addKnob(marker)
    for knob in cls.knobs:
        group.addKnob(make_knob(knob))
    group.addKnob(nuke.Text_Knob("vfx_divider", ""))
    cache = nuke.File_Knob(CACHE_KNOB, "cache folder")
    cache.setTooltip("folder for the per-frame round-trip EXRs; empty = the system's temporary "
                     "folder (per machine, so farm tasks do not share it)")
    group.addKnob(cache)
    render = nuke.PyScript_Knob(RENDER_KNOB, "Render", _CALL.format("render_group()"))
    render.setTooltip("run the node over the script's frame range (results are cached on disk "
                      "and shown by this node); press again after changing a knob")
    group.addKnob(render)
    group.addKnob(nuke.PyScript_Knob(RENDER_FRAME_KNOB, "Render frame",
                                     _CALL.format("render_group(current=True)")))
    # Group.__enter__/__exit__ are begin()/end() (types-nuke: nuke.Group), so nuke.nodes.X
    # inside the block makes X inside the group; keyword arguments set knobs by name.
    with group:
        for index, input_name in enumerate(cls.inputs):
            inp = nuke.nodes.Input(name=input_name)
            write = nuke.nodes.Write(
                name=INPUT_WRITE + input_name,
                file_type="exr", datatype="32 bit float", compression="none",
                channels="all", raw=True, render_order=0,
                beforeRender=_CALL.format("before_render()"),
                afterFrameRender=_CALL.format("after_frame_render()"),
            )
            write.setInput(0, inp)
            inp.setXYpos(index * 150, 0)
            write.setXYpos(index * 150, 100)
        read = nuke.nodes.Read(name=RESULT_READ, raw=True)
        read.setXYpos(0, 250)
        out = nuke.nodes.Output()
        out.setInput(0, read)
        out.setXYpos(0, 350)
    prepare(group)


# --- knob values and cache paths --------------------------------------------------------


def node_class(group: nuke.Node) -> type[Node]:
    """The vfx_nodes class a group stands for."""
    return registry().get(str(group[CLASS_KNOB].value()))


def knob_values(group: nuke.Node, cls: type[Node], frame: int) -> dict[str, Any]:
    """The group's knob values at ``frame``, validated against ``cls``'s declaration.

    Raises:
        KnobError: a value outside the declaration (Nuke's sliders do not clamp typed values).
    """
    values: dict[str, Any] = {}
    for knob in cls.knobs:
        k = group[nuke_knob_name(knob.name)]
        value: Any
        if knob.type in ("float", "int", "bool"):
            value = k.getValueAt(frame)
        elif knob.type == "choice":
            value = k.value()
            value = "" if value == _EMPTY_CHOICE else value
        elif knob.type == "file":
            # File knobs may hold TCL ([getenv SHOW]/looks/oil.safetensors): evaluate them.
            evaluate = getattr(k, "evaluate", None)
            value = evaluate() if callable(evaluate) else k.value()
        else:
            value = k.value()
        values[knob.name] = value
    return cls.validate_values(values)


def _cache_folder(group: nuke.Node) -> str:
    import nuke

    knob = group[CACHE_KNOB]
    evaluate = getattr(knob, "evaluate", None)  # a File_Knob may hold TCL ([getenv SCRATCH])
    value = evaluate() if callable(evaluate) else knob.value()
    base = str(value or "") or os.path.join(tempfile.gettempdir(), "vfx_nodes_nuke")
    script = os.path.splitext(os.path.basename(nuke.root().name() or ""))[0] or "untitled"
    return os.path.join(base, script, group.fullName())


def cache_patterns(group: nuke.Node, cls: type[Node] | None = None) -> dict[str, str]:
    """``{input name: EXR pattern, ..., "": result pattern}`` of the round trip (``%04d``)."""
    cls = cls or node_class(group)
    folder = _cache_folder(group)
    out = {name: os.path.join(folder, f"in_{name}.%04d.exr") for name in cls.inputs}
    out[""] = os.path.join(folder, "out.%04d.exr")
    return out


def _inner(group: nuke.Group, name: str) -> nuke.Node:
    node = group.node(name)
    if node is None:
        raise NodeError(f"group {group.fullName()} has lost its internal node {name!r}; "
                        f"create the node again from the {MENU_NAME} menu")
    return node


def prepare(group: nuke.Group, first: int | None = None, last: int | None = None) -> None:
    """Point the internal Write(s) and Read at this machine's cache folder.

    ``first``/``last`` widen the Read's frame range (default: the script's range).
    """
    import nuke

    cls = node_class(group)
    patterns = cache_patterns(group, cls)
    os.makedirs(os.path.dirname(patterns[""]), exist_ok=True)
    for name in cls.inputs:
        _inner(group, INPUT_WRITE + name)["file"].setValue(patterns[name])
    read = _inner(group, RESULT_READ)
    read["file"].setValue(patterns[""])
    root = nuke.root()
    lo = root.firstFrame() if first is None else min(first, root.firstFrame())
    hi = root.lastFrame() if last is None else max(last, root.lastFrame())
    read["first"].setValue(lo)
    read["last"].setValue(hi)


# --- rendering --------------------------------------------------------------------------


def _used_inputs(group: nuke.Node, cls: type[Node]) -> list[str]:
    """The group's inputs that take part: every required one, and the optional ones (a
    mask) that are connected in the script (``Node.input(i)``: Nuke Python API)."""
    return [name for i, name in enumerate(cls.inputs)
            if name not in cls.optional_inputs or group.input(i) is not None]


def _node_for(group: nuke.Node, cls: type[Node]) -> Node:
    key = (group.fullName(), cls)
    node = _STATE["nodes"].get(key)
    if node is None:
        node = cls()
        _STATE["nodes"][key] = node
    return node


def process_frame(group: nuke.Group, frame: int) -> bool:
    """Run the group's node on the round-trip input(s) of ``frame`` and write the result.

    Returns:
        ``False`` (and does nothing) while an input's EXR for this frame is not written
        yet — a node with several inputs runs once the last of its input Writes is done.
    """
    import nuke

    from ..io import read_plate, write_plate

    cls = node_class(group)
    read = _inner(group, RESULT_READ)
    out = nuke.filename(read, nuke.REPLACE)
    if not out:
        raise NodeError(f"{group.fullName()}: the internal Read has no file; press Render again")
    # An input of this frame was just written: the result on disk is stale.  Remove it
    # first, so a failure below or a missing second input never leaves an old picture.
    if os.path.exists(out):
        os.remove(out)
    inputs = {}
    for name in _used_inputs(group, cls):
        # nuke.filename(node, nuke.REPLACE): the file name with the current frame's number
        # filled in, exactly as the Write wrote it (Nuke Python API, nuke.filename,
        # https://learn.foundry.com/nuke/developers/131/pythondevguide/_autosummary/nuke.filename.html).
        path = nuke.filename(_inner(group, INPUT_WRITE + name), nuke.REPLACE)
        if not path or not os.path.exists(path):
            return False
        inputs[name] = read_plate(path)
    node = _node_for(group, cls)
    node.set(**knob_values(group, cls, frame))
    plate = node.render(inputs, frame)
    write_plate(plate, out)
    # A farm task may render frames outside the script's range: widen the Read's range
    # so it does not hold the nearest frame instead of reading this one.
    if frame < int(read["first"].value()):
        read["first"].setValue(frame)
    if frame > int(read["last"].value()):
        read["last"].setValue(frame)
    return True


def before_render() -> None:
    """``beforeRender`` callback of the internal Write(s): point the files at this machine."""
    import nuke

    prepare(nuke.thisNode().parent())


def after_frame_render() -> None:
    """``afterFrameRender`` callback of the internal Write(s): run the node on this frame."""
    import nuke

    process_frame(nuke.thisNode().parent(), int(nuke.frame()))


def render_group(group: nuke.Group | None = None, first: int | None = None,
                 last: int | None = None, current: bool = False) -> None:
    """Render a group interactively (its Render buttons): execute the internal Write(s).

    Args:
        group: the group (default: ``nuke.thisNode()``, the group whose button was pressed).
        first, last: the frames (default: the script's range).
        current: render only the current frame.
    """
    import nuke

    if group is None:
        this = nuke.thisNode()
        if not isinstance(this, nuke.Group) or this.knob(CLASS_KNOB) is None:
            raise NodeError(f"render_group() without a group must run from a vfx_nodes group's "
                            f"Render button, not from {this.fullName()}")
        group = this
    root = nuke.root()
    if current:
        first = last = int(nuke.frame())
    first = root.firstFrame() if first is None else first
    last = root.lastFrame() if last is None else last
    cls = node_class(group)
    prepare(group, first, last)
    for name in _used_inputs(group, cls):
        # nuke.execute(node, start, end): render a Write over the frames; its
        # afterFrameRender callback runs the node (Nuke Python API, nuke.execute,
        # https://learn.foundry.com/nuke/developers/130/pythondevguide/_autosummary/nuke.render.html).
        nuke.execute(_inner(group, INPUT_WRITE + name), first, last)
    reload = _inner(group, RESULT_READ).knob("reload")
    if isinstance(reload, nuke.Script_Knob):
        reload.execute()  # the Read caches what it read before the frames existed


def vfx_groups() -> list[nuke.Group]:
    """Every vfx_nodes group in the script (nested groups too)."""
    import nuke

    return [n for n in nuke.allNodes("Group", recurseGroups=True)
            if isinstance(n, nuke.Group) and n.knob(CLASS_KNOB) is not None]


def check_script() -> list[str]:
    """Warn (log) about groups whose node is not registered here; returns the problems."""
    problems = []
    reg = registry()
    for group in vfx_groups():
        name = str(group[CLASS_KNOB].value())
        if name not in reg:
            problems.append(f"{group.fullName()}: node {name!r} is not registered on this machine "
                            f"(is vfx_nodes or the plugin package that provides it installed?)")
    for p in problems:
        log.warning("vfx_nodes: %s", p)
    return problems


def render_script(first: int, last: int, writes: list[str] | None = None) -> None:
    """Farm render without relying on ``render_order``: for ``nuke -t``.

    Executes every vfx_nodes group's internal Write(s) over ``first``–``last`` (running
    the nodes), then the named Writes (default: every enabled top-level Write).
    """
    import nuke

    for group in vfx_groups():
        render_group(group, first, last)
    if writes is None:
        names = [w.name() for w in nuke.allNodes("Write") if not w["disable"].value()]
    else:
        names = list(writes)
    for name in names:
        node = nuke.toNode(name)
        if node is None:
            raise NodeError(f"no Write node called {name!r} in {nuke.root().name()}")
        nuke.execute(node, first, last)
