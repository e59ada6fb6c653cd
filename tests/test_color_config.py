"""Config search order, caching, errors, shipped configs and name resolution."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import PyOpenColorIO as ocio
import pytest

from vfx_nodes.color import (
    ALIASES,
    BUILTIN_DEFAULT,
    DEFAULT_PLATE_SPACE,
    DEFAULT_RASTER_SPACE,
    DEFAULT_WORKING_SPACE,
    LUT_DIR,
    clear_caches,
    colorspace_names,
    config_source,
    convert_rgb,
    display_names,
    get_config,
    lut_names,
    lut_path,
    resolve_colorspace,
    resolve_display_view,
    view_names,
)
from vfx_nodes.errors import ColorConfigError, ColorError, ColorSpaceError

# A tiny hand-written config: scene-linear reference, a space that is the reference
# doubled (exact in float32, so golden values are exact), a data space, and roles.
TINY = """ocio_profile_version: 2

environment: {}
search_path: ""
strictparsing: true
luma: [0.2126, 0.7152, 0.0722]
name: vfx_nodes_tiny_test

roles:
  default: lin
  scene_linear: lin
  data: raw
  compositing_log: double

displays:
  Monitor:
    - !<View> {name: Plain, colorspace: double}
active_displays: []
active_views: []

colorspaces:
  - !<ColorSpace>
    name: lin
    aliases: [linear_tiny]
    isdata: false
  - !<ColorSpace>
    name: double
    isdata: false
    from_scene_reference: !<MatrixTransform> {matrix: [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]}
  - !<ColorSpace>
    name: raw
    isdata: true
"""


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch):
    """Every test starts with no $OCIO, no extra LUT folders and empty caches."""
    monkeypatch.delenv("OCIO", raising=False)
    monkeypatch.delenv("VFX_NODES_LUT_PATH", raising=False)
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.ocio"
    path.write_text(TINY)
    return path


# --- search order -------------------------------------------------------------------------


def test_default_is_builtin_studio_config_and_cached():
    cfg = get_config()
    assert cfg.getName() == ocio.Config.CreateFromFile(BUILTIN_DEFAULT).getName()
    assert get_config() is cfg
    assert get_config(BUILTIN_DEFAULT) is cfg
    assert config_source(cfg) == BUILTIN_DEFAULT


def test_ocio_env_is_honoured(tiny: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OCIO", str(tiny))
    cfg = get_config()
    assert cfg.getName() == "vfx_nodes_tiny_test"
    assert str(tiny.resolve()) in config_source(cfg)
    # every function without config= uses it: 'double' is the reference ×2, exactly.
    out = convert_rgb(np.array([[0.25, -1.0, 1000.0]], np.float32), "scene_linear", "double")
    np.testing.assert_array_equal(out, [[0.5, -2.0, 2000.0]])
    assert resolve_colorspace("compositing_log") == "double"
    assert resolve_display_view() == ("Monitor", "Plain")


def test_changing_ocio_env_switches_config(tiny: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OCIO", str(tiny))
    assert get_config().getName() == "vfx_nodes_tiny_test"
    monkeypatch.delenv("OCIO")
    assert get_config().getName() != "vfx_nodes_tiny_test"
    monkeypatch.setenv("OCIO", "")  # empty means unset, as in OCIO itself
    assert get_config().getName() != "vfx_nodes_tiny_test"


def test_argument_beats_ocio_env(tiny: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OCIO", str(tiny))
    assert get_config(BUILTIN_DEFAULT).getName().startswith("studio-config")
    assert resolve_colorspace("scene_linear", config=BUILTIN_DEFAULT) == "ACEScg"


def test_ocio_config_object_passes_through(tiny: Path):
    cfg = ocio.Config.CreateFromFile(str(tiny))
    assert get_config(cfg) is cfg
    assert resolve_colorspace("linear_tiny", cfg) == "lin"


def test_exported_builtin_config_in_a_folder(tmp_path: Path):
    builtin = ocio.Config.CreateFromFile(BUILTIN_DEFAULT)
    (tmp_path / "config.ocio").write_text(builtin.serialize())
    by_folder = get_config(tmp_path)
    by_file = get_config(tmp_path / "config.ocio")
    assert by_folder is by_file
    assert by_file.getName() == builtin.getName()
    x = np.array([[0.18, 1.0, 100.0]], np.float32)
    np.testing.assert_array_equal(convert_rgb(x, "ACEScg", "ACEScct", config=by_file),
                                  convert_rgb(x, "ACEScg", "ACEScct"))


def test_edited_config_file_is_reloaded(tiny: Path):
    first = get_config(tiny)
    tiny.write_text(TINY.replace("name: vfx_nodes_tiny_test", "name: vfx_nodes_tiny_edited"))
    st = tiny.stat()
    os.utime(tiny, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    second = get_config(tiny)
    assert second is not first and second.getName() == "vfx_nodes_tiny_edited"


# --- config errors ----------------------------------------------------------------------


def test_missing_config_names_it(tmp_path: Path):
    missing = tmp_path / "nope" / "config.ocio"
    with pytest.raises(ColorConfigError, match=re.escape(str(missing))):
        get_config(missing)


def test_missing_ocio_env_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OCIO", str(tmp_path / "gone.ocio"))
    with pytest.raises(ColorConfigError, match=r"gone\.ocio.*\$OCIO"):
        get_config()


def test_broken_config_names_it_and_the_reason(tmp_path: Path):
    bad = tmp_path / "broken.ocio"
    bad.write_text("ocio_profile_version: 2\ncolorspaces: [this is: not: yaml\n")
    with pytest.raises(ColorConfigError, match=r"broken\.ocio.*could not be loaded"):
        get_config(bad)


def test_config_failing_validation_is_rejected(tmp_path: Path):
    bad = tmp_path / "badrole.ocio"
    bad.write_text(TINY.replace("data: raw", "data: no_such_space"))
    with pytest.raises(ColorConfigError, match="badrole.ocio"):
        get_config(bad)


def test_unknown_builtin_uri():
    with pytest.raises(ColorConfigError, match="ocio://no-such-config"):
        get_config("ocio://no-such-config")


@pytest.mark.parametrize("value", [42, 1.5, ["a"], ""])
def test_config_argument_type(value):
    with pytest.raises(ColorConfigError):
        get_config(value)


def test_config_errors_are_value_errors():
    assert issubclass(ColorConfigError, ColorError) and issubclass(ColorConfigError, ValueError)


# --- shipped configs (vfx_nodes/luts) ---------------------------------------------------


def test_shipped_config_by_name():
    path = lut_path("vfx_nodes_studio")
    assert path == LUT_DIR / "vfx_nodes_studio.ocio" and path.is_file()
    assert lut_path("vfx_nodes_studio.ocio") == path
    assert "vfx_nodes_studio" in lut_names()
    cfg = get_config("vfx_nodes_studio")
    assert cfg is get_config(path)
    assert str(path) in config_source(cfg)


def test_shipped_config_is_self_contained_and_old_enough_for_every_supported_ocio():
    text = (LUT_DIR / "vfx_nodes_studio.ocio").read_text()
    major, minor = (int(v) for v in re.search(r"^ocio_profile_version: (\d+)\.(\d+)", text, re.MULTILINE).groups())
    # pyproject allows opencolorio>=2.3; the profile must not ask for more.
    assert (major, minor) <= (2, 3)
    assert re.search(r'^search_path: ""', text, re.MULTILINE)
    assert "FileTransform" not in text  # no external LUT files to go missing


def test_shipped_config_is_the_unedited_builtin():
    name = "studio-config-v1.0.0_aces-v1.3_ocio-v2.1"
    if name not in list(ocio.BuiltinConfigRegistry()):
        pytest.skip(f"this OCIO has no built-in {name}")
    shipped = ocio.Config.CreateFromFile(str(LUT_DIR / "vfx_nodes_studio.ocio"))
    assert shipped.serialize() == ocio.Config.CreateFromFile("ocio://" + name).serialize()


@pytest.mark.parametrize("src,dst", [("ACEScg", DEFAULT_WORKING_SPACE), ("ACEScg", "ACES2065-1"),
                                     ("ACEScg", "ACEScct"), (DEFAULT_RASTER_SPACE, DEFAULT_PLATE_SPACE)])
def test_shipped_config_converts_the_defaults_like_the_builtin(src, dst):
    x = np.random.default_rng(3).uniform(-0.5, 200.0, (64, 3)).astype(np.float32)
    np.testing.assert_array_equal(convert_rgb(x, src, dst, config="vfx_nodes_studio"),
                                  convert_rgb(x, src, dst))


def test_lut_path_search_path_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "vfx_nodes_studio.ocio").write_text(TINY)
    (tmp_path / "grade.cube").write_text("LUT_3D_SIZE 2\n")
    monkeypatch.setenv("VFX_NODES_LUT_PATH", os.pathsep.join([str(tmp_path / "missing"), str(tmp_path)]))
    assert lut_path("vfx_nodes_studio") == tmp_path / "vfx_nodes_studio.ocio"
    assert lut_path("grade") == tmp_path / "grade.cube"
    assert {"grade", "vfx_nodes_studio"} <= set(lut_names())
    assert get_config("vfx_nodes_studio").getName() == "vfx_nodes_tiny_test"


def test_unknown_lut_lists_close_names():
    with pytest.raises(ColorConfigError, match="did you mean 'vfx_nodes_studio'"):
        lut_path("vfx_nodes_studo")
    with pytest.raises(ColorConfigError, match="vfx_nodes_studio"):
        get_config("vfx_nodes_studo")


@pytest.mark.parametrize("name", ["../vfx_nodes_studio", "a/b", "", None])
def test_lut_names_are_not_paths(name):
    with pytest.raises(ColorConfigError):
        lut_path(name)


# --- colourspace names ------------------------------------------------------------------


@pytest.mark.parametrize("name,expected", [
    ("ACEScg", "ACEScg"),
    ("acescg", "ACEScg"),                      # OCIO look-ups ignore case
    ("lin_ap1", "ACEScg"),                     # an alias the config defines
    ("scene_linear", "ACEScg"),                # a role
    ("aces_interchange", "ACES2065-1"),
    ("compositing_log", "ACEScct"),
    ("color_picking", "sRGB Encoded Rec.709 (sRGB)"),
    ("Utility - sRGB - Texture", "sRGB Encoded Rec.709 (sRGB)"),
])
def test_resolve_names_aliases_and_roles(name, expected):
    assert resolve_colorspace(name) == expected


def test_defaults_resolve_in_builtin_and_shipped_configs():
    for config in (None, "vfx_nodes_studio"):
        for name in (DEFAULT_PLATE_SPACE, DEFAULT_RASTER_SPACE, DEFAULT_WORKING_SPACE, *ALIASES):
            assert resolve_colorspace(name, config) in colorspace_names(config)


def test_aliases_table_is_the_fallback():
    # The shipped (ACES 1.3 era) config calls sRGB-encoded Rec.709 "sRGB - Texture" and
    # knows no "sRGB Encoded Rec.709 (sRGB)": the ALIASES table bridges the two.
    assert "sRGB Encoded Rec.709 (sRGB)" not in colorspace_names("vfx_nodes_studio")
    assert resolve_colorspace("sRGB Encoded Rec.709 (sRGB)", "vfx_nodes_studio") == "sRGB - Texture"
    # Roles are never used as fallbacks for a named space (they are facility choices).
    for spellings in ALIASES.values():
        assert not {"scene_linear", "compositing_log", "texture_paint", "color_picking"} & set(spellings)


def test_aliases_do_not_invent_spaces(tiny: Path):
    with pytest.raises(ColorSpaceError, match="unknown colourspace 'ACEScg'"):
        resolve_colorspace("ACEScg", tiny)


@pytest.mark.parametrize("typo,suggestion", [
    ("ACEScgg", "ACEScg"),
    ("scene_linaer", "scene_linear"),
    ("srgb_textur", "srgb_texture"),
])
def test_unknown_colorspace_lists_close_matches(typo, suggestion):
    with pytest.raises(ColorSpaceError) as info:
        resolve_colorspace(typo)
    message = str(info.value)
    assert repr(typo) in message and "did you mean" in message and repr(suggestion) in message
    assert BUILTIN_DEFAULT in message
    assert isinstance(info.value, ValueError)


def test_unknown_colorspace_in_a_facility_config_lists_its_names(tiny: Path):
    with pytest.raises(ColorSpaceError, match=r"'dubble'.*did you mean 'double'"):
        resolve_colorspace("dubble", tiny)


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_colorspace_name_must_be_a_string(bad):
    with pytest.raises(ColorSpaceError):
        resolve_colorspace(bad)


def test_role_naming_a_missing_space_is_a_config_error():
    cfg = ocio.Config.CreateRaw()
    cfg.setRole("matte_paint", "nowhere")
    with pytest.raises(ColorConfigError, match=r"role 'matte_paint'.*'nowhere'"):
        resolve_colorspace("matte_paint", cfg)


# --- displays and views -----------------------------------------------------------------


def test_display_view_defaults_are_the_configs():
    cfg = get_config()
    display = cfg.getDefaultDisplay()
    assert resolve_display_view() == (display, cfg.getDefaultView(display))
    assert display_names()[0] == display
    assert cfg.getDefaultView(display) in view_names()
    # OCIO's viewing rules pick the default view from the source space.
    assert resolve_display_view(src="Raw") == (display, "Raw")
    assert resolve_display_view(src="scene_linear")[1] == cfg.getDefaultView(display, "ACEScg")


def test_display_view_names_are_case_insensitive():
    assert resolve_display_view("srgb - display", "raw") == ("sRGB - Display", "Raw")


def test_unknown_display_or_view_lists_close_matches():
    with pytest.raises(ColorSpaceError, match=r"unknown display 'sRGB'.*'sRGB - Display'"):
        resolve_display_view("sRGB")
    with pytest.raises(ColorSpaceError,
                       match=r"unknown view 'Un-tonemapped' for display 'sRGB - Display'.*'Un-tone-mapped'"):
        resolve_display_view("sRGB - Display", "Un-tonemapped")
    with pytest.raises(ColorSpaceError):
        view_names("no display")


def test_importing_color_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, vfx_nodes.color; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
