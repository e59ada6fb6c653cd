"""Shots, not frames: render a frame range of plates with a look, farm-safe.

:func:`render_sequence` is the whole of ``vfx-style render`` as a function::

    import vfx_nodes as vn
    report = vn.render_sequence("plate.####.exr", "styled.####.exr", "oil.safetensors",
                                "1001-1100", stats="shot", strength=0.8)
    print(report.summary())

What makes it safe on a render farm (see ``docs/FARM.md``):

* **atomic frames** — every frame goes through :func:`vfx_nodes.io.write_plate`, which
  writes a hidden temporary file (``.NAME.tmp-PID-RANDOM.EXT``) in the target folder and
  renames it, so an output frame either exists whole or not at all;
* **resume** — frames whose output already exists are skipped (unless ``overwrite``), so a
  task killed with SIGKILL and started again completes the shot; on start, stale
  temporary files of *this call's* output frames are removed (only names matching the
  temporary naming above and one of our frames: another chunk's files are never touched);
* **checked inputs** — every input frame is checked to exist before anything is rendered;
  missing frames are one :class:`~vfx_nodes.errors.MissingFrameError` naming them, or,
  with ``skip_missing``, are left out and listed in the report;
* **stable looks** — ``stats="shot"`` collects the generator's normalisation statistics
  once from up to ``stats_samples`` frames spread evenly over the *whole* frame range
  (never just the chunk) and merges them (:meth:`NormStats.merge`), so every frame — and
  every farm chunk — is normalised the same way; ``stats_file`` caches them
  (safetensors) so chunks need not even recompute them. This is what removes the
  frame-to-frame flicker of per-frame statistics (URST, Chen et al. 2022; measured with
  the warping error of Lai et al. 2018 in ``benchmarks/bench_flicker.py``).

Cancelling: ``cancel`` (a :class:`threading.Event` or a callable returning ``True``) is
checked before each frame; when it fires, the frame being rendered is finished and
written, and :func:`render_sequence` *returns* a :class:`RenderReport` with
``cancelled=True`` (no exception: the caller asked for it). A ``progress`` callback may
also raise :class:`~vfx_nodes.errors.RenderCancelled` to stop; that too returns a
cancelled report.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from .._atomic import target_of_temporary
from ..errors import (
    FrameRangeError,
    MissingFrameError,
    PlateError,
    PlateWriteError,
    RenderCancelled,
)
from ..policy.frames import (
    STILL_FRAME,
    FramePattern,
    chunk_frames,
    format_frames,
    has_frame_token,
    parse_chunk,
    parse_frames,
    parse_pattern,
    still_pattern,
)
from ..policy.progress import ProgressFn, cancelled, frame_progress
from ..policy.settings import FrameSettings

# The report and the progress line (report.py) and shot statistics (shotstats.py) are
# rooms of their own, re-exported here: this module is the render's plan and loop.
from .report import ProgressBar, RenderReport
from .shotstats import (
    DEFAULT_STATS_SAMPLES,
    STATS_SETTINGS,
    _check_stats,
    _load_or_collect_stats,
    check_stats_file,
    look_fingerprint,
    shot_stats,
    stats_provenance,
)

log = logging.getLogger(__name__)

__all__ = [
    "STATS_SETTINGS",
    "ProgressBar",
    "RenderIO",
    "RenderPlan",
    "RenderReport",
    "check_stats_file",
    "look_fingerprint",
    "plan_paths",
    "plan_render",
    "remove_stale_temp_files",
    "render_sequence",
    "shot_stats",
    "stale_temp_files",
    "stats_provenance",
    "warping_error",
]

#: the render's progress callback before 0.9, ``(done, total, frame)`` — still accepted for one
#: release (with a DeprecationWarning); the protocol is ``progress(fraction, message)``
ProgressCallback = Callable[[int, int, int | None], Any]
CancelToken = threading.Event | Callable[[], bool] | None

# --- seams to the rooms below (imported when first used, so `import` stays cheap) -------


def _read_plate(path: str) -> Any:
    """The whole frame: a Plate, or a :class:`~vfx_nodes.engine.parts.Frame` when the file
    has several parts or views (every part is carried to the output)."""
    from ..io import read_plate_parts

    parts = read_plate_parts(path)
    if len(parts) == 1 and not parts[0].header.get("multiView"):
        return parts[0]
    from .parts import Frame

    return Frame(parts)


def _write_plate(plate: Any, path: str) -> None:
    from ..io import write_plate, write_plate_parts

    if isinstance(plate, list):
        write_plate_parts(list(plate), path)
    else:
        write_plate(plate, path)


def _check_output(path: str) -> str:
    from ..io import output_format

    return output_format(path)


def _is_complete(path: str) -> bool:
    from ..io import is_complete

    return is_complete(path)


def _stylize_fn() -> Callable[..., Any]:
    from .parts import stylize_frame

    return stylize_frame  # stylize, over every part and view of a frame (part=, view=)


def _collect_stats_fn() -> Callable[..., Any]:
    from .parts import collect_frame_stats

    return collect_frame_stats


def _load_look(path: str | os.PathLike[str]) -> Any:
    from ..model import load_look

    return load_look(path)


def _normstats_cls() -> Any:
    from ..model import NormStats

    return NormStats


@dataclasses.dataclass(frozen=True)
class RenderIO:
    """The rooms a render reaches into, passed in explicitly (tests give fakes; nothing is
    monkeypatched). Every field defaults to the real thing.

    Attributes:
        read: ``read(path)`` → a Plate or a :class:`~vfx_nodes.engine.parts.Frame`.
        write: ``write(result, path)``, atomic.
        stylize: ``stylize(frame, look, *, stats, **settings)``, called with the settings
            that differ from :class:`~vfx_nodes.policy.settings.FrameSettings`' defaults
            (checked before any work).
        collect_stats: ``collect_stats(frames, look, **settings)`` → statistics (the same
            settings).
        load_look: ``load_look(path)`` → a look.
        normstats: the statistics class (``load``, ``read_provenance``).
        check_output: ``check_output(path)`` → the output format; raises when it cannot be
            written.
        complete: ``complete(path)`` → whether an existing output is a complete file of its
            kind (a resume counts only those as done).
    """

    read: Callable[[str], Any] = _read_plate
    write: Callable[[Any, str], None] = _write_plate
    stylize: Callable[..., Any] | None = None
    collect_stats: Callable[..., Any] | None = None
    load_look: Callable[[Any], Any] = _load_look
    normstats: Any = None
    check_output: Callable[[str], str] = _check_output
    complete: Callable[[str], bool] = _is_complete

    def resolved(self) -> RenderIO:
        """A copy with the defaults that import the engine filled in."""
        return dataclasses.replace(
            self, stylize=self.stylize or _stylize_fn(),
            collect_stats=self.collect_stats or _collect_stats_fn(),
            normstats=self.normstats if self.normstats is not None else _normstats_cls())


# --- temporary files --------------------------------------------------------------------------


def stale_temp_files(output: str | FramePattern, frames: Iterable[int]) -> list[str]:
    """Temporary files left next to ``frames`` of ``output`` by an interrupted write.

    Only names following the atomic writer's temporary naming
    (``.NAME.tmp-PID-RANDOM.EXT``, :func:`vfx_nodes._atomic.target_of_temporary`) for one
    of the given frames are returned, so files of
    other frames, other chunks and other sequences in the folder are never touched.
    """
    pattern = output if isinstance(output, FramePattern) else parse_pattern(output)
    folder = pattern.folder
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    ours = {os.path.basename(pattern.path(f)) for f in frames}
    return sorted(os.path.join(folder, n) for n in names if target_of_temporary(n) in ours)


def remove_stale_temp_files(output: str | FramePattern, frames: Iterable[int]) -> list[str]:
    """Remove :func:`stale_temp_files` and return what was removed.

    Two tasks must not render the *same* frames at the same time (a farm retries a task
    only after its previous attempt has ended), so a temporary file of one of our frames
    found at start is an orphan of a killed attempt.
    """
    removed = []
    for path in stale_temp_files(output, frames):
        try:
            os.unlink(path)
            removed.append(path)
        except FileNotFoundError:
            pass
    return removed


# --- reading a frame ------------------------------------------------------------------------


def _read_frame(pattern: FramePattern, frame: int, read: Callable[[str], Any] = _read_plate) -> Any:
    path = pattern.path(frame)
    try:
        return read(path)
    except PlateError as exc:
        # Name the frame as well as the file: the user thinks in frame numbers.
        msg = str(exc)
        if path not in msg:
            msg = f"{path}: {msg}"
        raise type(exc)(f"frame {frame}: {msg}") from exc


# --- the render -----------------------------------------------------------------------------------


def render_sequence(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    look: Any,
    frames: str | int | Iterable[int] | None = None,
    *,
    chunk: str | tuple[int, int] | None = None,
    overwrite: bool = False,
    skip_missing: bool = False,
    stats: Literal["frame", "shot"] | Any = "frame",
    stats_file: str | os.PathLike[str] | None = None,
    stats_samples: int = DEFAULT_STATS_SAMPLES,
    progress: ProgressFn | None = None,
    cancel: CancelToken = None,
    io: RenderIO | None = None,
    temporal: str = "off",
    temporal_weight: float | None = None,
    motion_layer: str | None = None,
    preroll: int | None = None,
    settings: FrameSettings | Mapping[str, Any] | None = None,
    **stylize_kwargs: Any,
) -> RenderReport:
    """Apply a look to a frame range of plates, one atomic output file per frame.

    Args:
        input: input pattern with one frame token (``plate.####.exr``, ``plate.%04d.exr``,
            ``plate.@@@@.exr``; see :mod:`vfx_nodes.policy.frames`).
        output: output pattern; its folder is created if needed. Must differ from
            ``input``.
        look: a look (from :func:`vfx_nodes.load_look`) or the path of a look file.
        frames: the shot's frame range (``"1001-1100"``, ``"1001-1100x2"``,
            ``"1001,1005,1010-1020"``) or frame numbers; ``None`` when ``input`` and
            ``output`` are single images (no frame token): the still is rendered as
            one frame, with the same checks, atomic write and resume.
        chunk: ``"K/N"`` or ``(K, N)``: render only the K-th (1-based) of N contiguous
            chunks of ``frames`` (a farm task). Shot statistics still come from all of
            ``frames``.
        overwrite: re-render frames whose output exists (default: skip them — resume).
        skip_missing: render the frames whose input exists and list the rest in the
            report, instead of failing before rendering anything.
        stats: ``"frame"`` (each frame's own thumbnail statistics, the default),
            ``"shot"`` (statistics of the whole shot, see :func:`shot_stats`) or a
            NormStats to apply to every frame.
        stats_file: with ``stats="shot"``, a safetensors file to load the shot
            statistics from if it exists, else to save them to; give every chunk of a
            farm job the same file. It records the look, range and settings it was
            made from; a file made from others is refused (``SettingsError``) before
            any work, and its folder is checked before the shot is read.
        stats_samples: how many frames shot statistics sample (evenly spaced).
        progress: ``progress(fraction, message)`` (the project's one protocol,
            :mod:`vfx_nodes.policy.progress`): ``(0.0, "0/N frames")`` before the first
            frame and ``(done / N, "frame F (done/N)")`` after each rendered one; N counts
            the frames to render (skipped and missing ones are left out). May raise
            :class:`RenderCancelled` to stop. :class:`ProgressBar` is one. The form
            before 0.9, ``callback(done, total, frame)``, works for one release with a
            :class:`DeprecationWarning`.
        cancel: a :class:`threading.Event` or a callable returning ``True`` to stop;
            checked before each frame.
        io: the rooms the render reads, stylises and writes with (:class:`RenderIO`;
            default: the real ones) — tests pass fakes here.
        temporal: ``"off"`` (each frame on its own), ``"vectors"`` (each styled frame
            blended with the previous one carried along the plate's motion vectors),
            ``"flow"`` (along optical flow), ``"auto"`` (vectors when the plate has them,
            else flow); see :mod:`vfx_nodes.engine.temporal` and ``docs/TEMPORAL.md``.
        temporal_weight: how much of the previous frame's strokes is carried from one
            frame to the next (0–<1, default ``DEFAULT_TEMPORAL_WEIGHT``).
        motion_layer: the vectors' layer, ``"LAYER"`` or ``"LAYER:CONVENTION"``
            (default: found by name; :data:`vfx_nodes.engine.motion.CONVENTIONS`).
        preroll: with ``temporal``, the life in frames of each carried layer of strokes
            (default ``DEFAULT_PREROLL``, ≥ 2): a frame depends on at most ``preroll − 1``
            frames before it, which a chunk (or a resumed render) renders first and
            discards, so that its frames equal the straight render's.
        settings: the :class:`~vfx_nodes.policy.settings.FrameSettings` every frame is
            rendered with (or a mapping of its names); ``None`` = the defaults.
        **stylize_kwargs: any setting by name (``strength``, ``scale``, ``tile``,
            ``halo``, ``device``, ``precision``, ``layer``, ``part``, ``view``,
            ``colorspace``, ``working_colorspace``, ``preserve_alpha``,
            ``luminance_only``, ``highlights``, ``config`` ...), overriding ``settings``;
            all checked before any work.

    Returns:
        A :class:`RenderReport`; ``cancelled=True`` when stopped early (no exception).

    Raises:
        FrameRangeError: bad pattern, range or chunk.
        MissingFrameError: input frames missing (without ``skip_missing``), or none of
            them exists (even with it); raised before any frame is rendered, listing them.
        PlateReadError: an input frame could not be read (the message names the frame);
            frames rendered before it are kept, so a re-run resumes there.
        SettingsError: an unknown or bad keyword.
    """
    t0 = time.perf_counter()
    rio = (io or RenderIO()).resolved()
    plan = plan_render(input, output, frames, chunk=chunk, overwrite=overwrite, skip_missing=skip_missing,
                       stats=stats, stats_file=stats_file, stats_samples=stats_samples, cancel=cancel,
                       io=rio, temporal=temporal, temporal_weight=temporal_weight, motion_layer=motion_layer,
                       preroll=preroll, settings=settings, **stylize_kwargs)
    given = plan.settings.changed()  # what the stylise room is called with (its defaults are ours)
    named = plan.settings.as_dict()
    if plan.output_format == "png":
        from ..io import PNG_LOSSES

        log.warning("render: %s", PNG_LOSSES)
    # Orphans of a killed attempt at *these* frames; other chunks' files are not ours.
    remove_stale_temp_files(plan.output, plan.frames)
    pin, pout = plan.input, plan.output
    described: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    def report(rendered: list[int], cancelled: bool = False, mode: str = "frame",
               picked: tuple[int, ...] = ()) -> RenderReport:
        return RenderReport(input=pin.text, output=pout.text, frames=plan.frames, rendered=tuple(rendered),
                            skipped=plan.skipped, missing=plan.missing, cancelled=cancelled,
                            seconds=time.perf_counter() - t0, stats=mode, stats_frames=picked,
                            chunk=plan.chunk, stylised=described[0] if described else (),
                            carried=described[1] if described else (), temporal=plan.temporal.record(),
                            prerolled=tuple(lead.prerolled) if lead is not None else (),
                            redone=tuple(sorted(set(plan.damaged) & set(rendered))))

    lead = None
    if not plan.pending:
        return report([], mode=_stats_mode(stats))

    if isinstance(look, (str, os.PathLike)):
        look = rio.load_look(look)
    ns, mode, picked = _load_or_collect_stats(stats, stats_file, pin, look, plan.shot, int(stats_samples),
                                              skip_missing, plan.settings, plan.temporal.record(), rio)
    created = _make_folder(pout.folder)

    # The loop: read, stylise, write each pending frame through the given rooms.
    from .parts import check_finite

    stylize = rio.stylize
    assert stylize is not None
    if plan.temporal is not None and plan.temporal.on:
        from .temporal import lead_in

        lead = lead_in(plan.temporal, plan.shot, plan.input.path, read=rio.read,
                       render=lambda src: stylize(src, look, stats=ns, **given),
                       stylize_settings=named, look=look)
    rendered: list[int] = []
    total = len(plan.pending)
    tell = frame_progress(progress, "render_sequence")
    try:
        tell(0, total, None)
        for frame in plan.pending:
            if cancelled(cancel):
                return report(rendered, True, mode, picked)
            plate = _read_frame(pin, frame, rio.read)
            if not described and _has_parts(plate, named):
                described = _describe(plate, named)
            result = _styled(plate, frame, lambda p: stylize(p, look, stats=ns, **given), lead,
                             first=not rendered)
            check_finite(plate, result, frame, look)
            rio.write(result, pout.path(frame))
            rendered.append(frame)
            tell(len(rendered), total, frame)
    except RenderCancelled:
        return report(rendered, True, mode, picked)
    except BaseException:
        if not rendered:
            _remove_empty(created)  # a failed first frame leaves no empty folders behind
        raise
    return report(rendered, False, mode, picked)


@dataclasses.dataclass(frozen=True)
class RenderPlan:
    """What :func:`render_sequence` will do, decided and checked before any work (the
    only I/O is looking at which files exist).

    Attributes:
        input, output: the patterns.
        shot: the whole range (shot statistics sample it).
        frames: the frames this call is responsible for (the chunk, or the shot).
        chunk: ``(K, N)`` when a chunk was asked for.
        skipped: frames whose output exists and is complete (resume; empty with ``overwrite``).
        missing: frames whose input does not exist (only with ``skip_missing``).
        pending: the frames to render, in order.
        damaged: frames whose output exists but is not a complete file (empty, truncated,
            another kind): rendered again, and the report says so.
        output_format: ``"exr"`` or ``"png"``.
        temporal: the checked temporal settings (:class:`~vfx_nodes.engine.temporal.TemporalSettings`).
        settings: the checked frame settings (:class:`~vfx_nodes.policy.settings.FrameSettings`).
    """

    input: FramePattern
    output: FramePattern
    shot: tuple[int, ...]
    frames: tuple[int, ...]
    chunk: tuple[int, int] | None
    skipped: tuple[int, ...]
    missing: tuple[int, ...]
    pending: tuple[int, ...]
    output_format: str | None
    temporal: Any = None
    damaged: tuple[int, ...] = ()
    settings: FrameSettings = dataclasses.field(default_factory=FrameSettings)


def plan_render(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    frames: str | int | Iterable[int] | None = None,
    *,
    chunk: str | tuple[int, int] | None = None,
    overwrite: bool = False,
    skip_missing: bool = False,
    stats: Literal["frame", "shot"] | Any = "frame",
    stats_file: str | os.PathLike[str] | None = None,
    stats_samples: int = DEFAULT_STATS_SAMPLES,
    cancel: CancelToken = None,
    io: RenderIO | None = None,
    temporal: str = "off",
    temporal_weight: float | None = None,
    motion_layer: str | None = None,
    preroll: int | None = None,
    settings: FrameSettings | Mapping[str, Any] | None = None,
    **stylize_kwargs: Any,
) -> RenderPlan:
    """The plan step of :func:`render_sequence` (same arguments, no look): patterns,
    range, chunk, output format, settings, and which frames are done, missing or to
    render — every check that can fail, before a look is loaded or a frame read.

    Raises:
        the errors :func:`render_sequence` raises before its first frame.
    """
    rio = (io or RenderIO()).resolved()
    pin, pout, shot = plan_paths(os.fspath(input), os.fspath(output), frames)
    chunk_kn = None
    todo = shot
    if chunk is not None:
        todo = chunk_frames(shot, chunk)
        chunk_kn = parse_chunk(chunk)
    if _same_files(pin, pout, todo):
        raise PlateWriteError(
            f"output pattern {pout.text!r} names the same files as the input; choose another output")
    output_format = _check_output_paths(rio, pout, todo)
    _check_stats(stats, stats_file, stats_samples)
    cancelled(cancel)  # type checks up front, not after an hour of rendering
    frame_settings = FrameSettings.make(settings, **stylize_kwargs)  # every setting, checked once
    from .temporal import checked_settings

    steady = checked_settings(temporal, temporal_weight, motion_layer, preroll)

    skipped, damaged = _done_frames(rio, pout, todo, overwrite)
    done = set(skipped)
    pending = [f for f in todo if f not in done]
    missing = tuple(f for f in pending if not os.path.exists(pin.path(f)))
    if missing and not skip_missing:
        raise MissingFrameError(
            f"{len(missing)} of {len(todo)} input frames of {pin.text} are missing: "
            f"{format_frames(missing)} (first: {pin.path(missing[0])}); nothing was rendered. "
            f"Check frames=, or pass skip_missing=True to render the frames that exist")
    if missing and len(missing) == len(todo):
        # skip_missing is for holes in a shot; a range with no input at all is a mistake
        # (wrong pattern or range), and a farm task must not "succeed" rendering nothing.
        raise MissingFrameError(
            f"none of the {len(todo)} input frames {format_frames(todo)} of {pin.text} exist "
            f"(first: {pin.path(todo[0])}); check input= and frames=")
    set_missing = set(missing)
    return RenderPlan(input=pin, output=pout, shot=shot, frames=todo, chunk=chunk_kn, skipped=skipped,
                      missing=missing, pending=tuple(f for f in pending if f not in set_missing),
                      output_format=output_format, temporal=steady, damaged=damaged, settings=frame_settings)


def _stats_mode(stats: Any) -> str:
    """What the report calls the statistics a render was asked for."""
    if stats in (None, "frame"):
        return "frame"
    return "shot" if isinstance(stats, str) else "given"


def _has_parts(plate: Any, settings: Mapping[str, Any]) -> bool:
    """Whether the report should say what was stylised and what was carried (a frame of
    several parts or views, or parts and views chosen)."""
    return isinstance(plate, list) or bool(settings.get("part")) or bool(settings.get("view"))


def _make_folder(folder: str) -> list[str]:
    """Make the output folder; the folders that had to be made (removed again if the
    first frame fails)."""
    created = [] if os.path.isdir(folder) else _missing_folders(folder)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise PlateWriteError(f"cannot create output folder {folder!r}: {exc}") from exc
    return created


def _styled(plate: Any, frame: int, stylize: Callable[[Any], Any], lead: Any, *, first: bool) -> Any:
    """One frame styled, and held to the frames before it when the render is temporal
    (``lead``: the :class:`~vfx_nodes.engine.temporal.LeadIn`, else ``None``)."""
    if lead is None:
        return stylize(plate)
    if first:
        lead.steady.check(plate)  # no vectors: say so before the first frame is styled
    lead.before(frame)
    return lead(frame, plate, stylize(plate))


def _check_output_paths(rio: RenderIO, pout: FramePattern, todo: Sequence[int]) -> str | None:
    """The output format, and whether the OS would let the first frame be written there
    (a frame-sized folder in the way of any frame is refused too)."""
    if not todo:
        return None
    from ..policy.paths import check_output_path

    output_format = rio.check_output(pout.path(todo[0]))
    check_output_path(pout.path(todo[0]), PlateWriteError, "frame")
    folders = [f for f in todo if os.path.isdir(pout.path(f))]
    if folders:
        raise PlateWriteError(f"output {pout.path(folders[0])!r} is a folder, not a frame file "
                              f"({len(folders)} such frame(s)): move it away or choose another output")
    return output_format


def _done_frames(rio: RenderIO, pout: FramePattern, todo: Sequence[int], overwrite: bool
                 ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(skipped, damaged)``: frames whose output is a complete file (a resume skips
    them) and frames whose output exists but is not (rendered again)."""
    if overwrite:
        return (), ()
    existing = [f for f in todo if os.path.lexists(pout.path(f))]
    complete = {f: rio.complete(pout.path(f)) for f in existing}
    return tuple(f for f in existing if complete[f]), tuple(f for f in existing if not complete[f])


def _missing_folders(folder: str) -> list[str]:
    """``folder`` and those of its parents that do not exist yet, deepest first."""
    out = []
    path = os.path.abspath(folder)
    while path and not os.path.isdir(path):
        out.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return out


def _remove_empty(folders: Sequence[str]) -> None:
    for path in folders:
        try:
            os.rmdir(path)  # only ever removes an empty folder
        except OSError:
            return


# --- helpers of the render ------------------------------------------------------------------------


def _describe(frame: Any, kwargs: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What :func:`~vfx_nodes.engine.parts.stylize_frame` stylises in ``frame`` and what
    it carries through (for the report)."""
    from .parts import Frame, describe_targets, frame_targets

    parts = frame if isinstance(frame, Frame) else Frame([frame])
    targets = frame_targets(parts, part=kwargs.get("part"), view=kwargs.get("view"), layer=kwargs.get("layer"))
    done, carried = describe_targets(parts, targets)
    return tuple(done), tuple(carried)


def plan_paths(input: str, output: str, frames: Any) -> tuple[FramePattern, FramePattern, tuple[int, ...]]:
    """Input and output patterns and the frames: a sequence (a frame token in both names
    and a frame range), or a single still (no token in either, no range).

    Raises:
        FrameRangeError: a still with a range or a pattern output, a sequence without one.
    """
    if not has_frame_token(input):
        if has_frame_token(output):
            raise FrameRangeError(f"input {input!r} is a single image but output {output!r} is a frame "
                                  "pattern; give an output file name without a frame token")
        if frames not in (None, "", ()):
            raise FrameRangeError(f"input {input!r} is a single image (no frame token): leave out the frame "
                                  f"range, or write the input as a pattern (plate.####.exr)")
        return still_pattern(input), still_pattern(output), (STILL_FRAME,)
    if frames in (None, "", ()):
        raise FrameRangeError(f"input {input!r} is a sequence: give the frame range (e.g. 1001-1100)")
    return parse_pattern(input), parse_pattern(output), parse_frames(frames)


def _same_files(pin: Any, pout: Any, frames: Sequence[int]) -> bool:
    """Would writing ``pout`` overwrite a frame of ``pin``?  Compared as files, not
    strings: a symlinked folder, ``..`` or a hard link reach the same file by another
    name (``os.path.realpath``; ``os.path.samefile`` where both exist)."""
    if os.path.realpath(pin.path(frames[0] if frames else 0)) == os.path.realpath(
            pout.path(frames[0] if frames else 0)):
        return True
    for f in frames:
        a, b = pin.path(f), pout.path(f)
        try:
            if os.path.samefile(a, b):
                return True
        except OSError:  # one of them does not exist: nothing to overwrite
            continue
    return False


# kept importable from here: the flicker measure moved to vfx_nodes.engine.metrics
from .metrics import warping_error  # noqa: E402
