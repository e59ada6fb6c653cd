"""Colour conversions through OCIO: arrays, plates, displays and views.

Every conversion is OCIO's (no hand-written curves).  Processors are built once per
(config cache id, transform, direction) and kept in a small thread-safe cache; OCIO's CPU
processors are themselves safe to share between threads, so tiles can be converted
concurrently.

CPU processors are optimised for packed float32 RGB with OCIO's default optimisation
**minus** ``OPTIMIZATION_FAST_LOG_EXP_POW``: OCIO's SSE approximations of log/exp/pow
cost about 4e-5 relative error per ACEScg ↔ sRGB round trip (against 5e-7 without) and
turn NaN into finite numbers in log curves, and save only a third of the time: the
precise processors took 1.4–1.6× as long (ACEScg → sRGB: 0.065 vs 0.04 s per megapixel
on one idle core, 0.23 vs 0.14 s under load; alternating medians of 11 runs, OCIO 2.6.0,
this project's 2-core machine) — noise next to a neural network's cost per frame.

Non-finite values (NaN, +Inf, -Inf)
    OCIO itself has no single rule: a 3×3 matrix (ACEScg ↔ ACES2065-1 or ↔ linear
    Rec.709, the first step of most conversions) spreads a NaN in one channel to all
    three channels of the pixel and turns one Inf into ±Inf in all three; the ACEScct
    log curve keeps NaN per channel, but with the fast approximations turns it into a
    finite number; the ACES 2.0 output transforms map NaN to 0 and Inf to 1.  This
    module therefore fixes one rule for every conversion it runs: **each channel that is
    NaN or ±Inf in the input is returned unchanged (same value, same sign), and the
    finite channels of that pixel are converted as if the non-finite ones were 0**.
    Nothing spreads to other channels or to other pixels (every OCIO op used here is
    per-pixel), and QC tools still find the bad pixels where they were.
Negative values
    go through OCIO's transform as it defines them, without clamping: matrices are
    linear; the sRGB (``ExponentWithLinearTransform``) and ACEScct curves continue their
    linear toe below 0, so negatives convert and invert exactly; display/view transforms
    (ACES output transforms) clip to the display's range — that is what a view is for.
Finite but huge values
    are converted as OCIO computes them and may overflow float32 to ±Inf (e.g. 1e30 in
    ACEScct); they are not clamped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np
import PyOpenColorIO as ocio

from ..errors import ColorConfigError, ColorError
from ..plate import Plate
from ..policy.colour import DEFAULT_PLATE_SPACE
from .alpha import premultiply, unpremultiply
from .config import ConfigLike, config_source, get_config
from .names import resolve_colorspace, resolve_display_view

__all__ = [
    "ALPHA_MODES",
    "OPTIMIZATION",
    "convert_plate",
    "convert_rgb",
    "display_view_plate",
    "display_view_rgb",
    "get_display_view_processor",
    "get_processor",
]

#: Accepted values of the ``alpha=`` argument of the plate functions.
ALPHA_MODES = ("premultiplied", "straight", "ignore")

#: OCIO optimisation used for every CPU processor (see the module notes).
OPTIMIZATION = ocio.OptimizationFlags(
    int(ocio.OPTIMIZATION_DEFAULT) & ~int(ocio.OPTIMIZATION_FAST_LOG_EXP_POW))

_MAX_PROCESSORS = 256
_lock = threading.Lock()
_processors: OrderedDict[Hashable, ocio.CPUProcessor] = OrderedDict()


def _clear_processors() -> None:
    with _lock:
        _processors.clear()


def _cached(key: Hashable, build: Callable[[], ocio.Processor]) -> ocio.CPUProcessor:
    with _lock:
        proc = _processors.get(key)
        if proc is not None:
            _processors.move_to_end(key)
            return proc
    # Built outside the lock: OCIO may take milliseconds (ACES 2.0 output transforms),
    # and two threads building the same processor waste a little work but never block.
    cpu = build().getOptimizedCPUProcessor(ocio.BIT_DEPTH_F32, ocio.BIT_DEPTH_F32, OPTIMIZATION)
    with _lock:
        cpu = _processors.setdefault(key, cpu)
        _processors.move_to_end(key)
        while len(_processors) > _MAX_PROCESSORS:
            _processors.popitem(last=False)
    return cpu


def get_processor(src: str, dst: str, config: ConfigLike = None) -> ocio.CPUProcessor:
    """The cached float32 CPU processor converting colourspace ``src`` to ``dst``.

    Args:
        src: source colourspace, alias or role.
        dst: destination colourspace, alias or role.
        config: see :func:`~vfx_nodes.color.get_config`.

    Raises:
        ColorSpaceError: an unknown name.
        ColorConfigError: OCIO cannot build the conversion in this config.
    """
    cfg = get_config(config)
    s, d = resolve_colorspace(src, cfg), resolve_colorspace(dst, cfg)
    key = (cfg.getCacheID(), "cs", s, d)
    return _cached(key, lambda: _build(cfg, lambda: cfg.getProcessor(s, d), f"{s!r} to {d!r}"))


def get_display_view_processor(src: str, display: str | None = None, view: str | None = None, *,
                               inverse: bool = False, config: ConfigLike = None) -> ocio.CPUProcessor:
    """The cached float32 CPU processor of a display/view (``DisplayViewTransform``).

    Args:
        src: the scene-side colourspace (alias, role).
        display: display name; ``None`` = the config's default display.
        view: view name; ``None`` = the config's default view for ``src``.
        inverse: ``True`` for display-referred → ``src``.
        config: see :func:`~vfx_nodes.color.get_config`.
    """
    cfg = get_config(config)
    s = resolve_colorspace(src, cfg)
    disp, v = resolve_display_view(display, view, src=s, config=cfg)
    direction = ocio.TRANSFORM_DIR_INVERSE if inverse else ocio.TRANSFORM_DIR_FORWARD
    key = (cfg.getCacheID(), "dv", s, disp, v, bool(inverse))

    def make() -> ocio.Processor:
        return cfg.getProcessor(ocio.DisplayViewTransform(src=s, display=disp, view=v, direction=direction))

    what = f"{s!r} {'from' if inverse else 'to'} display {disp!r}, view {v!r}"
    return _cached(key, lambda: _build(cfg, make, what))


def _build(cfg: ocio.Config, make: Callable[[], ocio.Processor], what: str) -> ocio.Processor:
    try:
        return make()
    except ocio.Exception as exc:
        raise ColorConfigError(
            f"OCIO config {config_source(cfg)} cannot convert {what}: {exc}") from None


def _as_rgb(rgb: np.ndarray) -> np.ndarray:
    """A new C-contiguous float32 copy of ``rgb`` after checking its shape."""
    arr = np.asarray(rgb)
    if arr.ndim < 1 or arr.shape[-1] != 3:
        raise ColorError(f"rgb must have 3 values on its last axis (H×W×3 or N×3), got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise ColorError(f"rgb must hold real numbers, got dtype {arr.dtype}")
    return np.array(arr, dtype=np.float32, order="C", copy=True)


def _apply(cpu: ocio.CPUProcessor, out: np.ndarray) -> np.ndarray:
    """Apply ``cpu`` in place on ``out`` (our own copy) under the non-finite rule."""
    if out.size == 0 or cpu.isNoOp():
        return out
    bad = ~np.isfinite(out)
    if bad.any():
        kept = out[bad]
        out[bad] = 0.0
        cpu.applyRGB(out)
        out[bad] = kept
    else:
        cpu.applyRGB(out)
    return out


def convert_rgb(rgb: np.ndarray, src: str, dst: str, *, config: ConfigLike = None,
                out: np.ndarray | None = None) -> np.ndarray:
    """Convert RGB values from colourspace ``src`` to ``dst`` with OCIO.

    Args:
        rgb: ``H×W×3`` or ``N×3`` (any shape ending in 3) real numbers; float32 is used
            as is, other dtypes are converted to float32.  Never modified.
        src: source colourspace, alias or role (``"ACEScg"``, ``"scene_linear"``).
        dst: destination colourspace, alias or role.
        config: see :func:`~vfx_nodes.color.get_config`.
        out: a C-contiguous float32 array of ``rgb``'s shape to convert into (``rgb``
            itself converts in place); default a new array.  The frame recipe converts
            strips of a frame in place, in parallel (OCIO releases the GIL).

    Returns:
        ``out``, or a new C-contiguous float32 array of the same shape.  NaN/Inf channels are kept
        as they are and negatives go through the transform (see the module notes).
        When ``src`` and ``dst`` name the same colourspace the result is a plain copy.

    Raises:
        ColorError: ``rgb`` does not end in 3 values or is not numeric.
        ColorSpaceError: an unknown colourspace name (the message lists close names).

    Example:
        >>> convert_rgb(np.ones((2, 2, 3), np.float32), "ACEScg", "ACES2065-1").shape
        (2, 2, 3)
    """
    out = _as_rgb(rgb) if out is None else _into(rgb, out)
    cfg = get_config(config)
    s, d = resolve_colorspace(src, cfg), resolve_colorspace(dst, cfg)
    if s == d:
        return out
    return _apply(get_processor(s, d, cfg), out)


def _into(rgb: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out`` holding ``rgb``'s values, after checking it can be converted in place."""
    if not (isinstance(out, np.ndarray) and out.dtype == np.float32 and out.flags.c_contiguous
            and out.flags.writeable and out.shape == np.shape(rgb) and out.shape[-1:] == (3,)):
        raise ColorError(f"out must be a writeable C-contiguous float32 array of shape {np.shape(rgb)}")
    if rgb is not out:
        np.copyto(out, rgb)
    return out


def display_view_rgb(rgb: np.ndarray, src: str, display: str | None = None, view: str | None = None,
                     *, inverse: bool = False, config: ConfigLike = None) -> np.ndarray:
    """Apply a display/view (OCIO ``DisplayViewTransform``) to RGB values, or its inverse.

    Args:
        rgb: ``(..., 3)`` values; scene-side (in ``src``) for the forward direction,
            display-referred for ``inverse=True``.  Never modified.
        src: the scene-side colourspace, alias or role.
        display: display name; ``None`` = the config's default display.
        view: view name; ``None`` = the config's default view for ``src`` (OCIO viewing
            rules).
        inverse: ``False``: ``src`` → display; ``True``: display → ``src``.
        config: see :func:`~vfx_nodes.color.get_config`.

    Returns:
        A new float32 array of the same shape.  Views clip to the display's range
        (forward); NaN/Inf channels are kept as they are (see the module notes).

    Raises:
        ColorSpaceError: unknown colourspace, display or view.
    """
    out = _as_rgb(rgb)
    return _apply(get_display_view_processor(src, display, view, inverse=inverse, config=config), out)


def _check_alpha_mode(alpha: str) -> None:
    if alpha not in ALPHA_MODES:
        raise ColorError(f"alpha must be one of {', '.join(map(repr, ALPHA_MODES))}, got {alpha!r}")


def _convert_layer(plate: Plate, layer: str, alpha: str,
                   fn: Callable[[np.ndarray], np.ndarray]) -> Plate:
    """Run ``fn`` on the RGB of ``layer`` under the alpha mode; other channels ride along."""
    names = plate.rgb_names(layer)
    rgb = plate.channels(names)
    a_name = plate.alpha_name(layer) if alpha == "premultiplied" else None
    if a_name is not None:
        a = plate.channel(a_name)
        new = premultiply(fn(unpremultiply(rgb, a)), a)
    else:
        new = fn(rgb)
    return plate.with_channels({n: new[:, :, i] for i, n in enumerate(names)})


def convert_plate(plate: Plate, dst: str, *, src: str | None = None, layer: str = "",
                  config: ConfigLike = None, alpha: str = "premultiplied") -> Plate:
    """A new Plate whose ``layer`` RGB is converted to colourspace ``dst``.

    Args:
        plate: the plate; never modified.
        dst: destination colourspace, alias or role.
        src: the colourspace of the layer's RGB; default ``plate.colorspace``, else
            :data:`~vfx_nodes.policy.colour.DEFAULT_PLATE_SPACE` (``scene_linear``).
        layer: ``""`` for the main ``R``/``G``/``B`` (see :meth:`Plate.rgb_names`),
            else a layer prefix (``"diffuse"`` for ``diffuse.R`` ...).
        config: see :func:`~vfx_nodes.color.get_config`.
        alpha: ``"premultiplied"`` (default; EXR's convention): unpremultiply by the
            layer's alpha (:meth:`Plate.alpha_name`, falling back to the main ``A``),
            convert, premultiply again — pixels with alpha ≤ 0 are converted as they
            stand (see :mod:`vfx_nodes.color.alpha`); without an alpha channel the RGB
            is converted directly.  ``"straight"``: the RGB is not premultiplied, convert
            it directly.  ``"ignore"``: convert the RGB directly whatever it is.  The
            last two give the same pixels; both exist so callers can say which they mean.

    Returns:
        A new Plate: the three RGB channels replaced (their pixel types kept), every other
        channel, the windows and the header bit-identical; ``colorspace`` set to ``dst``
        (as given) when the main layer was converted, unchanged for another layer.

    Raises:
        ChannelNotFoundError: the layer has no R, G and B.
        ColorSpaceError: an unknown colourspace.
        ColorError: an unknown alpha mode.
    """
    _check_alpha_mode(alpha)
    cfg = get_config(config)
    source = src or plate.colorspace or DEFAULT_PLATE_SPACE
    s, d = resolve_colorspace(source, cfg), resolve_colorspace(dst, cfg)
    plate.rgb_names(layer)  # fail on a missing layer before any work
    if s == d:
        out = plate
    else:
        cpu = get_processor(s, d, cfg)
        out = _convert_layer(plate, layer, alpha, lambda rgb: _apply(cpu, _as_rgb(rgb)))
    return out.replace(colorspace=dst) if not layer else out


def display_view_plate(plate: Plate, display: str | None = None, view: str | None = None, *,
                       src: str | None = None, inverse: bool = False, layer: str = "",
                       config: ConfigLike = None, alpha: str = "premultiplied") -> Plate:
    """A new Plate whose ``layer`` RGB went through a display/view (or its inverse).

    Args:
        plate: the plate; never modified.
        display: display name; ``None`` = the config's default display.
        view: view name; ``None`` = the config's default view for the scene space.
        src: the scene-side colourspace.  Forward: the plate's space, default
            ``plate.colorspace`` else ``DEFAULT_PLATE_SPACE``.  Inverse: the space to
            return to, default ``DEFAULT_PLATE_SPACE``.
        inverse: ``True`` to go from display-referred values back to ``src``.
        layer: as in :func:`convert_plate`.
        config: see :func:`~vfx_nodes.color.get_config`.
        alpha: as in :func:`convert_plate`.

    Returns:
        A new Plate; for the main layer ``colorspace`` becomes the view's display
        colourspace when the config defines one as a colourspace (else ``None``) going
        forward, and ``src`` going back.
    """
    _check_alpha_mode(alpha)
    cfg = get_config(config)
    scene = src or ((plate.colorspace or DEFAULT_PLATE_SPACE) if not inverse else DEFAULT_PLATE_SPACE)
    s = resolve_colorspace(scene, cfg)
    disp, v = resolve_display_view(display, view, src=s, config=cfg)
    cpu = get_display_view_processor(s, disp, v, inverse=inverse, config=cfg)
    out = _convert_layer(plate, layer, alpha, lambda rgb: _apply(cpu, _as_rgb(rgb)))
    if layer:
        return out
    if inverse:
        return out.replace(colorspace=scene)
    name = cfg.getDisplayViewColorSpaceName(disp, v)
    if name == "<USE_DISPLAY_NAME>":
        name = disp
    return out.replace(colorspace=name if cfg.getColorSpace(name) is not None else None)
