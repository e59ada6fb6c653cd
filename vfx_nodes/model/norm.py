"""Instance normalisation whose statistics can be per image, collected, or frozen.

A feed-forward style network normalises every feature map by its own mean and variance
(instance normalisation, Ulyanov et al. 2016).  That is right for training, but it makes
the output of a tile depend on what else is in the tile, which is where seams between
tiles and flicker between frames come from.  URST (Chen et al., AAAI 2022, "Towards
Ultra-Resolution Neural Style Transfer via Thumbnail Instance Normalization") computes the
statistics once, on a thumbnail of the whole frame, freezes them and applies them to every
tile; shared across a shot they also steady a sequence.

:class:`StatsInstanceNorm2d` has three modes:

* **per image** (default, training): statistics of the input itself;
* **collect**: like per image, and the statistics are recorded;
* **frozen**: given statistics are applied to every input, so the layer becomes a fixed
  per-channel affine map and the whole network becomes shift-equivariant.

:class:`NormStats` holds the statistics of every normalisation layer of one generator.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import LookError, LookNotFoundError, ModelError
from . import ops
from ._files import atomic_write
from .ops import DEAD_VAR, dead_channel_gate

__all__ = ["DEAD_VAR", "NormStats", "StatsInstanceNorm2d", "dead_channel_gate"]

_STATS_FORMAT = "vfx_nodes.normstats"
_STATS_VERSION = 1


class NormStats:
    """Per-layer, per-channel mean and variance of a generator's normalisation layers.

    Args:
        layers: layer name (the module path inside the generator, e.g. ``"blocks.0.norm1"``)
            → ``(mean, var)``, two 1-D float tensors of the layer's channel count. ``var``
            is the biased (population) variance, as instance normalisation uses.
        count: how many images' worth of pixels the statistics summarise (the weight
            :meth:`merge` gives them); one image of H×W pixels counts ``H*W``.

    Instances are treated as immutable: every method returns a new object.
    """

    __slots__ = ("count", "layers")

    def __init__(self, layers: Mapping[str, tuple[torch.Tensor, torch.Tensor]], count: float = 1.0):
        checked: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        for name, pair in layers.items():
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ModelError(f"NormStats layer {name!r}: expected a (mean, var) pair, got {type(pair).__name__}")
            mean, var = (torch.as_tensor(t) for t in pair)
            if mean.ndim != 1 or mean.shape != var.shape:
                raise ModelError(
                    f"NormStats layer {name!r}: mean and var must be 1-D of equal length, "
                    f"got {tuple(mean.shape)} and {tuple(var.shape)}"
                )
            checked[name] = (mean.detach(), var.detach())
        if not count > 0:
            raise ModelError(f"NormStats count must be > 0, got {count!r}")
        self.layers = checked
        self.count = float(count)

    # --- views ----------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """Layer names in the order the generator runs them."""
        return list(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        chans = ", ".join(f"{k}:{v[0].numel()}" for k, v in list(self.layers.items())[:3])
        more = ", ..." if len(self.layers) > 3 else ""
        return f"NormStats({len(self.layers)} layers [{chans}{more}], count={self.count:g})"

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> NormStats:
        """Return a copy with every tensor moved to ``device`` and/or cast to ``dtype``."""
        return NormStats(
            {k: (m.to(device=device, dtype=dtype), v.to(device=device, dtype=dtype))
             for k, (m, v) in self.layers.items()},
            self.count,
        )

    def allclose(self, other: NormStats, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
        """True when both hold the same layers with numerically equal statistics."""
        if set(self.names) != set(other.names):
            return False
        return all(
            torch.allclose(m, other.layers[k][0].to(m), rtol=rtol, atol=atol)
            and torch.allclose(v, other.layers[k][1].to(v), rtol=rtol, atol=atol)
            for k, (m, v) in self.layers.items()
        )

    # --- combining ------------------------------------------------------------------

    @staticmethod
    def merge(stats: Sequence[NormStats] | Iterable[NormStats], weights: Sequence[float] | None = None) -> NormStats:
        """Pool several frames' (or images') statistics into one, e.g. shot statistics.

        The result is the mean and variance of the union of all the pixels, each input
        weighted by ``w_k`` (default: its :attr:`count`, i.e. its pixel count).  With
        normalised weights ``p_k = w_k / Σ w`` and per-input mean ``μ_k`` and variance
        ``σ²_k`` (law of total variance)::

            μ  = Σ_k p_k μ_k
            σ² = Σ_k p_k (σ²_k + (μ_k − μ)²)

        i.e. the average within-frame variance plus the variance of the frame means.
        Averaging the variances alone would under-estimate the spread of a shot whose
        frames differ in brightness.

        Args:
            stats: one or more NormStats with the same layers and channel counts.
            weights: optional non-negative weight per input (sum > 0).

        Returns:
            A new NormStats whose ``count`` is the sum of the inputs' counts.

        Raises:
            ModelError: empty list, mismatched layers or channel counts, bad weights.
        """
        items = list(stats)
        if not items:
            raise ModelError("NormStats.merge needs at least one NormStats")
        for i, s in enumerate(items):
            if not isinstance(s, NormStats):
                raise ModelError(f"NormStats.merge: item {i} is {type(s).__name__}, not NormStats")
        first = items[0]
        for i, s in enumerate(items[1:], 1):
            if set(s.names) != set(first.names):
                raise ModelError(
                    f"NormStats.merge: item {i} has layers {s.names[:4]}... but item 0 has "
                    f"{first.names[:4]}...; statistics of different generators cannot be merged"
                )
            for k in first.names:
                if s.layers[k][0].shape != first.layers[k][0].shape:
                    raise ModelError(
                        f"NormStats.merge: layer {k!r} has {s.layers[k][0].numel()} channels in "
                        f"item {i} but {first.layers[k][0].numel()} in item 0"
                    )
        if weights is None:
            w = [s.count for s in items]
        else:
            w = [float(x) for x in weights]
            if len(w) != len(items) or any(x < 0 for x in w) or sum(w) <= 0:
                raise ModelError(
                    f"NormStats.merge: weights must be {len(items)} non-negative numbers with a "
                    f"positive sum, got {list(weights)!r}"
                )
        total = sum(w)
        p = [x / total for x in w]
        out: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        for k in first.names:
            ref = first.layers[k][0]
            # Accumulate in float64: variances of a shot are small differences of sums.
            means = torch.stack([s.layers[k][0].to(ref.device, torch.float64) for s in items])
            vars_ = torch.stack([s.layers[k][1].to(ref.device, torch.float64) for s in items])
            pw = torch.tensor(p, dtype=torch.float64, device=ref.device)[:, None]
            mu = (pw * means).sum(0)
            var = (pw * (vars_ + (means - mu) ** 2)).sum(0)
            out[k] = (mu.to(ref.dtype), var.to(ref.dtype))
        return NormStats(out, count=sum(s.count for s in items))

    # --- files ----------------------------------------------------------------------

    def to_tensors(self, prefix: str = "") -> dict[str, torch.Tensor]:
        """Flat ``{prefix + layer + ".mean"/".var": tensor}`` dict (contiguous, CPU)."""
        flat: dict[str, torch.Tensor] = {}
        for k, (m, v) in self.layers.items():
            flat[f"{prefix}{k}.mean"] = m.detach().to("cpu").contiguous()
            flat[f"{prefix}{k}.var"] = v.detach().to("cpu").contiguous()
        return flat

    @classmethod
    def from_tensors(cls, flat: Mapping[str, torch.Tensor], prefix: str = "", count: float = 1.0,
                     order: Sequence[str] | None = None) -> NormStats:
        """Inverse of :meth:`to_tensors`; ``order`` gives the layer order (else the keys' order)."""
        names: list[str] = []
        for key in flat:
            if key.startswith(prefix) and key.endswith(".mean"):
                names.append(key[len(prefix):-len(".mean")])
        if order is not None:
            missing = [n for n in order if n not in names]
            if missing:
                raise ModelError(f"normalisation statistics lack layers {missing}")
            names = list(order)
        layers = {}
        for n in names:
            var_key = f"{prefix}{n}.var"
            if var_key not in flat:
                raise ModelError(f"normalisation statistics: {n!r} has a mean but no variance")
            layers[n] = (flat[f"{prefix}{n}.mean"], flat[var_key])
        return cls(layers, count)

    def save(self, path: str | os.PathLike[str], provenance: Mapping[str, Any] | None = None) -> None:
        """Write the statistics to a safetensors file (atomically: temporary name, then rename).

        Args:
            path: the file.
            provenance: what the statistics were made from (JSON-serialisable: the look's
                fingerprint, the frame range, the settings), read back by
                :meth:`read_provenance` so a stale file is caught before it is applied.

        Raises:
            LookError: the file cannot be written (missing or read-only folder, full disk).
        """
        from safetensors.torch import save_file

        path = Path(path)
        meta = {"format": _STATS_FORMAT, "format_version": str(_STATS_VERSION), "count": repr(self.count),
                "order": json.dumps(self.names)}
        if provenance is not None:
            meta["provenance"] = json.dumps(dict(provenance), sort_keys=True)
        if not path.parent.is_dir():
            raise LookError(f"cannot write the statistics file {str(path)!r}: its folder does not exist")
        tensors = self.to_tensors()
        atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=meta), LookError)

    @staticmethod
    def read_provenance(path: str | os.PathLike[str]) -> dict[str, Any] | None:
        """The provenance :meth:`save` recorded, or ``None`` (an older file, or none given).

        Raises:
            LookError: not a readable statistics file.
        """
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(path), framework="pt", device="cpu") as f:
                raw = (f.metadata() or {}).get("provenance")
        except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
            raise LookError(f"{str(path)!r} is not a readable safetensors statistics file: {exc}") from None
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            raise LookError(f"{str(path)!r}: damaged statistics provenance") from None
        return value if isinstance(value, dict) else None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NormStats:
        """Read statistics written by :meth:`save` (never unpickles).

        Raises:
            LookNotFoundError: the file does not exist.
            LookError: not a safetensors statistics file, or a newer format.
        """
        from safetensors import SafetensorError, safe_open

        path = Path(path)
        if not path.is_file():
            raise LookNotFoundError(f"normalisation statistics file {str(path)!r} does not exist")
        try:
            with safe_open(str(path), framework="pt", device="cpu") as f:
                meta = f.metadata() or {}
                flat = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - safe_open has no __iter__
        except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
            raise LookError(f"{str(path)!r} is not a readable safetensors statistics file: {exc}") from None
        if meta.get("format") != _STATS_FORMAT:
            raise LookError(f"{str(path)!r} is not a vfx_nodes normalisation statistics file")
        try:
            version = int(meta.get("format_version", "0"))
            count = float(meta.get("count", "1"))
            order = json.loads(meta["order"]) if "order" in meta else None
        except (ValueError, TypeError) as exc:
            raise LookError(f"{str(path)!r}: damaged statistics metadata ({exc})") from None
        if version != _STATS_VERSION:
            raise LookError(f"{str(path)!r} has statistics format {version}; this vfx_nodes reads {_STATS_VERSION}")
        try:
            return cls.from_tensors(flat, count=count, order=order)
        except ModelError as exc:
            raise LookError(f"{str(path)!r}: {exc}") from None


class StatsInstanceNorm2d(nn.Module):
    """Affine instance normalisation with per-image, collecting and frozen modes.

    ``y = (x − μ) / sqrt(σ² + eps) · γ + β`` per channel, with ``μ, σ²`` the mean and
    biased variance over H×W of each image (per image / collect mode) or given statistics
    (frozen mode).  Written with plain tensor ops so it keeps ``channels_last`` layout and
    matches :class:`torch.nn.InstanceNorm2d` (``affine=True``) numerically.

    Args:
        channels: number of channels.
        eps: added to the variance.
    """

    def __init__(self, channels: int, eps: float = 1e-5):
        super().__init__()
        self.channels = channels
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        # Frozen statistics travel with .to(device) but are not part of the state dict:
        # they belong to a frame or shot, not to the look.
        self.frozen_mean: torch.Tensor | None
        self.frozen_var: torch.Tensor | None
        self.register_buffer("frozen_mean", None, persistent=False)
        self.register_buffer("frozen_var", None, persistent=False)
        self.collecting = False
        #: per-image (mean, var), each N×C, of the last forward in collect mode
        self.collected: tuple[torch.Tensor, torch.Tensor] | None = None

    @property
    def frozen(self) -> bool:
        """True when frozen statistics are applied instead of each input's own."""
        return self.frozen_mean is not None

    def freeze(self, mean: torch.Tensor, var: torch.Tensor) -> None:
        """Apply ``mean``/``var`` (1-D, ``channels`` long) to every later input."""
        if mean.shape != (self.channels,) or var.shape != (self.channels,):
            raise ModelError(
                f"frozen statistics need {self.channels} channels, got mean {tuple(mean.shape)} "
                f"and var {tuple(var.shape)}"
            )
        self.frozen_mean = mean.detach().to(self.weight.device, torch.float32).clone()
        self.frozen_var = var.detach().to(self.weight.device, torch.float32).clone()

    def clear(self) -> None:
        """Go back to per-image statistics."""
        self.frozen_mean = None
        self.frozen_var = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.frozen_mean is not None and self.frozen_var is not None and not self.collecting:
            mean32 = self.frozen_mean.reshape(1, -1, 1, 1)
            var32 = self.frozen_var.reshape(1, -1, 1, 1)
        else:
            mean32, var32 = ops.channel_stats(x)
            if self.collecting:
                self.collected = (mean32.detach().flatten(1), var32.detach().flatten(1))
        # One definition of the arithmetic, shared with the host exports (model.ops).
        return ops.normalize(x, self.weight, self.bias, mean32, var32, self.eps)

    def extra_repr(self) -> str:
        return f"{self.channels}, eps={self.eps}, frozen={self.frozen}"
