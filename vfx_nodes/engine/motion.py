"""Motion between the frames of a shot: the plate's own vectors, else optical flow.

One field is used everywhere: :class:`Motion` for a frame ``t`` holds, for every pixel of
frame ``t``'s data window, the displacement ``(dx, dy)`` **to where that pixel was in
frame t−1**, in pixels, x to the right and **y down** (the array's row order), plus a
confidence in 0–1 (0 = occluded, disoccluded, outside the previous frame, or the motion
is not to be trusted). Warping the previous frame with it (:func:`warp`) lines it up
with frame ``t``. Every convention below is turned into this one on reading.

Motion comes from:

* the plate's **vectors** (:data:`CONVENTIONS`), found by layer name or named with
  ``motion_layer`` — Nuke's ``forward``/``backward`` (u right, v up, pixels; forward =
  where the pixel is in the next frame, backward = where it was in the previous one),
  Arnold's ``motionvector`` (screen-space motion over the frame, current → next), Blender's
  ``Vector`` pass (XY previous → current, ZW current → next, Y up). A field that only
  points forward is inverted (a fixed-point iteration on the previous frame's forward
  field);
* **optical flow** computed from the two frames (OpenCV's DIS, Kroeger et al. 2016 —
  no weights to download), forward and backward, on a display-like encoding of the plates.

Confidence (Sundaram, Brox & Keutzer 2010, "Dense point trajectories by GPU-accelerated
large displacement optical flow"): where both directions are known, a pixel is occluded
when going back and forward again does not return to it (``|b + f(p+b)|² > 0.01 (|b|² +
|f|²) + 0.5``) or it sits on a motion boundary; in every mode the previous frame warped
along the motion must also look like this frame (a photometric check on a display-like
encoding) — which also catches wrong vectors.

Frames sit on the display canvas: data windows that move from frame to frame still line
up, and pixels whose source lies outside the previous frame's data window get
confidence 0.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import MotionError
from ..plate import Plate

__all__ = [
    "CONVENTIONS",
    "MOTION_SOURCES",
    "Convention",
    "Motion",
    "VectorLayer",
    "find_vectors",
    "flow_available",
    "motion_between",
    "motion_offset",
    "no_vectors",
    "optical_flow",
    "vector_fields",
    "warp",
]

#: where motion comes from: the plate's vectors, optical flow, or vectors when the plate
#: has them, else flow
MOTION_SOURCES = ("vectors", "flow", "auto")


@dataclasses.dataclass(frozen=True)
class Convention:
    """How one renderer or host writes motion vectors into an EXR.

    Attributes:
        name: the convention's name (``motion_layer="LAYER:NAME"`` picks it).
        layers: layer names it is found under (case-insensitive).
        forward: the two channel suffixes of the current → next vector, or ``None``.
        backward: the two channel suffixes of the vector to the previous frame, or ``None``.
        backward_sign: ``-1`` when the "backward" pair is stored as previous → current
            motion (Blender), ``+1`` when it points to where the pixel was (Nuke).
        y_up: the vertical component counts upwards (image rows count down).
        source: where the convention is documented.
    """

    name: str
    layers: tuple[str, ...]
    forward: tuple[str, str] | None
    backward: tuple[str, str] | None
    backward_sign: int
    y_up: bool
    source: str


#: The conventions read, in the order ``motion_layer=None`` looks for them.
CONVENTIONS: dict[str, Convention] = {c.name: c for c in (
    Convention("nuke-backward", ("backward",), None, ("u", "v"), +1, True,
               "Nuke: the backward layer (u, v) points to where the pixel was in the previous frame"),
    Convention("nuke-forward", ("forward",), ("u", "v"), None, +1, True,
               "Nuke: the forward layer (u, v) points to where the pixel is in the next frame"),
    Convention("nuke-motion", ("motion",), ("u", "v"), None, +1, True,
               "Nuke: the motion layer's u, v are the forward vectors"),
    Convention("blender", ("vector",), ("Z", "W"), ("X", "Y"), -1, True,
               "Blender Vector pass: X, Y motion from the previous frame, Z, W to the next, in pixels"),
    Convention("arnold", ("motionvector", "motion_vector", "mv"), ("R", "G"), None, +1, True,
               "Arnold motionvector AOV (raw pixels, time0 = 0, time1 = 1): current → next frame"),
)}

# component spellings accepted for a convention's suffix (Arnold writes R/G or X/Y)
_COMPONENT_ALIASES = {"R": ("R", "X", "x", "u", "r"), "G": ("G", "Y", "y", "v", "g"),
                      "u": ("u", "U"), "v": ("v", "V"), "X": ("X", "x"), "Y": ("Y", "y"),
                      "Z": ("Z", "z"), "W": ("W", "w")}


@dataclasses.dataclass(frozen=True)
class VectorLayer:
    """Motion vectors found in a plate: the layer, its convention and channel names."""

    layer: str
    convention: Convention
    forward: tuple[str, str] | None
    backward: tuple[str, str] | None


@dataclasses.dataclass(frozen=True)
class Motion:
    """The motion of frame t to frame t−1, over frame t's data window.

    Attributes:
        backward: ``H×W×2`` float32, ``(dx, dy)`` to where each pixel was in frame t−1
            (pixels, y down), on the display canvas.
        confidence: ``H×W`` float32 in 0–1; 0 where frame t−1 shows something else.
        source: what the motion came from (``"vectors:nuke-backward forward"``, ``"flow:dis"``).
    """

    backward: np.ndarray
    confidence: np.ndarray
    source: str


# --- vectors in the plate ------------------------------------------------------------------


def _find_channel(plate: Plate, layer: str, suffix: str) -> str | None:
    names = set(plate.channel_names)
    for alias in _COMPONENT_ALIASES.get(suffix, (suffix,)):
        if f"{layer}.{alias}" in names:
            return f"{layer}.{alias}"
    return None


def _pair(plate: Plate, layer: str, suffixes: tuple[str, str] | None) -> tuple[str, str] | None:
    if suffixes is None:
        return None
    a, b = (_find_channel(plate, layer, s) for s in suffixes)
    return (a, b) if a and b else None


def _layer_candidates(plate: Plate, names: Sequence[str], view: str | None) -> list[str]:
    """Layers of ``plate`` spelled like one of ``names`` — for ``view``, OpenEXR's
    multi-view naming ``layer.view.channel`` first, then the plain layer."""
    lower = {lay.lower(): lay for lay in plate.layers}
    out = []
    for n in names:
        for cand in ([f"{n}.{view}"] if view else []) + [n]:
            hit = lower.get(cand.lower())
            if hit is None:  # Blender's multi-layer EXRs prefix the view layer: ViewLayer.Vector
                hit = next((lay for low, lay in lower.items() if low.endswith("." + cand.lower())), None)
            if hit is not None and hit not in out:
                out.append(hit)
    return out


def _view_of(plate: Plate, layer: str) -> str | None:
    """The view a stylised layer belongs to: the layer itself when it is one of the
    plate's views, else the plate's own (first) view."""
    mv = plate.header.get("multiView")
    views = [str(v) for v in mv] if isinstance(mv, (list, tuple)) else ([mv] if isinstance(mv, str) else [])
    if layer and layer in views:
        return layer
    own = plate.header.get("view")
    return str(own) if own else (views[0] if views else None)


def _parse_motion_layer(motion_layer: str) -> tuple[str, Convention | None]:
    name, _, conv = motion_layer.partition(":")
    if not conv:
        return name.strip(), None
    if conv.strip() not in CONVENTIONS:
        from ..errors import close_matches

        raise MotionError(f"motion_layer {motion_layer!r}: unknown convention {conv.strip()!r}; "
                          f"known: {', '.join(CONVENTIONS)}{close_matches(conv.strip(), CONVENTIONS)}")
    return name.strip(), CONVENTIONS[conv.strip()]


def _guess_convention(layer: str) -> Convention | None:
    """The convention a layer's name says (``forward.left`` → nuke-forward,
    ``ViewLayer.Vector`` → blender)."""
    parts = [p.lower() for p in layer.split(".")]
    for conv in CONVENTIONS.values():
        if any(p in conv.layers for p in parts):
            return conv
    return None


def find_vectors(plate: Plate, *, motion_layer: str | None = None, layer: str = "") -> VectorLayer | None:
    """The motion vectors of ``plate`` for the stylised ``layer`` (its view, for stereo).

    Args:
        plate: the frame.
        motion_layer: ``"LAYER"`` or ``"LAYER:CONVENTION"`` (see :data:`CONVENTIONS`);
            ``None`` = look for each convention's layer names in turn.
        layer: the stylised layer (a view name picks that view's vectors).

    Returns:
        The vectors found, or ``None`` when ``motion_layer`` is ``None`` and there are none.

    Raises:
        MotionError: ``motion_layer`` names a layer the plate lacks, or whose channels or
            convention cannot be told (the message lists what the plate has).
    """
    view = _view_of(plate, layer)
    if motion_layer is None or not str(motion_layer).strip():
        for known in CONVENTIONS.values():
            for lay in _layer_candidates(plate, known.layers, view):
                fwd, bwd = _pair(plate, lay, known.forward), _pair(plate, lay, known.backward)
                if fwd or bwd:
                    return VectorLayer(lay, known, fwd, bwd)
        return None
    name, named = _parse_motion_layer(str(motion_layer))
    found = _layer_candidates(plate, [name], view)
    if not found:
        have = ", ".join(repr(lay) for lay in plate.layers if lay) or "none"
        raise MotionError(f"motion_layer {name!r}: the plate{_from(plate)} has no such layer "
                          f"(layers: {have})")
    lay = found[0]
    conv = named or _guess_convention(lay)
    if conv is None:
        raise MotionError(f"motion_layer {name!r}: cannot tell how its vectors are written; name the "
                          f"convention, e.g. motion_layer='{name}:nuke-forward' (known: {', '.join(CONVENTIONS)})")
    fwd, bwd = _pair(plate, lay, conv.forward), _pair(plate, lay, conv.backward)
    if not (fwd or bwd):
        chans = [c for c in plate.channel_names if c.startswith(lay + ".")]
        raise MotionError(f"motion_layer {lay!r} ({conv.name}) lacks the channels it needs "
                          f"({conv.forward or conv.backward}); it has {chans}")
    return VectorLayer(lay, conv, fwd, bwd)


def no_vectors(plate: Plate, layer: str = "") -> MotionError:
    """The one error for a frame that has no motion vectors where they were asked for."""
    names = sorted({n for c in CONVENTIONS.values() for n in c.layers})
    where = f" (layer {layer!r})" if layer else ""
    return MotionError(f"frame{_from(plate)}{where} has no motion vectors (looked for layers {names}); "
                       "name them with motion_layer=, or use temporal='flow' for optical flow")


def _from(plate: Plate) -> str:
    return f" {plate.source}" if getattr(plate, "source", None) else ""


def _field(plate: Plate, names: tuple[str, str], y_up: bool, sign: float) -> np.ndarray:
    xy = plate.channels(names).astype(np.float32)
    bad = ~np.isfinite(xy)
    if bad.any():
        raise MotionError(f"motion vectors {names[0]}/{names[1]} of{_from(plate)} hold {int(bad.any(-1).sum())} "
                          "non-finite pixels (NaN/Inf); fix the vectors or use temporal='flow'")
    xy *= sign
    if y_up:
        xy[..., 1] *= -1.0
    return xy


def vector_fields(plate: Plate, vectors: VectorLayer) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(forward, backward)`` of ``plate`` in this module's convention (pixels, y down):
    forward = to the pixel's place in the next frame, backward = in the previous one.

    Raises:
        MotionError: the vectors hold NaN or Inf.
    """
    conv = vectors.convention
    fwd = _field(plate, vectors.forward, conv.y_up, 1.0) if vectors.forward else None
    bwd = _field(plate, vectors.backward, conv.y_up, float(conv.backward_sign)) if vectors.backward else None
    return fwd, bwd


# --- optical flow --------------------------------------------------------------------------


def flow_available() -> bool:
    """OpenCV (``opencv-python-headless``) is installed, so optical flow can be computed."""
    try:
        import cv2  # noqa: F401
    except ImportError:
        return False
    return True


def _cv2() -> Any:
    try:
        import cv2
    except ImportError as exc:
        raise MotionError("optical flow needs OpenCV: pip install opencv-python-headless "
                          "(or give the plates motion vectors and use temporal='vectors')") from exc
    return cv2


def optical_flow(grey_from: np.ndarray, grey_to: np.ndarray) -> np.ndarray:
    """Dense flow from one 8-bit grey image to another: ``H×W×2`` float32 ``(dx, dy)``
    such that ``grey_from(p) ≈ grey_to(p + flow(p))`` — OpenCV's DIS optical flow
    (Kroeger et al. 2016, "Fast Optical Flow using Dense Inverse Search"), preset MEDIUM.
    """
    cv2 = _cv2()
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    flow = dis.calc(np.ascontiguousarray(grey_from), np.ascontiguousarray(grey_to), None)
    return np.ascontiguousarray(flow, dtype=np.float32)


def grey8(display: np.ndarray) -> np.ndarray:
    """An ``H×W×3`` display-encoded image (0–1) as the 8-bit luma optical flow runs on."""
    y = display[..., 0] * 0.2126 + display[..., 1] * 0.7152 + display[..., 2] * 0.0722
    return np.clip(np.nan_to_num(y) * 255.0 + 0.5, 0, 255).astype(np.uint8)


# --- warping -------------------------------------------------------------------------------


def _maps(backward: np.ndarray, offset: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    h, w = backward.shape[:2]
    xs = np.arange(w, dtype=np.float32)[None, :] + np.float32(offset[0])
    ys = np.arange(h, dtype=np.float32)[:, None] + np.float32(offset[1])
    return (backward[..., 0] + xs).astype(np.float32), (backward[..., 1] + ys).astype(np.float32)


def warp(image: np.ndarray, backward: np.ndarray, offset: tuple[float, float] = (0.0, 0.0), *,
         interpolation: str = "linear") -> tuple[np.ndarray, np.ndarray]:
    """The previous frame's ``image`` lined up with this frame along ``backward``.

    Args:
        image: ``h×w`` or ``h×w×C`` float array of frame t−1 (its data window).
        backward: ``H×W×2`` displacement of frame t's pixels to frame t−1 (y down).
        offset: frame t's data-window origin minus frame t−1's (``(xmin, ymin)``), so
            windows that move between frames line up on the display canvas.
        interpolation: ``"linear"`` (masks, vectors, matching), ``"cubic"`` or
            ``"lanczos"`` (8×8 Lanczos: what is resampled again every frame, so that
            repeated warps keep the finest detail — a bicubic warp repeated over a
            dozen frames visibly softens 2–4 px strokes).

    Returns:
        ``(warped, inside)``: ``H×W[×C]`` samples, and a float32 ``H×W`` mask, 1
        where the sample lies inside frame t−1's data window (0 outside: those samples
        are 0).
    """
    cv2 = _cv2()
    mx, my = _maps(backward, offset)
    src = np.ascontiguousarray(image, dtype=np.float32)
    h, w = src.shape[:2]
    inside = ((mx >= -0.5) & (mx <= w - 0.5) & (my >= -0.5) & (my <= h - 0.5)).astype(np.float32)
    flat = src.reshape(h, w, -1)
    # remap handles at most 4 channels at a time
    how = {"linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC, "lanczos": cv2.INTER_LANCZOS4}[interpolation]
    out = np.concatenate([cv2.remap(flat[..., c:c + 4], mx, my, how, borderMode=cv2.BORDER_REPLICATE)
                          .reshape(mx.shape[0], mx.shape[1], -1) for c in range(0, flat.shape[2], 4)], axis=2)
    out *= inside[..., None]
    return (out[..., 0] if image.ndim == 2 else out), inside


def invert_forward(forward_prev: np.ndarray, shape: tuple[int, int], offset: tuple[float, float] = (0.0, 0.0),
                   iterations: int = 8) -> np.ndarray:
    """A backward field for frame t from frame t−1's forward field: ``b(p) = −f(p + b(p))``,
    solved by fixed-point iteration from ``b = −f(p)`` (converges where the motion is
    smooth; where it does not — occlusions — the consistency check flags it)."""
    h, w = shape
    b = np.zeros((h, w, 2), np.float32)
    for _ in range(iterations):
        f, _inside = warp(forward_prev, b, offset)
        b = -f
    return b


def consistency(backward: np.ndarray, forward_prev: np.ndarray, offset: tuple[float, float] = (0.0, 0.0)
                ) -> np.ndarray:
    """1 where backward and forward motion agree and the pixel is not on a motion boundary,
    else 0 (Sundaram et al. 2010, eqs. 4–5)."""
    f, inside = warp(forward_prev, backward, offset)
    sq = lambda v: v[..., 0] * v[..., 0] + v[..., 1] * v[..., 1]  # noqa: E731
    s = backward + f
    b2 = sq(backward)
    agree = sq(s) <= 0.01 * (b2 + sq(f)) + 0.5
    gy, gx = np.gradient(backward, axis=(0, 1))
    boundary = sq(gx) + sq(gy) > 0.01 * b2 + 0.002
    return (agree & ~boundary).astype(np.float32) * inside


def photometric(display_cur: np.ndarray, display_prev: np.ndarray, backward: np.ndarray,
                offset: tuple[float, float] = (0.0, 0.0), tolerance: float = 0.04) -> np.ndarray:
    """Confidence from appearance: 1 where frame t−1 warped along the motion matches frame
    t on the display-like encoding (largest channel difference ≤ ``tolerance``), falling to 0
    at twice that; 0 outside frame t−1."""
    warped, inside = warp(display_prev, backward, offset)
    d = np.abs(np.nan_to_num(warped - display_cur))
    diff = np.maximum(np.maximum(d[..., 0], d[..., 1]), d[..., 2])  # faster than max(-1)
    return np.clip(2.0 - diff / tolerance, 0.0, 1.0).astype(np.float32) * inside


# --- the field for a frame pair -----------------------------------------------------------


def _offset(cur: Plate, prev: Plate) -> tuple[float, float]:
    return (float(cur.data_window[0] - prev.data_window[0]), float(cur.data_window[1] - prev.data_window[1]))


def _resized_field(field: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A displacement field (pixels) brought to ``size`` (H, W): resampled and rescaled."""
    h, w = field.shape[:2]
    if (h, w) == size:
        return field
    out = _resized(field, size, area=True)
    out[..., 0] *= size[1] / w
    out[..., 1] *= size[0] / h
    return out


def _from_vectors(cur: Plate, prev: Plate, motion_layer: str | None, layer: str,
                  sizes: tuple[tuple[int, int], tuple[int, int]] | None = None,
                  ) -> tuple[np.ndarray, np.ndarray | None, str] | None:
    """``(backward, forward of t−1 or None, description)`` from the plates' vectors, at
    ``sizes`` (this frame's, the previous frame's; default: the plates' own)."""
    vec = find_vectors(cur, motion_layer=motion_layer, layer=layer)
    if vec is None:
        return None
    # only what the pair needs: this frame's backward field and the previous frame's forward one
    bwd = vector_fields(cur, dataclasses.replace(vec, forward=None))[1]
    prev_vec = find_vectors(prev, motion_layer=motion_layer, layer=layer)
    fwd_prev = (vector_fields(prev, dataclasses.replace(prev_vec, backward=None))[0]
                if prev_vec is not None and prev_vec.forward else None)
    size, size_prev = sizes or (cur.pixels.shape[:2], prev.pixels.shape[:2])
    offset = motion_offset(cur, prev, size)
    if fwd_prev is not None:
        fwd_prev = _resized_field(fwd_prev, size_prev)
    if bwd is None:
        if fwd_prev is None:
            raise MotionError(f"motion layer {vec.layer!r} ({vec.convention.name}) only points forward and the "
                              f"previous frame{_from(prev)} has no such vectors to invert")
        bwd = invert_forward(fwd_prev, size, offset)
    return _resized_field(bwd, size), fwd_prev, f"vectors:{vec.convention.name} {vec.layer}"


def motion_offset(cur: Plate, prev: Plate, size: tuple[int, int]) -> tuple[float, float]:
    """Frame t's data-window origin minus frame t−1's, in the pixels of frame t's motion
    grid (``size`` over its data window): the ``offset`` :func:`warp` takes."""
    ox, oy = _offset(cur, prev)
    h, w = cur.pixels.shape[:2]
    return ox * size[1] / w, oy * size[0] / h


def motion_between(cur: Plate, prev: Plate, display_cur: np.ndarray, display_prev: np.ndarray, *,
                   source: str = "auto", motion_layer: str | None = None, layer: str = "") -> Motion:
    """The motion of frame ``cur`` back to frame ``prev``, with its confidence.

    Args:
        cur, prev: the two frames (plates, any data windows).
        display_cur, display_prev: their stylised layer on a display-like encoding (``H×W×3``,
            0–1): the photometric check and optical flow use it. Given smaller than the
            plates (resampled over their data windows), the motion is made at their size, in
            their pixels — what a carry on a coarser grid needs, at a fraction of the cost.
        source: ``"vectors"`` (the plates' own; :class:`MotionError` when absent),
            ``"flow"`` (optical flow), ``"auto"`` (vectors when the plate has them, else flow).
        motion_layer: the vectors' layer (``"LAYER"`` or ``"LAYER:CONVENTION"``).
        layer: the stylised layer (its view's vectors are used).

    Raises:
        MotionError: no vectors with ``source="vectors"``; vectors that are
            non-finite; optical flow without OpenCV; an unknown ``source``.
    """
    if source not in MOTION_SOURCES:
        raise MotionError(f"motion source {source!r}: choose one of {', '.join(MOTION_SOURCES)}")
    size = display_cur.shape[:2]
    offset = motion_offset(cur, prev, size)
    got = None if source == "flow" else _from_vectors(cur, prev, motion_layer, layer, (size, display_prev.shape[:2]))
    if got is None and source == "vectors":
        raise no_vectors(cur, layer)
    if got is not None:
        bwd, fwd_prev, what = got
    else:
        if size != cur.pixels.shape[:2] and (cur.data_window != prev.data_window):
            # a coarser grid over windows that move: match at full size's placement
            display_prev = _resized(display_prev, prev.pixels.shape[:2])
            display_prev = _resized(_on_grid(display_prev, prev, cur), size)
        else:
            display_prev = _on_grid(display_prev, prev, cur)
        g_cur = grey8(display_cur)
        g_prev = grey8(display_prev)
        bwd, fwd_prev = _flow_both_ways(g_cur, g_prev)
        offset_used = (0.0, 0.0)  # the flow was computed on frame t's grid
        conf = consistency(bwd, fwd_prev, offset_used) * photometric(display_cur, display_prev, bwd, offset_used)
        conf *= _inside_prev(bwd, cur, prev)
        return Motion(bwd, conf, "flow:dis")
    conf = photometric(display_cur, display_prev, bwd, offset)
    if fwd_prev is not None:
        conf *= consistency(bwd, fwd_prev, offset)
    return Motion(bwd, conf, what)


#: frames larger than this (pixels) get their optical flow from a half-resolution pass,
#: upsampled: DIS's cost grows with the pixel count, and its patches (8–12 px) find the
#: same motion at half size on HD plates
FLOW_FULL_RES_LIMIT = 1_200_000


def _flow_both_ways(g_cur: np.ndarray, g_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(backward of frame t, forward of frame t−1) by DIS, at half resolution on large frames."""
    if g_cur.size <= FLOW_FULL_RES_LIMIT:
        return optical_flow(g_cur, g_prev), optical_flow(g_prev, g_cur)
    cv2 = _cv2()
    h, w = g_cur.shape
    small = [cv2.resize(g, (w // 2, h // 2), interpolation=cv2.INTER_AREA) for g in (g_cur, g_prev)]

    def up(flow: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) * 2.0, np.float32)

    return up(optical_flow(small[0], small[1])), up(optical_flow(small[1], small[0]))


def _on_grid(arr: np.ndarray, src: Plate, dst: Plate) -> np.ndarray:
    """``arr`` (over ``src``'s data window) placed on ``dst``'s data window: pixels
    outside ``src`` repeat its nearest edge (flow needs no holes; confidence marks them)."""
    sx0, sy0, sx1, sy1 = src.data_window
    dx0, dy0, dx1, dy1 = dst.data_window
    if (sx0, sy0, sx1, sy1) == (dx0, dy0, dx1, dy1):
        return arr
    xs = np.clip(np.arange(dx0, dx1 + 1) - sx0, 0, sx1 - sx0)
    ys = np.clip(np.arange(dy0, dy1 + 1) - sy0, 0, sy1 - sy0)
    return np.ascontiguousarray(arr[ys][:, xs])


def _inside_prev(backward: np.ndarray, cur: Plate, prev: Plate) -> np.ndarray:
    """1 where frame t's pixel came from inside frame t−1's data window (``backward`` on
    frame t's grid, which may be coarser than its pixels)."""
    h, w = cur.pixels.shape[:2]
    fx, fy = backward.shape[1] / w, backward.shape[0] / h
    sx0, sy0, sx1, sy1 = prev.data_window
    mx, my = _maps(backward, (cur.data_window[0] * fx, cur.data_window[1] * fy))
    return ((mx >= (sx0 - 0.5) * fx) & (mx <= (sx1 + 0.5) * fx) & (my >= (sy0 - 0.5) * fy)
            & (my <= (sy1 + 0.5) * fy)).astype(np.float32)


def _resized(image: np.ndarray, size: tuple[int, int], *, area: bool = False) -> np.ndarray:
    """``image`` at ``size`` (H, W): bilinear, or averaged (``area``) for fields and masks."""
    if image.shape[:2] == size:
        return image
    cv2 = _cv2()
    how = cv2.INTER_AREA if area else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(image, (size[1], size[0]), interpolation=how), np.float32)
