"""Screenshot of the Look Lab docked as a Nuke panel, against the test stand-in ``nuke``.

Nuke is not available here, so the panel is made exactly as Nuke would make it — through
``nukescripts.panels.registerWidgetAsPanel`` (the stand-in in tests/fixtures/nuke) with a
Read node selected — and docked beside a placeholder Node Graph in a plain main window.

    QT_QPA_PLATFORM=offscreen python docs/tools/lab_panel_mock.py PATTERN PAINTING OUT.png [FRAME]
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STANDIN = REPO / "tests" / "fixtures" / "nuke"


def main(pattern: str, painting: str, out: str, frame: int = 1) -> int:
    spec = importlib.util.spec_from_file_location("nuke", STANDIN / "nuke.py")
    nuke = importlib.util.module_from_spec(spec)
    sys.modules["nuke"] = nuke
    spec.loader.exec_module(nuke)
    sys.path.insert(0, str(STANDIN))

    from PySide6 import QtCore, QtGui, QtWidgets

    from vfx_nodes.hosts import nuke as adapter
    from vfx_nodes.hosts.lab.app import _dark, application

    app = application()
    _dark(app)
    menu = adapter.menu()
    read = nuke.nodes.Read(file=pattern)
    nuke.select(read)
    nuke.frame(frame)
    panel = menu.findItem(adapter.LAB_COMMAND).invoke()  # the toolbar command, as in Nuke

    win = QtWidgets.QMainWindow()
    win.setWindowTitle("Nuke (stand-in) — VFX Look Lab panel")
    graph = QtWidgets.QLabel(f"Node Graph (stand-in)\n\n[ {read.name()} ]\n{Path(pattern).name}\nselected")
    graph.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
    graph.setStyleSheet("background: #2b2b2b; color: #bbbbbb; font-size: 15px;")
    win.setCentralWidget(graph)
    dock = QtWidgets.QDockWidget("VFX Look Lab")
    dock.setWidget(panel)
    win.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
    win.resize(1500, 820)
    win.show()
    win.resizeDocks([dock], [1180], QtCore.Qt.Orientation.Horizontal)
    panel.add_styles([painting])
    loop = QtCore.QEventLoop()
    panel.job_finished.connect(lambda *_: loop.quit())
    panel.stylize()
    loop.exec()
    app.processEvents()
    ok = win.grab().save(out, "PNG")
    panel.shutdown()
    print(f"{out}: {'written' if ok else 'FAILED'} ({panel.last_error or 'no error'})")
    del QtGui
    return 0 if ok and not panel.last_error else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], *(int(a) for a in sys.argv[4:5])))
