"""Training checkpoints without pickle: tensors in safetensors, the rest as JSON.

A checkpoint is one ``.safetensors`` file.  Every tensor (generator, discriminator, EMA
weights and buffers, optimiser moment tensors, the torch RNG state as ``uint8``) is a
safetensors tensor; everything else (step, optimiser hyperparameters and scalar state,
the Python and numpy RNG states, the run's configuration, best score) is one JSON
document stored in the safetensors header metadata under ``"vfx_nodes.train"``.  Loading
therefore never unpickles anything: a checkpoint from someone else cannot run code.

Files are written atomically: a temporary name in the same folder, ``fsync``, then
``os.replace``, so a run killed mid-write (``kill -9``) leaves the previous checkpoint
intact and never a half-written one under the final name.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import VfxNodesError

__all__ = [
    "CHECKPOINT_FORMAT",
    "CheckpointError",
    "atomic_write_bytes",
    "check_earlier_run",
    "checkpoint_path",
    "keep_newest_two",
    "latest_checkpoint",
    "load_checkpoint",
    "load_models_state",
    "models_state",
    "optimizer_state_from_flat",
    "optimizer_state_to_flat",
    "rng_state",
    "save_checkpoint",
    "set_aside_earlier_run",
    "set_rng_state",
]

CHECKPOINT_FORMAT = 1
_META_KEY = "vfx_nodes.train"
_NAME = re.compile(r"^checkpoint-(\d+)\.safetensors$")


class CheckpointError(VfxNodesError, ValueError):
    """A training checkpoint is missing, damaged or from an incompatible run."""


def checkpoint_path(folder: str | os.PathLike[str], step: int) -> Path:
    """``folder/checkpoint-00001234.safetensors``."""
    return Path(folder) / f"checkpoint-{step:08d}.safetensors"


def latest_checkpoint(folder: str | os.PathLike[str]) -> Path | None:
    """The checkpoint with the highest step in ``folder``, or ``None``."""
    d = Path(folder)
    if not d.is_dir():
        return None
    best: tuple[int, Path] | None = None
    for p in d.iterdir():
        m = _NAME.match(p.name)
        if m and (best is None or int(m.group(1)) > best[0]):
            best = (int(m.group(1)), p)
    return best[1] if best else None


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (:func:`vfx_nodes._atomic.atomic_write_bytes`:
    a temporary name in the same folder, fsync, then ``os.replace``)."""
    from .._atomic import atomic_write_bytes as _write

    _write(path, data)


# --- optimiser state -------------------------------------------------------------------


def optimizer_state_to_flat(state_dict: Mapping[str, Any], prefix: str
                            ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``optimizer.state_dict()`` into tensors (for safetensors) and JSON.

    Returns:
        ``(tensors, json_part)``: tensors keyed ``{prefix}.state.{param}.{name}``; the JSON
        part holds ``param_groups`` and the non-tensor per-parameter values.
    """
    import torch

    tensors: dict[str, Any] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, st in state_dict["state"].items():
        for k, v in st.items():
            if isinstance(v, torch.Tensor):
                tensors[f"{prefix}.state.{pid}.{k}"] = v.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(pid), {})[k] = v
    groups = []
    for g in state_dict["param_groups"]:
        groups.append({k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()})
    return tensors, {"param_groups": groups, "scalars": scalars,
                     "params": [str(p) for p in state_dict["state"]]}


def optimizer_state_from_flat(tensors: Mapping[str, Any], part: Mapping[str, Any], prefix: str
                              ) -> dict[str, Any]:
    """Inverse of :func:`optimizer_state_to_flat`: a dict for ``optimizer.load_state_dict``."""
    state: dict[int, dict[str, Any]] = {}
    head = f"{prefix}.state."
    for key, t in tensors.items():
        if key.startswith(head):
            pid, name = key[len(head):].split(".", 1)
            state.setdefault(int(pid), {})[name] = t
    for pid, st in part.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(st)
    groups = []
    for g in part["param_groups"]:
        g = dict(g)
        if isinstance(g.get("betas"), list):
            g["betas"] = tuple(g["betas"])
        groups.append(g)
    return {"state": state, "param_groups": groups}


# --- random number generators ----------------------------------------------------------


def rng_state() -> tuple[dict[str, Any], dict[str, Any]]:
    """The global RNG states of torch (CPU and CUDA), numpy and Python ``random``.

    Returns:
        ``(tensors, json_part)``: torch states as ``uint8`` tensors; the numpy state as
        lists with the key array base64-encoded; Python's state as nested lists.
    """
    import torch

    tensors = {"rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{i}"] = s
    name, keys, pos, has_gauss, cached = np.random.get_state()
    np_state = {"name": name, "keys": base64.b64encode(np.asarray(keys, "<u4").tobytes()).decode(),
                "pos": int(pos), "has_gauss": int(has_gauss), "cached_gaussian": float(cached)}
    version, internal, gauss = random.getstate()
    py_state = {"version": version, "internal": list(internal), "gauss_next": gauss}
    return tensors, {"numpy": np_state, "python": py_state}


def set_rng_state(tensors: Mapping[str, Any], part: Mapping[str, Any]) -> None:
    """Restore what :func:`rng_state` returned."""
    import torch

    if "rng.torch" in tensors:
        torch.set_rng_state(tensors["rng.torch"].to(torch.uint8))
    cuda = sorted((k for k in tensors if k.startswith("rng.cuda.")), key=lambda k: int(k.rsplit(".", 1)[1]))
    if cuda and torch.cuda.is_available():
        states = [tensors[k].to(torch.uint8) for k in cuda][: torch.cuda.device_count()]
        torch.cuda.set_rng_state_all(states)
    np_state = part.get("numpy")
    if np_state:
        keys = np.frombuffer(base64.b64decode(np_state["keys"]), "<u4").astype(np.uint32)
        np.random.set_state((np_state["name"], keys, np_state["pos"], np_state["has_gauss"],
                             np_state["cached_gaussian"]))
    py = part.get("python")
    if py:
        random.setstate((py["version"], tuple(py["internal"]), py["gauss_next"]))


# --- files -----------------------------------------------------------------------------


def save_checkpoint(path: str | os.PathLike[str], tensors: Mapping[str, Any],
                    state: Mapping[str, Any]) -> Path:
    """Write one checkpoint atomically.

    Args:
        path: the ``.safetensors`` file to write (its folder must exist).
        tensors: name → tensor (moved to CPU, made contiguous; shared storage is copied).
        state: a JSON-able dict (non-finite floats are allowed and kept).

    Returns:
        The path written.
    """
    from safetensors.torch import save

    flat = {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}
    meta = {_META_KEY: json.dumps({"format": CHECKPOINT_FORMAT, **state}),
            "format": "pt"}
    atomic_write_bytes(path, save(flat, metadata=meta))
    return Path(path)


def load_checkpoint(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read a checkpoint written by :func:`save_checkpoint`: ``(tensors, state)``.

    Raises:
        CheckpointError: missing, damaged, not a vfx_nodes training checkpoint, or from a
            newer format.
    """
    from safetensors import safe_open

    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"training checkpoint {str(p)!r} does not exist")
    try:
        with safe_open(str(p), framework="pt") as fh:
            meta = fh.metadata() or {}
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118 - safe_open has no __iter__
    except (OSError, ValueError, RuntimeError, VfxNodesError) as exc:
        raise CheckpointError(f"training checkpoint {str(p)!r} is damaged: {exc}") from exc
    except Exception as exc:  # safetensors raises its own SafetensorError
        raise CheckpointError(f"training checkpoint {str(p)!r} is damaged: {exc}") from exc
    if _META_KEY not in meta:
        raise CheckpointError(
            f"{str(p)!r} is not a vfx_nodes training checkpoint (no {_META_KEY!r} metadata); "
            "a look file is resumed from with its training folder, not the look itself")
    try:
        state = json.loads(meta[_META_KEY])
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"training checkpoint {str(p)!r} has damaged metadata: {exc}") from exc
    if int(state.get("format", 0)) > CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"training checkpoint {str(p)!r} has format {state.get('format')}, newer than this "
            f"vfx_nodes ({CHECKPOINT_FORMAT}); upgrade vfx_nodes to resume it")
    return tensors, state


# --- the adversarial pair's state --------------------------------------------------------


def models_state(gen: Any, disc: Any, ema: Any, opt_g: Any, opt_d: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(tensors, json)`` of a run's generator, discriminator, EMA, both optimisers and the
    random states — what :func:`load_models_state` puts back (``train`` and keyframe looks)."""
    tensors: dict[str, Any] = {}
    for prefix, sd in (("gen", gen.state_dict()), ("disc", disc.state_dict()), ("ema", ema.state_dict())):
        tensors.update({f"{prefix}.{k}": v for k, v in sd.items()})
    tg, jg = optimizer_state_to_flat(opt_g.state_dict(), "opt_g")
    td, jd = optimizer_state_to_flat(opt_d.state_dict(), "opt_d")
    tr, jr = rng_state()
    for t in (tg, td, tr):
        tensors.update(t)
    return tensors, {"ema_updates": ema.updates, "opt_g": jg, "opt_d": jd, "rng": jr}


def load_models_state(path: str | os.PathLike[str], tensors: Mapping[str, Any], state: Mapping[str, Any],
                      gen: Any, disc: Any, ema: Any, opt_g: Any, opt_d: Any) -> None:
    """Put :func:`models_state`'s tensors and JSON back into the models, optimisers and
    random generators.

    Raises:
        CheckpointError: the checkpoint does not fit these models.
    """

    def part(prefix: str) -> dict[str, Any]:
        return {k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}

    try:
        gen.load_state_dict(part("gen"))
        disc.load_state_dict(part("disc"))
        ema.load_state_dict(part("ema"), state.get("ema_updates", 0))
        opt_g.load_state_dict(optimizer_state_from_flat(tensors, state["opt_g"], "opt_g"))
        opt_d.load_state_dict(optimizer_state_from_flat(tensors, state["opt_d"], "opt_d"))
    except (RuntimeError, KeyError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {str(path)!r} does not fit this run: {exc}") from exc
    set_rng_state(tensors, state.get("rng", {}))


def keep_newest_two(workdir: Path, newest: Path) -> None:
    """Delete a run's checkpoints but ``newest`` and the one before it (in case the newest
    is on a disk that lies about fsync)."""
    olds = sorted(p for p in workdir.glob("checkpoint-*.safetensors") if p != newest)
    for p in olds[:-1]:
        p.unlink(missing_ok=True)


#: what a training run leaves in its work folder (set aside whole by ``overwrite``)
_RUN_FILES = ("checkpoint-*.safetensors", "last.safetensors", "metrics.jsonl")


def _earlier_files(workdir: Path) -> list[Path]:
    if not workdir.is_dir():
        return []
    return sorted(p for pattern in _RUN_FILES for p in workdir.glob(pattern))


def check_earlier_run(out: Path, workdir: Path, *, resume: bool, overwrite: bool) -> None:
    """A new run must not replace what an earlier run made without being told to.

    Raises:
        SettingsError: ``out`` exists, or ``workdir`` holds an earlier run's checkpoints
            or look, and neither ``resume`` nor ``overwrite`` was given (the message says
            which flag does what).
    """
    from ..errors import SettingsError

    if resume or overwrite:
        return
    found = ([str(out)] if out.exists() else []) + [str(p) for p in _earlier_files(workdir)]
    if found:
        more = f" and {len(found) - 1} more" if len(found) > 1 else ""
        raise SettingsError(
            f"an earlier run's files are in the way: {found[0]!r}{more}. Pass resume=True (--resume) to "
            "continue that run, overwrite=True (--overwrite) to start afresh (its checkpoints are set "
            "aside in the work folder, never deleted), or choose another out=/workdir=")


def set_aside_earlier_run(workdir: Path) -> Path | None:
    """Move an earlier run's checkpoints, last look and metrics into
    ``workdir/earlier-run-N/`` (``overwrite``: a fresh run never deletes them, and its
    ``latest_checkpoint`` is never an older run's). Returns that folder, or ``None``."""
    files = _earlier_files(workdir)
    if not files:
        return None
    n = 1
    while (workdir / f"earlier-run-{n}").exists():
        n += 1
    dest = workdir / f"earlier-run-{n}"
    dest.mkdir()
    for p in files:
        os.replace(p, dest / p.name)
    return dest
