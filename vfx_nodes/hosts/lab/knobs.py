"""The Look Lab's knob panel: one control per StyleTransfer knob, from the node's own
declarations (the Nuke adapter makes its knobs from the same ones)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6 import QtCore, QtWidgets

from ...nodes.knob import Knob

__all__ = ["KnobPanel"]


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


