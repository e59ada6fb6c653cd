"""Looks in every host: export to Nuke's and Flame's Inference nodes.

One call per host turns a look file into what the host's own ML node loads::

    from vfx_nodes.export import export_look
    files = export_look("oil.safetensors", "nuke", "export/nuke")    # .pt, .nk, create-cat script
    files = export_look("oil.safetensors", "flame", "export/flame")  # .onnx + .json sidecar

* **nuke**: ``<name>.pt`` (TorchScript, scripted; CatFileCreator's rules), ``<name>.nk``
  (a Group: Unpremult → OCIO into the look's working space → Inference → OCIO back,
  over-range residual, strength mix in scene-linear, Premult — the same steps as
  ``vfx-style render``), ``<name>_create_cat.py`` (run in NukeX: creates the ``.cat``)
  and ``README.txt``.
* **flame**: ``<name>.onnx`` (opset 17, dynamic height and width) and ``<name>.json``
  (the Inference node's sidecar, with the colour conversions to place around it).

The network inside both is :func:`build_host_module`: the look's generator layers wrapped
in scriptable modules that call the same arithmetic (:mod:`vfx_nodes.model.ops`), with
per-image normalisation statistics (or baked ones), the engine's value treatments — light
above the working range painted as render's default ``highlights="paint"`` does
(:mod:`.light`), or carried — and the look's stroke scales (:func:`stroke_rows`: render's
``scale="auto"``).
See docs/EXPORT.md for each host's steps and limits.

This package sits at the engine level: it imports :mod:`vfx_nodes.model`,
:mod:`vfx_nodes.color` (for colourspace names) and the frame recipe's constants
(:mod:`vfx_nodes.recipe`), never a host module.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ExportError, LookError, SettingsError
from ..model.ops import check_strength
from ..recipe.highlights import check_highlights
from .host import TORCHSCRIPT_OPERATORS, HostModule, build_host_module

__all__ = [
    "TARGETS",
    "TORCHSCRIPT_OPERATORS",
    "HostModule",
    "build_host_module",
    "export_flame",
    "export_look",
    "export_nuke",
    "stroke_rows",
]

#: Hosts :func:`export_look` writes for.
TARGETS = ("nuke", "flame")


def _look(look: Any):  # type: ignore[no-untyped-def]
    from ..model import Look, load_look

    if isinstance(look, Look):
        return look
    if isinstance(look, (str, os.PathLike)):
        return load_look(look, device="cpu")
    raise LookError(f"look must be a Look or the path of a look file, got {type(look).__name__}")


def _stats(stats: Any, look: Any) -> tuple[Any, str]:
    """(NormStats or None, a phrase for the docs/sidecar)."""
    from ..model import NormStats

    if stats is None:
        return None, "per image (computed from each frame in the host)"
    if isinstance(stats, str) and stats == "look":
        if look.stats is None:
            raise LookError("stats='look' asked for, but the look carries no statistics")
        return look.stats, "frozen (the look's own statistics)"
    if isinstance(stats, NormStats):
        return stats, "frozen (given statistics)"
    if isinstance(stats, (str, os.PathLike)):
        return NormStats.load(stats), f"frozen (from {Path(stats).name})"
    raise SettingsError(f"stats must be None, 'look', NormStats or a statistics file path, got {type(stats).__name__}")


def stroke_rows(look: Any) -> tuple[int, int]:
    """``(frame_height, detail_height)`` of ``look``'s metadata as whole rows (0 = not
    recorded): the stroke scales render paints at with ``scale="auto"``, read as
    :func:`vfx_nodes.engine.pipeline.resolve_scale` and ``engine.detail.detail_scale`` do."""
    meta = getattr(look, "metadata", None) or {}

    def rows(key: str) -> int:
        v = meta.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
            return 0
        return max(1, round(float(v)))
    return rows("frame_height"), rows("detail_height")


def _name(name: str | None, look: Any) -> str:
    from ._files import safe_name

    if name is None:
        path = getattr(look, "path", None)
        name = Path(path).stem if path else f"look_{look.arch}"
    return safe_name(str(name))


def _label(look: Any, name: str) -> str:
    path = getattr(look, "path", None)
    return Path(path).name if path else name


def _check_plate_space(name: Any) -> None:
    """Refuse a plate colourspace the OCIO config in use does not know, before any work
    (the exported files name it, and the host's config must know it too)."""
    from ..color import resolve_colorspace
    from ..errors import ColorError

    if not isinstance(name, str) or not name.strip():
        raise ExportError(f"plate colourspace must be a colourspace name, got {name!r}")
    try:
        resolve_colorspace(name)
    except ColorError as exc:
        raise ExportError(f"plate colourspace: {exc}") from None


def _view(through_view: Any, plate_colorspace: str) -> tuple[str, str] | None:
    """A checked ``through_view`` as the config spells its display and view (``None``: off);
    ``SettingsError``/``ColorSpaceError`` before any work."""
    from ..color.names import resolve_display_view
    from ..policy.settings import check_through_view, split_view

    pair = split_view(check_through_view(through_view))
    if pair is None:
        return None
    return resolve_display_view(*pair, src=plate_colorspace)


def _linear_way(working: str, plate_colorspace: str) -> Any:
    """The working space's curve and matrix to render's mixing space (the plate's space if
    it is scene-linear, else the ``scene_linear`` role), or ``None``."""
    from ..errors import ColorSpaceError
    from ..recipe.frame import mixing_space
    from .linear_way import find_linear_way

    try:
        mix = mixing_space(plate_colorspace)
    except ColorSpaceError:  # a config without a scene_linear role: the rule's colour half
        return None
    return find_linear_way(working, mix)


def _refuse_existing(files: dict[str, Path], overwrite: bool) -> None:
    """An export never replaces files (a hand-edited .nk, an earlier export) unless told."""
    from ..policy.paths import check_output_path

    for p in files.values():
        check_output_path(p, ExportError, "export file")
    existing = [p for p in files.values() if p.exists()]
    if existing and not overwrite:
        more = f" and {len(existing) - 1} more of this export's files" if len(existing) > 1 else ""
        raise ExportError(f"{str(existing[0])!r}{more} already exist(s); pass overwrite=True (--overwrite) to "
                          "replace them, or choose another folder or name=")


def export_nuke(look: Any, out_dir: str | os.PathLike[str], *, name: str | None = None,
                strength: float = 1.0, stats: Any = None,
                plate_colorspace: str = "scene_linear", overwrite: bool = False,
                highlights: str = "paint", through_view: str | None = None) -> dict[str, Path]:
    """Write a look for Nuke's Inference node into ``out_dir`` (created if needed).

    Args:
        look: a :class:`~vfx_nodes.model.Look` or the path of a look file.
        out_dir: output folder.
        name: base name of the files and of the Group (default: the look file's stem);
            reduced to letters, digits and ``_``.
        strength: initial value of the Group's strength knob, which mixes in
            scene-linear as render does.  The model's own ``strength`` attribute (a knob
            on the Inference node once CatFileCreator has a custom knob of that name, a
            mix in the working space) stays 1, so the two never multiply.
        stats: ``None`` (per-image statistics, computed by the host from each frame),
            ``"look"`` (the look's stored statistics), a NormStats or a statistics file.
        plate_colorspace: the colourspace images arrive in at the Group (Nuke's
            ``scene_linear`` role by default).
        overwrite: replace files of an earlier export (default: refused, before any work).
        highlights: render's treatment of light above the working range: ``"paint"``
            (render's default) or ``"carry"`` (:mod:`vfx_nodes.export.light`); the Group
            adds what the working space cannot hold back in scene-linear by render's rule.
        through_view: ``"DISPLAY:VIEW"`` (or ``"default"``) of the OCIO config: the look
            paints through the show's view as render's ``through_view`` does — the Group
            sees the plate through an OCIODisplay node and brings the result back through
            its inverse (``highlights`` is then not used, as in render).

    Returns:
        ``{"torchscript": .pt, "nuke_script": .nk, "cat_script": .py, "readme": .txt}``.

    Raises:
        LookError: missing or damaged look; SettingsError: a strength outside 0–1,
        unknown highlights or a malformed ``through_view``; ColorSpaceError: a display or
        view the config lacks; ExportError: cannot compile or write; files of an earlier
        export in the way.
    """
    from ._files import prepare_folder, write_text
    from .nuke import cat_script, nuke_snippet, readme_text, write_torchscript

    group_strength = check_strength(strength)
    paint = check_highlights(highlights) == "paint"
    view = _view(through_view, plate_colorspace)
    _check_plate_space(plate_colorspace)
    lk = _look(look)
    frozen, _ = _stats(stats, lk)
    base = _name(name, lk)
    names = {"torchscript": f"{base}.pt", "nuke_script": f"{base}.nk", "cat_script": f"{base}_create_cat.py",
             "readme": "README.txt"}
    _refuse_existing({k: Path(out_dir) / v for k, v in names.items()}, overwrite)
    frame_rows, detail_rows = stroke_rows(lk)
    host = build_host_module(lk.generator, strength=1.0, stats=frozen, frame_height=frame_rows,
                             detail_height=detail_rows, highlights="carry" if view else highlights)
    folder = prepare_folder(out_dir)
    files = {k: folder / v for k, v in names.items()}
    cat = folder / f"{base}.cat"
    write_torchscript(host, files["torchscript"])
    write_text(files["nuke_script"], nuke_snippet(
        name=base, cat_file=cat, working_colorspace=lk.working_colorspace,
        plate_colorspace=plate_colorspace, strength=group_strength, look_label=_label(lk, base), paint=paint,
        view=view))
    write_text(files["cat_script"], cat_script(
        name=base, torchscript_file=files["torchscript"], cat_file=cat, nk_file=files["nuke_script"]))
    write_text(files["readme"], readme_text(name=base, files=files, working_colorspace=lk.working_colorspace,
                                            strokes=(frame_rows, detail_rows), paint=paint, view=view))
    return files


def export_flame(look: Any, out_dir: str | os.PathLike[str], *, name: str | None = None,
                 strength: float = 1.0, stats: Any = None, opset: int | None = None,
                 plate_colorspace: str = "scene_linear", overwrite: bool = False,
                 highlights: str = "paint", through_view: str | None = None) -> dict[str, Path]:
    """Write a look for Flame's Inference node into ``out_dir`` (created if needed).

    Args:
        look, out_dir, name, stats, plate_colorspace, overwrite, highlights: as
            :func:`export_nuke`.  There is no colour management around the model: with
            ``"paint"`` it applies render's residual rule itself, in the mixing space
            when the working space is a curve and a matrix from it
            (:mod:`vfx_nodes.export.linear_way`; ONNX metadata ``vfx_nodes.residual``
            ``scene-linear``), else the rule's colour half in the working space.
        through_view: refused (``ExportError``): Flame's node has no view around it.
        strength: baked into the graph (Flame's node has no custom knobs): a mix with
            the input in the working space.
        opset: ONNX opset (default :data:`vfx_nodes.export.flame.DEFAULT_OPSET`, 17).

    Returns:
        ``{"onnx": .onnx, "sidecar": .json}``.

    Raises:
        LookError: missing or damaged look; SettingsError: a strength outside 0–1 or
        unknown highlights; ExportError: cannot export or write.
    """
    from ._files import prepare_folder
    from .flame import DEFAULT_OPSET, flame_sidecar, write_onnx, write_sidecar

    check_strength(strength)
    check_highlights(highlights)
    from ..policy.settings import check_through_view

    if check_through_view(through_view) is not None:
        raise ExportError("through_view applies to the nuke target only: Flame's Inference node has no OCIO "
                          "view around it (docs/EXPORT.md)")
    _check_plate_space(plate_colorspace)
    lk = _look(look)
    frozen, phrase = _stats(stats, lk)
    base = _name(name, lk)
    _refuse_existing({"onnx": Path(out_dir) / f"{base}.onnx", "sidecar": Path(out_dir) / f"{base}.json"}, overwrite)
    frame_rows, detail_rows = stroke_rows(lk)
    way = _linear_way(lk.working_colorspace, plate_colorspace) if highlights == "paint" else None
    host = build_host_module(lk.generator, strength=strength, stats=frozen, for_onnx=True, frame_height=frame_rows,
                             detail_height=detail_rows, highlights=highlights, linear_way=way)
    folder = prepare_folder(out_dir)
    files = {"onnx": folder / f"{base}.onnx", "sidecar": folder / f"{base}.json"}
    from .._version import __version__

    meta = {"vfx_nodes.look": _label(lk, base), "vfx_nodes.arch": lk.arch,
            "vfx_nodes.working_colorspace": lk.working_colorspace,
            "vfx_nodes.strength": repr(host.strength), "vfx_nodes.statistics": phrase,
            "vfx_nodes.stroke_rows": f"{frame_rows} {detail_rows}", "vfx_nodes.highlights": highlights,
            "vfx_nodes.residual": "scene-linear" if way is not None else "working space",
            "vfx_nodes.version": __version__}
    write_onnx(host, files["onnx"], opset=DEFAULT_OPSET if opset is None else opset, metadata=meta)
    write_sidecar(files["sidecar"], flame_sidecar(
        name=base, working_colorspace=lk.working_colorspace, plate_colorspace=plate_colorspace,
        strength=host.strength, look_label=_label(lk, base), statistics=phrase, paint=host.paint))
    return files


def export_look(look: Any, target: str, out_dir: str | os.PathLike[str], **options: Any) -> dict[str, Path]:
    """Export ``look`` for ``target`` (``"nuke"`` or ``"flame"``) into ``out_dir``.

    ``options`` are those of :func:`export_nuke` / :func:`export_flame`.

    Raises:
        ExportError: unknown target (the message lists ``nuke`` and ``flame``), or the
            export failed; LookError: missing or damaged look.
    """
    if target == "nuke":
        if "opset" in options:
            raise ExportError("opset= applies to the flame target only (ONNX)")
        return export_nuke(look, out_dir, **options)
    if target == "flame":
        return export_flame(look, out_dir, **options)
    raise ExportError(f"unknown export target {target!r}: valid targets are 'nuke', 'flame'")
