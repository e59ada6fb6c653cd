"""The Nuke side of the export: the Group snippet and the CatFileCreator script.

No Nuke here, so the tests read the ``.nk`` text the way Nuke's script loader does (a
node with ``inputs N`` takes the top of the stack as input 0; ``set``/``push`` name and
reuse stack entries), check every connection, and then *evaluate* the Group with the
documented meaning of each node (Unpremult, OCIOColorSpace, Clamp, Inference = the
exported TorchScript, Merge2 minus/plus, Dissolve, Copy, Premult) to show that the
Group reproduces ``vfx-style render`` (engine ``stylize``) on a scene-linear plate with
alpha, over-range highlights and a strength of 0.5.  The CatFileCreator script runs
against a stub ``nuke`` module (as the open-source Nuke submitters test theirs).
"""

from __future__ import annotations

import copy
import re
import runpy
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import torch

from vfx_nodes.export import export_look
from vfx_nodes.export.nuke import CHANNELS, PREMULT_EXPR
from vfx_nodes.model import build_generator, load_look, save_look
from vfx_nodes.plate import Plate

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module", params=["paint", "carry"])
def highlights(request) -> str:
    """The export's treatment of light above 1: render's default (paint), or carried."""
    return request.param


@pytest.fixture(scope="module")
def exported(tmp_path_factory, highlights):
    torch.manual_seed(3)
    gen = build_generator("johnson-small", width=8, blocks=1)
    with torch.no_grad():
        for p in gen.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    folder = tmp_path_factory.mktemp("nuke")
    path = folder / "watercolour.safetensors"
    save_look(gen.eval(), path)
    files = export_look(path, "nuke", folder / "export", strength=0.75, highlights=highlights)
    return load_look(path), files


# --- a reader for the .nk subset the export writes ----------------------------------------


@dataclass
class Node:
    cls: str
    knobs: dict[str, str] = field(default_factory=dict)
    inputs: list[Node | None] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.knobs.get("name", self.cls)


def _unquote(value: str) -> str:
    value = value.strip()
    if value.startswith('"') and value.endswith('"'):
        value = re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def read_nk(text: str) -> tuple[Node, dict[str, Node]]:
    """(the Group node, its inner nodes by name), connected by Nuke's stack rule."""
    lines = text.splitlines()
    stack: list[Node | None] = []
    names: dict[str, Node | None] = {}
    group: Node | None = None
    inner: dict[str, Node] = {}
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("version") or line == "end_group":
            continue
        if m := re.fullmatch(r"set (\w+) \[stack 0\]", line):
            names[m.group(1)] = stack[-1] if stack else None
            continue
        if m := re.fullmatch(r"push \$(\w+)", line):
            stack.append(names[m.group(1)])
            continue
        if line == "push 0":
            stack.append(None)
            continue
        m = re.fullmatch(r"(\w+) \{", line)
        assert m, f"unexpected line {line!r}"
        node = Node(m.group(1))
        while (line := lines[i].strip()) != "}":
            i += 1
            if line.startswith("addUserKnob"):
                node.knobs.setdefault("_user", "")
                node.knobs["_user"] += line + "\n"
                continue
            key, _, value = line.partition(" ")
            node.knobs[key] = _unquote(value)
        i += 1
        n = int(node.knobs.get("inputs", "1"))
        popped = [stack.pop() if stack else None for _ in range(n)]
        node.inputs = popped  # top of the stack first: input 0
        stack.append(node)
        if node.cls == "Group":
            group = node
            stack = []  # the group's own graph starts empty
        else:
            inner[node.name] = node
    assert group is not None
    return group, inner


@pytest.fixture(scope="module")
def graph(exported):
    _, files = exported
    return read_nk(files["nuke_script"].read_text())


def test_group_knobs(graph, exported):
    group, _ = graph
    look, _ = exported
    assert group.knobs["name"] == "VfxStyle_watercolour"
    assert "7 strength" in group.knobs["_user"] and group.knobs["strength"] == "0.75"
    assert group.knobs["premultiplied"] == "true"
    assert look.working_colorspace in group.knobs["_user"]


def test_connections(graph, highlights):
    _, nodes = graph
    src = {name: [i.name if i else None for i in n.inputs] for name, n in nodes.items()}
    assert src["Unpremult1"] == ["Input1"]
    assert src["ToWorkingSpace"] == ["Unpremult1"]
    assert src["ClipToTrainingRange"] == ["ToWorkingSpace"]
    assert src["Inference1"] == ["ClipToTrainingRange"]
    assert src["StyledToLinear"] == ["Inference1"]
    assert src["ClippedToLinear"] == ["ClipToTrainingRange"]
    # Merge2: input 0 is B, input 1 is A; minus is A - B = lin - to_lin(clip).
    assert src["OverRangeResidual"] == ["ClippedToLinear", "Unpremult1"]
    if highlights == "carry":
        assert src["AddResidual"] == ["StyledToLinear", "OverRangeResidual"]
    else:
        # render's rule for the residual (nuke.KEEP_EXPR …): B (input 0), A (input 1)
        assert src["ResidualFloor"] == ["ClippedToLinear", "OverRangeResidual"]
        assert src["ResidualKeep"] == ["StyledToLinear", "ClippedToLinear"]
        assert src["AddResidual"] == ["ResidualKeep", "ResidualFloor"]
        assert nodes["ClipToTrainingRange"].knobs["maximum"] == "1000000"
    # Dissolve: which=0 gives input 0 (the plate), which=1 input 1 (the look).
    assert src["Strength"] == ["Unpremult1", "AddResidual"]
    assert nodes["Strength"].knobs["which"] == "{{parent.strength}}"
    # Keymix: input 0 is B (the mixed look, what a disabled Keymix passes), 1 is A (the
    # plate), 2 the Group's mask input.
    assert src["Matte"] == ["Strength", "Unpremult1", "mask"]
    assert nodes["mask"].knobs["number"] == "1"
    # Copy: input 0 (B) receives the alpha of input 1 (A).
    assert src["KeepAlpha"] == ["Matte", "Unpremult1"]
    # MergeExpression: input 0 (B) the stylised pixel, input 1 (A) the untouched input.
    assert src["Premult1"] == ["KeepAlpha", "Input1"]
    assert [nodes["Premult1"].knobs[f"expr{i}"] for i in range(3)] == [PREMULT_EXPR.format(c=c) for c in "rgb"]
    assert src["Output1"] == ["Premult1"]


def test_colour_spaces_and_model_file(graph, exported):
    _, nodes = graph
    look, files = exported
    work = look.working_colorspace
    to_work = nodes["ToWorkingSpace"].knobs
    assert (to_work["in_colorspace"], to_work["out_colorspace"]) == ("scene_linear", work)
    for name in ("StyledToLinear", "ClippedToLinear"):
        assert (nodes[name].knobs["in_colorspace"], nodes[name].knobs["out_colorspace"]) == (work, "scene_linear")
    cat = nodes["Inference1"].knobs["modelFile"]
    assert cat.endswith("/watercolour.cat") and "\\" not in cat
    assert Path(cat).parent == files["torchscript"].parent


# --- the Group evaluated with each node's documented meaning ------------------------------


def _split_top(text: str, sep: str) -> int:
    """The index of the first ``sep`` outside parentheses, or -1."""
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if ch == sep and depth == 0:
            return i
    return -1


def _nuke_expr(text: str, env: dict) -> np.ndarray:
    """A Nuke expression of the subset the Group uses — numbers, channel names, temporary
    variables, + − * /, comparisons in parentheses, ``||``, ``max``, ``abs``, ``pow`` and a
    top-level ``cond ? a : b`` — evaluated per pixel with numpy."""
    q = _split_top(text, "?")
    if q >= 0:
        rest = text[q + 1:]
        c = _split_top(rest, ":")
        assert c >= 0, f"a ? without a : in {text!r}"
        return np.where(_nuke_expr(text[:q], env), _nuke_expr(rest[:c], env), _nuke_expr(rest[c + 1:], env))
    py = text.replace("||", "|")
    assert re.fullmatch(r"[\w\s.+\-*/<>=|(),]*", py), f"outside the evaluated subset: {text!r}"
    funcs = {"max": np.maximum, "abs": np.abs, "pow": np.power}
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(eval(py, {"__builtins__": {}}, {**funcs, **env}), np.float32)


def _merge_expression(node: Node, b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """MergeExpression: B (input 0) with expr0–2 on R, G, B and, where channel3 names alpha,
    expr3 on alpha; ``temp_nameN``/``temp_exprN`` evaluated first, in order."""
    env = {f"{side}{c}": img[..., i] for side, img in (("A", a), ("B", b)) for i, c in enumerate("rgba")}
    for i in range(4):
        if f"temp_name{i}" in node.knobs:
            env[node.knobs[f"temp_name{i}"]] = _nuke_expr(node.knobs[f"temp_expr{i}"], env)
    out = b.copy()
    for i in range(3):
        out[..., i] = _nuke_expr(node.knobs[f"expr{i}"], env)
    if "expr3" in node.knobs:
        assert node.knobs["channel3"] == "{-rgba.red -rgba.green -rgba.blue rgba.alpha}"
        out[..., 3] = _nuke_expr(node.knobs["expr3"], env)
    return out


def _evaluate(nodes: dict[str, Node], group: Node, plate: np.ndarray, module,
              mask: np.ndarray | None = None) -> np.ndarray:
    """RGBA H×W×4 in (and an RGBA matte on the mask input, or none), RGBA out, following
    the graph from Output1."""
    from vfx_nodes.color import convert_rgb

    knobs = {"strength": float(group.knobs["strength"]), "premultiplied": True,
             "invert_mask": group.knobs.get("invert_mask") == "true"}
    cache: dict[str, np.ndarray] = {}

    def ev(node: Node) -> np.ndarray:
        if node.name in cache:
            return cache[node.name]
        if node.cls == "Keymix" and mask is None:  # disabled: "![exists parent.input1]"
            assert node.knobs["disable"] == '{{"!\\[exists parent.input1]"}}'
            return ev(node.inputs[0])
        ins = [ev(n) for n in node.inputs if n is not None]
        if node.cls == "Input" and node.knobs.get("number") == "1":
            assert mask is not None
            out = mask.copy()
        elif node.cls == "Input":
            out = plate.copy()
        elif node.cls == "Unpremult":  # divide where alpha != 0
            out = ins[0].copy()
            a = out[..., 3:]
            out[..., :3] = np.where(a != 0, out[..., :3] / np.where(a != 0, a, 1), out[..., :3])
        elif node.cls == "MergeExpression":
            out = _merge_expression(node, ins[0], ins[1])
        elif node.cls == "OCIODisplay":  # the view, or with invert its inverse (OCIO's exact processors)
            from vfx_nodes.color.convert import get_display_view_processor

            out = ins[0].copy()
            proc = get_display_view_processor(node.knobs["colorspace"], node.knobs["display"], node.knobs["view"],
                                              inverse=node.knobs.get("invert") == "true")
            rgb = np.ascontiguousarray(out[..., :3])
            proc.applyRGB(rgb)
            out[..., :3] = rgb
        elif node.cls == "OCIOColorSpace":
            out = ins[0].copy()
            out[..., :3] = convert_rgb(out[..., :3], node.knobs["in_colorspace"], node.knobs["out_colorspace"])
        elif node.cls == "Clamp":  # minimum 0 and maximum 1 unless the knobs say otherwise
            out = ins[0].copy()
            out[..., :3] = np.clip(out[..., :3], float(node.knobs.get("minimum", 0)),
                                   float(node.knobs.get("maximum", 1)))
        elif node.cls == "Inference":
            out = ins[0].copy()
            x = torch.from_numpy(np.ascontiguousarray(out[..., :3].transpose(2, 0, 1)))[None]
            with torch.no_grad():
                out[..., :3] = module(x)[0].permute(1, 2, 0).numpy()
        elif node.cls == "Merge2":
            b, a = ins[0], ins[1]
            out = b.copy()
            op = node.knobs["operation"]
            out[..., :3] = a[..., :3] - b[..., :3] if op == "minus" else a[..., :3] + b[..., :3]
        elif node.cls == "Dissolve":
            w = knobs["strength"] if "parent.strength" in node.knobs["which"] else float(node.knobs["which"])
            out = ins[0] * (1 - w) + ins[1] * w
        elif node.cls == "Keymix":  # out = A·m + B·(1 − m) on its channels
            assert (node.knobs["channels"], node.knobs["maskChannel"]) == ("rgb", "rgba.alpha")
            assert node.knobs["invertMask"] == "{{!parent.invert_mask}}"
            b, a, m = ins[0], ins[1], ins[2][..., 3:]
            m = m if knobs["invert_mask"] else 1 - m
            out = b.copy()
            out[..., :3] = a[..., :3] * m + b[..., :3] * (1 - m)
        elif node.cls == "Copy":
            out = ins[0].copy()
            out[..., 3] = ins[1][..., 3]
        elif node.cls == "Output":
            out = ins[0]
        else:  # pragma: no cover - the test fails on an unknown node
            raise AssertionError(f"no meaning for {node.cls}")
        cache[node.name] = out
        return out

    return ev(nodes["Output1"])


def test_group_reproduces_render(graph, exported, highlights):
    from vfx_nodes.engine import stylize

    group, nodes = graph
    look, files = exported
    module = torch.jit.load(str(files["torchscript"]))
    rng = np.random.default_rng(7)
    h, w = 37, 45
    alpha = rng.uniform(0.2, 1.0, (h, w)).astype(np.float32)
    alpha[:3, :5] = 0.0  # transparent corner
    lin = rng.uniform(0.0, 0.9, (h, w, 3)).astype(np.float32)
    lin[10, 10] = (25.0, 18.0, 9.0)  # a sun: far above the working range
    lin[12, 30] = (-0.02, 0.3, 0.1)  # out of gamut
    rgba = np.dstack([lin * alpha[..., None], alpha]).astype(np.float32)

    nuke = _evaluate(nodes, group, rgba, module)

    plate = Plate(rgba, ("R", "G", "B", "A"), colorspace="scene_linear")
    render = stylize(plate, look, tile=0, strength=float(group.knobs["strength"]), highlights=highlights).pixels
    np.testing.assert_array_equal(nuke[..., 3], rgba[..., 3])
    np.testing.assert_allclose(nuke, render, atol=2e-4, rtol=1e-5)
    assert nuke[10, 10, 0] > 5  # the sun survived


def test_group_adds_the_residual_by_renders_rule(graph, exported, highlights):
    """Saturated scene-linear colour (a channel below 0 in the working space) on a third of
    the frame: the Group's three MergeExpressions give render's result, where adding the
    residual as it is would not (so the expressions are what carries it)."""
    from vfx_nodes.engine import stylize

    if highlights == "carry":
        pytest.skip("carried highlights add the residual as it is")
    group, nodes = graph
    look, files = exported
    module = torch.jit.load(str(files["torchscript"]))
    rng = np.random.default_rng(11)
    h, w = 31, 43
    lin = rng.uniform(0.0, 2.0, (h, w, 3)).astype(np.float32)
    sat = rng.random((h, w)) < 0.35
    lin[sat, rng.integers(0, 3, sat.sum())] = -0.05  # out of the working gamut
    rgba = np.dstack([lin, np.ones((h, w), np.float32)])

    nuke = _evaluate(nodes, group, rgba, module)
    plate = Plate(rgba, ("R", "G", "B", "A"), colorspace="scene_linear")
    render = stylize(plate, look, tile=0, strength=float(group.knobs["strength"])).pixels
    np.testing.assert_allclose(nuke, render, atol=2e-4, rtol=1e-5)

    as_is = copy.deepcopy(nodes)  # the graph fixture is shared: rewire a copy
    plus = Node("Merge2", {"operation": "plus", "name": "AddResidual"},
                [as_is["StyledToLinear"], as_is["OverRangeResidual"]])
    for node in as_is.values():
        node.inputs = [plus if i is not None and i.name == "AddResidual" else i for i in node.inputs]
    as_is["AddResidual"] = plus
    plain = _evaluate(as_is, group, rgba, module)
    assert np.abs(plain - render)[sat].max() > 1e-2


@pytest.mark.parametrize("view", ["sRGB - Display:Video (colorimetric)",
                                  "sRGB - Display:ACES 2.0 - SDR 100 nits (Rec.709)"])
def test_group_painting_through_a_view_reproduces_render(exported, view, tmp_path):
    """``through_view``: OCIODisplay in, the inverse out, render's hold on the light and its
    rule for the residual.  A view of matrices and curves is exact in render too; the
    ACES 2.0 view render bakes into LUTs (color/baked.py) where Nuke runs OCIO's exact
    transform, so there the two agree to the bake's accuracy."""
    from vfx_nodes.engine import stylize

    look, _ = exported
    files = export_look(look, "nuke", tmp_path / "view", strength=1.0, through_view=view)
    group, nodes = read_nk(files["nuke_script"].read_text())
    module = torch.jit.load(str(files["torchscript"]))
    assert not module.paint  # the view takes the highlights' place, as in render
    rng = np.random.default_rng(12)
    h, w = 33, 47
    lin = rng.uniform(0.0, 1.5, (h, w, 3)).astype(np.float32)
    lin[5:9, 5:12] = (30.0, 22.0, 12.0)  # light above the view's white
    lin[20, 30] = (0.8, -0.05, 0.02)  # outside the view's gamut
    rgba = np.dstack([lin, np.ones((h, w), np.float32)])
    nuke = _evaluate(nodes, group, rgba, module)
    plate = Plate(rgba, ("R", "G", "B", "A"), colorspace="scene_linear")
    render = stylize(plate, look, tile=0, through_view=view).pixels
    if "ACES" in view:  # as the compositor sees them: through the view
        from vfx_nodes.color.display import to_display

        seen = np.abs(to_display(nuke[..., :3], "scene_linear", *view.split(":"))
                      - to_display(render[..., :3], "scene_linear", *view.split(":")))
        # render's bake is least exact where the inverse is steepest (near display white,
        # where this random look paints much): a code or two of 8 bits at the 99th percentile
        assert np.median(seen) < 1.5e-3 and np.percentile(seen, 99) < 1e-2
    else:
        np.testing.assert_allclose(nuke, render, atol=2e-4, rtol=1e-4)
    assert nuke[5:9, 5:12, :3].max() > 4.0  # the light came back


def test_through_view_is_checked_before_any_work(exported, tmp_path):
    from vfx_nodes.errors import ColorSpaceError, ExportError, SettingsError

    look, _ = exported
    with pytest.raises(ColorSpaceError, match="unknown view"):
        export_look(look, "nuke", tmp_path / "a", through_view="sRGB - Display:No Such View")
    with pytest.raises(SettingsError, match="DISPLAY:VIEW"):
        export_look(look, "nuke", tmp_path / "b", through_view="no colon")
    with pytest.raises(ExportError, match="nuke target only"):
        export_look(look, "flame", tmp_path / "c", through_view="default")
    assert not any((tmp_path / d).exists() for d in "abc")


@pytest.mark.parametrize("invert", [False, True])
def test_group_under_a_matte_reproduces_render_with_mask(graph, exported, highlights, invert):
    from vfx_nodes.engine import stylize

    group, nodes = graph
    look, files = exported
    module = torch.jit.load(str(files["torchscript"]))
    rng = np.random.default_rng(9)
    h, w = 29, 41
    alpha = rng.uniform(0.3, 1.0, (h, w)).astype(np.float32)
    lin = rng.uniform(0.0, 0.9, (h, w, 3)).astype(np.float32)
    rgba = np.dstack([lin * alpha[..., None], alpha]).astype(np.float32)
    ramp = np.tile(np.linspace(0, 1, w, dtype=np.float32), (h, 1))
    ramp[:, :8] = 0.0  # a clean strip: the plate there
    matte = np.zeros((h, w, 4), np.float32)
    matte[..., 3] = ramp
    knobs = dict(group.knobs, invert_mask="true" if invert else "false")
    nuke = _evaluate(nodes, Node(group.cls, knobs), rgba, module, mask=matte)

    plate = Plate(rgba, ("R", "G", "B", "A"), colorspace="scene_linear")
    render = stylize(plate, look, tile=0, strength=float(group.knobs["strength"]), mask=ramp,
                     highlights=highlights, invert_mask=invert).pixels
    np.testing.assert_allclose(nuke, render, atol=2e-4, rtol=1e-5)
    clean = slice(None), slice(0, 8)
    if not invert:
        np.testing.assert_allclose(nuke[clean], rgba[clean], atol=1e-6)


def test_group_at_strength_zero_returns_the_plate(graph, exported):
    group, nodes = graph
    _, files = exported
    module = torch.jit.load(str(files["torchscript"]))
    rgba = np.random.default_rng(8).uniform(0.1, 1, (20, 24, 4)).astype(np.float32)
    zero = Node(group.cls, dict(group.knobs, strength="0"))
    np.testing.assert_allclose(_evaluate(nodes, zero, rgba, module), rgba, atol=1e-6)


# --- the CatFileCreator script -------------------------------------------------------------


class _Knob:
    def __init__(self, name: str, label: str = ""):
        self.name, self.label, self.value, self.executed = name, label, None, False
        self.range = None

    def setValue(self, value):
        self.value = value

    def setRange(self, lo, hi):
        self.range = (lo, hi)

    def execute(self):
        self.executed = True


class _Node:
    def __init__(self, cls: str):
        self.cls = cls
        self.knobs = {k: _Knob(k) for k in ("torchScriptFile", "catFile", "channelsIn", "channelsOut",
                                             "modelId", "createCatFile")}

    def __getitem__(self, key):
        return self.knobs[key]

    def addKnob(self, knob):
        self.knobs[knob.name] = knob


@pytest.fixture
def fake_nuke(monkeypatch):
    mod = types.ModuleType("nuke")
    mod.created, mod.pasted = [], []

    def create_node(cls):
        node = _Node(cls)
        mod.created.append(node)
        return node

    mod.createNode = create_node
    mod.Double_Knob = _Knob
    mod.nodePaste = lambda path: mod.pasted.append(path)
    monkeypatch.setitem(sys.modules, "nuke", mod)
    return mod


def test_cat_script_sets_up_catfilecreator(exported, fake_nuke):
    _, files = exported
    runpy.run_path(str(files["cat_script"]), run_name="__main__")
    (node,) = fake_nuke.created
    k = node.knobs
    folder = files["torchscript"].parent.as_posix()
    assert node.cls == "CatFileCreator"
    assert k["torchScriptFile"].value == f"{folder}/watercolour.pt"
    assert k["catFile"].value == f"{folder}/watercolour.cat"
    assert k["channelsIn"].value == k["channelsOut"].value == CHANNELS == "rgba.red,rgba.green,rgba.blue"
    assert k["modelId"].value == "watercolour"
    # The custom knob carries the model attribute's name, so Inference shows it.
    assert k["strength"].value == 1.0 and k["strength"].range == (0.0, 1.0)
    assert k["createCatFile"].executed
    assert fake_nuke.pasted == [f"{folder}/watercolour.nk"]


def test_custom_knob_name_is_a_model_attribute(exported):
    _, files = exported
    module = torch.jit.load(str(files["torchscript"]))
    # 1: the Group mixes in scene-linear (its own knob is 0.75); the two never multiply.
    assert module.strength == 1.0


def test_readme_names_the_steps(exported):
    _, files = exported
    text = files["readme"].read_text()
    assert "watercolour_create_cat.py" in text and "watercolour.nk" in text and CHANNELS in text
