"""Export a look for Nuke's Inference node: TorchScript, a node-graph snippet, .cat recipe.

Nuke runs PyTorch models through two nodes (Foundry, ".cat File Creation Reference",
learn.foundry.com/nuke/developers/15.0/catfilecreationreferenceguide/):

1. **CatFileCreator** (NukeX/Nuke Studio) turns a TorchScript file into a ``.cat`` file.
   Its knobs: ``torchScriptFile``, ``catFile``, ``channelsIn``, ``channelsOut``,
   ``modelId``, plus custom knobs whose *names equal model attributes* (the guide's
   "Custom Knobs" section; Float_Knob ↔ a ``float`` attribute); ``createCatFile``
   builds the file.  It runs only inside Nuke, so we write a Python script that sets
   it up (``<name>_create_cat.py``) and document the knob values.
2. **Inference** applies the ``.cat`` (knob ``modelFile``).  It has no colour
   management, so the snippet (``<name>.nk``, a Group) wraps it the way
   ``vfx-style render`` works: Unpremult → OCIOColorSpace scene-linear → working space
   → Clamp (below 0; 0–1 with carried highlights) → Inference → OCIOColorSpace back;
   the residual (``lin − to_lin(clamp(to_working(lin)))``) added back (by render's rule
   in three MergeExpression nodes with painted highlights, as it is when carried; with
   ``view``, OCIODisplay nodes take the OCIOColorSpace nodes' place); Dissolve with the original
   by the Group's ``strength`` in scene-linear; alpha copied from the input; premultiply
   where alpha > 0 and the untouched input pixel where alpha ≤ 0 (render's rule; a
   MergeExpression node, since Premult would also zero alpha-0 emission).

``.nk`` stacking rule used here: a node with ``inputs N`` takes the top of the stack
as input 0, the next item as input 1, and so on (``push 0`` before a ScanlineRender in
Nuke's own scripts is its unconnected bg input 0).  The Python builder in the
``_create_cat.py`` script connects the same graph with explicit ``setInput`` calls.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import torch

from ..errors import ExportError
from ._files import write_atomic
from .host import HostModule

__all__ = ["CHANNELS", "PREMULT_EXPR", "cat_script", "nuke_snippet", "write_torchscript"]

#: CatFileCreator's channelsIn / channelsOut value for an RGB model (the guide's
#: Appendix "Channel Names").
CHANNELS = "rgba.red,rgba.green,rgba.blue"

#: The Group's premultiply, per colour channel: render's rule (only where alpha > 0).
# MergeExpression (B = the stylised unpremultiplied pixel with the plate's alpha, A = the
# untouched input): premultiply where alpha > 0; elsewhere keep the input pixel, as render
# does for fully transparent pixels.
PREMULT_EXPR = "Ba > 0 ? B{c} * Ba : A{c}"

#: With painted highlights (render's default) the Group adds what the working space cannot
#: hold (a channel below 0) back by render's rule (``recipe.frame._add_residual``), in three
#: MergeExpression nodes, each reading two images' rgba (``Ar`` … ``Ba``):
#:
#: 1. ``ResidualKeep`` (B = the look in scene-linear, A = the clipped input in scene-linear):
#:    B's RGB, and in alpha how much of the residual's own colour is kept, ``1/(1+(d/0.1)²)``
#:    (``d``: the largest difference of chromaticity; 1 where either sum is ≤ 0.01);
#: 2. ``ResidualFloor`` (B = the clipped input, A = the residual): A's RGB, and in alpha the
#:    clipped input's R + G + B, at least 1 (the change of exposure's denominator);
#: 3. ``AddResidual`` (B = 1, A = 2): ``B + (along + keep·(A − along))·exposure`` with
#:    ``along`` the residual's light in the look's colour and ``exposure`` the pixel's
#:    change of exposure.  The constants are render's: ``CHROMA_FLOOR`` 0.01, ``CHROMA_HOLD`` 0.1,
#:    ``GAIN_FLOOR`` 1 (tests read them from the recipe and evaluate these expressions).
KEEP_TEMPS = (("look_sum", "Br+Bg+Bb"), ("held_sum", "Ar+Ag+Ab"))
KEEP_EXPR = ("(look_sum <= {dim}) || (held_sum <= {dim}) ? 1 : 1 / (1 + pow(max(max("
             "abs(Br/look_sum - Ar/held_sum), abs(Bg/look_sum - Ag/held_sum)), "
             "abs(Bb/look_sum - Ab/held_sum)) / {hold}, 2))")
FLOOR_EXPR = "max(Br+Bg+Bb, {floor})"
ADD_TEMPS = (("exposure", "max(Br+Bg+Bb, {floor}) / Aa"), ("along", "(Ar+Ag+Ab) / max(Br+Bg+Bb, {dim})"))
ADD_EXPR = "B{c} + (along*B{c} + Ba*(A{c} - along*B{c})) * exposure"

#: ``through_view``: the look's brightest channel (B) held to the brighter of render's
#: ``VIEW_CEILING`` and the plate's own brightest channel (A), the pixel scaled (its hue
#: kept): ``recipe.frame._hold_light``.
HOLD_TEMPS = (("top", "max(max(Br, Bg), Bb)"), ("cap", "max(max(max(Ar, Ag), Ab), {ceiling})"))
HOLD_EXPR = "top > cap ? B{c} * cap / top : B{c}"

#: a MergeExpression's channel3 knob that writes alpha (as Nuke saves it)
_ALPHA = "{-rgba.red -rgba.green -rgba.blue rgba.alpha}"


def write_torchscript(host: HostModule, target: Path) -> Path:
    """Compile ``host`` with :func:`torch.jit.script` and save it atomically.

    Scripted, not traced: tracing would freeze the padding and cropping of the example
    size, and the guide recommends ``torch.jit.script`` for models with control flow.
    """
    try:
        scripted = torch.jit.script(host)
    except Exception as exc:  # TorchScript compile errors are RuntimeError subclasses
        raise ExportError(f"could not compile the look to TorchScript: {exc}") from exc
    # Saved through a buffer: torch.jit.save names the archive's root folder after the
    # file, which would otherwise be our temporary name.
    buffer = io.BytesIO()
    try:
        torch.jit.save(scripted, buffer)
    except Exception as exc:
        raise ExportError(f"could not serialise the TorchScript module for {str(target)!r}: {exc}") from exc
    def write(tmp: Path) -> None:
        tmp.write_bytes(buffer.getvalue())

    return write_atomic(target, write)


def _q(text: str) -> str:
    """A Tcl-quoted string for a .nk file."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("[", "\\[").replace("$", "\\$") + '"'


def _nuke_path(path: Path) -> str:
    # Nuke uses forward slashes on every platform (nukescripts.cattery notes this too).
    return str(path).replace("\\", "/")


def _merge_expression(name: str, exprs: list[str], temps: tuple[tuple[str, str], ...] = (),
                      alpha: str | None = None) -> list[str]:
    """A MergeExpression node (two inputs on the stack) as .nk lines."""
    lines = [" MergeExpression {", "  inputs 2"]
    for i, (tname, texpr) in enumerate(temps):
        lines += [f"  temp_name{i} {tname}", f"  temp_expr{i} {_q(texpr)}"]
    lines += [f"  expr{i} {_q(e)}" for i, e in enumerate(exprs)]
    if alpha is not None:
        lines += [f"  channel3 {_ALPHA}", f"  expr3 {_q(alpha)}"]
    return [*lines, f"  name {name}", " }"]


def _to_linear(work: str, lin: str, name: str) -> list[str]:
    """An OCIOColorSpace node from the working space back to the plate's (quoted names)."""
    return [" OCIOColorSpace {", f"  in_colorspace {work}", f"  out_colorspace {lin}", f"  name {name}", " }"]


def _to_view(lin: str, view: tuple[str, str]) -> list[str]:
    """The plate through the show's view (an OCIODisplay node: render's ``through_view``);
    the plate is pushed once more first, to stay below as :func:`_hold_light`'s A input."""
    return [" push $N_lin", " OCIODisplay {", f"  colorspace {lin}", f"  display {_q(view[0])}",
            f"  view {_q(view[1])}", "  name ToView", " }"]


def _from_view(lin: str, view: tuple[str, str], name: str) -> list[str]:
    """Display values back through the inverse view (OCIODisplay with ``invert``)."""
    return [" OCIODisplay {", f"  colorspace {lin}", f"  display {_q(view[0])}", f"  view {_q(view[1])}",
            "  invert true", f"  name {name}", " }"]


def _hold_light() -> list[str]:
    """``through_view``: a stroke lifts a pixel's brightest channel at most to the brighter
    of ``VIEW_CEILING`` and the plate's own (``recipe.frame._hold_light``); B = the look
    (top of the stack), A = the plate in scene-linear (the entry :func:`_to_view` left
    below)."""
    from ..recipe.frame import VIEW_CEILING

    return _merge_expression("HoldLight", [HOLD_EXPR.format(c=c) for c in "rgb"],
                             tuple((n, e.format(ceiling=f"{VIEW_CEILING:g}")) for n, e in HOLD_TEMPS))


def _carried_residual() -> list[str]:
    """The residual (top of the stack) added to the look as it is (``highlights="carry"``)."""
    return [
        " push $N_styled",
        " Merge2 {",
        "  inputs 2",
        "  operation plus",
        "  Achannels rgb",
        "  Bchannels rgb",
        "  output rgb",
        "  name AddResidual",
        " }",
    ]


def _painted_residual() -> list[str]:
    """The residual (top of the stack) added to the look by render's rule (the notes at
    :data:`KEEP_EXPR`)."""
    from ..recipe.frame import CHROMA_FLOOR, CHROMA_HOLD, GAIN_FLOOR

    k = {"dim": f"{CHROMA_FLOOR:g}", "hold": f"{CHROMA_HOLD:g}", "floor": f"{GAIN_FLOOR:g}"}
    # input 0 (B) is the top of the stack, input 1 (A) the entry below it
    return [
        " push $N_held",
        *_merge_expression("ResidualFloor", ["Ar", "Ag", "Ab"], alpha=FLOOR_EXPR.format(**k)),
        " push $N_held",
        " push $N_styled",
        *_merge_expression("ResidualKeep", ["Br", "Bg", "Bb"], KEEP_TEMPS, alpha=KEEP_EXPR.format(**k)),
        *_merge_expression("AddResidual", [ADD_EXPR.format(c=c) for c in "rgb"],
                           tuple((n, e.format(**k)) for n, e in ADD_TEMPS)),
    ]


def nuke_snippet(*, name: str, cat_file: Path, working_colorspace: str,
                 plate_colorspace: str = "scene_linear", strength: float = 1.0,
                 look_label: str = "", paint: bool = True, view: tuple[str, str] | None = None) -> str:
    """The Group node wrapping the Inference node, as .nk text (paste or import it).

    Args:
        name: node-safe name; the Group is called ``VfxStyle_<name>``.
        cat_file: the ``.cat`` CatFileCreator writes (absolute path recommended).
        working_colorspace: the look's working colourspace (OCIO name).
        plate_colorspace: the colourspace of the images arriving at the Group
            (Nuke's working space: the ``scene_linear`` role by default).
        strength: initial value of the Group's strength knob.
        look_label: shown on the Group's panel.
        paint: the module paints light above 1 (render's default ``highlights="paint"``):
            the Clamp clips only below 0, and what it removed is added back by render's
            rule (:data:`KEEP_EXPR` …); False: clipped to 0–1 and added back as it is.
        view: ``(display, view)`` to paint through (render's ``through_view``): the
            Inference node sees the plate through that OCIO view (an OCIODisplay node),
            its result comes back through the inverse view and is held to render's
            ceiling (:data:`HOLD_EXPR`), and the residual is added by render's rule;
            ``working_colorspace`` and ``paint`` are then not used.
    """
    work, lin = _q(working_colorspace), _q(plate_colorspace)
    info = (f"look {look_label or name}: painted through the view {view[0]}: {view[1]}" if view else
            f"look {look_label or name}: working space {working_colorspace}")
    lines = [
        "set cut_paste_input [stack 0]",
        "version 13.0",
        "push $cut_paste_input",
        "Group {",
        f" name VfxStyle_{name}",
        " tile_color 0x7f4f9fff",
        f" label {_q('[value strength]')}",
        " addUserKnob {20 vfx_style l \"VFX Style\"}",
        " addUserKnob {7 strength l strength t "
        "\"0 = the plate, 1 = the look; mixed in scene-linear like vfx-style render\" R 0 1}",
        f" strength {float(strength):g}",
        " addUserKnob {6 premultiplied l \"input is premultiplied\" t "
        "\"Unpremult before and Premult after, as vfx-style render does\" +STARTLINE}",
        " premultiplied true",
        " addUserKnob {6 invert_mask l \"invert mask\" t "
        "\"the look where the mask input's alpha is 0 instead of 1\" +STARTLINE}",
        f" addUserKnob {{26 about l \"\" +STARTLINE T {_q(info)}}}",
        "}",
        " Input {",
        "  inputs 0",
        "  name Input1",
        " }",
        " set N_in [stack 0]",
        " Unpremult {",
        "  channels rgb",
        "  disable {{!parent.premultiplied}}",
        "  name Unpremult1",
        " }",
        " set N_lin [stack 0]",
        *(_to_view(lin, view) if view else [
            " OCIOColorSpace {",
            f"  in_colorspace {lin}",
            f"  out_colorspace {work}",
            "  name ToWorkingSpace",
            " }"]),
        " Clamp {",
        "  channels rgb",
        # painting: only below 0 (and above render's 1e6); the model shoulders the light
        *(["  maximum 1000000"] if paint and not view else []),
        "  name ClipToTrainingRange",
        " }",
        " set N_clip [stack 0]",
        " Inference {",
        f"  modelFile {_q(_nuke_path(cat_file))}",
        "  name Inference1",
        " }",
        # through the view, the inverse takes display values 0–1 (render clips them too)
        *([" Clamp {", "  channels rgb", "  name ClipToDisplay", " }"] if view else []),
        *(_from_view(lin, view, "StyledToLinear") if view else _to_linear(work, lin, "StyledToLinear")),
        *(_hold_light() if view else []),
        " set N_styled [stack 0]",
        # residual = lin - to_lin(clip): Merge2 minus is A - B; input 0 (top) is B.
        " push $N_lin",
        " push $N_clip",
        *(_from_view(lin, view, "ClippedToLinear") if view else _to_linear(work, lin, "ClippedToLinear")),
        " set N_held [stack 0]",
        " Merge2 {",
        "  inputs 2",
        "  operation minus",
        "  Achannels rgb",
        "  Bchannels rgb",
        "  output rgb",
        "  name OverRangeResidual",
        " }",
        *(_painted_residual() if paint or view else _carried_residual()),
        # Dissolve input 0 (top: the plate) at which=0, input 1 (the look) at which=1.
        " push $N_lin",
        " Dissolve {",
        "  inputs 2",
        "  which {{parent.strength}}",
        "  name Strength",
        " }",
        " set N_mixed [stack 0]",
        # The Group's mask input, Nuke's own way (Keymix: B = input 0, A = input 1, mask =
        # input 2; out = A·m + B·(1 − m)). B is the look and A the plate, so that a
        # disabled Keymix passes the look (a disabled node passes input 0); the mask is
        # inverted once more to match, giving out = in + mask·strength·(styled − in) as
        # render's --mask does. With nothing on the mask input the Keymix is disabled and
        # the whole frame takes the look (the "[exists parent.input1]" gizmo idiom).
        " Input {",
        "  inputs 0",
        "  name mask",
        "  number 1",
        " }",
        " push $N_lin",
        " push $N_mixed",
        " Keymix {",
        "  inputs 3",
        "  channels rgb",
        "  maskChannel rgba.alpha",
        "  invertMask {{!parent.invert_mask}}",
        "  disable {{\"!\\[exists parent.input1]\"}}",
        "  name Matte",
        " }",
        " set N_matted [stack 0]",
        # Copy: input 0 (top) is B, which receives; input 1 is A, the alpha source.
        " push $N_lin",
        " push $N_matted",
        " Copy {",
        "  inputs 2",
        "  from0 rgba.alpha",
        "  to0 rgba.alpha",
        "  name KeepAlpha",
        " }",
        # Premultiply where alpha > 0; where alpha ≤ 0 keep the input pixel untouched, as
        # render does (vfx_nodes.engine.pipeline). MergeExpression: input 0 (top) is B,
        # input 1 is A; its expressions read A's and B's channels as Ar, Ba, ...
        " set N_keep [stack 0]",
        " push $N_in",
        " push $N_keep",
        " MergeExpression {",
        "  inputs 2",
        f"  expr0 {_q(PREMULT_EXPR.format(c='r'))}",
        f"  expr1 {_q(PREMULT_EXPR.format(c='g'))}",
        f"  expr2 {_q(PREMULT_EXPR.format(c='b'))}",
        "  disable {{!parent.premultiplied}}",
        "  name Premult1",
        "  label \"premult where alpha > 0, else the input\"",
        " }",
        " Output {",
        "  name Output1",
        " }",
        "end_group",
        "",
    ]
    return "\n".join(lines)


def cat_script(*, name: str, torchscript_file: Path, cat_file: Path, nk_file: Path) -> str:
    """A Python script to run inside NukeX that writes the ``.cat`` and adds the Group.

    Knob values follow the .cat File Creation Reference: ``channelsIn``/``channelsOut``
    the three rgba channels, ``modelId`` the look name, and a Float custom knob named
    ``strength`` like the model attribute, so Inference shows it as a knob (default
    1: inside the Group the mix happens in scene-linear instead).
    """
    here = json.dumps(_nuke_path(torchscript_file.parent))
    return f'''"""Create {cat_file.name} from {torchscript_file.name} with Nuke's CatFileCreator.

Run inside NukeX or Nuke Studio (CatFileCreator is not available in plain Nuke):
Script Editor -> open this file -> Run.  Written by ``vfx-style export --target nuke``;
see docs/EXPORT.md in vfx_nodes.
"""

import os

import nuke

try:
    HERE = os.path.dirname(os.path.abspath(__file__)).replace("\\\\", "/")
except NameError:  # pasted into the Script Editor
    HERE = {here}

TORCHSCRIPT_FILE = HERE + "/{torchscript_file.name}"
CAT_FILE = HERE + "/{cat_file.name}"
NK_FILE = HERE + "/{nk_file.name}"


def create_cat():
    """Set up a CatFileCreator exactly as docs/EXPORT.md lists and run it."""
    node = nuke.createNode("CatFileCreator")
    node["torchScriptFile"].setValue(TORCHSCRIPT_FILE)
    node["catFile"].setValue(CAT_FILE)
    node["channelsIn"].setValue("{CHANNELS}")
    node["channelsOut"].setValue("{CHANNELS}")
    node["modelId"].setValue("{name}")
    # Custom knob: its name must equal the model attribute "strength" (a float), so
    # the Inference node exposes it (the guide's "Custom Knobs" section).
    knob = nuke.Double_Knob("strength", "strength")
    knob.setRange(0.0, 1.0)
    knob.setValue(1.0)
    node.addKnob(knob)
    node["createCatFile"].execute()
    return node


def add_group():
    """Paste the colour-managed Group that wraps the Inference node."""
    return nuke.nodePaste(NK_FILE)


if __name__ == "__main__":
    create_cat()
    add_group()
'''


def readme_text(*, name: str, files: dict[str, Any], working_colorspace: str, strokes: tuple[int, int] = (0, 0),
                paint: bool = True, view: tuple[str, str] | None = None) -> str:
    """A short README for the export folder (the full text is docs/EXPORT.md); ``strokes``:
    the look's ``(frame_height, detail_height)`` (0: not recorded); ``paint``: light above
    1 painted (render's default) rather than carried; ``view``: painted through that
    display and view instead (render's ``through_view``)."""
    frame_rows, detail_rows = strokes
    again = f" and again at\n{detail_rows} (two stroke scales)," if detail_rows else ",\n"
    painted = (f"\nOn a frame taller than {frame_rows} rows the look paints at {frame_rows} rows{again} "
               "as vfx-style render does with --scale auto.\n").replace("\n ", "\n") if frame_rows else ""
    light = ("Light above 1 (a lit window, a sky) is painted, as vfx-style render's default\n"
             "--highlights paint." if paint else
             "Light above 1 is carried past the network, as vfx-style render --highlights carry.")
    around = f"scene_linear -> {working_colorspace}"
    if view:
        around = f"scene_linear -> the view {view[0]}: {view[1]} (OCIODisplay nodes)"
        light = f"The look paints through that view, as vfx-style render --through-view \"{view[0]}:{view[1]}\"."
    return f"""{name} for Nuke (written by vfx-style export --target nuke)

1. In NukeX: Script Editor > open {files['cat_script'].name} > run.  It creates a
   CatFileCreator (torchScriptFile {files['torchscript'].name}, catFile {name}.cat,
   channelsIn/channelsOut {CHANNELS}, modelId {name}, custom Float knob "strength"),
   presses "Create .cat file" and pastes {files['nuke_script'].name}.
2. Or by hand: File > Import Script > {files['nuke_script'].name} (the Group
   VfxStyle_{name}); it expects {name}.cat in this folder.

The Group converts {around} around the Inference node,
like vfx-style render; Nuke must use the same OCIO config as render.
{light}
{painted}
To matte the look (vfx-style render --mask): connect the matte to the Group's mask
input (its alpha is used; the "invert mask" knob flips it). Inside, a Keymix mixes the
plate and the look by it in scene-linear: out = in + mask * strength * (styled - in),
what render gives. With nothing on the mask input the whole frame takes the look.
"""
