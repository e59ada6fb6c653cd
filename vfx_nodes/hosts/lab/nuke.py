"""The Look Lab as a dockable Nuke panel, reading the selected Read node's file and frame.

Nuke 15–16 ship PySide6.  A Qt widget becomes a panel through
``nukescripts.panels.registerWidgetAsPanel(widget, name, id)``, which takes the widget's
class as a dotted string, puts ``name`` on the Pane menu and lets the artist dock it in
any pane (Foundry, Nuke Python Developers Guide, "Custom Panels" → "Using PySide":
https://learn.foundry.com/nuke/developers/latest/pythondevguide/custom_panels.html).

``plugin/nuke/menu.py`` calls :func:`register` in the GUI only (it needs Qt), and the
"VFX Nodes" toolbar gets a **Look Lab (selected Read)** command.  Long jobs run on the
Lab's worker thread, so Nuke's UI keeps answering while a frame stylises; nothing here
touches Nuke's node graph from that thread (only the GUI thread reads the Read node).
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["PANEL_ID", "PANEL_NAME", "LabPanel",  # noqa: F822 - made on first use (__getattr__)
           "open_selected_read", "register", "selected_read"]

log = logging.getLogger(__name__)

#: The panel's unique id (Nuke saves it in workspace layouts).
PANEL_ID = "com.vfx_nodes.LookLab"
#: The name on Nuke's Pane menu.
PANEL_NAME = "VFX Look Lab"

_PANELS: list[Any] = []  # open LabPanel widgets (the last one is fed the selected Read)


def selected_read() -> tuple[str, int] | None:
    """``(file pattern, current frame)`` of the selected Read node, or ``None`` when no
    node, or no Read, is selected.  Nuke's ``%04d`` and ``####`` patterns are both
    understood by the Lab."""
    import nuke

    try:
        node = nuke.selectedNode()
    except ValueError:  # Nuke: "no node selected"
        return None
    if node is None or node.Class() != "Read":
        return None
    path = node["file"].value()
    return (str(path), int(nuke.frame())) if path else None


def _widget_class() -> type:
    from .window import LabWidget

    class LabPanel(LabWidget):
        """The Lab widget Nuke instantiates (with no arguments) inside a pane; it opens
        the selected Read node's plate at the current frame."""

        def __init__(self, parent: Any = None) -> None:
            super().__init__(None, parent)
            _PANELS.append(self)
            self.destroyed.connect(lambda *_: _PANELS.remove(self) if self in _PANELS else None)
            self.load_selected_read()

        def load_selected_read(self) -> bool:
            """Open the selected Read's file at Nuke's current frame (else keep what is open)."""
            found = selected_read()
            if found is None:
                return False
            path, frame = found
            from ...policy.frames import has_frame_token

            return self.open_plate(path, frame if has_frame_token(path) else None)

    return LabPanel


def __getattr__(name: str) -> Any:
    # ``LabPanel`` is made on first use so importing this module does not import Qt
    # (render-mode Nuke has no GUI); registerWidgetAsPanel names it by its dotted path.
    if name == "LabPanel":
        cls = _widget_class()
        globals()["LabPanel"] = cls
        return cls
    raise AttributeError(name)


def register() -> bool:
    """Register the panel with Nuke (GUI sessions only): it appears on the Pane menu.
    Returns whether it was registered (``False`` without Nuke's GUI or PySide6)."""
    import nuke

    if not nuke.GUI:
        return False
    try:
        import PySide6  # noqa: F401
        from nukescripts import panels
    except ImportError as exc:
        log.info("vfx_nodes: the Look Lab panel is not available (%s)", exc)
        return False
    panels.registerWidgetAsPanel(f"{__name__}.LabPanel", PANEL_NAME, PANEL_ID)
    return True


def open_selected_read() -> Any:
    """The toolbar command: show the Lab with the selected Read node's plate (an open
    panel is reused; else a floating panel is made)."""
    if _PANELS:
        panel = _PANELS[-1]
        panel.load_selected_read()
        panel.show()
        return panel
    import nuke
    from nukescripts import panels

    made = panels.registerWidgetAsPanel(f"{__name__}.LabPanel", PANEL_NAME, PANEL_ID, True)
    # Dock it beside the Properties bin, as Foundry's example does ("Custom Panels").
    get_pane = getattr(nuke, "getPaneFor", None)
    made.addToPane(get_pane("Properties.1") if get_pane is not None else None)
    return _PANELS[-1] if _PANELS else made
