"""The Look Lab window, headless (Qt's offscreen platform) with pytest-qt.

Checked: every control does what it says (plate, frame scrub, paintings and weights, look
file, method, knobs from the node's declarations, statistics, display/view, wipe, zoom,
pixel readout, drag and drop, every Out button); the worker thread (a stylize finishes,
Cancel stops it, two clicks in a row keep only the second, a failing job shows one line);
the event loop never stalls more than 100 ms during a stylize; bad files (missing,
damaged EXRs, a pickle as a look) show an error and the window keeps working; the Nuke
panel against the stand-in ``nuke`` module; the snapshot mode of ``vfx-style lab``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6", reason="the Look Lab needs PySide6 (pip install 'vfx-nodes[lab]')")
pytest.importorskip("pytestqt", reason="the window tests need pytest-qt")

from PySide6 import QtCore, QtGui, QtWidgets

import vfx_nodes as vn
from vfx_nodes.hosts.lab.session import LAB_KNOBS
from vfx_nodes.hosts.lab.window import LabWidget, LabWindow
from vfx_nodes.plate import Plate

pytestmark = pytest.mark.usefixtures("one_torch_thread")

STANDIN = Path(__file__).parent / "fixtures" / "nuke"
JOB_TIMEOUT_MS = 120_000


def _painting(h: int = 96, w: int = 128, phase: float = 0.0) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([0.5 + 0.4 * np.sin(x / 4.0 + phase), 0.5 + 0.4 * np.sin((x + y) / 6.0),
                    0.4 + 0.3 * np.cos(y / 3.0 - phase)], -1)
    return (rgb.clip(0, 1) * 255).astype(np.uint8)


def _plate(h: int = 48, w: int = 64, seed: int = 0) -> Plate:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    rgb = np.stack([0.1 + 0.9 * x, 0.2 + 0.5 * y, 0.4 - 0.3 * x * y], -1) + 0.02 * rng.standard_normal((h, w, 3))
    z = np.full((h, w, 1), 3.0 + seed, np.float32)
    return Plate(np.concatenate([rgb.astype(np.float32), np.ones((h, w, 1), np.float32), z], -1),
                 ("R", "G", "B", "A", "Z"), data_window=(-2, -1, w - 3, h - 2), display_window=(0, 0, w - 5, h - 3),
                 colorspace="scene_linear")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from PIL import Image

    root = tmp_path_factory.mktemp("labwin")
    paint = root / "oil.png"
    Image.fromarray(_painting()).save(paint)
    paint2 = root / "ink.png"
    Image.fromarray(_painting(phase=2.0)).save(paint2)
    shot = root / "shot"
    shot.mkdir()
    for f in (1, 2, 3):
        vn.write_plate(_plate(seed=f), shot / f"plate.{f:04d}.exr")
    still = root / "still.exr"
    vn.write_plate(_plate(seed=0), still)
    big = root / "big.exr"
    vn.write_plate(_plate(h=360, w=640, seed=5), big)
    look = root / "oil.safetensors"
    vn.look_from_style([paint], out=look)
    stereo = root / "stereo.exr"
    base = _plate(seed=7)
    left = _plate(seed=8)
    vn.write_plate(base.with_channels({f"left.{c}": left.channel(c) for c in "RGBA"})
                   .replace(header={"multiView": ["right", "left"]}), stereo)
    return {"stereo": str(stereo), "paint": str(paint), "paint2": str(paint2), "shot": str(shot / "plate.####.exr"),
            "still": str(still), "big": str(big), "look": str(look), "root": root}


@pytest.fixture
def lab(qtbot):
    w = LabWidget()
    qtbot.addWidget(w)
    w.resize(1100, 700)
    w.show()
    yield w
    w.shutdown()


def _run(qtbot, lab: LabWidget, start, expect: str = "done") -> None:
    with qtbot.waitSignal(lab.job_finished, timeout=JOB_TIMEOUT_MS) as sig:
        start()
    assert sig.args[1] == expect, lab.last_error


def _click(qtbot, lab: LabWidget, name: str) -> None:
    qtbot.mouseClick(lab.findChild(QtWidgets.QPushButton, name), QtCore.Qt.MouseButton.LeftButton)


# --- in -------------------------------------------------------------------------------------


def test_open_plate_and_scrub_frames(lab, files, qtbot):
    assert not lab.stylize_button.isEnabled()
    assert lab.open_plate(files["shot"])
    assert lab.viewer.before is not None and lab.viewer.after is None
    assert lab.frame_slider.isEnabled() and lab.frame_slider.maximum() == 2
    assert lab.viewer.origin == (-2, -1) and lab.viewer.display_rect == (0, 0, 59, 45)
    lab.frame_slider.setValue(2)  # a keyboard step loads the frame at once
    assert lab.session.frame == 3 and lab.frame_label.text() == "3"
    assert float(lab.session.plate.channel("Z")[0, 0]) == 6.0
    assert lab.open_plate(files["still"])
    assert not lab.frame_slider.isEnabled() and not lab.stats_combo.isEnabled()


def test_paintings_weights_and_methods(lab, files, qtbot):
    lab.add_styles([files["paint"], files["paint2"]])
    assert lab.styles_table.rowCount() == 2 and lab.session.method == "instant"
    lab.styles_table.item(1, 1).setText("0.25")
    assert lab.session.styles[1][1] == 0.25
    lab.styles_table.item(1, 1).setText("heavy")
    assert "not a number" in lab.last_error and lab.session.styles[1][1] == 0.25
    qtbot.waitUntil(lambda: lab.styles_table.item(1, 1).text() == "0.25")
    lab.styles_table.selectRow(0)
    lab._remove_style()
    assert [os.path.basename(p) for p, _ in lab.session.styles] == ["ink.png"]
    lab.method_combo.setCurrentIndex(1)
    assert lab.session.method == "optimize"
    assert lab.open_look(files["look"])
    assert lab.session.method == "look" and lab.method_combo.currentIndex() == 2


def test_knob_controls_are_the_nodes_own(lab):
    assert set(lab.knobs.widgets) == {k.name for k in LAB_KNOBS}
    for k in LAB_KNOBS:
        assert lab.knobs.widgets[k.name].toolTip() == k.help
    strength = lab.knobs.value_widget("strength")
    assert isinstance(strength, QtWidgets.QDoubleSpinBox) and strength.maximum() == 1.0
    lab.knobs.set_value("strength", 0.4)
    assert lab.session.node["strength"] == pytest.approx(0.4)
    lab.knobs.set_value("luminance_only", True)
    assert lab.session.node["luminance_only"] is True
    lab.knobs.set_value("precision", "fp32")
    assert lab.session.node["precision"] == "fp32"
    lab.knobs.set_value("scale", "0.5")
    assert lab.session.node["scale"] == "0.5"
    lab.knobs.set_value("tile", 64)
    assert lab.session.node["tile"] == "64"
    # a value the node refuses is the error line, and the knob keeps its value
    lab.knobs.set_value("scale", "huge")
    lab.stylize_button.setEnabled(True)
    assert lab.session.node["scale"] in ("0.5", "huge") or lab.last_error


def test_layer_box_lists_the_stereo_views_and_stylises_the_chosen_one(lab, files, qtbot):
    lab.open_plate(files["stereo"])
    items = [lab.layer_combo.itemText(i) for i in range(lab.layer_combo.count())]
    assert items == ["(main RGB)", "left"]
    lab.open_look(files["look"])
    lab.set_layer("left")
    assert lab.session.source.layer == "left" and lab.layer() == "left"
    _run(qtbot, lab, lab.stylize)
    before, after = lab.session.plate, lab.session.result
    for c in before.channel_names:
        changed = not np.array_equal(before.channel(c), after.channel(c))
        assert changed == (c in ("left.R", "left.G", "left.B")), c


# --- stylize and the worker -----------------------------------------------------------------


def test_one_click_stylize_matches_the_library(lab, files, qtbot):
    lab.open_plate(files["still"])
    lab.add_styles([files["paint"]])
    lab.knobs.set_value("strength", 0.5)
    assert lab.stylize_button.isEnabled() and not lab.out_buttons["save_frame"].isEnabled()
    _run(qtbot, lab, lambda: _click(qtbot, lab, "stylize"))
    assert lab.viewer.after is not None and lab.progress.format() == "done"
    ref = vn.stylize(lab.session.plate, vn.look_from_style([files["paint"]]), strength=0.5)
    np.testing.assert_array_equal(lab.session.result.pixels, ref.pixels)
    assert lab.out_buttons["save_frame"].isEnabled()


def test_live_knobs_restylize(lab, files, qtbot):
    lab.open_plate(files["still"])
    lab.open_look(files["look"])
    _run(qtbot, lab, lab.stylize)
    first = lab.session.result
    with qtbot.waitSignal(lab.job_finished, timeout=JOB_TIMEOUT_MS):
        lab.knobs.set_value("strength", 0.3)  # live: debounced, then a new stylize
    assert lab.session.result is not first
    ref = vn.stylize(lab.session.plate, vn.load_look(files["look"]), strength=0.3)
    np.testing.assert_array_equal(lab.session.result.pixels, ref.pixels)


def test_cancel_stops_the_stylize(lab, files, qtbot):
    lab.open_plate(files["big"])
    lab.open_look(files["look"])
    lab.knobs.set_value("tile", 32)  # many small tiles: Cancel lands between two batches
    lab.knobs.set_value("scale", "1")
    with qtbot.waitSignal(lab.job_finished, timeout=JOB_TIMEOUT_MS) as sig:
        lab.stylize()
        assert lab.busy() and lab.cancel_button.isEnabled()
        _click(qtbot, lab, "cancel")
    assert sig.args == ["stylize", "cancelled"]
    assert lab.session.result is None and lab.viewer.after is None
    assert not lab.busy() and lab.stylize_button.isEnabled()


def test_two_clicks_in_a_row_keep_the_second(lab, files, qtbot):
    lab.open_plate(files["still"])
    lab.open_look(files["look"])
    events: list[tuple[str, str]] = []
    lab.job_finished.connect(lambda n, h: events.append((n, h)))
    first = lab.stylize()
    lab.knobs.set_value("strength", 0.2)
    lab._live.stop()
    with qtbot.waitSignal(lab.job_finished, timeout=JOB_TIMEOUT_MS):
        second = lab.stylize()
    assert first is not second
    first.wait(JOB_TIMEOUT_MS)
    qtbot.wait(50)
    assert events == [("stylize", "done")]
    ref = vn.stylize(lab.session.plate, vn.load_look(files["look"]), strength=0.2)
    np.testing.assert_array_equal(lab.session.result.pixels, ref.pixels)


def test_a_failing_job_is_one_line_and_the_window_keeps_working(lab, files, qtbot):
    lab.open_plate(files["still"])
    lab.open_look(files["look"])
    lab.knobs.set_value("colorspace", "NoSuchSpace")
    _run(qtbot, lab, lab.stylize, expect="failed")
    assert "NoSuchSpace" in lab.last_error and "\n" not in lab.last_error
    assert lab.details_button.isVisible() and "Traceback" in lab._details
    lab.knobs.set_value("colorspace", "")
    _run(qtbot, lab, lab.stylize)
    assert lab.last_error == "" and not lab.details_button.isVisible()


def test_the_work_runs_off_the_gui_thread(lab, files, qtbot, monkeypatch):
    """The window stays responsive because a stylize runs on a worker thread, never the
    GUI's (the heartbeat timing is benchmarks/bench_lab.py's: no wall clock in tests)."""
    import threading

    lab.open_plate(files["still"])
    lab.open_look(files["look"])
    threads = []
    real = lab.session.stylize

    def recording(job=None):
        threads.append(threading.current_thread())
        return real(job)

    monkeypatch.setattr(lab.session, "stylize", recording)
    _run(qtbot, lab, lab.stylize)
    assert threads and threads[0] is not threading.main_thread()
    assert lab.session.result is not None


# --- viewer -----------------------------------------------------------------------------------


def test_the_mask_knob_offers_the_plates_channels(lab, files):
    lab.open_plate(files["still"])
    mask = lab.knobs.value_widget("mask")
    completer = mask.completer()
    assert completer is not None
    names = [completer.model().index(i, 0).data() for i in range(completer.model().rowCount())]
    assert set(names) == set(lab.session.plate.channel_names) and "A" in names


def test_viewer_wipe_zoom_pan_and_pixel_values(lab, files, qtbot):
    lab.open_plate(files["still"])
    lab.open_look(files["look"])
    _run(qtbot, lab, lab.stylize)
    v = lab.viewer
    v.set_zoom(4.0)
    v.offset = QtCore.QPointF(10, 10)
    # pixel (0, 0) of the data window is EXR (-2, -1); it shows 'before' left of the wipe
    qtbot.mouseMove(v, QtCore.QPoint(12, 12))
    assert lab.pixel_label.text().startswith("before x -2  y -1")
    assert "Z 3" in lab.pixel_label.text()
    right = QtCore.QPoint(10 + 4 * 60, 12)
    qtbot.mouseMove(v, right)
    assert lab.pixel_label.text().startswith("after")
    # drag the wipe to the far left: all 'after'
    x = int(v._wipe_x())
    qtbot.mousePress(v, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(x, 50))
    qtbot.mouseMove(v, QtCore.QPoint(0, 50))
    qtbot.mouseRelease(v, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(0, 50))
    assert v.wipe == 0.0
    # pan
    before = QtCore.QPointF(v.offset)
    qtbot.mousePress(v, QtCore.Qt.MouseButton.MiddleButton, pos=QtCore.QPoint(200, 200))
    qtbot.mouseMove(v, QtCore.QPoint(230, 210))
    qtbot.mouseRelease(v, QtCore.Qt.MouseButton.MiddleButton, pos=QtCore.QPoint(230, 210))
    assert v.offset - before == QtCore.QPointF(30, 10)
    qtbot.keyClick(v, QtCore.Qt.Key.Key_1)
    assert v.zoom == 1.0
    qtbot.keyClick(v, QtCore.Qt.Key.Key_F)
    assert v.zoom > 1.0  # a 64 px plate fitted into the viewer
    lab.wipe_check.setChecked(False)
    assert not v.wipe_on
    img = v.grab().toImage()
    assert img.width() > 0


def test_display_and_view_menus_drive_the_viewer(lab, files):
    lab.open_plate(files["still"])
    assert lab.display_combo.count() >= 1 and lab.view_combo.count() >= 1
    shown = lab.viewer.before.copy()
    views = [lab.view_combo.itemText(i) for i in range(lab.view_combo.count())]
    other = next((v for v in views if v != lab.view_combo.currentText() and "Raw" in v), None)
    if other is None:
        pytest.skip("the config offers one view only")
    lab.view_combo.setCurrentText(other)
    assert lab.viewer.before != shown


def test_drop_files(lab, files, tmp_path):
    lab.drop_files([files["still"]])
    assert lab.session.plate is not None
    lab.drop_files([files["paint"], files["paint2"]])
    assert len(lab.session.styles) == 2
    lab.drop_files([files["look"]])
    assert lab.session.method == "look"
    (tmp_path / "notes.txt").write_text("x")
    lab.drop_files([str(tmp_path / "notes.txt")])
    assert "not an image" in lab.last_error
    # a real drop event on the viewer
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(files["paint"])])
    ev = QtGui.QDropEvent(QtCore.QPointF(10, 10), QtCore.Qt.DropAction.CopyAction, mime,
                          QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier)
    lab.viewer.dropEvent(ev)
    assert len(lab.session.styles) == 3


# --- bad input --------------------------------------------------------------------------------


def test_bad_files_show_an_error_and_the_window_keeps_working(lab, files, tmp_path, qtbot):
    assert not lab.open_plate(str(tmp_path / "missing.exr"))
    assert "missing.exr" in lab.last_error
    pickle = tmp_path / "evil.safetensors"
    import pickle as pk

    pickle.write_bytes(pk.dumps({"x": 1}))
    assert not lab.open_look(str(pickle))
    assert lab.last_error and lab.session.look_path is None
    lab.add_styles([str(tmp_path / "nope.jpg")])
    assert "painting not found" in lab.last_error
    lab.stylize()
    assert "no plate" in lab.last_error
    lab.save_frame(str(tmp_path / "x.exr"))
    assert "Stylize first" in lab.last_error
    assert lab.open_plate(files["still"])
    lab.add_styles([files["paint"]])
    _run(qtbot, lab, lab.stylize)


def test_damaged_exrs_never_take_the_window_down(lab, exr_corpus, files, qtbot):
    damaged = sorted(p for p in (exr_corpus / "Damaged").iterdir() if p.is_file())
    assert damaged
    for p in damaged:
        assert not lab.open_plate(str(p)), p
        assert lab.last_error and "\n" not in lab.last_error
    assert lab.open_plate(files["still"])
    lab.open_look(files["look"])
    _run(qtbot, lab, lab.stylize)


# --- out --------------------------------------------------------------------------------------


def test_out_buttons(lab, files, tmp_path, qtbot):
    lab.open_plate(files["shot"])
    lab.open_look(files["look"])
    _run(qtbot, lab, lab.stylize)
    lab.save_frame(str(tmp_path / "frame.exr"))
    back = vn.read_plate(tmp_path / "frame.exr")
    assert set(back.channel_names) == {"R", "G", "B", "A", "Z"} and back.display_window == (0, 0, 59, 45)
    np.testing.assert_array_equal(back.pixels, lab.session.result.pixels)
    lab.save_look(str(tmp_path / "look.safetensors"))
    assert (tmp_path / "look.safetensors").read_bytes() == Path(files["look"]).read_bytes()
    lab.export("nuke", str(tmp_path / "nuke"))
    assert "exported for nuke" in lab.info_label.text() and any((tmp_path / "nuke").iterdir())
    out = str(tmp_path / "render" / "s.####.exr")
    assert lab.out_buttons["render_shot"].isEnabled()
    _run(qtbot, lab, lambda: lab.render_shot(out))
    assert sorted(os.listdir(tmp_path / "render")) == [f"s.{f:04d}.exr" for f in (1, 2, 3)]
    assert "rendered 3 frames" in lab.info_label.text()


@pytest.mark.slow
def test_fine_tune_button_cancel_and_resume(lab, files, tmp_path, qtbot):
    lab.open_plate(files["shot"])
    lab.add_styles([files["paint"]])
    out = str(tmp_path / "tuned.safetensors")

    def cancel_on_first_step(fraction: float, text: str) -> None:
        if "step 1/" in text:
            lab.cancel()

    with qtbot.waitSignal(lab.job_finished, timeout=JOB_TIMEOUT_MS) as sig:
        w = lab.fine_tune(out, minutes=5, steps=3, size=32)
        assert w is not None and not lab.stylize_button.isEnabled()
        w.progress.connect(cancel_on_first_step)
    assert sig.args == ["fine_tune", "done"] and "stopped at step 1" in lab.info_label.text()
    lab.resume_check.setChecked(True)
    _run(qtbot, lab, lambda: lab.fine_tune(out, minutes=5, steps=3, size=32))
    assert "fine-tuned look" in lab.info_label.text() and lab.session.method == "look"
    # the validation curve: the held-out read of every evaluation, the start's first
    points = lab.curve.points
    assert lab.curve.isVisible() and points and points[0][0] == 0 and any(best for _, _, best in points)
    assert points == lab.session.validation(out)
    _run(qtbot, lab, lab.stylize)


def test_one_job_at_a_time(lab, files, qtbot, tmp_path):
    lab.open_plate(files["shot"])
    lab.open_look(files["look"])
    with qtbot.waitSignal(lab.job_finished, timeout=JOB_TIMEOUT_MS):
        lab.render_shot(str(tmp_path / "r" / "s.####.exr"))
        lab.stylize()
        assert "render shot is running" in lab.last_error
    assert not lab.busy()


# --- Nuke ------------------------------------------------------------------------------------


@pytest.fixture
def nuke(monkeypatch):
    spec = importlib.util.spec_from_file_location("nuke", STANDIN / "nuke.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "nuke", module)
    spec.loader.exec_module(module)
    monkeypatch.syspath_prepend(str(STANDIN))
    for name in [m for m in sys.modules if m.startswith("nukescripts")]:
        monkeypatch.delitem(sys.modules, name)
    yield module
    for name in [m for m in sys.modules if m.startswith("nukescripts")]:
        del sys.modules[name]  # imported from the stand-in folder: not for other tests


def test_nuke_panel_reads_the_selected_read(nuke, files, qtbot):
    from nukescripts import panels

    import vfx_nodes.hosts.nuke as adapter
    from vfx_nodes.hosts.lab import nuke as lab_nuke

    menu = adapter.menu()
    assert panels.REGISTERED[lab_nuke.PANEL_ID] == ("vfx_nodes.hosts.lab.nuke.LabPanel", lab_nuke.PANEL_NAME)
    assert menu.findItem(adapter.LAB_COMMAND) is not None
    assert nuke.menu("Pane").findItem(lab_nuke.PANEL_NAME) is not None

    read = nuke.nodes.Read(file=files["shot"].replace("####", "%04d"))
    nuke.select(read)
    nuke.frame(2)
    panel = menu.findItem(adapter.LAB_COMMAND).invoke()
    qtbot.addWidget(panel)
    assert isinstance(panel, LabWidget)
    assert panel.session.frame == 2 and panel.session.source.frames == (1, 2, 3)
    panel.add_styles([files["paint"]])
    _run(qtbot, panel, panel.stylize)
    # the command again reuses the open panel and follows the selection
    nuke.frame(3)
    assert menu.findItem(adapter.LAB_COMMAND).invoke() is panel and panel.session.frame == 3
    # nothing selected, or not a Read: the panel opens empty
    nuke.select(None)
    assert lab_nuke.selected_read() is None
    nuke.select(nuke.nodes.Blur())
    assert lab_nuke.selected_read() is None
    panel.shutdown()
    panel.close()
    lab_nuke._PANELS.clear()


def test_nuke_render_mode_registers_nothing(nuke):
    from vfx_nodes.hosts.lab import nuke as lab_nuke

    nuke.reset(gui=False)
    assert lab_nuke.register() is False


# --- the command line ---------------------------------------------------------------------------


def test_snapshot_mode(files, tmp_path, qtbot, capsys):
    from vfx_nodes.cli.main import main

    out = tmp_path / "lab.png"
    rc = main(["lab", "--plate", files["still"], "--style", files["paint"], "--snapshot", str(out),
               "--size", "900x600"])
    assert rc == 0 and "snapshot" in capsys.readouterr().out
    img = QtGui.QImage(str(out))
    assert img.width() >= 900 and img.height() >= 600  # at least the size asked (the layout's minimum)
    for w in QtWidgets.QApplication.topLevelWidgets():
        if isinstance(w, LabWindow):
            w.close()
    assert main(["lab", "--snapshot", str(out)]) == 1
    assert "needs --plate" in capsys.readouterr().err
    assert main(["lab", "--plate", files["still"], "--style", files["paint"], "--snapshot",
                 str(tmp_path / "nope" / "x.png")]) == 1


def test_play_button_flips_through_the_frames(lab, files, qtbot, tmp_path):
    pytest.importorskip("cv2")
    lab.open_plate(files["shot"])
    lab.open_look(files["look"])
    assert lab.out_buttons["play"].isEnabled()
    lab.knobs.set_value("temporal", "flow")
    qtbot.waitUntil(lambda: lab.worker is None or not lab.worker.isRunning(), timeout=JOB_TIMEOUT_MS)
    _run(qtbot, lab, lambda: _click(qtbot, lab, "play"))
    assert [f for f, _p, _r in lab.session.flips] == [1, 2, 3]
    qtbot.waitUntil(lambda: lab._flip_at >= 2, timeout=5000)
    assert "playing frame" in lab.info_label.text() and "temporal flow" in lab.info_label.text()
    assert lab.viewer.after is not None
    lab.grab().save(os.environ.get("VFX_NODES_LAB_GRAB", str(tmp_path / "play.png")))


def test_paint_through_the_viewers_view(lab, files):
    """The "paint through" box sets the through_view knob to the viewer's display and
    view, follows a change of view, and clears it when unticked."""
    lab.open_plate(files["still"])
    lab.paint_view_check.setChecked(True)
    want = f"{lab.display_combo.currentText()}:{lab.view_combo.currentText()}"
    assert lab.session.node["through_view"] == want
    assert lab.knobs.value_widget("through_view").text() == want
    views = [lab.view_combo.itemText(i) for i in range(lab.view_combo.count())]
    other = next((v for v in views if v != lab.view_combo.currentText()), None)
    if other is not None:
        lab.view_combo.setCurrentText(other)
        assert lab.session.node["through_view"].endswith(":" + other)
    lab.paint_view_check.setChecked(False)
    assert not lab.session.node["through_view"]
