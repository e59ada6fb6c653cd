"""Fuzz targets for what a user points vfx_nodes at (issue 29): damaged EXR headers and
bytes, look metadata, frame ranges and patterns, colourspace names. The property: the
reader answers with a result or one :class:`~vfx_nodes.errors.VfxNodesError` — never
another exception (a traceback from deep inside a library), a crash or a hang.

Run longer locally with ``HYPOTHESIS_PROFILE=fuzz`` (1000 examples per target)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vfx_nodes.errors import VfxNodesError

settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("fuzz", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _sample_exr() -> bytes:
    from vfx_nodes.io import write_plate
    from vfx_nodes.plate import Plate

    with tempfile.TemporaryDirectory() as tmp:
        px = np.random.default_rng(0).random((6, 9, 4)).astype(np.float32)
        write_plate(Plate(px, ("R", "G", "B", "A"), data_window=(2, 1, 10, 6), display_window=(0, 0, 12, 8)),
                    Path(tmp) / "s.exr")
        return (Path(tmp) / "s.exr").read_bytes()


SAMPLE = _sample_exr()


@given(edits=st.lists(st.tuples(st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)), max_size=6),
       cut=st.one_of(st.none(), st.integers(0, len(SAMPLE))))
def test_damaged_exr_bytes_give_a_plate_or_one_clear_error(tmp_path_factory, edits, cut):
    from vfx_nodes.io import is_complete, plate_info, read_plate

    data = bytearray(SAMPLE)
    for pos, value in edits:
        data[pos] = value
    if cut is not None:
        data = data[:cut]
    path = tmp_path_factory.mktemp("fz") / "f.exr"
    path.write_bytes(bytes(data))
    for read in (read_plate, plate_info):
        with contextlib.suppress(VfxNodesError):
            read(str(path))
    is_complete(path)  # never raises


@given(st.one_of(st.text(max_size=200), st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12).map(json.dumps)))
def test_look_metadata_is_parsed_or_refused(raw):
    from vfx_nodes.model.look import _parse_metadata

    with contextlib.suppress(VfxNodesError):
        _parse_metadata(Path("fuzz.safetensors"), raw)


@given(st.text(alphabet="0123456789-,x: #@%d.abc", max_size=30))
def test_frame_ranges_and_patterns_are_parsed_or_refused(text):
    from vfx_nodes.policy.frames import parse_chunk, parse_frames, parse_pattern

    for parse in (parse_frames, parse_pattern, parse_chunk):
        with contextlib.suppress(VfxNodesError):
            parse(text)


@given(st.text(max_size=60))
def test_colourspace_names_resolve_or_are_refused(name):
    from vfx_nodes.color import resolve_colorspace

    with contextlib.suppress(VfxNodesError):
        resolve_colorspace(name)
