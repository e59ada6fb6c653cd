"""``vfx-style render``: apply a look to a frame range of plates, farm-safe.

Example::

    vfx-style render --input plate.####.exr --output styled.####.exr --look oil.safetensors \\
        --frames 1001-1100 --stats shot --stats-file sh010.stats.safetensors --chunk 3/10

Frame patterns take ``####`` or ``@@@@`` (one character per digit of padding, Nuke and
Houdini style) or ``%04d``; ``--frames`` takes ``1001-1100``, ``1001-1100x2`` (every 2nd)
and lists ``1001,1005,1010-1020``; ``--chunk K/N`` renders the K-th (counting from 1) of N
contiguous chunks. See ``docs/FARM.md``.

The look's knobs are the StyleTransfer node's own (``vfx_nodes.nodes.builtin``): the flags
are generated from its knob declarations and mapped to :func:`vfx_nodes.engine.stylize`
by ``StyleTransfer.stylize_kwargs``, so the node and this command give the same pixels.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any

from ..engine.farm import openjd_template
from ..errors import SettingsError
from ..policy.frames import chunk_frames, format_frames

# Knobs of StyleTransfer that are not per-frame settings of stylize (files handled here).
_NOT_FLAGS = {"look", "stats_file", "style"}
# Flag spellings that differ from the knob name.
_FLAG_NAMES = {"colorspace": "in-colorspace"}


def _knob_flag(name: str) -> str:
    return "--" + _FLAG_NAMES.get(name, name.replace("_", "-"))


def add_knob_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one flag per StyleTransfer knob (``--strength``, ``--in-colorspace`` ...)."""
    from ..nodes.builtin import StyleTransfer

    group = parser.add_argument_group("look settings (the StyleTransfer node's knobs)")
    for knob in StyleTransfer.knobs:
        if knob.name in _NOT_FLAGS:
            continue
        flag = _knob_flag(knob.name)
        help_text = f"{knob.help} (default: {knob.default!r})"
        kwargs: dict[str, Any] = {"dest": f"knob_{knob.name}", "default": None, "help": help_text}
        if knob.type == "bool":
            group.add_argument(flag, action=argparse.BooleanOptionalAction, **kwargs)
        elif knob.type in ("int", "float"):
            group.add_argument(flag, type=int if knob.type == "int" else float, metavar=knob.type.upper(),
                               **kwargs)
        elif knob.type == "choice":
            group.add_argument(flag, choices=list(knob.choices), **kwargs)
        else:
            group.add_argument(flag, metavar="NAME" if knob.type == "str" else "PATH", **kwargs)


def _knob_values(args: argparse.Namespace) -> dict[str, Any]:
    from ..nodes.builtin import StyleTransfer

    return {k.name: getattr(args, f"knob_{k.name}") for k in StyleTransfer.knobs
            if k.name not in _NOT_FLAGS and getattr(args, f"knob_{k.name}", None) is not None}


def stylize_kwargs_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The stylize keyword arguments for the knob flags given (through the node's mapping)."""
    from ..nodes.builtin import StyleTransfer

    return StyleTransfer.stylize_kwargs(_knob_values(args))


def temporal_kwargs_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The render's temporal keywords for the knob flags given (``--temporal`` ...), plus
    ``--preroll``."""
    from ..nodes.builtin import StyleTransfer

    out = StyleTransfer.temporal_kwargs(_knob_values(args))
    out["preroll"] = getattr(args, "preroll", None)
    return out


def add_movie_arguments(parser: argparse.ArgumentParser, *, flag: str) -> None:
    """Flags shared by ``render --movie`` and ``movie``."""
    group = parser.add_argument_group("review movie")
    group.add_argument(flag, dest="movie", metavar="MOVIE.mp4",
                       help="write an H.264 review movie (.mp4/.mov/.m4v/.mkv) of the frames")
    group.add_argument("--display", help="OCIO display for the movie (default: the config's default)")
    group.add_argument("--view", help="OCIO view for the movie (default: the display's default view)")
    group.add_argument("--fps", default="24", help="movie frame rate, e.g. 24, 25, 23.976 (default: 24)")
    group.add_argument("--burn-in", action="store_true", help="draw the frame number into each movie frame")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``vfx-style render``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "patterns: #### or @@@@ = one character per digit of padding, %04d, or $F4 (Houdini).\n"
        "frames:   1001-1100, 1001-1100x2 (every 2nd), 1001,1005,1010-1020.\n"
        "chunks:   --chunk K/N renders the K-th of N contiguous chunks, K counting from 1.\n"
        "Finished frames are skipped (resume) unless --overwrite; see docs/FARM.md.")
    parser.add_argument("--input", "-i", required=True, metavar="PATTERN", help="input plates, e.g. plate.####.exr")
    parser.add_argument("--output", "-o", required=True, metavar="PATTERN", help="output plates, e.g. styled.####.exr")
    parser.add_argument("--look", required=True, metavar="LOOK", help="look file (.safetensors)")
    parser.add_argument("--frames", metavar="RANGE", help="frame range of the whole shot (leave it out for "
                        "a single image: -i still.exr -o styled.exr)")
    parser.add_argument("--chunk", metavar="K/N", help="render only the K-th of N chunks of --frames (K from 1)")
    parser.add_argument("--overwrite", action="store_true", help="re-render frames that already exist")
    parser.add_argument("--skip-missing", action="store_true",
                        help="render the frames whose input exists and report the rest (default: fail)")
    parser.add_argument("--stats", choices=("frame", "shot"), default=None,
                        help="normalisation statistics: per frame (default) or one set for the whole "
                             "shot, sampled from --frames (steadier, no flicker)")
    parser.add_argument("--stats-file", metavar="PATH",
                        help="shot statistics cache (.safetensors): loaded if it exists, else written; "
                             "give every chunk the same file (implies --stats shot)")
    parser.add_argument("--stats-samples", type=int, default=8, metavar="N",
                        help="frames sampled for shot statistics (default: 8, evenly spaced)")
    parser.add_argument("--stats-only", action="store_true",
                        help="only compute and save --stats-file, render nothing (a farm job's first step)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parts = parser.add_argument_group(
        "parts and views", "Every part and view of a multi-part or multi-view EXR is written to the "
        "output. By default the main RGB of every part that has one and of every stereo view is "
        "stylised; the summary lists what was stylised and what was carried unchanged.")
    parts.add_argument("--part", metavar="PARTS", help="stylise only these EXR parts (names or indices, "
                       "comma-separated); the others are carried unchanged")
    parts.add_argument("--views", metavar="VIEWS", help="stylise only these views (e.g. left; comma-separated). "
                       "(--view is the review movie's OCIO view.)")
    add_knob_arguments(parser)
    add_movie_arguments(parser, flag="--movie")
    farm = parser.add_argument_group("farm")
    farm.add_argument("--openjd-template", action="store_true",
                      help="print an Open Job Description job template for this render and exit")
    farm.add_argument("--preroll", type=int, default=None, metavar="FRAMES",
                      help="with --temporal: the life in frames of each carried layer of strokes (default: "
                           "16, at least 2); a frame depends on at most FRAMES-1 frames before it, which a "
                           "chunk or a resumed render renders first and discards")
    farm.add_argument("--chunk-size", type=int, default=10, metavar="FRAMES",
                      help="frames per farm task for --openjd-template (default: 10)")


def _extra_args(argv: argparse.Namespace) -> list[str]:
    """The knob flags given on this command line, for the farm template's tasks."""
    from ..nodes.builtin import StyleTransfer

    out: list[str] = []
    for knob in StyleTransfer.knobs:
        if knob.name in _NOT_FLAGS:
            continue
        value = getattr(argv, f"knob_{knob.name}", None)
        if value is None:
            continue
        flag = _knob_flag(knob.name)
        if knob.type == "bool":
            out.append(flag if value else "--no-" + flag[2:])
        else:
            out += [flag, str(value)]
    if getattr(argv, "part", None):
        out += ["--part", argv.part]
    if getattr(argv, "views", None):
        out += ["--views", argv.views]
    if argv.skip_missing:
        out.append("--skip-missing")
    if argv.stats == "shot" and not argv.stats_file:
        out += ["--stats", "shot"]
    if argv.stats_samples != 8:
        out += ["--stats-samples", str(argv.stats_samples)]
    if getattr(argv, "preroll", None) is not None:
        out += ["--preroll", str(argv.preroll)]
    return out


def _terminate(signum: int, frame: Any) -> None:
    # A farm stops a task with SIGTERM: leave through Python's unwinding so the atomic
    # writer removes its temporary file (SIGKILL cannot be caught; the next start cleans).
    raise SystemExit(128 + signum)


def run(args: argparse.Namespace) -> int:
    """Render (or, with ``--openjd-template``, describe) the frame range."""
    kwargs = stylize_kwargs_from_args(args)
    steady = temporal_kwargs_from_args(args)
    if args.part:
        kwargs["part"] = args.part
    if args.views:
        kwargs["view"] = args.views
    stats = _check_flags(args)
    # Check the patterns and the range before anything is loaded.
    from ..engine.sequence import plan_paths

    _, _, shot = plan_paths(args.input, args.output, args.frames)
    still = not args.frames
    if still and (args.movie or args.chunk or args.openjd_template or args.stats_only):
        raise SettingsError("--movie, --chunk, --openjd-template and --stats-only apply to sequences; "
                            "a single image (no frame token) is rendered as it is")
    if args.chunk:
        chunk_frames(shot, args.chunk)
    if args.openjd_template:
        return _print_template(args)
    if args.stats_only:
        return _stats_only(args, shot, kwargs, steady)
    return _render(args, None if still else shot, stats, kwargs, steady)


def _check_flags(args: argparse.Namespace) -> str:
    """The statistics mode, once the flags that cannot go together are refused."""
    stats: str = args.stats or ("shot" if args.stats_file else "frame")
    if args.stats_file and stats != "shot":
        raise SettingsError("--stats-file holds shot statistics; it cannot be used with --stats frame")
    if args.stats_only and not args.stats_file:
        raise SettingsError("--stats-only computes shot statistics into --stats-file; give --stats-file PATH")
    if args.chunk and args.movie:
        raise SettingsError("--movie with --chunk would show one chunk only; make the movie once every "
                            "chunk is done: vfx-style movie --input OUTPUT --frames RANGE --out MOVIE.mp4")
    if args.openjd_template and args.chunk:
        raise SettingsError("--openjd-template makes the chunks itself; leave out --chunk")
    return stats


def _print_template(args: argparse.Namespace) -> int:
    template = openjd_template(args.input, args.output, args.look, args.frames, chunk_size=args.chunk_size,
                               stats_file=args.stats_file, extra_args=_extra_args(args))
    json.dump(template, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def _stats_only(args: argparse.Namespace, shot: tuple[int, ...], kwargs: dict[str, Any],
                steady: dict[str, Any]) -> int:
    """A farm job's first step: the shot statistics into ``--stats-file`` (kept if there)."""
    if os.path.exists(args.stats_file):
        print(f"shot statistics {args.stats_file} exist; delete the file to collect them again")
        return 0
    from ..engine.sequence import check_stats_file, shot_stats, stats_provenance
    from ..engine.temporal import settings_from

    check_stats_file(args.stats_file)
    ns, picked = shot_stats(args.input, args.look, shot, samples=args.stats_samples,
                            skip_missing=args.skip_missing, **kwargs)
    ns.save(args.stats_file, stats_provenance(args.look, shot, {**kwargs, **settings_from(steady).record()}))
    print(f"shot statistics from frames {format_frames(picked)} written to {args.stats_file}")
    return 0


def _render(args: argparse.Namespace, shot: tuple[int, ...] | None, stats: str, kwargs: dict[str, Any],
            steady: dict[str, Any]) -> int:
    """The render, and its review movie when asked for (checked before the first frame)."""
    from ..engine.sequence import ProgressBar, render_sequence

    if args.movie:
        # Before any frame is rendered: a typo in --display must not cost the whole render.
        from ..color.movie import check_movie

        check_movie(args.movie, fps=args.fps, display=args.display, view=args.view,
                    config=kwargs.get("config"), colorspace=kwargs.get("colorspace"), create_folder=True,
                    overwrite=args.overwrite)
    previous = signal.signal(signal.SIGTERM, _terminate) if _main_thread() else None
    bar = None if args.quiet else ProgressBar(sys.stderr, label="render")
    try:
        report = render_sequence(args.input, args.output, args.look, shot, chunk=args.chunk,
                                 overwrite=args.overwrite, skip_missing=args.skip_missing, stats=stats,
                                 stats_file=args.stats_file, stats_samples=args.stats_samples,
                                 progress=bar, **steady, **kwargs)
    finally:
        if bar is not None:
            bar.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print(f"vfx-style render: {report.summary()}")
    if args.movie and shot is not None:
        from ..color.movie import movie_from_sequence

        info = movie_from_sequence(args.output, shot, args.movie, skip_missing=args.skip_missing,
                                   fps=args.fps, display=args.display, view=args.view,
                                   burn_in=args.burn_in, config=kwargs.get("config"),
                                   colorspace=kwargs.get("colorspace"),
                                   layer=kwargs.get("layer") or "")
        print(f"vfx-style render: movie {info.path}: {info.frames} frames, {info.width}×{info.height}, "
              f"{float(info.fps):g} fps")
    return 0


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


__all__ = ["add_knob_arguments", "configure", "openjd_template", "run", "stylize_kwargs_from_args"]
