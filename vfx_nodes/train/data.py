"""Training data: collecting plates and style images, the split, crops and flips.

Content comes from folders, file lists (``@list.txt`` or a ``.txt`` file, one path a
line), frame patterns (``plate.####.exr``, ``plate.%04d.exr``, ``plate.$F4.exr``,
``plate.@.exr``) or shell globs, of EXR plates and PNG/JPEG/TIFF images.  Every image is
decoded once through :func:`vfx_nodes.io.read_plate`, converted by OCIO
(:func:`vfx_nodes.color.convert_rgb`) from its colourspace into the look's working
space, clamped to the working space's nominal 0–1 range, rescaled so its short side is
the training size and kept in memory as a ``3×H×W`` float32 tensor.

Over-range values: scene-linear plates hold values above 1 (highlights) and sometimes
below 0, NaN or Inf.  In the working space (sRGB-encoded by default) the loss network
and the generator's output live in 0–1, so training clamps to 0–1 after conversion and
replaces NaN/Inf by 0 first; the renderer (the engine) has its own documented treatment
for over-range values when a look is applied.

The train/test split is deterministic by seed and keeps every frame of one sequence on
the same side: frames are grouped by *sequence name* (the path with the frame number
removed, see :func:`sequence_name`) and whole groups are assigned by a hash of
``(seed, sequence name)``, so adding a shot does not reshuffle the others (or the
held-out frames are given: ``TrainConfig.held_out``).  :func:`load_training_data` reads one
run's images: training, held-out and style, and for a fine-tune the held-out frames whole
and the paintings at the 100 % view's size.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import logging
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import FrameRangeError, TrainingDataError, VfxNodesError
from ..io.limits import PAINTING_MAX_SIDE
from ..policy.frames import has_frame_token, parse_pattern

if TYPE_CHECKING:  # config.py imports this module
    from .config import TrainPlan

__all__ = [
    "IMAGE_EXTENSIONS",
    "DataReport",
    "ImageSet",
    "TrainData",
    "center_crop",
    "collect_files",
    "load_image_set",
    "load_rgb",
    "load_training_data",
    "random_crops",
    "resize_short_side",
    "sequence_name",
    "split_by_sequence",
]

log = logging.getLogger(__name__)

#: File name endings read as images (lower case).
IMAGE_EXTENSIONS = (".exr", ".png", ".jpg", ".jpeg", ".tif", ".tiff")

# Frame patterns use the project's one grammar (vfx_nodes.policy.frames: ####, @@@@, %04d, $F4).
# The frame number of a file name: the last run of digits before the extension,
# optionally after a separator.  ``plate.1001.exr`` -> ``plate.``, ``1001``, ``.exr``.
_FRAME = re.compile(r"^(?P<head>.*?)(?P<frame>-?\d+)(?P<tail>\.[A-Za-z0-9]+)$")


@dataclasses.dataclass
class DataReport:
    """What happened while collecting and decoding a data set.

    Attributes:
        found: every file that was tried, in order.
        loaded: the files that were decoded.
        unreadable: ``(path, reason)`` of each file that could not be used; they are
            logged by name and counted in the training summary, never dropped silently.
    """

    found: list[str] = dataclasses.field(default_factory=list)
    loaded: list[str] = dataclasses.field(default_factory=list)
    unreadable: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """A JSON-able summary (counts and the unreadable files with reasons)."""
        return {"found": len(self.found), "loaded": len(self.loaded),
                "unreadable": [{"path": p, "reason": r} for p, r in self.unreadable]}


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes (hex), read in 1 MB chunks: what looks record of
    every style image they were made from."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _is_image(path: str) -> bool:
    return path.lower().endswith(IMAGE_EXTENSIONS)


def _frame_number(path: str) -> int:
    m = _FRAME.match(os.path.basename(path))
    return int(m.group("frame")) if m else 0


def collect_files(specs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                  *, recursive: bool = False) -> list[str]:
    """Expand folders, file lists, frame patterns and globs into image paths.

    Args:
        specs: one or more of: an image file; a folder (its images, sorted); a file list
            (``@list.txt``, or any ``.txt``/``.lst`` file: one path a line, ``#`` comments,
            relative paths relative to the list); a frame pattern (``plate.####.exr``,
            ``plate.%04d.exr``, ``plate.$F4.exr``, ``plate.@.exr``); a shell glob.
        recursive: also look into sub-folders of folders.

    Returns:
        Paths in the order given, each spec's files sorted by sequence then frame;
        duplicates removed.

    Raises:
        TrainingDataError: a spec matches nothing (the message names it).
    """
    if isinstance(specs, (str, os.PathLike)):
        specs = [specs]
    out: dict[str, None] = {}
    for spec in specs:
        s = os.fspath(spec)
        found = _expand(s, recursive)
        if not found:
            raise TrainingDataError(
                f"{s!r} matched no image files: give a file, a folder, a file list (@list.txt), "
                f"a frame pattern (plate.####.exr, plate.%04d.exr) or a glob of "
                f"{'/'.join(e[1:] for e in IMAGE_EXTENSIONS)} files")
        for f in found:
            out.setdefault(f, None)
    return list(out)


def _sort_key(path: str) -> tuple[str, int, str]:
    return (sequence_name(path), _frame_number(path), path)


def _list_file(spec: str) -> str | None:
    """The file list ``spec`` names (``@list``, or an existing ``.txt``/``.lst``), or None."""
    if spec.startswith("@"):
        return spec[1:]
    if spec.lower().endswith((".txt", ".lst")) and os.path.isfile(spec):
        return spec
    return None


def _expand_list(list_file: str, recursive: bool) -> list[str]:
    """The files a list names, one per line (``#`` comments; relative to the list)."""
    try:
        text = Path(list_file).read_text(encoding="utf-8")
    except OSError as exc:
        raise TrainingDataError(f"cannot read file list {list_file!r}: {exc}") from exc
    base = os.path.dirname(os.path.abspath(list_file))
    files: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        entry = line if os.path.isabs(line) else os.path.join(base, line)
        # A listed file that does not exist is kept: it is reported as unreadable
        # when decoded, so a typo in a list is seen, not silently skipped.
        files.extend(_expand(entry, recursive) if not os.path.isfile(entry) and
                     (has_frame_token(entry) or glob.has_magic(entry))
                     else [entry])
    return files


def _expand(spec: str, recursive: bool) -> list[str]:
    """The image files one ``content``/``style`` entry names: a file list, a folder, a
    file, a frame pattern or a glob."""
    list_file = _list_file(spec)
    if list_file is not None:
        return _expand_list(list_file, recursive)
    if os.path.isdir(spec):
        it = Path(spec).rglob("*") if recursive else Path(spec).iterdir()
        return sorted((str(p) for p in it if p.is_file() and _is_image(p.name)
                       and not p.name.startswith(".")), key=_sort_key)
    if os.path.isfile(spec):
        return [spec]
    if has_frame_token(spec):
        try:
            pat = parse_pattern(spec)
        except FrameRangeError as exc:
            raise TrainingDataError(str(exc)) from None
        return [pat.path(f) for f in pat.on_disk()]
    if glob.has_magic(spec):
        return sorted((f for f in glob.glob(spec, recursive=True)
                       if os.path.isfile(f) and _is_image(f)), key=_sort_key)
    return []


def sequence_name(path: str | os.PathLike[str]) -> str:
    """The sequence a file belongs to: its path with the frame number removed.

    ``shots/a/plate.1001.exr`` and ``shots/a/plate.1002.exr`` share the name
    ``shots/a/plate.#.exr``; ``shots/b/plate.1001.exr`` is another sequence (the folder
    is part of the name); a file without a frame number is a sequence of its own.
    """
    p = os.fspath(path)
    head, name = os.path.split(p)
    m = _FRAME.match(name)
    if m is None:
        return p
    return os.path.join(head, f"{m.group('head')}#{m.group('tail')}")


def _unit_hash(seed: int, key: str) -> float:
    digest = hashlib.sha256(f"{seed}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


def split_by_sequence(paths: Sequence[str], test_fraction: float = 0.2, seed: int = 0
                      ) -> tuple[list[str], list[str]]:
    """Deterministic train/test split that keeps each sequence on one side.

    Sequences (see :func:`sequence_name`) are ranked by a hash of the seed and the last
    two parts of the name (folder and file pattern, so moving the data set elsewhere keeps
    the split); the
    lowest ``round(test_fraction × n)`` go to the test side (at least one and at most
    ``n − 1`` when there are two or more sequences and ``test_fraction > 0``).  The
    result does not depend on the order of ``paths``.

    Args:
        paths: image paths.
        test_fraction: share of *sequences* held out, in ``[0, 1)``.
        seed: split seed.

    Returns:
        ``(train, test)`` path lists, each in input order.

    Raises:
        TrainingDataError: ``test_fraction`` outside ``[0, 1)``.
    """
    if not 0.0 <= test_fraction < 1.0:
        raise TrainingDataError(f"test fraction must be in [0, 1), got {test_fraction}")
    groups = sorted({sequence_name(p) for p in paths})
    n_test = 0
    if len(groups) >= 2 and test_fraction > 0:
        n_test = min(len(groups) - 1, max(1, round(test_fraction * len(groups))))
    # Hash the last two parts of the name (``sq010/plate.#.exr``), not the absolute path,
    # so the split survives moving the data set to another disk or machine.
    ranked = sorted(groups, key=lambda g: (_unit_hash(seed, "/".join(Path(g).parts[-2:])), g))
    test_groups = set(ranked[:n_test])
    train = [p for p in paths if sequence_name(p) not in test_groups]
    test = [p for p in paths if sequence_name(p) in test_groups]
    return train, test


def load_rgb(path: str, *, working_colorspace: str | None = None, colorspace: str | None = None,
             layer: str = "", part: int | str | None = None,
             config: Any = None, working_space: str | None = None, max_side: int | None = None) -> np.ndarray:
    """Decode one image into the working space: ``H×W×3`` float32 clamped to 0–1.

    The plate's RGB of ``layer`` is taken over its data window (overscan is real image;
    the black outside the data window is not), unpremultiplied by its alpha when it has
    one (OCIO transforms expect straight colour), converted by OCIO from ``colorspace``
    (default: what the file says, see :func:`vfx_nodes.io.read_plate`) to
    ``working_colorspace`` and clipped to the nominal 0–1 — the frame recipe's network
    input (:func:`vfx_nodes.recipe.prepare`: a pixel with a NaN/Inf channel is black).
    ``max_side`` (a painting): decoded or box-reduced by a whole factor to a long side of
    at most this, before any conversion (memory stays bounded for a huge scan).

    ``working_space`` is the deprecated spelling of ``working_colorspace``.

    Raises:
        PlateError and subclasses: the file cannot be read or lacks the layer.
        ColorSpaceError: an unknown colourspace.
    """
    from ..policy.colour import DEFAULT_WORKING_SPACE
    from ..policy.names import deprecated_alias

    working_colorspace = deprecated_alias("working_colorspace", working_colorspace,
                                          "working_space", working_space) or DEFAULT_WORKING_SPACE
    from ..io import luminance_chroma_to_rgb, read_plate

    plate = read_plate(path, part, layer=layer or None, max_side=max_side)
    if max_side and max(plate.width, plate.height) > max_side:  # an EXR (decoded whole)
        k = -(-max(plate.width, plate.height) // max_side)
        h, w = plate.height // k * k, plate.width // k * k
        px = plate.pixels[:h, :w].reshape(h // k, k, w // k, k, -1).mean(axis=(1, 3), dtype=np.float32)
        plate = plate.replace(pixels=np.ascontiguousarray(px), data_window=(0, 0, w // k - 1, h // k - 1),
                              display_window=(0, 0, w // k - 1, h // k - 1))
    if plate.layer_channel(layer, "R") is None and (f"{layer}.Y" if layer else "Y") in plate.channel_names:
        plate = luminance_chroma_to_rgb(plate, layer=layer)  # luminance/chroma EXR (Garden.exr)
    src = colorspace or plate.colorspace
    if src is None:
        from ..policy.colour import DEFAULT_PLATE_SPACE, DEFAULT_RASTER_SPACE
        src = DEFAULT_PLATE_SPACE if path.lower().endswith(".exr") else DEFAULT_RASTER_SPACE
    from ..recipe import prepare

    # the frame recipe's network input: what a render of this image would feed the look
    return prepare(plate, working_default=working_colorspace, layer=layer, colorspace=src, config=config).net_in


def resize_short_side(image: Any, size: int, *, enlarge: bool = True) -> Any:
    """Resize a ``3×H×W`` tensor (antialiased bilinear) so its short side is ``size``
    (``enlarge=False``: at most its own)."""
    import torch
    import torch.nn.functional as F

    _, h, w = image.shape
    if not enlarge:
        size = min(size, h, w)
    if min(h, w) == size:
        return image.contiguous()
    scale = size / min(h, w)
    nh, nw = max(size, round(h * scale)), max(size, round(w * scale))
    down = scale < 1
    with torch.no_grad():
        out = F.interpolate(image[None], size=(nh, nw), mode="bilinear", align_corners=False,
                            antialias=down)[0]
    return out.clamp_(0.0, 1.0).contiguous()


@dataclasses.dataclass
class ImageSet:
    """Decoded images held in memory as ``3×H×W`` float32 tensors in the working space.

    Each tensor's short side equals ``size`` (at most, loaded with ``enlarge=False``).
    ``names`` are the source paths; ``scales`` each image's size over its source's (a
    plate's pixels per source pixel: a crop at 1:1 of the source is ``scale`` times as
    large here).
    """

    images: list[Any]
    names: list[str]
    size: int
    scales: list[float] = dataclasses.field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)

    def nbytes(self) -> int:
        """Memory held by the tensors."""
        return sum(int(t.numel()) * 4 for t in self.images)


def load_image_set(paths: Sequence[str], *, size: int, working_colorspace: str | None = None,
                   colorspace: str | None = None, layer: str = "",
                   part: int | str | None = None, report: DataReport | None = None,
                   what: str = "content", config: Any = None, working_space: str | None = None,
                   max_side: int | None = None, enlarge: bool = True) -> ImageSet:
    """Decode every path once, convert, rescale and keep the tensors in memory
    (``enlarge=False``: an image smaller than ``size`` keeps its own size).

    A file that cannot be decoded is logged by name with the reason and recorded in
    ``report.unreadable``; the rest load.  Training images at the training size are small
    (a 2K plate rescaled to a 256 short side is ≈1 MB), so decoding once and keeping the
    tensors keeps CPU training from being bound by EXR decoding.

    Raises:
        TrainingDataError: no file could be decoded (the message lists why each failed).
    """
    from ..policy.names import deprecated_alias

    working_colorspace = deprecated_alias("working_colorspace", working_colorspace, "working_space", working_space)
    import torch

    report = report if report is not None else DataReport()
    images, names, scales = [], [], []
    for p in paths:
        report.found.append(p)
        try:
            rgb = load_rgb(p, working_colorspace=working_colorspace, colorspace=colorspace, layer=layer,
                           part=part, config=config, max_side=max_side)
        except (VfxNodesError, OSError, ValueError) as exc:
            reason = str(exc) or type(exc).__name__
            report.unreadable.append((p, reason))
            log.warning("skipping unreadable %s image %s: %s", what, p, reason)
            continue
        t = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))
        images.append(resize_short_side(t, size, enlarge=enlarge))
        scales.append(min(images[-1].shape[-2:]) / min(t.shape[-2:]))
        names.append(p)
        report.loaded.append(p)
    if not images:
        why = "; ".join(f"{os.path.basename(p)}: {r}" for p, r in report.unreadable[-5:])
        raise TrainingDataError(
            f"no usable {what} images among {len(paths)} file(s)" + (f" ({why})" if why else ""))
    return ImageSet(images, names, size, scales)


def center_crop(image: Any, size: int) -> Any:
    """The central ``size×size`` crop of a ``3×H×W`` tensor (a view)."""
    _, h, w = image.shape
    top, left = (h - size) // 2, (w - size) // 2
    return image[:, top:top + size, left:left + size]


def random_crops(images: Sequence[Any], n: int, size: int, generator: Any,
                 *, flip: bool = True) -> Any:
    """``n`` random ``size×size`` crops with random horizontal flips, as an N×3×S×S batch.

    Images are drawn with replacement from ``images`` using ``generator`` (a
    ``torch.Generator``), so the batch depends only on the generator's state.  Inputs are
    never modified.
    """
    import torch

    out = []
    idx = torch.randint(len(images), (n,), generator=generator).tolist()
    for i in idx:
        img = images[i]
        _, h, w = img.shape
        top = int(torch.randint(h - size + 1, (1,), generator=generator))
        left = int(torch.randint(w - size + 1, (1,), generator=generator))
        crop = img[:, top:top + size, left:left + size]
        if flip and bool(torch.rand((), generator=generator) < 0.5):
            crop = crop.flip(-1)
        out.append(crop)
    return torch.stack(out).contiguous()


# --- one run's images ------------------------------------------------------------------


@dataclasses.dataclass
class TrainData:
    """The images of one training run, in the look's working space.

    Attributes:
        train_set: the content images trained on.
        test_set: the held-out content images (the training set when there are none).
        style_set: the paintings.
        held_out: whether ``test_set`` is really held out.
        style_files: the paintings' paths.
        split: ``{"train": [...], "test": [...]}`` content paths, as recorded in the look.
        report: what could not be read, and why.
        view_set: for a fine-tune of an arbitrary-style start, the held-out frames whole at
            up to :data:`~vfx_nodes.train.instant.DEFAULT_DETAIL_HEIGHT` rows: the look is
            judged on them as it renders, at two stroke scales (``None`` otherwise).
        detail_style: with ``view_set``, the paintings at up to
            :data:`~vfx_nodes.train.evaluate.DETAIL_SIZE` px, the 100 % view's reference.
    """

    train_set: ImageSet
    test_set: ImageSet
    style_set: ImageSet
    held_out: bool
    style_files: list[str]
    split: dict[str, list[str]]
    report: DataReport
    view_set: ImageSet | None = None
    detail_style: ImageSet | None = None


def load_training_data(plan: TrainPlan) -> TrainData:
    """Read the plan's content, held-out and style images (see :class:`TrainData`)."""
    config = plan.config
    report = DataReport()
    train_files, test_files = list(plan.train_files), list(plan.test_files)
    style_files = list(plan.style_files)
    common: dict[str, Any] = {"size": config.size, "working_colorspace": plan.working_colorspace,
              "colorspace": config.in_colorspace, "layer": config.layer, "part": config.part, "report": report}
    train_set = load_image_set(train_files, what="content", **common)
    test_set = train_set
    if test_files:
        try:
            test_set = load_image_set(test_files[: max(config.max_eval_images * 4, config.max_eval_images)],
                                      what="held-out content", **common)
        except TrainingDataError:
            log.warning("no held-out image could be read; evaluating on training images")
    else:
        log.warning("no held-out sequence (a single sequence, or test fraction 0): evaluating "
                    "on the training images (add a second shot for an honest held-out score)")
    style_report = DataReport()
    paintings: dict[str, Any] = {"working_colorspace": plan.working_colorspace, "colorspace": config.style_colorspace,
                                 "what": "style", "max_side": PAINTING_MAX_SIDE}
    style_set = load_image_set(style_files, size=config.style_size or config.size, report=style_report, **paintings)
    report.unreadable.extend(style_report.unreadable)
    view_set = detail_style = None
    if plan.init == "arbitrary":
        from .evaluate import DETAIL_SIZE
        from .instant import DEFAULT_DETAIL_HEIGHT

        # The same held-out frames, whole and larger: never enlarged (a small frame is
        # its own fine pass); unreadable ones were reported above.
        view_set = load_image_set(test_set.names[: config.max_eval_images],
                                  **{**common, "size": DEFAULT_DETAIL_HEIGHT, "report": DataReport()},
                                  what="held-out content", enlarge=False)
        # the paintings again at the 100 % view's size (the set above is at the training size)
        detail_style = load_image_set(style_files, size=DETAIL_SIZE, enlarge=False, **paintings)
    return TrainData(train_set, test_set, style_set, test_set is not train_set, style_files,
                     {"train": train_files, "test": test_files}, report, view_set, detail_style)
