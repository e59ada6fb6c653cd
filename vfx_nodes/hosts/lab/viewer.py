"""The Look Lab's image viewer: before/after with a wipe, zoom and pan, pixel values under
the cursor, drops of files. Qt only; the pictures come from the session."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["ImageViewer", "to_qimage"]


def to_qimage(rgb: np.ndarray) -> QtGui.QImage:
    """An ``H×W×3`` uint8 array as a QImage (a copy that owns its pixels)."""
    a = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = a.shape[:2]
    return QtGui.QImage(a.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()


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


