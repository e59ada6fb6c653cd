"""Look files: a trained generator in safetensors with JSON metadata.

A look file is a plain safetensors file (https://huggingface.co/docs/safetensors):

* tensors: the generator's ``state_dict`` (keys exactly as PyTorch names them), plus,
  optionally, default normalisation statistics under ``stats/<layer>.mean|var``;
* ``__metadata__`` (string → string, as safetensors requires): one key
  ``"vfx_nodes.look"`` whose value is a JSON object::

      {
        "format": "vfx_nodes.look",
        "format_version": 1,
        "arch": "johnson",                       # build_generator() name
        "settings": {"width": 32, "blocks": 5, "residual": true},
        "working_colorspace": "sRGB Encoded Rec.709 (sRGB)",
        "normalization": "instance",             # StatsInstanceNorm2d, freezable
        "has_stats": false,
        "library_version": "0.1.0",
        "created": "2026-11-21T06:00:00Z",
        "training": {                            # filled in by the trainer; free-form
          "styles": [{"name": "starry.jpg", "sha256": "..."}],
          "steps": 4000, "final_losses": {"content": 1.2, "style": 0.3},
          "date": "..."
        },
        ...                                      # any other JSON the caller adds
      }

Loading never unpickles: only :func:`safetensors.safe_open` touches the file.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError

from ..errors import DeviceError, LookError, LookNotFoundError, ModelError, close_matches
from ._files import atomic_write
from .generator import ARCHITECTURES, Generator, build_generator
from .norm import NormStats

__all__ = ["FORMAT_VERSION", "METADATA_KEY", "Look", "load_look", "make_look", "read_look_metadata", "save_look"]

#: the look-file format this version writes and reads
FORMAT_VERSION = 1
#: the ``__metadata__`` key holding the JSON document
METADATA_KEY = "vfx_nodes.look"
_FORMAT = "vfx_nodes.look"
_STATS_PREFIX = "stats/"
# Keys save_look computes itself; a caller's metadata cannot override them.
#: metadata keys save_look computes itself; a caller's metadata cannot set them
RESERVED_METADATA = ("format", "format_version", "arch", "settings", "normalization", "has_stats", "stats_count")


def _default_working_colorspace() -> str:
    """The default working colourspace (:mod:`vfx_nodes.policy.colour`: no OCIO import,
    so the model room stays torch-only)."""
    from ..policy.colour import DEFAULT_WORKING_SPACE

    return DEFAULT_WORKING_SPACE


def _library_version() -> str:
    from .._version import __version__

    return __version__


@dataclass
class Look:
    """A loaded look: a ready generator (eval mode) and what the file says about it.

    Attributes:
        generator: the generator, in eval mode, on the requested device.
        metadata: the whole JSON metadata document (a dict).
        working_colorspace: colourspace the look was trained in; convert plates to it
            before the generator and back afterwards.
        arch: architecture name (``build_generator`` argument).
        stats: default normalisation statistics stored in the file, or None.
        path: the file it was read from (None when built in memory).
    """

    generator: Generator
    metadata: dict[str, Any]
    working_colorspace: str
    arch: str
    stats: NormStats | None = None
    path: Path | None = field(default=None)

    @property
    def settings(self) -> dict[str, Any]:
        """Architecture settings (``build_generator(look.arch, **look.settings)``)."""
        return dict(self.metadata.get("settings", {}))


def _document(generator: Generator, metadata: dict[str, Any] | None, stats: NormStats | None) -> dict[str, Any]:
    """The look's JSON metadata document (checked: JSON-serialisable, reserved keys)."""
    if not isinstance(generator, Generator) or generator.arch not in ARCHITECTURES:
        raise LookError(f"save_look needs a generator from build_generator(), got {type(generator).__name__}")
    meta_in = dict(metadata or {})
    clash = [k for k in RESERVED_METADATA if k in meta_in]
    if clash:
        raise LookError(f"save_look: metadata keys {clash} are set from the generator; remove them")
    doc: dict[str, Any] = {
        "format": _FORMAT,
        "format_version": FORMAT_VERSION,
        "arch": generator.arch,
        "settings": dict(generator.settings),
        "working_colorspace": _default_working_colorspace(),
        "normalization": "instance",
        "has_stats": stats is not None,
        "library_version": _library_version(),
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    doc.update(meta_in)
    if not isinstance(doc["working_colorspace"], str) or not doc["working_colorspace"]:
        raise LookError(f"save_look: working_colorspace must be a colourspace name, got {doc['working_colorspace']!r}")
    try:
        json.dumps(doc, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise LookError(f"save_look: metadata is not JSON-serialisable: {exc}") from None
    return doc


def make_look(generator: Generator, metadata: dict[str, Any] | None = None,
              *, stats: NormStats | None = None) -> Look:
    """A :class:`Look` in memory, with the metadata :func:`save_look` would write.

    The generator is used as is (not copied) and put in eval mode.

    Raises:
        LookError: as :func:`save_look` for the generator and metadata.
    """
    doc = _document(generator, metadata, stats)
    generator.eval()
    return Look(generator=generator, metadata=doc, working_colorspace=doc["working_colorspace"],
                arch=doc["arch"], stats=stats)


def save_look(
    look: Generator | Look,
    path: str | os.PathLike[str],
    metadata: dict[str, Any] | None = None,
    *,
    stats: NormStats | None = None,
) -> Path:
    """Write a look file, atomically (temporary file, then ``os.replace``): the thing
    first, then where, as :func:`vfx_nodes.io.write_plate` (``plate, path``).

    Args:
        look: a generator from :func:`build_generator` (any device, any mode), or a
            :class:`Look` (what :func:`load_look` returns: its generator, its metadata
            under ``metadata`` and its statistics unless ``stats`` is given).
        path: target file (conventionally ``*.safetensors``); its folder must exist.
        metadata: JSON-serialisable dict merged into the document; recognised keys are
            ``working_colorspace`` (default
            :data:`vfx_nodes.policy.colour.DEFAULT_WORKING_SPACE`) and ``training``
            (styles with names and hashes, steps, final losses, date).  ``format``,
            ``format_version``, ``arch``, ``settings``, ``normalization`` and
            ``has_stats`` are set from the generator and cannot be overridden.
        stats: optional default normalisation statistics to embed.

    ``save_look(path, generator)`` — the order before 0.9 — still works for one release,
    with a :class:`DeprecationWarning`.

    Returns:
        The path written.

    Raises:
        LookError: not a generator or a look, metadata not JSON-serialisable, folder missing.
    """
    if isinstance(look, (str, os.PathLike)) and not isinstance(path, (str, os.PathLike)):
        import warnings

        warnings.warn("save_look(path, generator) is deprecated; use save_look(generator, path), "
                      "the order of write_plate(plate, path)", DeprecationWarning, stacklevel=2)
        look, path = path, look
    if isinstance(look, Look):
        generator = look.generator
        # the look's own document, less what the generator and this write set again
        kept = {k: v for k, v in look.metadata.items() if k not in (*RESERVED_METADATA, "library_version", "created")}
        metadata = {**kept, **(metadata or {})}
        stats = look.stats if stats is None else stats
    else:
        generator = look
    from safetensors.torch import save_file

    doc = _document(generator, metadata, stats)
    # contiguous CPU copies: safetensors stores dense row-major tensors (channels_last
    # weights are permuted views) and refuses shared storage.
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in generator.state_dict().items()}
    if stats is not None:
        layers = generator.norm_layers()
        if not isinstance(stats, NormStats) or set(stats.names) != set(layers) or any(
            stats.layers[n][0].numel() != m.channels for n, m in layers.items()
        ):
            raise LookError(
                f"save_look: statistics do not fit the {generator.arch!r} generator "
                f"{generator.settings}: collect them with this generator's collect_stats()"
            )
        tensors.update(stats.to_tensors(_STATS_PREFIX))
        doc["stats_count"] = stats.count

    text = json.dumps(doc, sort_keys=True, allow_nan=False)

    path = Path(path)
    if not path.parent.is_dir():
        raise LookError(f"save_look: folder {str(path.parent)!r} does not exist")
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata={METADATA_KEY: text}))
    return path


def _check_not_pickle(path: Path) -> None:
    """Refuse PyTorch/pickle checkpoints before safetensors sees them, with a clear reason."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head[:2] == b"PK":
        raise LookError(
            f"{str(path)!r} is a PyTorch zip checkpoint (torch.save), not a vfx_nodes look; looks are "
            "safetensors files and vfx_nodes never unpickles. Re-save the weights with vfx_nodes.save_look"
        )
    if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5:
        raise LookError(
            f"{str(path)!r} is a Python pickle, not a vfx_nodes look; vfx_nodes never unpickles files. "
            "Re-save the weights with vfx_nodes.save_look"
        )
    if len(head) < 8:
        raise LookError(f"{str(path)!r} is truncated or empty ({len(head)} bytes): not a safetensors look")
    (header_len,) = struct.unpack("<Q", head)
    size = path.stat().st_size
    if header_len > size - 8:
        raise LookError(
            f"{str(path)!r} is truncated or not a safetensors file: header says {header_len} bytes, "
            f"file has {size - 8} after the length field"
        )


def _read_look(path: str | os.PathLike[str], *, tensors: bool) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """Open a look file safely: ``(path, metadata document, tensors or {})``.

    The one place that checks a look path: existence, a file, not a pickle, a readable
    safetensors header, valid metadata.  ``tensors=False`` reads the header only.
    """
    from safetensors import safe_open

    path = Path(path)
    if not path.exists():
        raise LookNotFoundError(f"look file {str(path)!r} does not exist")
    if not path.is_file():
        raise LookError(f"look path {str(path)!r} is not a file")
    _check_not_pickle(path)
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            doc = _parse_metadata(path, (f.metadata() or {}).get(METADATA_KEY))
            data = {k: f.get_tensor(k) for k in f.keys()} if tensors else {}  # noqa: SIM118 - safe_open has no __iter__
    except LookError:
        raise
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:  # truncated, bad header...
        raise LookError(f"{str(path)!r} is not a readable safetensors look: {exc}") from None
    return path, doc, data


def read_look_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate only the JSON metadata of a look file (no tensors loaded).

    Raises:
        LookNotFoundError: the file does not exist.
        LookError: not a safetensors look, damaged metadata, other format version.
    """
    return _read_look(path, tensors=False)[1]


def _parse_metadata(path: Path, raw: str | None) -> dict[str, Any]:
    if raw is None:
        raise LookError(
            f"{str(path)!r} is a safetensors file without vfx_nodes look metadata "
            f"(no {METADATA_KEY!r} entry); only files written by save_look are looks"
        )
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LookError(f"{str(path)!r}: look metadata is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise LookError(f"{str(path)!r}: look metadata does not declare format {_FORMAT!r}")
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise LookError(f"{str(path)!r}: look metadata has no integer format_version (got {version!r})")
    if version > FORMAT_VERSION:
        raise LookError(
            f"{str(path)!r} is look format {version}, newer than this vfx_nodes "
            f"{_library_version()} reads (format {FORMAT_VERSION}); upgrade vfx_nodes"
        )
    if version < FORMAT_VERSION:
        raise LookError(
            f"{str(path)!r} is look format {version}, older than this vfx_nodes reads "
            f"(format {FORMAT_VERSION}); retrain or re-save it with a matching vfx_nodes"
        )
    arch = doc.get("arch")
    if not isinstance(arch, str) or arch not in ARCHITECTURES:
        raise LookError(
            f"{str(path)!r}: unknown generator architecture {arch!r}; "
            f"{close_matches(str(arch), ARCHITECTURES)}"
        )
    if not isinstance(doc.get("settings", {}), dict):
        raise LookError(f"{str(path)!r}: look settings must be a JSON object, got {doc.get('settings')!r}")
    if not isinstance(doc.get("working_colorspace"), str) or not doc["working_colorspace"]:
        raise LookError(f"{str(path)!r}: look metadata lacks a working_colorspace name")
    return doc


#: the largest magnitude a look's tensor may hold: trained weights and normalisation
#: statistics stay within a few hundred; anything near float32's range is a damaged or
#: poisoned file that would render garbage (or Inf) on every frame
MAX_TENSOR_MAGNITUDE = 1e6


def _check_values(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    """Refuse a look whose tensors cannot compute a picture: NaN/Inf, absurd magnitudes,
    negative variances — named, before any frame is styled.

    Raises:
        LookError: naming the first bad tensor and what is wrong with it.
    """
    for name, t in tensors.items():
        if not t.is_floating_point() or t.numel() == 0:
            continue
        v = t.detach().float()
        finite = torch.isfinite(v)
        if not bool(finite.all()):
            bad = int((~finite).sum())
            raise LookError(f"{str(path)!r}: tensor {name!r} holds {bad} NaN/infinite value(s) of {v.numel()}; "
                            "the look is damaged — export or train it again")
        peak = float(v.abs().max())
        if peak > MAX_TENSOR_MAGNITUDE:
            raise LookError(f"{str(path)!r}: tensor {name!r} holds values up to {peak:.3g} (a look's stay "
                            f"below {MAX_TENSOR_MAGNITUDE:g}); the look is damaged — export or train it again")
        if name.startswith(_STATS_PREFIX) and name.endswith(".var") and float(v.min()) < 0:
            raise LookError(f"{str(path)!r}: statistics tensor {name!r} holds a negative variance; "
                            "the look is damaged — export or train it again")


def _resolve_device(device: torch.device | str | None) -> torch.device:
    if device is None:
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise DeviceError(f"unknown device {device!r}: use 'cpu', 'cuda', 'cuda:N' or 'mps' ({exc})") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError(f"device {str(device)!r} asked for, but CUDA is not available on this machine; use 'cpu'")
    if dev.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise DeviceError(f"device {str(device)!r} asked for, but MPS is not available on this machine; use 'cpu'")
    return dev


def _match_architecture(path: Path, doc: dict[str, Any], generator: Generator,
                        weights: dict[str, torch.Tensor]) -> None:
    """The file's tensors are the architecture's, by name, shape and (floating) type.

    Raises:
        LookError: missing, unexpected or mis-shaped tensors (the first few named), or
            tensors that are not floating point.
    """
    expected = generator.state_dict()
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    wrong = [f"{k} {tuple(weights[k].shape)} (expected {tuple(v.shape)})"
             for k, v in expected.items() if k in weights and weights[k].shape != v.shape]
    parts = [f"{what} {names[:5]}" + (" ..." if len(names) > 5 else "")
             for what, names in (("missing tensors", missing), ("unexpected tensors", unexpected)) if names]
    if wrong:
        parts.append("wrong shapes " + "; ".join(wrong[:5]) + (" ..." if len(wrong) > 5 else ""))
    if parts:
        raise LookError(f"{str(path)!r} does not match architecture {doc['arch']!r} "
                        f"{doc.get('settings')}: " + ", ".join(parts))
    bad_dtype = [k for k, v in weights.items() if not v.is_floating_point()]
    if bad_dtype:
        raise LookError(f"{str(path)!r}: tensors {bad_dtype[:5]} are not floating point")


def _embedded_stats(path: Path, doc: dict[str, Any], tensors: dict[str, torch.Tensor],
                    generator: Generator) -> NormStats | None:
    """The look's own normalisation statistics (``None`` when it has none), checked
    against the generator's layers.

    Raises:
        LookError: statistics for other layers or channel counts.
    """
    if not any(k.startswith(_STATS_PREFIX) for k in tensors):
        return None
    try:
        count = doc.get("stats_count", 1.0)
        count = float(count) if isinstance(count, (int, float)) and count > 0 else 1.0
        stats = NormStats.from_tensors(tensors, prefix=_STATS_PREFIX, count=count,
                                       order=list(generator.norm_layers()))
        for name, m in generator.norm_layers().items():
            if stats.layers[name][0].numel() != m.channels:
                raise ModelError(f"layer {name!r} has {stats.layers[name][0].numel()} channels, "
                                 f"expected {m.channels}")
    except ModelError as exc:
        raise LookError(f"{str(path)!r}: embedded normalisation statistics are damaged: {exc}") from None
    return stats


def load_look(path: str | os.PathLike[str], device: torch.device | str | None = None) -> Look:
    """Load a look file into a ready generator (eval mode) with its metadata.

    Args:
        path: a file written by :func:`save_look`.
        device: where to put the generator (default CPU).

    Returns:
        :class:`Look` with ``generator`` (eval mode), ``metadata``,
        ``working_colorspace``, ``arch`` and the embedded ``stats`` (or None).

    Raises:
        LookNotFoundError: the file does not exist.
        LookError: a pickle or zip checkpoint, a truncated or damaged file, missing or
            invalid metadata, an unknown architecture, another format version, or
            tensors whose names or shapes do not match the architecture.
        DeviceError: the device is unknown or not available.
    """
    dev = _resolve_device(device)
    path, doc, tensors = _read_look(path, tensors=True)

    try:
        generator = build_generator(doc["arch"], **doc.get("settings", {}))
    except (ModelError, TypeError) as exc:
        raise LookError(f"{str(path)!r}: cannot build generator {doc['arch']!r} from its settings: {exc}") from None

    weights = {k: v for k, v in tensors.items() if not k.startswith(_STATS_PREFIX)}
    _match_architecture(path, doc, generator, weights)
    _check_values(path, tensors)
    generator.load_state_dict({k: v.float() for k, v in weights.items()}, strict=True)
    stats = _embedded_stats(path, doc, tensors, generator)
    if stats is not None:
        stats = stats.to(dev)

    generator.to(dev).eval()
    return Look(generator=generator, metadata=doc, working_colorspace=doc["working_colorspace"],
                arch=doc["arch"], stats=stats, path=path)
