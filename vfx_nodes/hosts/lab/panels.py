"""The Look Lab's layout: one function per section of the window (plate, style, knobs,
go, out, viewer), each making its widgets as attributes of the :class:`LabWidget` and
wiring them to its slots. The rules for what is enabled when are the Qt-free session's
(:meth:`vfx_nodes.hosts.lab.session.LabSession.enabled`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from .curve import ValidationCurve
from .knobs import KnobPanel
from .session import LAB_KNOBS, METHODS
from .viewer import ImageViewer

if TYPE_CHECKING:
    from .window import LabWidget

__all__ = ["build"]


def build(w: LabWidget) -> None:
    """Lay out the whole tool on ``w``: the sections down the left, the viewer on the right."""
    side = QtWidgets.QWidget()
    col = QtWidgets.QVBoxLayout(side)
    for section in (plate_panel, style_panel, knobs_panel, go_panel, out_panel):
        section(w, col)
    right = viewer_panel(w)
    split = QtWidgets.QSplitter()
    side.setMinimumWidth(330)
    split.addWidget(side)
    split.addWidget(right)
    split.setStretchFactor(1, 1)
    outer = QtWidgets.QHBoxLayout(w)
    outer.setContentsMargins(4, 4, 4, 4)
    outer.addWidget(split)


def plate_panel(w: LabWidget, col: QtWidgets.QVBoxLayout) -> None:
    """The plate: file, part, layer, frame."""
    box = QtWidgets.QGroupBox("Plate")
    form = QtWidgets.QFormLayout(box)
    w.plate_edit = QtWidgets.QLineEdit()
    w.plate_edit.setPlaceholderText("plate.exr or plate.####.exr")
    w.plate_edit.returnPressed.connect(lambda: w.open_plate(w.plate_edit.text()))
    plate_row = w.row(w.plate_edit, w.button("Open…", w._browse_plate, "open_plate"))
    form.addRow("file", plate_row)
    w.part_edit = QtWidgets.QLineEdit()
    w.part_edit.setPlaceholderText("first part")
    w.part_edit.setToolTip("EXR part to read, by name or index (every channel of it is kept)")
    w.layer_combo = QtWidgets.QComboBox()
    w.layer_combo.setEditable(True)
    w.layer_combo.setObjectName("layer_combo")
    w.layer_combo.setToolTip("layer to stylise and show: the plate's layers with R, G, B (a stereo "
                                "view such as 'left', an AOV); the others pass through")
    form.addRow("part", w.part_edit)
    form.addRow("layer", w.layer_combo)
    w.part_edit.editingFinished.connect(w._reopen)
    w.layer_combo.activated.connect(lambda _i: w._reopen())
    line = w.layer_combo.lineEdit()
    if line is not None:  # an editable combo box always has one
        line.editingFinished.connect(w._reopen)
    w.frame_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
    w.frame_slider.setObjectName("frame_slider")
    w.frame_label = QtWidgets.QLabel("")
    w.frame_slider.valueChanged.connect(lambda i: w.frame_label.setText(w._frame_text(i)))
    w.frame_slider.sliderReleased.connect(lambda: w.set_frame_index(w.frame_slider.value()))
    w.frame_slider.valueChanged.connect(w._frame_key)
    form.addRow("frame", w.row(w.frame_slider, w.frame_label))
    col.addWidget(box)


def style_panel(w: LabWidget, col: QtWidgets.QVBoxLayout) -> None:
    """The style: method, paintings and weights, a look file."""
    box = QtWidgets.QGroupBox("Style")
    v = QtWidgets.QVBoxLayout(box)
    w.method_combo = QtWidgets.QComboBox()
    w.method_combo.addItems(["instant look (one pass)", "optimize (reference, slow)", "look file"])
    w.method_combo.setToolTip("instant: Ghiasi et al. 2017 from the paintings; optimize: Gatys et "
                                 "al. 2016 on this frame; look file: a trained or saved look")
    w.method_combo.currentIndexChanged.connect(lambda i: w._set_method(METHODS[i]))
    v.addWidget(w.method_combo)
    w.styles_table = QtWidgets.QTableWidget(0, 2)
    w.styles_table.setHorizontalHeaderLabels(["painting", "weight"])
    w.styles_table.horizontalHeader().setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
    w.styles_table.verticalHeader().hide()
    w.styles_table.setMaximumHeight(110)
    w.styles_table.setAcceptDrops(True)
    w.styles_table.itemChanged.connect(w._weights_edited)
    v.addWidget(w.styles_table)
    v.addWidget(w.row(w.button("Add painting…", w._browse_styles, "add_style"),
                          w.button("Remove", w._remove_style, "remove_style")))
    w.look_edit = QtWidgets.QLineEdit()
    w.look_edit.setPlaceholderText("look.safetensors")
    w.look_edit.returnPressed.connect(lambda: w.open_look(w.look_edit.text()))
    v.addWidget(w.row(w.look_edit, w.button("Open look…", w._browse_look, "open_look")))
    col.addWidget(box)


def knobs_panel(w: LabWidget, col: QtWidgets.QVBoxLayout) -> None:
    """The knobs, from the StyleTransfer node's own declarations, and the statistics switch."""
    box = QtWidgets.QGroupBox("Knobs")
    v = QtWidgets.QVBoxLayout(box)
    w.knobs = KnobPanel(LAB_KNOBS, w.session.node.values)
    w.knobs.changed.connect(w._knob_changed)
    v.addWidget(w.knobs)
    w.stats_combo = QtWidgets.QComboBox()
    w.stats_combo.addItems(["frame", "shot"])
    w.stats_combo.setToolTip("normalisation statistics: this frame's own, or merged over the "
                                "shot (steady across frames; needs a frame pattern)")
    w.stats_combo.currentTextChanged.connect(w._stats_changed)
    w.live_check = QtWidgets.QCheckBox("live: stylise again when a knob changes")
    w.live_check.setChecked(True)
    v.addWidget(w.row(QtWidgets.QLabel("statistics"), w.stats_combo))
    v.addWidget(w.live_check)
    scroll = QtWidgets.QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(box)
    col.addWidget(scroll, 1)


def go_panel(w: LabWidget, col: QtWidgets.QVBoxLayout) -> None:
    """Stylize, Cancel and the progress bar."""
    w.stylize_button = w.button("Stylize", w.stylize, "stylize")
    w.stylize_button.setDefault(True)
    f = w.stylize_button.font()
    f.setBold(True)
    f.setPointSizeF(f.pointSizeF() * 1.25)
    w.stylize_button.setFont(f)
    w.stylize_button.setMinimumHeight(36)
    w.cancel_button = w.button("Cancel", w.cancel, "cancel")
    col.addWidget(w.row(w.stylize_button, w.cancel_button))
    w.progress = QtWidgets.QProgressBar()
    w.progress.setRange(0, 1000)
    w.progress.setTextVisible(True)
    w.progress.setFormat("")
    col.addWidget(w.progress)


def out_panel(w: LabWidget, col: QtWidgets.QVBoxLayout) -> None:
    """Saving, exporting, fine-tuning, rendering and playing the shot."""
    box = QtWidgets.QGroupBox("Out")
    grid = QtWidgets.QGridLayout(box)
    w.out_buttons = {
        "save_look": w.button("Save look…", lambda: w.save_look(), "save_look"),
        "save_frame": w.button("Save frame…", lambda: w.save_frame(), "save_frame"),
        "export_nuke": w.button("Export for Nuke…", lambda: w.export("nuke"), "export_nuke"),
        "export_flame": w.button("Export for Flame…", lambda: w.export("flame"), "export_flame"),
        "fine_tune": w.button("Fine-tune on this shot…", lambda: w.fine_tune(), "fine_tune"),
        "render_shot": w.button("Render shot…", lambda: w.render_shot(), "render_shot"),
        "play": w.button("Play 6 frames", lambda: w.play(), "play"),
    }
    for i, b in enumerate(w.out_buttons.values()):
        grid.addWidget(b, i // 2, i % 2)
    w.resume_check = QtWidgets.QCheckBox("resume fine-tuning")
    w.minutes_spin = QtWidgets.QDoubleSpinBox()
    w.minutes_spin.setRange(0.1, 24 * 60)
    w.minutes_spin.setValue(10.0)
    w.minutes_spin.setSuffix(" min")
    w.minutes_spin.setToolTip("fine-tuning time limit (the best look so far is kept)")
    w.steady_check = QtWidgets.QCheckBox("steady look (temporal)")
    w.steady_check.setToolTip("fine-tune with the temporal objective: a look that holds still "
                                 "on moving plates by itself")
    grid.addWidget(w.resume_check, 4, 0)
    grid.addWidget(w.minutes_spin, 4, 1)
    grid.addWidget(w.steady_check, 5, 0, 1, 2)
    w.curve = ValidationCurve()
    w.curve.setObjectName("validation_curve")
    w.curve.setVisible(False)  # shown once a fine-tune starts
    grid.addWidget(w.curve, 6, 0, 1, 2)
    col.addWidget(box)


def viewer_panel(w: LabWidget) -> QtWidgets.QWidget:
    """The viewer with its display/view bar, the pixel line, the description, errors."""
    right = QtWidgets.QWidget()
    rv = QtWidgets.QVBoxLayout(right)
    bar = QtWidgets.QHBoxLayout()
    w.display_combo = QtWidgets.QComboBox()
    w.view_combo = QtWidgets.QComboBox()
    w.display_combo.setToolTip("OCIO display of the config in use")
    w.view_combo.setToolTip("OCIO view of that display")
    w._fill_displays()
    w.display_combo.currentTextChanged.connect(w._display_changed)
    w.view_combo.currentTextChanged.connect(lambda _t: w._show())
    w.view_combo.currentTextChanged.connect(lambda _t: w._paint_view_changed())
    w.paint_view_check = QtWidgets.QCheckBox("paint through")
    w.paint_view_check.setToolTip("the look paints the plate as this display and view show it "
                                  "(the through_view knob follows them)")
    w.paint_view_check.toggled.connect(lambda _on: w._paint_view_changed())
    w.wipe_check = QtWidgets.QCheckBox("wipe")
    w.wipe_check.setChecked(True)
    w.wipe_check.toggled.connect(w._wipe_toggled)
    w.matte_check = QtWidgets.QCheckBox("matte")
    w.matte_check.setToolTip("show the mask knob's matte (white: the look applies) on the before side")
    w.matte_check.toggled.connect(lambda _on: w._show())
    bar.addWidget(QtWidgets.QLabel("display"))
    bar.addWidget(w.display_combo)
    bar.addWidget(QtWidgets.QLabel("view"))
    bar.addWidget(w.view_combo)
    bar.addWidget(w.paint_view_check)
    bar.addWidget(w.wipe_check)
    bar.addWidget(w.matte_check)
    bar.addWidget(w.button("Fit", lambda: w.viewer.fit(), "fit"))
    bar.addWidget(w.button("1:1", lambda: w.viewer.set_zoom(1.0), "zoom_1"))
    bar.addStretch(1)
    rv.addLayout(bar)
    w.viewer = ImageViewer()
    w.viewer.hovered.connect(w._hovered)
    w.viewer.dropped.connect(w.drop_files)
    rv.addWidget(w.viewer, 1)
    w.pixel_label = QtWidgets.QLabel(" ")
    w.pixel_label.setObjectName("pixel_label")
    w.pixel_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    w.pixel_label.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
    rv.addWidget(w.pixel_label)
    w.describe_label = QtWidgets.QLabel("")
    w.describe_label.setObjectName("describe_label")
    rv.addWidget(w.describe_label)
    w.info_label = QtWidgets.QLabel("")
    w.info_label.setObjectName("info_label")
    w.info_label.setStyleSheet("color: #7fc97f;")
    rv.addWidget(w.info_label)
    err = QtWidgets.QHBoxLayout()
    w.error_label = QtWidgets.QLabel("")
    w.error_label.setObjectName("error_label")
    w.error_label.setStyleSheet("color: #ff7070;")
    w.error_label.setWordWrap(True)
    w.details_button = w.button("Details", w.show_details, "details")
    w.details_button.setVisible(False)
    err.addWidget(w.error_label, 1)
    err.addWidget(w.details_button)
    rv.addLayout(err)
    return right
