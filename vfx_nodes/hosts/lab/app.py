"""The Qt application for the standalone Look Lab, and the snapshot mode (docs, tests)."""

from __future__ import annotations

import os
import time

from PySide6 import QtCore, QtGui, QtWidgets

from ..._atomic import atomic_write
from .window import LabWindow

__all__ = ["application", "snapshot"]


def application() -> QtWidgets.QApplication:
    """The running QApplication, or a new one (inside Nuke, Nuke's own)."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(["vfx-style lab"])
        app.setApplicationName("vfx_nodes Look Lab")
        _dark(app)
    assert isinstance(app, QtWidgets.QApplication)
    return app


def _dark(app: QtWidgets.QApplication) -> None:
    """A dark grey theme, as compositing packages use (a bright UI skews the eye's
    judgement of the image)."""
    app.setStyle("Fusion")
    pal = QtGui.QPalette()
    role = QtGui.QPalette.ColorRole
    for r, rgb in ((role.Window, (50, 50, 50)), (role.WindowText, (220, 220, 220)),
                   (role.Base, (36, 36, 36)), (role.AlternateBase, (58, 58, 58)),
                   (role.Text, (220, 220, 220)), (role.Button, (62, 62, 62)),
                   (role.ButtonText, (225, 225, 225)), (role.Highlight, (232, 150, 40)),
                   (role.HighlightedText, (20, 20, 20)), (role.ToolTipBase, (60, 60, 60)),
                   (role.ToolTipText, (230, 230, 230)), (role.PlaceholderText, (130, 130, 130))):
        pal.setColor(r, QtGui.QColor(*rgb))
    pal.setColor(QtGui.QPalette.ColorGroup.Disabled, role.ButtonText, QtGui.QColor(120, 120, 120))
    pal.setColor(QtGui.QPalette.ColorGroup.Disabled, role.Text, QtGui.QColor(120, 120, 120))
    app.setPalette(pal)


def snapshot(win: LabWindow, path: str | os.PathLike[str], *, timeout: float = 600.0) -> tuple[bool, str]:
    """Stylise once in ``win``, wait for the job while the event loop runs, write a PNG
    screenshot of the window (atomically) and return ``(ok, message)``.

    The screenshot is written even when the stylize failed (it then shows the error line).
    """
    lab = win.lab
    loop = QtCore.QEventLoop()
    outcome: list[str] = []

    def finished(name: str, how: str) -> None:
        outcome.append(how)
        loop.quit()

    lab.job_finished.connect(finished)
    worker = lab.stylize()
    if worker is not None:
        timer = QtCore.QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        timer.start(int(timeout * 1000))
        t0 = time.monotonic()
        loop.exec()
        if not outcome:
            lab.shutdown()
            return False, f"the stylize did not finish in {time.monotonic() - t0:.0f} s"
    QtWidgets.QApplication.processEvents()
    image = win.grab()

    def write(tmp: os.PathLike[str]) -> None:
        if not image.save(os.fspath(tmp), "PNG"):
            raise OSError(f"Qt could not write a PNG to {os.fspath(tmp)!r}")

    try:
        atomic_write(path, write)
    except OSError as exc:
        return False, f"cannot write {os.fspath(path)}: {exc}"
    ok = bool(outcome) and outcome[0] == "done"
    return ok, ("" if ok else (lab.last_error or "no stylize ran"))
