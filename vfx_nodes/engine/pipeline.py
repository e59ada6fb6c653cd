"""``stylize``: apply a look to one plate, tiled, seamless, colour-managed.

The steps for one frame (each timed into ``profile`` when one is given)::

    plate RGB of `layer` ── non-finite pixels set aside (zeroed) ──► unpremultiply
      ──► OCIO: plate space → mixing space (scene-linear) → look's working space
      ──► over-range residual split off, network input clipped to [0, 1]
      ──► stroke scale < 1: area-averaged to `scale` × the frame size, strip by
          strip, nothing frame-sized kept (recipe.prepare)                          "prepare"
      ──► stroke scale > 1: resampled up                                            "scale"
      ──► statistics on a ≤ 512 px thumbnail of the frame (or given)              "stats"
      ──► tiles (halo between tiles, none at frame edges) → generator, batched       "tiles"
      ──► feathered blend into a new frame array                                    "blend"
      ──► a two-scale look: the same again at its coarse size (engine/detail.py)  (stats, tiles)
      ──► stroke scale: the stylisation residual resampled back and added to the
          full-resolution frame (a streamed frame's way in computed again; two
          scales: the coarse pass below its band, the fine pass above it)
      ──► optional luminance-only recombination (YIQ)
      ──► OCIO: working space → mixing space, residual added back
      ──► mix with the original by `strength` × matte → back to the plate space
      ──► premultiply by the original alpha, non-finite pixels restored             "finish"

Documented value treatments (the design notes ask for one for each):

* **Above 1 and below 0.**  The network was trained on nominal 0–1 working-space images,
  so it sees the working-space values clipped to [0, 1].  What clipping removes rides
  around the network: the *residual* ``lin − to_lin(clip(to_working(lin)))``, computed
  in the scene-linear mixing space, is added back to the stylised pixel in that space.
  A sun at 40.0 comes out near 40 (its in-range part stylised), never clipped to 1; a
  slightly negative out-of-gamut value keeps its negative part.  Pixels inside the
  nominal range have a residual of exactly 0.
* **Highlights painted** (``highlights="paint"``).  Carried, a lit window at 50× white
  keeps its light but the network only ever saw flat 1.0 there, so the painting stops
  at its frame.  Painted, working-space values above :data:`HIGHLIGHT_KNEE` are
  compressed with a logarithmic shoulder (continuous in value and slope, 1 at
  :data:`HIGHLIGHT_CEILING`), so the network sees the texture inside bright areas, and
  each output value goes back up by its own compression ratio, ``x·(s/e)^γ``: an
  unchanged pixel is exactly ``x``, strokes become changes of exposure, nothing turns
  negative or explodes (an exponential inverse of the shoulder turned the network's
  near-white noise into speckles many stops apart).  Only negatives ride around the
  network as a residual, scaled by the pixel's change (grain all below 0 unscaled), its
  colour kept only where the stroke kept the pixel's (``recipe.frame.CHROMA_HOLD``).  The default: a
  painted frame with a photographic window reads as a hole in the painting (measured
  over nine paintings, the whole frame's read 0.97 → 0.82 × the peer's; benchmarks/
  RESULTS.md, "Painted highlights by default"); ``"carry"`` keeps highlights exactly
  as shot.
* **Painted through the show's view** (``through_view="DISPLAY:VIEW"``): instead, the
  network sees the plate through that OCIO view — what the compositor judges — and its
  result goes back through the inverse view; what the view cannot show rides around
  (:mod:`vfx_nodes.recipe.frame`).
* **NaN and ±Inf.**  A pixel with any non-finite R, G or B is set to 0 before anything
  else, so it can reach neither a tile, nor the colour processors, nor the statistics;
  in the output the pixel gets its original R, G, B back bit-for-bit (NaN stays NaN).
  Its neighbours are stylised as if it were black.
* **Alpha.**  RGB is unpremultiplied before the colour conversion and premultiplied by
  the *original* alpha afterwards, with :mod:`vfx_nodes.color.alpha`'s rule (only where
  alpha is finite and > 0).  Fully transparent pixels (alpha ≤ 0 or NaN) keep their
  original RGB bit for bit: there is no surface there to stylise, only nothing or
  additive emission, and stylising it would tint whatever the plate is merged over.
  Alpha itself and every channel but the three processed ones come back bit-identical.
* **Strength.**  ``(1 − s)·original + s·stylised`` in the scene-linear mixing space (the
  plate's own space when OCIO says it is linear, else the config's ``scene_linear``
  role).  ``strength=0`` returns the input RGB untouched (no network run).
* **Stroke scale.**  A feed-forward look paints strokes of a fixed size in *network*
  pixels, so a look made at 256–512 px paints tiny strokes on a 4K plate.  With
  ``scale`` s ≠ 1 the network runs on the working-space frame area-resampled to s × its
  size, and only its *stylisation residual* (output − input at that size) is resampled
  back (bilinear) and added to the full-resolution frame: strokes grow by 1/s while
  edges, highlights, alpha and fine detail stay at the plate's resolution (the idea of
  running a look at reduced resolution is common practice; Jing et al. 2018, "Stroke
  Controllable Fast Style Transfer", make stroke size a network input instead).  A look
  records the frame height it was made for (``frame_height`` in its metadata);
  ``scale="auto"`` uses ``frame_height / display height`` (never above 1), and 1 for a
  look that records none.  Tiles are cut from the resampled frame, so tiled still equals
  untiled.  A look that also records ``detail_height`` runs a second, finer pass under
  ``"auto"`` and keeps each pass's band (:mod:`vfx_nodes.engine.detail`).
* **Luminance only** (Gatys et al. 2016, "Preserving Color in Neural Artistic Style
  Transfer", luminance-only transfer): in the look's working space (display-referred,
  where the network works and where luma is perceptually meaningful) the output takes
  the stylised Y of YIQ (NTSC 1953: ``Y = .299 R + .587 G + .114 B``) and the
  original's I and Q.  Because the inverse YIQ matrix maps Y to (1, 1, 1), this is
  ``original + (Y_styled − Y_original)`` on every channel — the original's colour and
  the style's light and texture.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import torch
import torch.nn.functional as F

# the generators' side (look loading, device copies, tiling figures): engine/generators.py
from .. import recipe  # the frame recipe's colour side: vfx_nodes/recipe/
from ..errors import DeviceError, LookError, RenderCancelled, SettingsError
from ..model import device as _dev
from ..model import ops
from ..model.fused import fused
from ..model.ops import SMALL_FRAME, THUMBNAIL
from ..plate import Plate
from ..policy.progress import CancelFn, ProgressFn, cancelled, progress_callback
from ..policy.settings import SCALE_RANGE, FrameSettings, split_view
from ..recipe.frame import LUMA_WEIGHTS
from ..recipe.highlights import (
    HIGHLIGHT_CEILING,
    HIGHLIGHT_CONTRAST,
    HIGHLIGHT_KNEE,
    HIGHLIGHTS,
    compress_highlights,
)
from ..recipe.matte import matte_of, needed
from .detail import area_down, coarse_delta, detail_scale
from .generators import alignment as _alignment
from .generators import device_copy as _device_copy
from .generators import generator_lock as _lock
from .generators import load as _load
from .generators import memory_scale as _memory_scale
from .generators import min_halo as _min_halo
from .tiling import TileGrid, align_up, blend_tile, gather_reflect

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Look, NormStats

__all__ = [
    "HIGHLIGHTS",
    "HIGHLIGHT_CEILING",
    "HIGHLIGHT_CONTRAST",
    "HIGHLIGHT_KNEE",
    "LUMA_WEIGHTS",
    "SCALE_RANGE",
    "THUMBNAIL",
    "LookLike",
    "collect_stats",
    "compress_highlights",
    "network_size",
    "resolve_scale",
    "run_tiled",
    "stylize",
]

log = logging.getLogger("vfx_nodes.engine")

LookLike = Union["Look", str, "os.PathLike[str]"]

# Smallest tile the out-of-memory retry goes down to (in units of the network stride).
_MIN_TILE_STRIDES = 8


# --- profiling ---------------------------------------------------------------------------


class _Clock:
    """Adds stage durations (seconds) into a caller's dict, or does nothing."""

    def __init__(self, sink: MutableMapping[str, Any] | None, device: torch.device | None = None):
        self.sink = sink
        self.device = device

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        if self.sink is None:
            yield
            return
        t0 = time.perf_counter()
        try:
            yield
        finally:
            if self.device is not None and self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            self.sink[stage] = self.sink.get(stage, 0.0) + time.perf_counter() - t0

    def note(self, **values: Any) -> None:
        if self.sink is not None:
            self.sink.update(values)


# --- the network side --------------------------------------------------------------------


def _thumbnail(frame: np.ndarray, size: int) -> torch.Tensor:
    """1×3×h×w area-averaged thumbnail (long side ≤ ``size``) of an H×W×3 frame (CPU)."""
    h, w = frame.shape[:2]
    x = torch.from_numpy(frame).permute(2, 0, 1)[None]  # a view, no copy
    th, tw = ops.thumbnail_size(h, w, size)
    if (th, tw) == (h, w):
        return x.contiguous()
    # Area averaging (box filter) is the anti-aliased reduction that keeps means exact.
    return F.adaptive_avg_pool2d(x, (th, tw)).contiguous()


def _as_seen(net_in: np.ndarray, align: int) -> np.ndarray:
    """The frame the statistics are taken on: ``net_in`` itself, or — for a data window
    with a side under :data:`SMALL_FRAME` — the window brought up to a multiple of
    ``align`` (mirrored), as its one tile sees it: a window of a few pixels is a large part
    of its alignment padding."""
    h, w = net_in.shape[:2]
    if min(h, w) >= SMALL_FRAME:
        return net_in
    return gather_reflect(net_in, 0, 0, align_up(h, align), align_up(w, align))


def _thumbnail_stats(gen: torch.nn.Module, net_in: np.ndarray, device: torch.device,
                     size: int) -> NormStats:
    thumb = _thumbnail(net_in, size).to(device)
    with torch.no_grad():
        return gen.collect_stats(thumb)  # type: ignore[operator]


def _run_grid(gen: torch.nn.Module, frame: np.ndarray, grid: TileGrid, device: torch.device,
              dtype: torch.dtype, batch: int, clock: _Clock,
              progress: Callable[[float], None] | None = None, needed: np.ndarray | None = None) -> np.ndarray:
    """Every tile of ``grid`` through ``gen``, blended into a new H×W×3 array.

    Only one batch of tiles is on the device at a time; results stream into the output
    array, so device memory depends on the tile size, not on the frame size.
    ``progress(fraction)`` is called before the first batch and after each one.  With
    ``needed`` (a matte's, :func:`vfx_nodes.recipe.matte.needed`), tiles whose output has
    no needed pixel do not run (their region is never read: every tile covering a needed
    pixel runs, so the feathered blend there is complete).
    """
    tiles = [t for t in grid if needed is None or needed[t.y0:t.y1, t.x0:t.x1].any()]
    # one tile covering the frame has weights of exactly 1: its output is the frame's
    whole = len(grid) == 1 and len(tiles) == 1
    out = np.empty_like(frame) if whole else np.zeros_like(frame)
    clock.note(tiles_run=len(tiles))
    for i in range(0, len(tiles), batch):
        if progress is not None:
            progress(i / len(tiles))
        chunk = tiles[i:i + batch]
        with clock("tiles"):
            host = np.empty((len(chunk), grid.in_height, grid.in_width, frame.shape[2]), np.float32)
            for k, t in enumerate(chunk):
                gather_reflect(frame, t.in_y, t.in_x, grid.in_height, grid.in_width, out=host[k])
            # NHWC memory seen as NCHW: exactly torch's channels_last layout, no copy.
            x = torch.from_numpy(host).permute(0, 3, 1, 2)
            x = x.to(device, non_blocking=device.type == "cuda")
            with torch.no_grad(), _dev.autocast(device, dtype):
                y = gen(x)
            results = []
            for t, yk in zip(chunk, y):
                oy, ox = t.y0 - t.in_y, t.x0 - t.in_x
                crop = yk[:, oy:oy + t.y1 - t.y0, ox:ox + t.x1 - t.x0]
                results.append(crop.float().permute(1, 2, 0).cpu().numpy())
            del x, y
        with clock("blend"):
            for t, values in zip(chunk, results):
                if whole:
                    out[...] = values
                else:
                    blend_tile(out, t, values)
    if progress is not None:
        progress(1.0)
    return out


#: above this many times the network pixels of one whole-frame tile, ``stylize`` warns
#: that the tile is too small for its halo (automatic tiles stay below 2; tile 8 with a
#: 40 px halo is ~22 on a 64×48 frame and more on larger ones)
MAX_QUIET_OVERHEAD = 4.0


def run_tiled(gen: torch.nn.Module, frame: np.ndarray, *, tile: int, halo: int, align: int,
              device: torch.device, dtype: torch.dtype = torch.float32, batch: int | None = None,
              profile: MutableMapping[str, Any] | None = None, progress: Callable[[float], None] | None = None,
              needed: np.ndarray | None = None) -> np.ndarray:
    """The network on an H×W×3 working-space frame in tiles of ``tile`` px (0: one tile)
    with ``halo`` px of context, origins on multiples of ``align``; equal to the untiled
    run (beyond rounding) when the generator's statistics are frozen. Out of memory, the
    tile is halved and the frame started again.

    Args:
        gen: the generator (on ``device``, statistics frozen for a tiled run).
        frame: H×W×3 float32.
        tile, halo, align: the grid (:class:`~vfx_nodes.engine.tiles.TileGrid`).
        device, dtype, batch: where, in which precision, how many tiles at once
            (``None``: from the device's free memory).
        profile: stage seconds and the grid's figures are added here.
        progress: ``callback(fraction)`` after each batch.
        needed: per tile, whether it runs (a matte's; :func:`vfx_nodes.recipe.matte.needed`).

    Raises:
        DeviceError: out of memory even with small tiles.
    """
    clock = _Clock(profile, device)
    h, w = frame.shape[:2]
    retries = 0
    while True:
        grid = TileGrid.make(h, w, tile, halo, align=align)
        if retries == 0 and grid.tile:
            # Tiles much smaller than their halo spend the time on context, not output
            # (tile 8 with a 40 px halo: ~35× slower). Say so rather than be slow silently.
            whole = TileGrid.make(h, w, 0, halo, align=align).overhead
            if grid.overhead > MAX_QUIET_OVERHEAD * whole:
                log.warning("stylize: %d px tiles with a %d px halo make the network compute %.0f× the "
                            "pixels of one whole-frame tile; use a larger tile (or 0 / automatic)",
                            grid.tile, halo, grid.overhead / whole)
        n = batch or _dev.batch_size_for(device, dtype, grid.input_pixels)
        log.debug("stylize: %d×%d frame, %s, batch %d on %s", w, h, grid.describe(), n, device)
        try:
            out = _run_grid(gen, frame, grid, device, dtype, n, clock, progress, needed)
            clock.note(tile=grid.tile or max(h, w), tile_count=len(grid), batch=n, retries=retries,
                       overhead=grid.overhead)
            return out
        except Exception as exc:
            if not _dev.is_out_of_memory(exc):
                raise
            _dev.empty_cache(device)
            current = grid.tile or max(h, w)
            smaller = current // 2
            if smaller < _MIN_TILE_STRIDES * align:
                raise DeviceError(
                    f"out of memory on {device} even with {current} px tiles (batch {n}); "
                    f"free memory on the device or choose another device=") from exc
            retries += 1
            log.warning("stylize: out of memory on %s with %d px tiles (batch %d); "
                        "retrying with %d px tiles", device, current, n, smaller)
            tile, batch = smaller, (1 if batch is None else batch)


# --- stroke scale ------------------------------------------------------------------------



def resolve_scale(scale: Any, look: Any, plate: Plate) -> float:
    """The numeric stroke scale for ``plate``: see the module notes.

    Args:
        scale: ``"auto"``/``None``, or a number in :data:`SCALE_RANGE`.
        look: the look (its ``metadata["frame_height"]`` drives ``"auto"``).
        plate: the plate (its display window height drives ``"auto"``).

    Raises:
        SettingsError: not "auto" and not a number in range.
    """
    if scale is None or (isinstance(scale, str) and scale.strip().lower() in ("", "auto")):
        made_for = (getattr(look, "metadata", None) or {}).get("frame_height")
        if isinstance(made_for, bool) or not isinstance(made_for, (int, float)) or not made_for > 0:
            return 1.0
        height = plate.display_size[1] if isinstance(plate, Plate) else 0
        if height <= 0:
            return 1.0
        return float(min(1.0, max(SCALE_RANGE[0], float(made_for) / height)))
    try:
        if isinstance(scale, bool):
            raise TypeError("a bool is not a scale")
        value = float(scale)
    except (TypeError, ValueError):
        raise SettingsError(f"scale must be 'auto' or a number from {SCALE_RANGE[0]:g} to "
                            f"{SCALE_RANGE[1]:g}, got {scale!r}") from None
    if not (SCALE_RANGE[0] <= value <= SCALE_RANGE[1]):
        raise SettingsError(f"scale must be 'auto' or a number from {SCALE_RANGE[0]:g} to "
                            f"{SCALE_RANGE[1]:g}, got {scale!r}")
    return value


def _unchanged(plate: Plate, layer: str, colorspace: str | None, config: Any) -> Plate:
    """``strength=0``: nothing to mix in — the input, bit for bit (and no network run),
    its layer checked and its colourspace tag resolved as a styled frame's would be."""
    from ..io.lumachroma import luminance_only as _is_luminance

    if not _is_luminance(plate, layer):
        plate.rgb_names(layer)
    if not colorspace:
        return plate
    from ..color import resolve_colorspace

    return plate.replace(colorspace=resolve_colorspace(colorspace, config))


def _tiling(gen: Any, tile: int | None, halo: int | None, dev: Any, dtype: Any) -> tuple[int, int]:
    """``(tile, halo)``: the halo the generator needs unless given (a smaller one is warned
    about), and a tile from the device's memory unless given."""
    need = _min_halo(gen)
    halo = need if halo is None else halo
    if halo < need:
        log.warning("stylize: halo %d px is less than the %d px this %s generator needs; "
                    "tiles may not match exactly (the feathered blend hides small steps)",
                    halo, need, getattr(gen, "arch", "") or "")
    if tile is None:
        tile = _dev.default_tile(dev, dtype, halo, _alignment(gen), memory_scale=_memory_scale(gen))
    return tile, halo


def network_size(h: int, w: int, scale: float) -> tuple[int, int]:
    """The ``(h, w)`` the network runs at for a frame of ``h × w`` at stroke ``scale`` (the
    temporal carry works on the same grid)."""
    return max(1, round(h * scale)), max(1, round(w * scale))


def _upsample(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """H×W×3 → a larger size[0]×size[1]×3, bilinear: the network's frame at a stroke scale
    above 1 (a smaller one is area-averaged by ``recipe.prepare`` as it is made)."""
    x = torch.from_numpy(np.ascontiguousarray(frame, dtype=np.float32)).permute(2, 0, 1)[None]
    y = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    return np.ascontiguousarray(y[0].permute(1, 2, 0).numpy())


# --- public API --------------------------------------------------------------------------


def _as_rgb_plate(plate: Plate, layer: str) -> Plate:
    """A luminance/chroma (``Y``, ``RY``, ``BY``) or greyscale (``Y``) layer as R, G, B
    (OpenEXR's YCA → RGB with the plate's chromaticities): a look adds colour, which
    sub-sampled chroma cannot hold, so such plates come back as RGB."""
    from ..io.lumachroma import luminance_chroma_to_rgb, luminance_only

    if luminance_only(plate, layer):
        log.info("stylize: %s is luminance/chroma; converting %s to R, G, B",
                 plate.source or "the plate", f"layer {layer!r}" if layer else "the main layer")
        return luminance_chroma_to_rgb(plate, layer=layer)
    return plate


def _as_stats(stats: Any, look: Look) -> NormStats | None:
    from ..model import NormStats

    if stats is None:
        return None
    if isinstance(stats, str) and stats == "look":
        if getattr(look, "stats", None) is None:
            raise LookError("stats='look' asked for, but the look carries no statistics")
        return look.stats
    if isinstance(stats, NormStats):
        return stats
    if isinstance(stats, (str, os.PathLike)):
        return NormStats.load(stats)
    raise SettingsError(f"stats must be NormStats, a statistics file path, 'look' or None, "
                        f"got {type(stats).__name__}")


class _Pass:
    """One network pass over a frame at the network's size: its statistics (:meth:`stats`:
    given ones, or its thumbnail's), then under them the inference form (or a compiled copy)
    and the tiles (``__call__``).  A two-scale look runs two (vfx_nodes/engine/detail.py)."""

    def __init__(self, gen: torch.nn.Module, fs: FrameSettings, dev: torch.device, dtype: torch.dtype,
                 align: int, tiling: tuple[int, int], clock: _Clock, matte: np.ndarray | None):
        self.gen, self.fs, self.dev, self.dtype, self.align = gen, fs, dev, dtype, align
        self.tiling, self.clock, self.matte = tiling, clock, matte

    def stats(self, frame: np.ndarray, given: NormStats | None) -> NormStats:
        """``given`` statistics, or the frame's thumbnail's."""
        if given is not None:
            return given
        with self.clock("stats"):
            return _thumbnail_stats(self.gen, _as_seen(frame, self.align), self.dev, self.fs.thumbnail)

    def __call__(self, frame: np.ndarray, frozen: NormStats,
                 progress: Callable[[float], None] | None) -> np.ndarray:
        gen, fs, dev = self.gen, self.fs, self.dev
        with gen.frozen_stats(frozen.to(dev)):  # type: ignore[operator]
            # a compiled copy runs as compiled; otherwise the inference form (model/fused.py)
            net = gen if fs.compile else fused(gen)
            return run_tiled(net, frame, tile=self.tiling[0], halo=self.tiling[1], align=self.align, device=dev,
                             dtype=self.dtype, batch=fs.batch, profile=self.clock.sink, progress=progress,
                             needed=None if self.matte is None else needed(self.matte, frame.shape[:2]))


def _tile_ticks(progress: Any, cancel: CancelFn) -> Callable[[float], None] | None:
    """The tile loop's ``tick(fraction)``: ``progress(fraction, message)`` (or the older
    ``progress(fraction)``, with a warning) and the cancel check between batches."""
    new, old = progress_callback(progress, "stylize", 1)
    if new is None and old is None and cancel is None:
        return None

    def tick(fraction: float) -> None:
        if new is not None:
            new(fraction, f"stylizing: {fraction:.0%} of the tiles")
        elif old is not None:
            old(fraction)
        if cancelled(cancel):
            raise RenderCancelled("stylize cancelled")
    return tick


def stylize(
    plate: Plate,
    look: LookLike,
    settings: FrameSettings | Mapping[str, Any] | None = None,
    *,
    stats: NormStats | str | os.PathLike[str] | None = None,
    profile: MutableMapping[str, Any] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn = None,
    **keywords: Any,
) -> Plate:
    """Apply ``look`` to the RGB of one layer of ``plate``; return a new Plate.

    The whole data window (overscan included) is processed; windows, header, pixel types,
    alpha and every other channel come back unchanged (see the module notes for the
    treatment of over-range, negative, NaN/Inf values and alpha).

    Args:
        plate: the input plate (never changed).
        look: a :class:`~vfx_nodes.model.Look` or the path of a look file.
        settings: a :class:`~vfx_nodes.policy.settings.FrameSettings` (or a mapping of
            its names); ``None`` = the defaults.  Any setting can also be given as a
            keyword (``strength=0.5``), which overrides ``settings``:

            * ``strength``: 0 (input) … 1 (fully stylised), mixed in scene-linear;
            * ``scale``: stroke scale (see the module notes): ``"auto"`` (the look's
              ``frame_height`` over the plate's display height, at most 1; 1 for looks
              that record none) or a number from 1/16 to 4; strokes grow by 1/scale;
            * ``tile``: tile edge in output pixels (halo excluded); ``None``/``"auto"``
              picks one from the device's free memory (1024 on the CPU, 2048 for the
              slim arbitrary network); ``0`` runs the frame as one tile;
            * ``halo``: context pixels around each tile; ``None`` = the generator's
              one-sided receptive-field extent, which makes tiles exact; ``0`` = none;
            * ``device``: ``None``/``"auto"`` (CUDA, MPS, CPU), ``"cpu"``, ``"cuda:1"``…;
            * ``precision``: ``None``/``"auto"`` (bf16 on CUDA, fp32 elsewhere),
              ``"fp32"``, ``"fp16"``, ``"bf16"``;
            * ``layer``: which layer's RGB (``""`` = the main ``R``, ``G``, ``B``);
            * ``colorspace``: the plate's colourspace, overriding ``plate.colorspace``;
            * ``working_colorspace``: overrides the look's working colourspace;
            * ``preserve_alpha``: unpremultiply by the layer's alpha before and
              premultiply after; ``False`` stylises the RGB as it stands;
            * ``luminance_only``: keep the plate's colour (YIQ, Gatys et al. 2016);
            * ``highlights``: ``"paint"`` (default: light above :data:`HIGHLIGHT_KNEE` is
              compressed into the network's range and expanded back, its strokes
              becoming changes of exposure) or ``"carry"`` (the network sees the working
              space clipped to 0–1 and over-range light rides around it unchanged);
            * ``config``: OCIO config (object, path or ``ocio://`` URI); default
              ``$OCIO``, else the built-in studio config;
            * ``batch``: tiles per device batch (``None``: from free memory, 1 on the CPU);
            * ``thumbnail``: long side of the statistics thumbnail;
            * ``compile``: run the generator through :func:`torch.compile` (worth it on
              a GPU for a whole shot; the first frame pays the compilation);
            * ``part``, ``view``: used by the renderer for multi-part frames (a Plate is
              one part already).
        stats: frozen normalisation statistics (:class:`~vfx_nodes.model.NormStats`, e.g.
            from :func:`collect_stats` over a shot, or the path of a saved one, or
            ``"look"`` for the look's own); ``None`` collects them from a thumbnail of
            this frame (URST, Chen et al. 2022).
        profile: if given, stage durations in seconds (``prepare``, ``scale``, ``stats``,
            ``tiles``, ``blend``, ``finish``, ``total``), the stroke scale used
            (``scale_used``) and the tiling used (``tile``, ``tile_count``, ``batch``,
            ``retries``, ``overhead``, ``device``, ``precision``) are written into it.
        progress: ``progress(fraction, message)`` (the project's one protocol,
            :mod:`vfx_nodes.policy.progress`) with the share of the frame's tiles done (0
            before the first batch, 1 after the last); it may raise (e.g.
            :class:`~vfx_nodes.errors.RenderCancelled`) to stop between two batches.
            ``progress(fraction)``, the form before 0.9, works for one release with a
            :class:`DeprecationWarning`.
        cancel: a callable returning ``True`` (or a :class:`threading.Event`): the frame
            stops between two batches of tiles with
            :class:`~vfx_nodes.errors.RenderCancelled`, as an interactive tool's Cancel
            button asks.  Nothing is returned then.

    Returns:
        A new Plate with the processed R, G, B of ``layer``; tagged with ``colorspace``
        (as the config names it) when that override was given.

    Raises:
        SettingsError: an unknown setting or a bad value (strength, tile, halo, batch,
            thumbnail, scale, highlights ...).
        ChannelNotFoundError: ``layer`` has no R, G, B.
        ColorSpaceError: an unknown colourspace.
        LookError: ``look`` is not a look.
        DeviceError: an unavailable device, unknown precision, or out of memory even at
            the smallest tile.
    """
    t_start = time.perf_counter()
    tick = _tile_ticks(progress, cancel)
    fs = FrameSettings.make(settings, **keywords)
    s, layer, colorspace, config = fs.strength, fs.layer, fs.colorspace, fs.config
    dev = _dev.resolve_device(fs.device)
    dtype = _dev.resolve_precision(fs.precision, dev)
    look_ = _load(look)
    frozen = _as_stats(stats, look_)
    clock = _Clock(profile, dev)
    clock.note(device=str(dev), precision=_dev.precision_name(dtype))
    if not isinstance(plate, Plate):
        raise SettingsError(f"stylize needs a Plate, got {type(plate).__name__}")
    if s == 0.0:
        clock.note(total=time.perf_counter() - t_start)
        return _unchanged(plate, layer, colorspace, config)

    plate = _as_rgb_plate(plate, layer)
    stroke = resolve_scale(fs.scale, look_, plate)
    clock.note(scale_used=stroke)
    matte = matte_of(plate, fs.mask, invert=fs.invert_mask)
    if matte is not None and not matte.any():
        clock.note(total=time.perf_counter() - t_start)
        return _unchanged(plate, layer, colorspace, config)  # (matte_of warned)
    full_size = (plate.height, plate.width)
    fine = detail_scale(fs.scale, look_, plate, stroke)  # a second, finer pass (engine/detail.py)
    clock.note(detail_used=fine)
    net_size = network_size(full_size[0], full_size[1], fine or stroke)
    with clock("prepare"):
        # a smaller network frame is streamed: area-averaged strip by strip, no
        # frame-sized working-space copy kept (recipe.finish computes it again)
        frame = recipe.prepare(plate, working_default=look_.working_colorspace, layer=layer,
                               colorspace=colorspace, working_colorspace=fs.working_colorspace,
                               preserve_alpha=fs.preserve_alpha, highlights=fs.highlights, config=config,
                               matte=matte, size=net_size, through_view=split_view(fs.through_view))
    net_in = frame.net_in
    if net_in.shape[:2] != net_size:  # a larger one (stroke scale above 1)
        with clock("scale"):
            net_in = _upsample(net_in, net_size)
    gen_src = look_.generator
    align = _alignment(gen_src)
    tile_, halo_ = _tiling(gen_src, fs.tile, fs.halo, dev, dtype)
    gen = _device_copy(gen_src, dev, fs.compile)

    run = _Pass(gen, fs, dev, dtype, align, (tile_, halo_), clock, matte)
    with _lock(gen):
        styled = run(net_in, run.stats(net_in, frozen), tick)
        if fine:  # the coarse pass (its statistics and tiles count in those stages)
            coarse_in = area_down(net_in, network_size(full_size[0], full_size[1], stroke))
            # each pass its own thumbnail's statistics: the coarse pass normalised by the
            # fine pass's read less of the painting (view 0.82 → 0.93 × the peer, measured)
            coarse = run(coarse_in, run.stats(coarse_in, frozen), None)
            coarse -= coarse_in
    del run, gen
    low = net_size != full_size or bool(fine)  # two passes: both are residuals (even at scale 1)
    if low:
        # Only the stylisation residual changes resolution (recipe.finish resizes it strip
        # by strip): the plate's own detail, edges and highlights stay at full resolution.
        styled -= net_in
    del net_in
    with clock("finish"):
        result = recipe.finish(frame, styled, strength=s, luminance_only=fs.luminance_only, low_residual=low,
                               coarse=coarse_delta(styled, coarse) if fine else None)
        if colorspace:
            result = result.replace(colorspace=frame.plate_space)
    clock.note(total=time.perf_counter() - t_start)
    return result


def collect_stats(
    plates: Plate | Iterable[Plate],
    look: LookLike,
    settings: FrameSettings | Mapping[str, Any] | None = None,
    **keywords: Any,
) -> NormStats:
    """Normalisation statistics of a shot: one thumbnail pass per plate, merged.

    Pass the result as ``stylize(..., stats=...)`` for every frame of the shot: with the
    same frozen statistics a feed-forward network's look stops drifting from frame to
    frame (URST, Chen et al. 2022), and tiles agree within each frame.  Each plate is
    prepared exactly as :func:`stylize` prepares it (alpha, colour, clipping, NaN/Inf),
    and the per-plate statistics are pooled with :meth:`NormStats.merge` (law of total
    variance, weighted by thumbnail pixels).

    Args:
        plates: one Plate or an iterable of Plates (read lazily: a generator of frames
            keeps one frame in memory at a time).
        look: a Look or the path of a look file.
        settings, keywords: the settings the frames will be rendered with, exactly as
            :func:`stylize` takes them (the same object serves both); those that change
            what the network sees are used (``layer``, ``colorspace``,
            ``working_colorspace``, ``preserve_alpha``, ``scale``, ``highlights``,
            ``config``, ``thumbnail``, and ``device``, where the thumbnails run in fp32).

    Returns:
        NormStats on the CPU.

    Raises:
        SettingsError: no plates, something other than Plates, or a bad setting.
    """
    from ..model import NormStats

    fs = FrameSettings.make(settings, **keywords)
    layer = fs.layer
    dev = _dev.resolve_device(fs.device)
    look_ = _load(look)
    gen = _device_copy(look_.generator, dev, False)
    items = [plates] if isinstance(plates, Plate) else plates
    collected = []
    for i, plate in enumerate(items):
        if not isinstance(plate, Plate):
            raise SettingsError(f"collect_stats: item {i} is {type(plate).__name__}, not a Plate")
        plate = _as_rgb_plate(plate, layer)
        stroke = resolve_scale(fs.scale, look_, plate)
        net_size = network_size(plate.height, plate.width, stroke)
        frame = recipe.prepare(plate, working_default=look_.working_colorspace, layer=layer,
                               colorspace=fs.colorspace, working_colorspace=fs.working_colorspace,
                               preserve_alpha=fs.preserve_alpha, highlights=fs.highlights, config=fs.config,
                               size=net_size, through_view=split_view(fs.through_view))
        seen = frame.net_in if frame.net_in.shape[:2] == net_size else _upsample(frame.net_in, net_size)
        net_in = _as_seen(seen, _alignment(look_.generator))
        with _lock(gen):
            collected.append(_thumbnail_stats(gen, net_in, dev, fs.thumbnail).to("cpu"))
    if not collected:
        raise SettingsError("collect_stats needs at least one plate, got none")
    return collected[0] if len(collected) == 1 else NormStats.merge(collected)
