"""Shared fixtures.

Tests that read the real corpus (OpenEXR's sample images, public-domain paintings) find
it through ``$VFX_NODES_TEST_DATA`` (the folder holding ``exr/`` and ``styles/``) and skip
when it is unset, so a fresh clone with no data still passes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The Look Lab's window tests run headless (CI has no display): Qt's offscreen platform.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _data_root() -> Path | None:
    value = os.environ.get("VFX_NODES_TEST_DATA")
    if not value:
        return None
    root = Path(value)
    return root if root.is_dir() else None


@pytest.fixture(scope="session")
def test_data() -> Path:
    """The real-corpus folder (``$VFX_NODES_TEST_DATA``); skips the test when unset."""
    root = _data_root()
    if root is None:
        pytest.skip("VFX_NODES_TEST_DATA is not set (real-corpus tests skipped)")
    return root


@pytest.fixture(scope="session")
def exr_corpus(test_data: Path) -> Path:
    """``$VFX_NODES_TEST_DATA/exr``: OpenEXR's sample images."""
    path = test_data / "exr"
    if not path.is_dir():
        pytest.skip(f"{path} does not exist")
    return path


@pytest.fixture(scope="session")
def style_corpus(test_data: Path) -> Path:
    """``$VFX_NODES_TEST_DATA/styles``: public-domain paintings."""
    path = test_data / "styles"
    if not path.is_dir():
        pytest.skip(f"{path} does not exist")
    return path


@pytest.fixture(scope="module")
def one_torch_thread():
    """One intra-op torch thread for a test module (``pytestmark = usefixtures(...)``).

    Tiny tensors run faster on one thread, and a second OpenMP thread spinning for a core
    on a busy 2-core machine makes them 10–20× slower; the training tests' measured
    figures were taken with one thread, so they also need it for reproducibility.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def corpus_files(sub: str) -> list[Path]:
    """Files under ``$VFX_NODES_TEST_DATA/<sub>`` for parametrising (empty when unset)."""
    root = _data_root()
    if root is None or not (root / sub).is_dir():
        return []
    return sorted(p for p in (root / sub).rglob("*") if p.is_file() and not p.name.startswith("."))


#: (device, precision) pairs the model and engine tests run on; CUDA pairs skip without a
#: device (CI has none; the GPU check script runs them on a lent machine).
DEVICE_PRECISIONS = [("cpu", "fp32"), ("cpu", "bf16"), ("cuda", "fp32"), ("cuda", "fp16"), ("cuda", "bf16")]


@pytest.fixture(params=DEVICE_PRECISIONS, ids=[f"{d}-{p}" for d, p in DEVICE_PRECISIONS])
def device_precision(request):
    """One (device, precision) pair: a ``torch.device`` and the precision's name (as
    ``stylize(precision=)`` takes it) with its ``torch.dtype`` and a tolerance on 0–1
    images against fp32 on the CPU."""
    import torch

    device, precision = request.param
    if device == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[precision]
    tolerance = {"fp32": 1e-4, "fp16": 2e-2, "bf16": 8e-2}[precision]
    return {"device": torch.device(device), "precision": precision, "dtype": dtype, "atol": tolerance}
