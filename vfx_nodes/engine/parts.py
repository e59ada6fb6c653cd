"""Frames with several parts and views: what is stylised, and everything else carried along.

A frame of a shot can be more than one Plate: a **multi-part** EXR holds several parts (a
beauty per eye, depth, motion, masks ...), and a **multi-view** EXR holds several views
(``multiView`` attribute: the first view's channels are unprefixed, the others are layers
named after their view, ``left.R``; OpenEXR, "Storing Multi-View Images in OpenEXR Files").
:class:`Frame` is such a frame: every part, in file order.

Which colour is stylised is a choice (:func:`frame_targets`): by default the main R, G, B
of every part that has one, and the R, G, B of each further view of a multi-view part —
every eye's beauty, never depth, motion or masks. ``part=``, ``view=`` and ``layer=``
narrow or change it. Everything not chosen rides along bit for bit, and
:func:`describe_targets` says what was and what was not stylised.

Every target of a frame is stylised with the same statistics when they are given (shot
statistics, collected on the first target): both eyes of a stereo pair then get the same
normalisation, so the look matches between the eyes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ChannelNotFoundError, LookError, SettingsError
from ..plate import Plate
from ..policy.settings import FrameSettings

__all__ = ["Frame", "Target", "check_finite", "collect_frame_stats", "describe_targets", "frame_targets", "rgb_layers",
           "stylize_frame"]


class Frame(list):  # type: ignore[type-arg]  # list[Plate]
    """Every part of one frame (a multi-part or multi-view file), in file order."""


@dataclasses.dataclass(frozen=True)
class Target:
    """One colour to stylise: the RGB of ``layer`` in part ``part`` (an index)."""

    part: int
    layer: str
    label: str


def _names(selection: Any) -> list[str] | None:
    """``None``, a name, an index, or a comma-separated / listed set of them."""
    if selection is None or selection == "" or selection == ():
        return None
    items = selection if isinstance(selection, (list, tuple)) else str(selection).split(",")
    return [str(i).strip() for i in items if str(i).strip()]


def _part_name(plate: Plate, index: int) -> str:
    name = plate.header.get("name")
    return str(name) if name else f"part{index}"


def _views(plate: Plate) -> list[str]:
    mv = plate.header.get("multiView")
    if isinstance(mv, (list, tuple)):
        return [str(v) for v in mv]
    if isinstance(mv, str) and mv:
        return [mv]
    return []


def _has_rgb(plate: Plate, layer: str) -> bool:
    """R, G, B in ``layer`` — or luminance (``Y``), which ``stylize`` turns into RGB."""
    from ..io.lumachroma import luminance_only

    try:
        plate.rgb_names(layer)
    except ChannelNotFoundError:
        return luminance_only(plate, layer)
    return True


def rgb_layers(plate: Plate) -> list[str]:
    """The layers of ``plate`` a look can stylise: those with R, G, B (or luminance)."""
    return [lay for lay in plate.layers if _has_rgb(plate, lay)]


def frame_targets(parts: Sequence[Plate], *, part: Any = None, view: Any = None,
                  layer: str | None = None) -> list[Target]:
    """What to stylise in a frame.

    Args:
        parts: the frame's plates (one per part).
        part: part names or indices (``"rgba_left,rgba_right"``, ``0``); default every part.
        view: view names (``"left"``); default every view. A part's view is its ``view``
            attribute, or the first of its ``multiView`` views for its unprefixed channels.
        layer: stylise this layer's RGB (``"diffuse"``, ``"left"``) in each chosen part
            instead of the views' RGB; ``None`` = the views' RGB.

    Returns:
        The targets, in file order.

    Raises:
        ChannelNotFoundError: an unknown part, or nothing with R, G, B chosen (the message
            lists what the frame has).
        SettingsError: ``view`` together with ``layer``.
    """
    if view is not None and layer not in (None, ""):
        raise SettingsError("choose views (view=) or a layer (layer=), not both")
    names = [_part_name(p, i) for i, p in enumerate(parts)]
    views = _names(view)
    targets: list[Target] = []
    for i in _chosen_parts(parts, names, part):
        where = f"part {names[i]!r}" if len(parts) > 1 else "the image"
        targets += _part_targets(parts[i], i, where, views, layer)
    if not targets:
        raise _nothing_to_stylise(parts, names, part, view, layer)
    return targets


def _chosen_parts(parts: Sequence[Plate], names: list[str], part: Any) -> list[int]:
    """The indices ``part`` names (names or indices, negative from the end), sorted;
    every part when ``None``."""
    wanted = _names(part)
    if wanted is None:
        return list(range(len(parts)))
    chosen = []
    for w in wanted:
        if w.lstrip("-").isdigit() and -len(parts) <= int(w) < len(parts):
            chosen.append(int(w) % len(parts))
        elif w in names:
            chosen.append(names.index(w))
        else:
            listed = (f"parts {', '.join(f'{i} {n!r}' for i, n in enumerate(names))}" if len(parts) > 1
                      else "one part (0)")
            raise ChannelNotFoundError(f"no part {w!r}: the frame has {listed}")
    return sorted(set(chosen))


def _part_targets(p: Plate, i: int, where: str, views: Any, layer: str | None) -> list[Target]:
    """The targets in part ``i``: the ``layer`` asked for, else each chosen view's RGB."""
    if layer not in (None, ""):
        return [Target(i, layer, f"{where}, layer {layer!r}")] if _has_rgb(p, layer) else []
    mv = _views(p)
    own = p.header.get("view") or (mv[0] if mv else None)
    out = []
    for lay, v in [("", own)] + [(v, v) for v in mv[1:]]:
        if views is not None and (v or "") not in views:
            continue
        if _has_rgb(p, lay):
            shown = f"{where}, " + (f"layer {lay!r}" if lay else "main RGB") + (f" (view {v})" if v else "")
            out.append(Target(i, lay, shown))
    return out


def _nothing_to_stylise(parts: Sequence[Plate], names: list[str], part: Any, view: Any,
                        layer: str | None) -> ChannelNotFoundError:
    """The error when nothing chosen has R, G, B: what each part has."""
    have = []
    for i, p in enumerate(parts):
        rgb = rgb_layers(p)
        view_note = f" view {p.header.get('view')}" if p.header.get("view") else ""
        have.append(f"{i} {names[i]!r}{view_note}: " + (", ".join(repr(x) if x else "main" for x in rgb)
                                                          if rgb else "no RGB"))
    asked = ", ".join(f"{k}={v!r}" for k, v in (("part", part), ("view", view), ("layer", layer))
                      if v not in (None, ""))
    return ChannelNotFoundError(f"nothing to stylise{' for ' + asked if asked else ''}: layers with "
                                f"R, G, B by part — {'; '.join(have)}")


def describe_targets(parts: Sequence[Plate], targets: Sequence[Target]) -> tuple[list[str], list[str]]:
    """``(stylised, carried)``: one line per target, and what passes through unchanged
    (whole parts not touched, and RGB layers of touched parts that were not chosen)."""
    chosen = {(t.part, t.layer) for t in targets}
    carried = []
    for i, p in enumerate(parts):
        name = _part_name(p, i)
        prefix = f"part {name!r}" if len(parts) > 1 else "the image"
        if not any(t.part == i for t in targets):
            n = len(p.channel_names)
            carried.append(f"{prefix} ({n} channel{'s' if n != 1 else ''})")
            continue
        rgb = [lay for lay in rgb_layers(p) if (i, lay) not in chosen]
        if rgb:
            carried.append(f"{prefix}: RGB of " + ", ".join(repr(x) if x else "the main layer" for x in rgb))
    return [t.label for t in targets], carried


def stylize_frame(frame: Plate | Frame, look: Any, settings: FrameSettings | Mapping[str, Any] | None = None, *,
                  stats: Any = None, **keywords: Any) -> Plate | Frame:
    """:func:`~vfx_nodes.engine.stylize` over a frame: every target of
    :func:`frame_targets` (from the settings' ``part``, ``view`` and ``layer``) stylised
    with the same ``stats`` when given, everything else carried along unchanged.  A plain
    Plate is stylised as ``stylize`` does."""
    from .pipeline import stylize

    fs = FrameSettings.make(settings, **keywords)
    if not isinstance(frame, Frame):
        if fs.part is None and fs.view is None:
            return stylize(frame, look, fs, stats=stats)
        frame = Frame([frame])
    out = Frame(frame)
    for t in frame_targets(frame, part=fs.part, view=fs.view, layer=fs.layer):
        out[t.part] = stylize(out[t.part], look, fs, stats=stats, layer=t.layer)
    return out


def collect_frame_stats(frames: Iterable[Plate | Frame], look: Any,
                        settings: FrameSettings | Mapping[str, Any] | None = None, **keywords: Any) -> Any:
    """:func:`~vfx_nodes.engine.collect_stats` over frames that may have several parts:
    the statistics are taken on each frame's first target and shared by every target
    (both eyes get the same normalisation).  Frames are read one at a time."""
    from .pipeline import collect_stats

    fs = FrameSettings.make(settings, **keywords)
    part, view, layer = fs.part, fs.view, fs.layer

    def pick(frame: Plate | Frame) -> tuple[Plate, str]:
        if isinstance(frame, Frame) or part is not None or view is not None:
            parts = frame if isinstance(frame, Frame) else Frame([frame])
            t = frame_targets(parts, part=part, view=view, layer=layer)[0]
            return parts[t.part], t.layer
        return frame, layer

    it = iter(frames)
    first = next(it, None)
    if first is None:
        return collect_stats([], look, fs)  # its own "no plates" error
    plate0, lay = pick(first)

    def plates() -> Iterable[Plate]:
        yield plate0
        for frame in it:
            yield pick(frame)[0]

    return collect_stats(plates(), look, fs, layer=lay)


def _planes(frame_plate: Any) -> list[Any]:
    return list(frame_plate) if isinstance(frame_plate, list) else [frame_plate]


def check_finite(source: Any, result: Any, frame: int, look: Any) -> None:
    """A look must not turn finite pixels into NaN/Inf (a damaged look, a numerical blow-up):
    one error naming the look and the frame, before the frame is written.

    Raises:
        LookError: some channel is NaN/Inf in ``result`` where ``source`` was finite.
    """
    for src, out in zip(_planes(source), _planes(result)):
        px = getattr(out, "pixels", None)
        if not isinstance(px, np.ndarray) or np.isfinite(px.sum(dtype=np.float64)):
            continue  # the common case: nothing non-finite at all (one pass)
        for name in out.channel_names:
            if not src.has_channel(name):
                continue
            bad = ~np.isfinite(out.channel(name)) & np.isfinite(src.channel(name))
            if bad.any():
                label = getattr(look, "path", None) or getattr(look, "name", None) or "the look"
                raise LookError(f"frame {frame}: {label} turned {int(bad.sum())} finite pixel(s) of channel "
                                f"{name!r} into NaN/Inf; nothing was written for this frame — the look is "
                                "damaged or overflows on this plate (export or train it again)")
