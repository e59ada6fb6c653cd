"""The Look Lab's state and jobs, without Qt: what the window shows and what its buttons do.

The window (:mod:`vfx_nodes.hosts.lab.window`) is a thin view over one
:class:`LabSession`: every button is one method here, so the same code runs in the
standalone window, in the Nuke panel and in tests without a display.  Long jobs
(stylize, optimize, fine-tune, render shot) take a :class:`Job` — a progress sink and a
cancel flag — and run on the caller's thread; the window runs them on a worker thread.

The session holds a :class:`~vfx_nodes.nodes.builtin.StyleTransfer` node for its knobs, so
the Lab's sliders are the node's own declarations (one list) and a frame stylised here is
what ``vfx-style render`` and the Nuke node give with the same knob values.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import LookError, PlateError, PlateNotFoundError, RenderCancelled, SettingsError, VfxNodesError
from ...nodes.builtin import StyleTransfer
from ...plate import Plate
from ...policy.settings import FrameSettings

__all__ = ["LAB_KNOBS", "METHODS", "Job", "LabSession", "Source", "error_text", "sequence_frames"]

#: How a frame is stylised: the instant look of the paintings (Ghiasi et al. 2017), the
#: optimisation reference (Gatys et al. 2016), or a look file (trained or saved earlier).
METHODS = ("instant", "optimize", "look")

#: The StyleTransfer knobs the Lab shows as live controls: every knob but those the Lab's
#: own "In" section chooses (``look``, ``style``, and ``layer``: the plate's layer box) and
#: the statistics file (the Lab's frame/shot switch makes or picks the statistics).
LAB_KNOBS = tuple(k for k in StyleTransfer.knobs if k.name not in ("look", "style", "layer", "stats_file"))

#: Images the Lab opens as plates and as paintings.
IMAGE_SUFFIXES = (".exr", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


class Job:
    """A long job's progress sink and cancel flag, shared by the worker and the window.

    ``report(fraction, text)`` is called by the job (fraction 0–1 or ``None`` when
    unknown); it raises :class:`~vfx_nodes.errors.RenderCancelled` once :meth:`cancel`
    was called, which stops stylize between tile batches and optimize between steps.
    Training polls :meth:`cancelled` and stops at the next step with a checkpoint.
    """

    def __init__(self, on_progress: Callable[[float | None, str], None] | None = None) -> None:
        self._cancel = threading.Event()
        self._on_progress = on_progress
        self.fraction: float | None = None
        self.text = ""

    def cancel(self) -> None:
        """Ask the job to stop at its next check."""
        self._cancel.set()

    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise :class:`RenderCancelled` if the job was cancelled."""
        if self._cancel.is_set():
            raise RenderCancelled("cancelled")

    def report(self, fraction: float | None, text: str = "") -> None:
        """Record progress and pass it on; raises :class:`RenderCancelled` when cancelled."""
        self.tell(fraction, text)
        self.check()

    def tell(self, fraction: float | None, text: str = "") -> None:
        """Record progress and pass it on, never raising: for work that polls
        :meth:`cancelled` itself and stops at a safe point (training, with a checkpoint)."""
        self.fraction = None if fraction is None else min(max(float(fraction), 0.0), 1.0)
        self.text = text or self.text
        if self._on_progress is not None:
            self._on_progress(self.fraction, self.text)



@dataclasses.dataclass(frozen=True)
class Source:
    """Where the plate comes from.

    Attributes:
        path: the file, or a frame pattern (``plate.####.exr``).
        frames: frame numbers of the pattern found on disk (empty for a single file).
        part: EXR part (name or index; ``None`` = the first).
        layer: the layer to stylise (``""`` = main RGB); every channel is kept.
    """

    path: str
    frames: tuple[int, ...] = ()
    part: str | int | None = None
    layer: str = ""

    @property
    def is_sequence(self) -> bool:
        """A frame pattern (a shot), not a single file."""
        return bool(self.frames)

    def file(self, frame: int | None) -> str:
        """The file of ``frame`` (the path itself for a single file)."""
        if not self.is_sequence:
            return self.path
        from ...policy.frames import parse_pattern

        return parse_pattern(self.path).path(self.frames[0] if frame is None else frame)


def sequence_frames(pattern: str) -> tuple[int, ...]:
    """The frame numbers of ``pattern`` (``plate.####.exr``) found on disk, sorted.

    Raises:
        PlateNotFoundError: the folder does not exist or holds no frame of the pattern.
        FrameRangeError: not a frame pattern.
    """
    from ...policy.frames import parse_pattern

    pat = parse_pattern(pattern)
    if not os.path.isdir(pat.folder):
        raise PlateNotFoundError(f"cannot list {pat.folder!r} for {pattern!r}: no such folder")
    frames = pat.on_disk()
    if not frames:
        raise PlateNotFoundError(f"no frame of {pattern!r} in {pat.folder!r}")
    return frames


def _stamp(path: str) -> tuple[str, int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (os.path.abspath(path), -1, -1)
    return (os.path.abspath(path), st.st_mtime_ns, st.st_size)


class LabSession:
    """Everything the Look Lab holds: the plate, the paintings or look, the knobs, the result.

    Args:
        config: OCIO config for the viewer and the look (default ``$OCIO``, else the
            built-in studio config); the ``ocio_config`` knob overrides it for stylize.

    Example (what the window's buttons do, without a window)::

        lab = LabSession()
        lab.open_plate("plate.####.exr")
        lab.set_styles(["oil.jpg"])
        styled = lab.stylize(Job())
        lab.save_frame("styled.1001.exr")
        lab.save_look("oil.safetensors")
    """

    def __init__(self, config: Any = None) -> None:
        self.node = StyleTransfer()
        self.config = config
        self.method = "instant"
        self.styles: list[tuple[str, float]] = []
        self.look_path: str | None = None
        self.source: Source | None = None
        self.frame: int | None = None
        self.plate: Plate | None = None
        self.result: Plate | None = None
        #: the look the last result was made with (None for optimize)
        self.result_look: Any = None
        #: "frame" (each frame's own statistics) or "shot" (merged over the shot)
        self.stats_mode = "frame"
        self.optimize_size = 512
        self.optimize_steps = 200
        self._instant: tuple[tuple[Any, ...], Any] | None = None
        self._loaded: tuple[tuple[Any, ...], Any] | None = None
        self._shot_stats: tuple[tuple[Any, ...], Any] | None = None
        self._predictor: Any = None
        self._lock = threading.Lock()
        #: the frames of the last :meth:`play`: ``(frame, plate, result)`` in order
        self.flips: list[tuple[int, Plate, Plate]] = []

    # -- in ------------------------------------------------------------------------------

    def open_plate(self, path: str | os.PathLike[str], frame: int | None = None, *,
                   part: str | int | None = None, layer: str = "") -> Plate:
        """Open a plate: an image file or a frame pattern (``plate.####.exr``; the first
        frame on disk unless ``frame`` is given).

        Raises:
            PlateError: missing, unreadable or damaged file; unknown part or layer.
        """
        text = os.fspath(path).strip()
        if not text:
            raise PlateNotFoundError("no plate given: choose an image or a frame pattern")
        if isinstance(part, str):
            part = part.strip()
            part = (int(part) if part.lstrip("-").isdigit() else part) or None
        from ...policy.frames import has_frame_token

        frames = sequence_frames(text) if has_frame_token(text) else ()
        source = Source(text, frames, part, layer.strip())
        if frames and frame is not None and int(frame) not in frames:
            raise PlateNotFoundError(f"frame {frame} of {text!r} is not on disk "
                                     f"(frames {frames[0]}–{frames[-1]})")
        chosen = (int(frame) if frame is not None else frames[0]) if frames else None
        plate = self._read(source, chosen)
        self.source, self.frame, self.plate, self.result = source, chosen, plate, None
        self._shot_stats = None
        return plate

    def set_frame(self, frame: int) -> Plate:
        """Show another frame of the open sequence (the result is cleared)."""
        if self.source is None or not self.source.is_sequence:
            raise PlateError("no sequence is open: open a frame pattern (plate.####.exr) to scrub")
        if frame not in self.source.frames:
            raise PlateNotFoundError(f"frame {frame} is not on disk")
        self.plate = self._read(self.source, frame)
        self.frame, self.result = frame, None
        return self.plate

    def _read(self, source: Source, frame: int | None) -> Plate:
        from ...io import read_plate

        path = source.file(frame)
        return read_plate(path, source.part, layer=None)

    def set_styles(self, styles: Sequence[str | tuple[str, float]]) -> None:
        """Use these paintings (``path``, ``path:weight`` or ``(path, weight)``) and the
        instant method.

        Raises:
            LookError: no painting, a bad weight.
            PlateNotFoundError: a painting is missing.
        """
        from ...train.instant import parse_style_spec

        parsed: list[tuple[str, float]] = []
        for s in styles:
            path, weight = (s if isinstance(s, tuple) else parse_style_spec(str(s)))
            if not os.path.isfile(path):
                raise PlateNotFoundError(f"painting not found: {path}")
            if not (isinstance(weight, (int, float)) and np.isfinite(weight) and weight > 0):
                raise LookError(f"weight of {os.path.basename(path)} must be > 0, got {weight!r}")
            parsed.append((os.fspath(path), float(weight)))
        if not parsed:
            raise LookError("no painting given: choose one or more style images")
        self.styles = parsed
        if self.method == "look":
            self.method = "instant"

    def open_look(self, path: str | os.PathLike[str]) -> Any:
        """Use a look file (loaded and checked now, so a bad file is refused at once).

        Raises:
            LookError: missing, not a look, a pickle, damaged.
        """
        look = self._load_look(os.fspath(path))
        self.look_path = os.fspath(path)
        self.method = "look"
        return look

    def set_method(self, method: str) -> None:
        """``instant``, ``optimize`` or ``look`` (see :data:`METHODS`)."""
        if method not in METHODS:
            raise SettingsError(f"unknown method {method!r}: choose one of {', '.join(METHODS)}")
        self.method = method

    def set_knob(self, name: str, value: Any) -> Any:
        """Set one StyleTransfer knob (validated by the node); returns the stored value."""
        self.node[name] = value
        return self.node[name]

    # -- looks -----------------------------------------------------------------------------

    def _load_look(self, path: str) -> Any:
        from ...model import load_look

        key = _stamp(path)
        if self._loaded is not None and self._loaded[0] == key:
            return self._loaded[1]
        look = load_look(path)
        self._loaded = (key, look)
        return look

    def current_look(self, job: Job | None = None) -> Any:
        """The look the next stylize uses: the loaded look file, or the instant look of the
        paintings (made once per set of paintings and weights).

        Raises:
            LookError: nothing chosen, or the look cannot be made or read.
        """
        if self.method == "look":
            if not self.look_path:
                raise LookError("no look file chosen: open a .safetensors look, or choose paintings")
            return self._load_look(self.look_path)
        if not self.styles:
            raise LookError("no painting chosen: add one or more style images (or open a look file)")
        key = tuple((_stamp(p), w) for p, w in self.styles)
        if self._instant is not None and self._instant[0] == key:
            return self._instant[1]
        if job is not None:
            job.report(None, "reading the paintings")
        from ...train.instant import look_from_style

        look = look_from_style([p for p, _ in self.styles], [w for _, w in self.styles],
                               config=self.config, predictor=self.predictor())
        self._instant = (key, look)
        return look

    def predictor(self) -> Any:
        """The style-prediction network, opened once per session (opening it holds the GIL
        for ≈ 0.13 s, so the window opens it before the first click).

        Raises:
            LookError: the arbitrary-style network is unavailable.
        """
        if self._predictor is None:
            from ...errors import ModelError
            from ...model.arbitrary import StylePredictor

            try:
                self._predictor = StylePredictor()
            except ModelError as exc:
                raise LookError(str(exc)) from None
        return self._predictor

    # -- stylize ---------------------------------------------------------------------------

    def stylize(self, job: Job | None = None) -> Plate:
        """Stylise the current frame with the current method and knobs; the result is kept.

        Raises:
            PlateError: no plate open.
            LookError, SettingsError, ColorSpaceError: what :func:`vfx_nodes.stylize` raises.
            RenderCancelled: the job was cancelled.
        """
        job = job or Job()
        if self.plate is None:
            raise PlateError("no plate open: open an EXR, PNG, JPEG or TIFF plate first")
        plate = self.plate
        if self.method == "optimize":
            result, look = self._optimize(plate, job), None
        else:
            from ...engine import stylize

            look = self.current_look(job)
            job.check()
            fs = self.frame_settings()
            stats = self._stats(look, fs, job) if self.stats_mode == "shot" else None
            job.report(0.0, "stylizing")
            result = stylize(plate, look, fs, stats=stats, progress=job.tell, cancel=job.cancelled)
        job.check()  # a cancelled (replaced) job never becomes the result
        with self._lock:
            if self.plate is plate:  # the user did not open another frame meanwhile
                self.result, self.result_look = result, look
        return result

    def play(self, count: int = 6, job: Job | None = None) -> list[tuple[int, Plate, Plate]]:
        """Stylise ``count`` frames of the sequence from the current one, in order, with
        the knobs — the ``temporal`` knob holds each frame to the one before, as a render
        would — and keep them in :attr:`flips` to flip through (:meth:`flip`).

        Raises:
            PlateError: no sequence open; LookError: the optimize method.
            MotionError: ``temporal="vectors"`` on plates without vectors.
        """
        from ...engine import stylize
        from ...engine.temporal import Steadier, settings_from

        job = job or Job()
        if self.source is None or not self.source.is_sequence or self.frame is None:
            raise PlateError("Play needs a sequence: open a frame pattern (plate.####.exr)")
        if self.method == "optimize":
            raise LookError("optimize styles one frame at a time: use instant or a look file to play frames")
        frames = [f for f in self.source.frames if f >= self.frame][:max(1, int(count))]
        look = self.current_look(job)
        fs = self.frame_settings()
        stats = self._stats(look, fs, job) if self.stats_mode == "shot" else None
        settings = settings_from(self.node.temporal_kwargs(self.node.values))
        steady = Steadier.for_render(settings, fs.as_dict(), look) if settings.on else None
        flips: list[tuple[int, Plate, Plate]] = []
        for i, f in enumerate(frames):
            job.check()
            job.report(i / len(frames), f"playing frame {f}")
            plate = self._read(self.source, f)
            result = stylize(plate, look, fs, stats=stats)
            if steady is not None:
                if i == 0:
                    steady.check(plate)
                result = steady(plate, result, f)
            flips.append((f, plate, result))
        with self._lock:
            self.flips = flips
        return flips

    def flip(self, index: int) -> tuple[int, Plate, Plate]:
        """Show frame ``index`` of the last :meth:`play` (plate and result)."""
        if not self.flips:
            raise PlateError("nothing played yet: press Play first")
        frame, plate, result = self.flips[index % len(self.flips)]
        with self._lock:
            self.frame, self.plate, self.result = frame, plate, result
        return frame, plate, result

    def frame_settings(self) -> FrameSettings:
        """The settings a render from the Lab uses: the node's knobs, the open layer, and
        the Lab's OCIO config unless the knob names one."""
        fs = self.node.frame_settings(self.node.values).replace(layer=self.source.layer if self.source else "")
        if self.config is not None and fs.config is None:
            fs = fs.replace(config=self.config)
        return fs

    def _stats(self, look: Any, fs: FrameSettings, job: Job) -> Any:
        """Shot statistics over the open sequence (cached per look, shot and settings)."""
        if self.source is None or not self.source.is_sequence:
            raise PlateError("shot statistics need a sequence: open a frame pattern (plate.####.exr)")
        from ...engine.sequence import shot_stats

        # what changes the statistics (the renderer's list), and where they are computed
        key = (id(look), self.source, tuple(fs.record().items()), str(fs.config), str(fs.device))
        if self._shot_stats is not None and self._shot_stats[0] == key:
            return self._shot_stats[1]
        job.report(None, "shot statistics")
        stats, _ = shot_stats(self.source.path, look, self.source.frames, fs)
        self._shot_stats = (key, stats)
        return stats

    def _optimize(self, plate: Plate, job: Job) -> Plate:
        from ...train.optimize import optimize_plate

        if not self.styles:
            raise LookError("optimize needs paintings: add one or more style images")

        job.report(0.0, "optimizing")
        out, _ = optimize_plate(plate, [p for p, _ in self.styles], layer=self.source.layer if self.source else "",
                                size=self.optimize_size, steps=self.optimize_steps, config=self.config,
                                progress=job.tell, cancel=job.cancelled)
        return out

    # -- viewer ----------------------------------------------------------------------------

    def display_image(self, plate: Plate, display: str | None = None, view: str | None = None) -> np.ndarray:
        """``plate``'s RGB (of the Lab's layer) through the OCIO display/view: an
        ``H×W×3`` uint8 image of the data window (:func:`vfx_nodes.color.display.display_image`:
        NaN black, +Inf the brightest the view shows)."""
        from ...color.display import display_image

        layer = self.source.layer if self.source else ""
        return display_image(plate, layer=layer, colorspace=self.node["colorspace"] or None,
                             display=display or None, view=view or None, config=self.config)

    def matte_image(self, plate: Plate) -> np.ndarray | None:
        """The ``mask`` knob's matte of ``plate`` as an ``H×W×3`` uint8 grey picture (white:
        the look applies), inverted as the ``invert_mask`` knob says; ``None`` when the knob
        is empty.

        Raises:
            ChannelNotFoundError: the plate has no such channel.
        """
        from ...recipe.matte import matte_of

        m = matte_of(plate, self.node["mask"] or None, invert=bool(self.node["invert_mask"]), warn_empty=False)
        if m is None:
            return None
        grey = (m * 255.0 + 0.5).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)

    def pixel(self, plate: Plate, x: int, y: int) -> dict[str, float] | None:
        """Scene-linear channel values at image pixel ``(x, y)`` (EXR coordinates: the data
        window's origin is ``(xmin, ymin)``), or ``None`` outside the data window."""
        x0, y0 = plate.data_window[0], plate.data_window[1]
        i, j = y - y0, x - x0
        if not (0 <= i < plate.height and 0 <= j < plate.width):
            return None
        row = plate.pixels[i, j]
        return {name: float(row[k]) for k, name in enumerate(plate.channel_names)}

    # -- out -------------------------------------------------------------------------------

    def save_frame(self, path: str | os.PathLike[str]) -> Path:
        """Write the styled frame (every channel, window and attribute of the plate kept;
        atomic). The format follows the extension; EXR keeps everything.

        Raises:
            PlateError: nothing stylised yet, or the file cannot be written.
        """
        from ...io import write_plate

        if self.result is None:
            raise PlateError("nothing to save yet: press Stylize first")
        from ...policy.paths import check_output_path

        target = Path(path)
        if not target.parent.is_dir():
            raise PlateError(f"cannot write {target}: its folder does not exist")
        check_output_path(target, PlateError, "styled frame", create_folders=False)
        write_plate(self.result, target)
        return target

    def save_look(self, path: str | os.PathLike[str]) -> Path:
        """Save the look in use as a look file (atomic): the instant look of the paintings,
        or a copy of the open look file.

        Raises:
            LookError: the optimize method (it makes a frame, not a look), nothing chosen,
                or the folder is missing.
        """
        from ...model import save_look

        target = Path(path)
        if self.method == "optimize":
            raise LookError("optimize renders one frame and makes no look: switch to instant "
                            "(or fine-tune) to save a look")
        if not target.parent.is_dir():
            raise LookError(f"cannot write the look to {target}: its folder does not exist")
        from ...policy.paths import check_output_path

        check_output_path(target, LookError, "look", create_folders=False)
        look = self.current_look()
        if look.path is not None:
            if os.path.abspath(look.path) != os.path.abspath(target):
                from ..._atomic import atomic_write

                atomic_write(target, lambda tmp: shutil.copyfile(look.path, tmp), LookError)
            return target
        from ...model.look import RESERVED_METADATA

        meta = {k: v for k, v in look.metadata.items() if k not in RESERVED_METADATA
                and k not in ("library_version", "created")}
        save_look(look.generator, target, meta, stats=look.stats)
        return target

    def export(self, target: str, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
        """Export the look in use for ``nuke`` or ``flame`` (:func:`vfx_nodes.export.export_look`),
        as the knobs show it: strength, highlights, through_view (Nuke only: Flame refuses it)."""
        from ...export import export_look

        if self.method == "optimize":
            raise LookError("optimize makes no look to export: switch to instant or a look file")
        view = {"through_view": self.node["through_view"]} if self.node["through_view"] else {}
        # the window's folder dialog is where the artist agreed to write there
        return export_look(self.current_look(), target, out_dir, strength=float(self.node["strength"]),
                           highlights=self.node["highlights"], overwrite=True, **view)

    def fine_tune(self, out: str | os.PathLike[str], job: Job | None = None, *, minutes: float = 10.0,
                  steps: int = 2000, resume: bool = False, size: int = 256, temporal: bool = False) -> Any:
        """Fine-tune the instant look on the open shot's frames (``vfx-style train --init
        arbitrary``) for at most ``minutes``; Cancel stops at the next step with a
        checkpoint, and ``resume=True`` continues from it; ``temporal=True`` adds the
        temporal objective (a look that holds still by itself).  Returns the
        :class:`~vfx_nodes.train.loop.TrainResult`; the best look becomes the open look.

        Raises:
            LookError: no paintings or no plate, or ``out``'s folder is missing.
            TrainingDataError: the shot's frames cannot be used.
        """
        from ...train.loop import TrainConfig, train
        from ...train.temporal import TEMPORAL_TRAIN_WEIGHT

        job = job or Job()
        if not self.styles:
            raise LookError("fine-tuning needs the paintings: add one or more style images")
        if self.source is None:
            raise LookError("fine-tuning needs the shot: open a plate or a frame pattern")
        target = Path(out)
        if not target.parent.is_dir():
            raise LookError(f"cannot write the look to {target}: its folder does not exist")
        if not (minutes > 0):
            raise SettingsError(f"time limit must be > 0 minutes, got {minutes!r}")

        content = [self.source.path]
        cfg = TrainConfig(content=content, style=[p for p, _ in self.styles], out=os.fspath(target),
                          steps=steps, size=size, init="arbitrary", time_limit=minutes, resume=resume,
                          # the window's save dialog is where the artist agreed to replace the
                          # file; an earlier run's checkpoints are set aside, never deleted
                          overwrite=not resume,
                          temporal_weight=TEMPORAL_TRAIN_WEIGHT if temporal else 0.0,
                          layer=self.source.layer, part=self.source.part,
                          eval_every=max(1, min(200, steps // 4)), checkpoint_every=max(1, min(200, steps // 4)))
        job.report(0.0, "fine-tuning: loading")
        result = train(cfg, progress=lambda f, line: job.tell(f, f"fine-tuning: {line}"), cancel=job.cancelled)
        if Path(result.look_path).is_file():
            self.open_look(result.look_path)
        return result

    @staticmethod
    def validation(out: str | os.PathLike[str]) -> list[tuple[int, float, bool]]:
        """A fine-tune's evaluations so far — ``(step, held-out read, kept as best)`` — from
        the ``metrics.jsonl`` in its work folder (``<out>.train``, as ``train`` names it);
        empty before the first. Safe to call while it trains (a half-written line is skipped)."""
        import json

        from ...train.config import default_workdir

        metrics = default_workdir(out) / "metrics.jsonl"
        points: list[tuple[int, float, bool]] = []
        try:
            lines = metrics.read_text(encoding="utf-8").splitlines()
        except OSError:
            return points
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("kind") == "eval" and isinstance(rec.get("read"), (int, float)):
                points.append((int(rec["step"]), float(rec["read"]), bool(rec.get("best"))))
        return points

    def render_shot(self, output: str, job: Job | None = None, *, frames: str | None = None,
                    overwrite: bool = False) -> Any:
        """Render the open shot with the look in use and the knobs (``vfx-style render``):
        atomic frames, resume, shot statistics when the switch says shot.  Returns the
        :class:`~vfx_nodes.engine.sequence.RenderReport`.

        Raises:
            PlateError: no sequence open; LookError: the optimize method.
            RenderCancelled: cancelled (the frames finished so far are complete files).
        """
        from ...engine.sequence import render_sequence
        from ...policy.frames import format_frames

        job = job or Job()
        if self.source is None or not self.source.is_sequence:
            raise PlateError("Render shot needs a sequence: open a frame pattern (plate.####.exr)")
        if self.method == "optimize":
            raise LookError("optimize renders one frame at a time: use instant or a look file for a shot")
        look = self.current_look(job)
        fs = self.frame_settings()

        report = render_sequence(self.source.path, output, look, frames or format_frames(self.source.frames),
                                 overwrite=overwrite, stats=self.stats_mode, progress=job.tell,
                                 cancel=job.cancelled, settings=fs,
                                 **self.node.temporal_kwargs(self.node.values))
        if report.cancelled:
            # every finished frame is complete on disk; a rerun skips them (resume)
            raise RenderCancelled(f"render cancelled after {len(report.rendered)} frames")
        return report

    # -- description -----------------------------------------------------------------------

    def can_stylize(self) -> bool:
        """Whether Stylize has what it needs: a plate, and paintings or a look file."""
        return self.plate is not None and ((self.method == "look" and bool(self.look_path)) or
                                           (self.method != "look" and bool(self.styles)))

    def enabled(self, running: str | None = None) -> dict[str, bool]:
        """What the window may offer now, by control name, while the job ``running`` (its
        name, or ``None``) runs: ``stylize`` (a second click restarts a running stylize),
        ``cancel``, the Out buttons (``save_frame``, ``save_look``, ``export_nuke``,
        ``export_flame``, ``fine_tune``, ``render_shot``, ``play``) and
        ``shot_statistics`` (a frame pattern is open). Qt-free, so the rules are tested
        without a window."""
        idle = running is None
        has_look = self.method != "optimize" and (bool(self.styles) if self.method == "instant"
                                                  else bool(self.look_path))
        sequence = self.source is not None and self.source.is_sequence
        return {
            "stylize": self.can_stylize() and running in (None, "stylize"),
            "cancel": not idle,
            "save_frame": self.result is not None and idle,
            "save_look": has_look and idle,
            "export_nuke": has_look and idle,
            "export_flame": has_look and idle,
            "fine_tune": bool(self.styles) and self.source is not None and idle,
            "render_shot": sequence and has_look and idle,
            "play": sequence and has_look and idle,
            "shot_statistics": sequence,
        }

    def describe(self) -> str:
        """One line: the plate, the frame and what the next stylize uses."""
        if self.plate is None:
            return "no plate"
        p = self.plate
        where = os.path.basename(self.source.file(self.frame)) if self.source else "?"
        what = {"instant": "instant look of " + ", ".join(os.path.basename(s) for s, _ in self.styles),
                "optimize": "optimize with " + ", ".join(os.path.basename(s) for s, _ in self.styles),
                "look": f"look {os.path.basename(self.look_path or '')}"}[self.method]
        return f"{where}  {p.width}×{p.height}  {len(p.channel_names)} channels  —  {what}"


def error_text(exc: BaseException) -> str:
    """One readable line for an error shown in the window (the class name only for the
    unexpected ones, which are bugs)."""
    if isinstance(exc, VfxNodesError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.filename or ''}: {exc.strerror or exc}".strip(": ")
    return f"{type(exc).__name__}: {exc}"
