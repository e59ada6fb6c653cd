"""Export a look for Flame's Inference node: an ONNX model and its JSON sidecar.

Flame's Inference node (Flame 2025 and later) loads ``.onnx`` models; "when you select
an .onnx file, the software looks for a corresponding .json file with the same name in
the directory.  That JSON file defines the inputs, outputs, and attributes for a
model" (Autodesk Flame 2025 help, "Inference" and "Inference Builder" pages).  The
default sidecar ``inference_builder -j`` writes has the keys used here:
``ModelDescription`` → ``MinimumVersion``, ``Name``, ``Description``,
``SupportsSceneLinear``, ``KeepAspectRatio``, ``Padding``, ``Inputs`` (``Name``,
``Description``, ``Type`` — Front/Back/Matte/Aux — and ``Gain``) and ``Outputs``.
Flame 2025.2 added the ``Channels`` token on inputs and outputs ("What's New in
2025.2: Inference"), so the sidecar asks for 2025.2.  The output entry's ``Type``
("Result"), ``InverseGain`` and ``ScalingFactor`` follow the example of published Flame
exporters (e.g. TuNet's ``convert_flame.py``); the Autodesk pages we could read list the
output types (Result, OutMatte) but not those two keys' defaults.

The Inference node has no colour management: the model expects the look's working
space (display-referred, 0–1) and the sidecar's description says which conversions to
place around it.  It has no custom knobs either, so ``strength`` is baked into the ONNX
graph at export time.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import torch

from ..errors import ExportError
from ._files import write_atomic, write_text
from .host import HostModule

__all__ = ["DEFAULT_OPSET", "INPUT_NAME", "OUTPUT_NAME", "flame_sidecar", "write_onnx", "write_sidecar"]

#: ONNX opset of the export.  Opset 17 (ONNX 1.12, 2022) is supported by every ONNX
#: Runtime since 1.12 and by TensorRT 8.5+; every operator this network needs (Conv,
#: Pad reflect/edge, Resize nearest, ReduceMean, Where, Clip) is older still.  Autodesk
#: does not publish the ONNX Runtime version inside Flame 2025; opset 17 is the
#: conservative choice (docs/EXPORT.md), and ``--opset`` can lower it.
DEFAULT_OPSET = 17

#: Tensor names in the ONNX graph; the sidecar's Inputs/Outputs use the same names.
INPUT_NAME = "input"
OUTPUT_NAME = "output"


def write_onnx(host: HostModule, target: Path, *, opset: int = DEFAULT_OPSET,
               metadata: dict[str, str] | None = None) -> Path:
    """Export ``host`` (built with ``for_onnx=True``) to ONNX with dynamic H and W.

    Uses PyTorch's TorchScript-based exporter (``dynamo=False``): the dynamo exporter,
    the default in this torch, needs ``onnxscript``, which vfx_nodes does not require.
    The graph is checked with :func:`onnx.checker.check_model` before it is renamed
    into place; ``metadata`` becomes the model's ``metadata_props``.
    """
    if not isinstance(opset, int) or isinstance(opset, bool) or not 13 <= opset <= 20:
        raise ExportError(f"ONNX opset must be an integer from 13 to 20 (default {DEFAULT_OPSET}), got {opset!r}")
    try:
        import onnx
    except ImportError:
        raise ExportError("exporting for Flame needs the 'onnx' package: pip install 'vfx-nodes[export]'") from None

    def write(tmp: Path) -> None:
        example = torch.rand(1, 3, 64, 64)
        with warnings.catch_warnings():
            # The legacy exporter warns about its own deprecation and about Python
            # booleans in the trace (the strength test, constant by design).
            warnings.simplefilter("ignore")
            torch.onnx.export(
                host, (example,), str(tmp), dynamo=False, opset_version=opset,
                input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {2: "height", 3: "width"},
                              OUTPUT_NAME: {2: "height", 3: "width"}},
                # The exporter's constant folding drops a node this graph needs (torch
                # 2.13: "input ... is not a graph input"); ONNX Runtime folds at load.
                do_constant_folding=False,
            )
        model = onnx.load(str(tmp))
        for key, value in (metadata or {}).items():
            entry = model.metadata_props.add()
            entry.key, entry.value = str(key), str(value)
        model.producer_name = "vfx_nodes"
        onnx.checker.check_model(model)
        onnx.save(model, str(tmp))

    return write_atomic(target, write)


def flame_sidecar(*, name: str, working_colorspace: str, plate_colorspace: str = "scene_linear",
                  strength: float = 1.0, look_label: str = "", statistics: str = "per image",
                  paint: bool = True) -> dict[str, Any]:
    """The JSON sidecar Flame's Inference node reads next to ``<name>.onnx``.

    ``SupportsSceneLinear`` is false: the network expects display-referred working-space
    values, so the artist converts to the working space before the node (the
    description says how) and back after it.  ``Padding`` is 1 because the network pads
    any H×W internally; ``KeepAspectRatio`` false because it runs at the clip's own size.
    ``paint``: the model paints light above 1 (render's default) rather than carrying it.
    """
    light = ("Light above 1 is painted, as vfx-style render's default (keep values above 1 "
             "between the conversions; do not clip)" if paint else
             "Light above 1 is carried past the network, as vfx-style render --highlights carry")
    description = (
        f"vfx_nodes look {look_label or name}. Expects RGB in '{working_colorspace}' (0-1, "
        f"display-referred), not scene-linear: put a Colour Management node "
        f"'{plate_colorspace}' -> '{working_colorspace}' before this node and "
        f"'{working_colorspace}' -> '{plate_colorspace}' after it, and unpremultiply "
        f"before / premultiply after for clips with alpha. Strength {float(strength):g} is "
        f"baked in (mix in the working space); for a scene-linear mix like vfx-style "
        f"render, export at strength 1 and blend after converting back. "
        f"To matte the look (vfx-style render --mask): blend this result over the original "
        f"clip, in scene-linear after converting back, with the matte as the key (a Comp "
        f"node in Blend mode, or the Action's matte input): out = in + matte * (styled - in). "
        f"Normalisation statistics: {statistics}. {light}."
    )
    return {
        "ModelDescription": {
            "MinimumVersion": "2025.2",
            "Name": name,
            "Description": description,
            "SupportsSceneLinear": False,
            "KeepAspectRatio": False,
            "Padding": 1,
            "Inputs": [
                {
                    "Name": INPUT_NAME,
                    "Description": f"Front clip, RGB in {working_colorspace}",
                    "Type": "Front",
                    "Gain": 1.0,
                    "Channels": "RGB",
                }
            ],
            "Outputs": [
                {
                    "Name": OUTPUT_NAME,
                    "Description": f"Stylised RGB in {working_colorspace}",
                    "Type": "Result",
                    "InverseGain": 1.0,
                    "ScalingFactor": 1.0,
                    "Channels": "RGB",
                }
            ],
        }
    }


def write_sidecar(target: Path, sidecar: dict[str, Any]) -> Path:
    """Write the sidecar as indented JSON, atomically."""
    return write_text(target, json.dumps(sidecar, indent=4) + "\n")
