"""The Look Lab's validation curve: a fine-tune's held-out read at each evaluation
(``metrics.jsonl``'s ``"read"``, :meth:`LabSession.validation`), drawn while it trains.

Lower is better (less of the plate's own statistics, more of the painting's); the best
evaluation — the look that is kept — is marked, and the start (step 0, the instant look)
is the first point, so a fine-tune that never beats it shows it plainly.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["ValidationCurve"]


class ValidationCurve(QtWidgets.QWidget):
    """A small line plot of ``(step, read, best)`` points."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: list[tuple[int, float, bool]] = []
        self.setMinimumHeight(90)
        self.setToolTip("held-out read at each evaluation: lower = more of the painting; "
                        "the filled point is the look that is kept")

    def set_points(self, points: list[tuple[int, float, bool]]) -> None:
        """Show these evaluations (step, read, kept as best)."""
        if points != self.points:
            self.points = list(points)
            self.update()

    def _xy(self, step: int, read: float, box: QtCore.QRectF, span: tuple[float, float, float, float]
            ) -> QtCore.QPointF:
        s0, s1, r0, r1 = span
        x = box.left() + (step - s0) / max(s1 - s0, 1) * box.width()
        y = box.bottom() - (read - r0) / max(r1 - r0, 1e-9) * box.height()
        return QtCore.QPointF(x, y)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QtGui.QColor(30, 30, 30))
        p.setPen(QtGui.QColor(170, 170, 170))
        p.drawText(6, 14, "held-out read (lower = more of the painting)")
        if not self.points:
            p.drawText(6, 34, "no evaluation yet")
            return
        steps = [s for s, _, _ in self.points]
        reads = [r for _, r, _ in self.points]
        span = (min(steps), max(steps), min(reads) * 0.95, max(reads) * 1.05)
        box = QtCore.QRectF(36, 22, self.width() - 48, self.height() - 36)
        p.drawText(2, int(box.top()) + 8, f"{span[3]:.2f}")
        p.drawText(2, int(box.bottom()), f"{span[2]:.2f}")
        p.drawText(int(box.right()) - 40, self.height() - 2, f"step {max(steps)}")
        line = QtGui.QPainterPath(self._xy(steps[0], reads[0], box, span))
        for s, r, _ in self.points[1:]:
            line.lineTo(self._xy(s, r, box, span))
        p.setPen(QtGui.QPen(QtGui.QColor(127, 201, 127), 1.5))
        p.drawPath(line)
        for s, r, best in self.points:
            pt = self._xy(s, r, box, span)
            p.setBrush(QtGui.QColor(255, 200, 80) if best else QtCore.Qt.GlobalColor.transparent)
            p.drawEllipse(pt, 3.5, 3.5)
        p.end()
