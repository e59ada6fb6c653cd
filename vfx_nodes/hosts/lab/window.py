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

from PySide6 import QtCore, QtGui, QtWidgets

from .curve import ValidationCurve
from .knobs import KnobPanel
from .session import IMAGE_SUFFIXES, METHODS, Job, LabSession, error_text
from .viewer import ImageViewer, to_qimage
from .worker import Worker, warm_up

__all__ = ["ImageViewer", "KnobPanel", "LabWidget", "LabWindow", "Worker", "to_qimage", "warm_up"]

#: Debounce of live knob changes before the frame is stylised again (ms).
LIVE_DELAY_MS = 300
#: How the layer box shows the main (unprefixed) R, G, B.
MAIN_LAYER = "(main RGB)"


# --- the tool -------------------------------------------------------------------------------


class LabWidget(QtWidgets.QWidget):
    """The whole Look Lab as one widget (the standalone window's centre, Nuke's panel).

    Args:
        session: the state to show (a new :class:`LabSession` by default).
        parent: Qt parent.
    """

    #: emitted when a job ends: its name and "done" / "failed" / "cancelled"
    job_finished = QtCore.Signal(str, str)

    # The widgets, made by the section functions of vfx_nodes/hosts/lab/panels.py.
    plate_edit: QtWidgets.QLineEdit
    part_edit: QtWidgets.QLineEdit
    layer_combo: QtWidgets.QComboBox
    frame_slider: QtWidgets.QSlider
    frame_label: QtWidgets.QLabel
    method_combo: QtWidgets.QComboBox
    styles_table: QtWidgets.QTableWidget
    look_edit: QtWidgets.QLineEdit
    knobs: KnobPanel
    stats_combo: QtWidgets.QComboBox
    live_check: QtWidgets.QCheckBox
    stylize_button: QtWidgets.QPushButton
    cancel_button: QtWidgets.QPushButton
    progress: QtWidgets.QProgressBar
    out_buttons: dict[str, QtWidgets.QPushButton]
    resume_check: QtWidgets.QCheckBox
    minutes_spin: QtWidgets.QDoubleSpinBox
    steady_check: QtWidgets.QCheckBox
    display_combo: QtWidgets.QComboBox
    view_combo: QtWidgets.QComboBox
    wipe_check: QtWidgets.QCheckBox
    paint_view_check: QtWidgets.QCheckBox
    matte_check: QtWidgets.QCheckBox
    viewer: ImageViewer
    pixel_label: QtWidgets.QLabel
    describe_label: QtWidgets.QLabel
    info_label: QtWidgets.QLabel
    error_label: QtWidgets.QLabel
    details_button: QtWidgets.QPushButton
    curve: ValidationCurve

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
        self._flipper = QtCore.QTimer(self)
        self._flipper.setInterval(1000 // 6)  # 6 frames a second: strokes that boil are plain to see
        self._flipper.timeout.connect(self._next_flip)
        self._flip_at = 0
        self._curve_out = ""
        self._curve_timer = QtCore.QTimer(self)
        self._curve_timer.setInterval(1000)
        self._curve_timer.timeout.connect(self._update_curve)
        self.setAcceptDrops(True)
        self._build()
        self._refresh()
        warm_up(self.session)

    # -- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        from .panels import build

        build(self)

    def button(self, text: str, slot: Callable[[], Any], name: str) -> QtWidgets.QPushButton:
        """A push button named ``name`` whose click runs ``slot`` with the window's error
        guard (one line in the window, the traceback behind Details)."""
        b = QtWidgets.QPushButton(text)
        b.setObjectName(name)
        b.clicked.connect(lambda _checked=False: self._guard(slot))
        return b

    @staticmethod
    def row(*widgets: QtWidgets.QWidget) -> QtWidgets.QWidget:
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
        # the mask knob offers the plate's channels as it is typed (a matte: A, matte.A, ...)
        mask = self.knobs.value_widget("mask")
        if isinstance(mask, QtWidgets.QLineEdit):
            completer = QtWidgets.QCompleter(list(plate.channel_names), mask)
            completer.setCaseSensitivity(QtCore.Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(QtCore.Qt.MatchFlag.MatchContains)
            mask.setCompleter(completer)
            mask.setPlaceholderText("a channel, e.g. " + ("A" if "A" in plate.channel_names
                                                           else plate.channel_names[-1]))

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
        return self.session.can_stylize()

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

    def _update_curve(self) -> None:
        if self._curve_out:
            self.curve.set_points(self.session.validation(self._curve_out))

    def _finished(self, w: Worker, how: str, then: Callable[[], None] | None) -> None:
        if w.name == "fine_tune":
            self._curve_timer.stop()
            self._update_curve()
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

        # the validation curve, from the run's metrics.jsonl, once a second while it trains
        self._curve_out = out
        self.curve.set_points([])
        self.curve.setVisible(True)
        self._curve_timer.start()

        def done(result: Any) -> None:
            self.look_edit.setText(str(result.look_path))
            self.method_combo.setCurrentIndex(METHODS.index(self.session.method))
            state = "stopped" if result.interrupted and not result.time_limited else "done"
            self._note(f"fine-tuning {state} at step {result.steps}: {result.look_path} "
                       f"(tick 'resume' to continue)" if result.interrupted else
                       f"fine-tuned look: {result.look_path} ({result.steps} steps)")
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
        self._paint_view_changed()

    def _paint_view_changed(self) -> None:
        """"paint through": the through_view knob follows the viewer's display and view."""
        on = self.paint_view_check.isChecked()
        value = f"{self.display_combo.currentText()}:{self.view_combo.currentText()}" if on else ""
        if (self.session.node["through_view"] or "") != value:
            self.knobs.set_value("through_view", value)

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
        """Enable what can be done now (the rules: :meth:`LabSession.enabled`)."""
        s = self.session
        running = self.worker.name if self.worker is not None else None
        rules = s.enabled(running)
        self.stylize_button.setEnabled(rules["stylize"])
        self.cancel_button.setEnabled(rules["cancel"])
        for name, button in self.out_buttons.items():
            button.setEnabled(rules[name])
        self.stats_combo.setEnabled(rules["shot_statistics"])
        if not rules["shot_statistics"] and self.stats_combo.currentText() != "frame":
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
