"""Shot statistics for a render: collected from frames spread over the whole shot,
cached in a statistics file that records what it was made from, and checked before any
work (:func:`vfx_nodes.engine.sequence.render_sequence` uses them; every name is
re-exported there).

Every farm chunk must normalise the same way, so the frames are sampled from the whole
range, never the chunk, and a statistics file made from another look, range or settings
(temporal ones included) is refused.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the renderer's rooms; imported where used (sequence imports this module)
    from .sequence import RenderIO

from ..errors import MissingFrameError, SettingsError
from ..policy.frames import FramePattern, format_frames, parse_frames, parse_pattern, sample_frames
from ..policy.settings import FrameSettings

log = logging.getLogger("vfx_nodes.engine.sequence")  # the renderer's logger: one place to listen

__all__ = ["DEFAULT_STATS_SAMPLES", "STATS_SETTINGS", "check_stats_file", "look_fingerprint", "shot_stats",
           "stats_provenance"]

#: How many frames ``stats="shot"`` samples from the frame range by default.
DEFAULT_STATS_SAMPLES = 8

def shot_stats(input: str | os.PathLike[str] | FramePattern, look: Any,
               frames: str | Iterable[int], settings: FrameSettings | Mapping[str, Any] | None = None, *,
               samples: int = DEFAULT_STATS_SAMPLES, skip_missing: bool = False,
               io: RenderIO | None = None, **stylize_kwargs: Any) -> tuple[Any, tuple[int, ...]]:
    """Normalisation statistics of a whole shot: collected from sampled frames, merged.

    Args:
        input: the input pattern (``plate.####.exr``).
        look: a look object or a look file path.
        frames: the **whole** shot's frame range (never a chunk: every chunk must sample
            the same frames to get the same statistics).
        samples: at most this many frames, evenly spaced, first and last included.
        skip_missing: sample only from frames that exist instead of failing.
        io: the rooms to read frames and collect statistics with (default: the real ones).
        settings, **stylize_kwargs: the settings the frames will be rendered with, as
            :func:`vfx_nodes.render_sequence` takes them (the statistics are taken on
            what the network will see).

    Returns:
        ``(stats, sampled_frames)``: a NormStats (:meth:`NormStats.merge` of each sampled
        frame's statistics, weighted by pixel count) and the frames it came from.

    Raises:
        MissingFrameError: a sampled frame is missing (without ``skip_missing``), or no
            frame of the range exists.
    """
    from .sequence import RenderIO, _read_frame

    rio = (io or RenderIO()).resolved()
    pin = input if isinstance(input, FramePattern) else parse_pattern(os.fspath(input))
    shot = parse_frames(frames)
    if isinstance(look, (str, os.PathLike)):
        look = rio.load_look(look)
    pool = shot
    if skip_missing:
        pool = tuple(f for f in shot if os.path.exists(pin.path(f)))
        if not pool:
            raise MissingFrameError(
                f"no input frame of {pin.text} {format_frames(shot)} exists; cannot collect shot statistics")
    picked = sample_frames(pool, samples)
    absent = [f for f in picked if not os.path.exists(pin.path(f))]
    if absent:
        raise MissingFrameError(
            f"shot statistics need input frames {format_frames(absent)} ({pin.path(absent[0])} ...), "
            f"which are missing; pass skip_missing to sample only existing frames")
    collect = rio.collect_stats
    assert collect is not None
    fs = FrameSettings.make(settings, **stylize_kwargs)
    # A generator: collect_stats reads one frame at a time and merges the per-frame
    # statistics itself (NormStats.merge, weighted by pixel count).
    stats = collect((_read_frame(pin, f, rio.read) for f in picked), look, **fs.changed())
    return stats, picked


def _load_or_collect_stats(stats: Any, stats_file: str | os.PathLike[str] | None, pin: FramePattern,
                           look: Any, shot: tuple[int, ...], samples: int, skip_missing: bool,
                           settings: FrameSettings, temporal: Mapping[str, Any], rio: RenderIO
                           ) -> tuple[Any, str, tuple[int, ...]]:
    """The statistics to render with (settings already checked by :func:`_check_stats`)."""
    if stats is None or stats == "frame":
        return None, "frame", ()
    if isinstance(stats, str):  # "shot"
        # what a statistics file records and is checked against (only with a file: it
        # hashes the look)
        made_from = stats_provenance(look, shot, {**settings.changed(), **temporal}) if stats_file else {}
        if stats_file is not None and os.path.exists(stats_file):
            cls = rio.normstats
            _check_provenance(stats_file, cls.read_provenance(stats_file), made_from)
            return cls.load(stats_file), "file", ()
        ns, picked = shot_stats(pin, look, shot, settings, samples=samples, skip_missing=skip_missing, io=rio)
        if stats_file is not None:
            # NormStats.save is atomic (temporary name + rename): chunks racing to create
            # the file each write identical statistics, and none reads half a file.
            ns.save(stats_file, made_from)
        return ns, "shot", picked
    return stats, "given", ()


def _check_stats(stats: Any, stats_file: Any, samples: Any) -> None:
    """The statistics settings, checked once before any work."""
    if int(samples) < 1:
        raise SettingsError(f"stats_samples must be ≥ 1, got {samples}")
    if (isinstance(stats, str) and stats not in ("frame", "shot")) or (
            stats is not None and not isinstance(stats, str) and not hasattr(stats, "layers")):
        shown = repr(stats) if isinstance(stats, str) else type(stats).__name__
        raise SettingsError(f"stats must be 'frame', 'shot' or a NormStats, got {shown}")
    if stats_file is not None and stats != "shot":
        raise SettingsError("stats_file holds shot statistics; use it with stats='shot'")
    check_stats_file(stats_file)


#: settings that change the statistics (recorded in a statistics file and compared; the
#: Look Lab keys its shot-statistics cache on them too): FrameSettings.STATS_FIELDS
STATS_SETTINGS = FrameSettings.STATS_FIELDS
#: temporal settings a statistics file records too (only when temporal is on: every farm
#: chunk sharing the file must blend frames the same way, or the chunk boundaries show)
_TEMPORAL_RECORD = ("temporal", "temporal_weight", "motion_layer")
#: settings whose default is not recorded (files made before the setting existed stay valid)
_STATS_DEFAULTS = {"highlights": "carry"}


def look_fingerprint(look: Any) -> str:
    """A short SHA-256 identifying a look: of its file when it has one, else of its weights."""
    import hashlib

    h = hashlib.sha256()
    path = getattr(look, "path", None)
    if isinstance(look, (str, os.PathLike)):
        path = look
    if path is not None and os.path.isfile(path):
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()[:16]
    gen = getattr(look, "generator", None)
    if gen is None or not hasattr(gen, "state_dict"):
        return "unknown"
    for name, t in sorted(gen.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def stats_provenance(look: Any, shot: Sequence[int], settings: Mapping[str, Any]) -> dict[str, Any]:
    """What shot statistics are made from: the look, the frame range, the settings that
    change them. Recorded in a statistics file; a file made from anything else is refused."""
    return {"look": look_fingerprint(look), "frames": format_frames(shot),
            "settings": {k: str(settings[k]) for k in (*STATS_SETTINGS, *_TEMPORAL_RECORD)
                         if settings.get(k) not in (None, "", _STATS_DEFAULTS.get(k))}}


def _check_provenance(path: Any, recorded: Mapping[str, Any] | None, now: Mapping[str, Any]) -> None:
    if recorded is None:
        log.warning("render: %s records no look or frame range (made by an older vfx_nodes); using "
                    "it unchecked", path)
        return
    keys = [k for k in ("look", "frames", "settings") if recorded.get(k) != now[k]]
    if keys:
        what = {"look": "another look", "frames": "another frame range", "settings": "other settings"}
        diffs = [f"{k} {recorded.get(k)!r} (this render: {now[k]!r})" for k in keys]
        raise SettingsError(f"statistics file {os.fspath(path)!r} was made for "
                            f"{' and '.join(what[k] for k in keys)}: {'; '.join(diffs)}. "
                            "Delete it to collect the shot statistics again")


def check_stats_file(stats_file: Any) -> None:
    """A statistics file to be written: its folder must exist and be writable — said
    before the shot is read, not after.

    Raises:
        SettingsError: the folder is missing or not writable, a name too long, a file or a
            link loop in the way (:func:`vfx_nodes.policy.paths.output_problem`).
    """
    if stats_file is None or os.path.isfile(stats_file):
        return
    from ..policy.paths import check_output_path

    check_output_path(stats_file, SettingsError, "statistics file", create_folders=False)
