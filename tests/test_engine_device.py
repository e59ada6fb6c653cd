"""Device and precision choice, default tile size, out-of-memory recognition."""

from __future__ import annotations

import pytest
import torch

from vfx_nodes.errors import DeviceError
from vfx_nodes.model import device as dev

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


def test_auto_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(dev, "cuda_available", lambda: False)
    monkeypatch.setattr(dev, "mps_available", lambda: False)
    assert dev.resolve_device(None) == torch.device("cpu")
    assert dev.resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr(dev, "mps_available", lambda: True)
    assert dev.resolve_device(None) == torch.device("mps")
    monkeypatch.setattr(dev, "cuda_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    assert dev.resolve_device(None) == torch.device("cuda", 0)


def test_named_devices():
    assert dev.resolve_device("cpu") == torch.device("cpu")
    assert dev.resolve_device(torch.device("cpu")) == torch.device("cpu")
    assert dev.resolve_device(" CPU ") == torch.device("cpu")
    assert "cpu" in dev.available_devices()


@pytest.mark.parametrize("name", ["tpu", "gpu", "cuda:x", "", "vulkan"])
def test_unknown_device_names_are_device_errors(name):
    if name == "":
        assert dev.resolve_device(name).type in ("cpu", "cuda", "mps")  # "" means auto
        return
    with pytest.raises(DeviceError, match="cpu"):  # the message lists what exists
        dev.resolve_device(name)


def test_unavailable_devices_are_device_errors(monkeypatch):
    monkeypatch.setattr(dev, "cuda_available", lambda: False)
    monkeypatch.setattr(dev, "mps_available", lambda: False)
    with pytest.raises(DeviceError, match="CUDA is not available"):
        dev.resolve_device("cuda")
    with pytest.raises(DeviceError, match="MPS is not available"):
        dev.resolve_device("mps")


@pytest.mark.parametrize("name, dtype", [
    ("fp32", torch.float32), ("float32", torch.float32), ("FP16", torch.float16), ("half", torch.float16),
    ("bf16", torch.bfloat16), ("bfloat16", torch.bfloat16), (torch.bfloat16, torch.bfloat16),
    (None, torch.float32), ("auto", torch.float32),
])
def test_precisions_on_cpu(name, dtype):
    assert dev.resolve_precision(name, torch.device("cpu")) is dtype


@pytest.mark.parametrize("name", ["fp8", "int8", "double", torch.float64])
def test_unknown_precision_is_a_device_error(name):
    with pytest.raises(DeviceError, match="precision"):
        dev.resolve_precision(name, torch.device("cpu"))


def test_precision_names_round_trip():
    for name in ("fp32", "fp16", "bf16"):
        assert dev.precision_name(dev.resolve_precision(name, torch.device("cpu"))) == name


def test_autocast_runs_reduced_precision_convolutions_on_cpu():
    conv = torch.nn.Conv2d(3, 4, 3)
    x = torch.rand(1, 3, 8, 8)
    with dev.autocast(torch.device("cpu"), torch.bfloat16):
        assert conv(x).dtype is torch.bfloat16
    with dev.autocast(torch.device("cpu"), torch.float32):
        assert conv(x).dtype is torch.float32


def test_default_tile_on_cpu_is_fixed_and_from_free_memory_on_cuda(monkeypatch):
    cpu = torch.device("cpu")
    assert dev.default_tile(cpu, torch.float32, 41) == dev.CPU_TILE
    assert dev.batch_size_for(cpu, torch.float32, 10**6) == 1
    # pretend a CUDA device with 8 GiB free: (edge + 2·halo)² · 1 KB ≤ 4 GiB
    monkeypatch.setattr(dev, "free_memory", lambda d: 8 * 2**30)
    cuda = torch.device("cuda", 0)
    edge = dev.default_tile(cuda, torch.float32, 41, align=4)
    assert edge % 4 == 0 and edge > dev.CPU_TILE
    assert (edge + 82) ** 2 * dev.bytes_per_pixel(torch.float32) <= 4 * 2**30
    assert dev.default_tile(cuda, torch.bfloat16, 41, align=4) == edge  # autocast: fp32 norms
    monkeypatch.setattr(dev, "free_memory", lambda d: 64 * 2**20)   # nearly full GPU
    assert dev.default_tile(cuda, torch.float32, 41, align=4) >= 8


def test_slimmer_networks_get_larger_tiles(monkeypatch):
    cpu = torch.device("cpu")
    # the width-8 arbitrary-style network needs a quarter of Johnson's activations
    assert dev.default_tile(cpu, torch.float32, 57, align=4, memory_scale=0.25) == 2 * dev.CPU_TILE
    assert dev.default_tile(cpu, torch.float32, 57, align=4, memory_scale=1.0) == dev.CPU_TILE
    monkeypatch.setattr(dev, "free_memory", lambda d: 8 * 2**30)
    cuda = torch.device("cuda", 0)
    wide = dev.default_tile(cuda, torch.float32, 57, align=4)
    assert dev.default_tile(cuda, torch.float32, 57, align=4, memory_scale=0.25) > 1.8 * wide
    from vfx_nodes.engine.pipeline import _memory_scale
    from vfx_nodes.model import build_generator

    assert _memory_scale(build_generator("arbitrary")) == 0.25
    assert _memory_scale(build_generator("johnson")) == 1.0
    assert _memory_scale(build_generator("unet")) == 1.0
    assert 1 <= dev.batch_size_for(cuda, torch.float32, 1024 * 1024) <= 8


def test_out_of_memory_is_recognised():
    assert dev.is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory"))
    assert dev.is_out_of_memory(RuntimeError("MPS backend out of memory"))
    assert not dev.is_out_of_memory(RuntimeError("shape mismatch"))
    assert not dev.is_out_of_memory(ValueError("out of memory"))


@needs_cuda
def test_cuda_auto_precision_and_free_memory():
    cuda = dev.resolve_device("cuda")
    want = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    assert dev.resolve_precision(None, cuda) is want
    assert dev.free_memory(cuda) > 0


# --- one policy for inference and training (issue 15) -------------------------------------------


def test_training_uses_the_inference_precision_policy(monkeypatch):
    """Training turned bf16 on for any CUDA device; the engine checks bf16 support."""
    import contextlib

    monkeypatch.setattr(dev, "cuda_available", lambda: False)
    assert dev.training_device(None) == "cpu" and dev.training_device("auto") == "cpu"
    with pytest.raises(DeviceError, match="CUDA is not available"):
        dev.training_device("cuda")
    assert dev.training_autocast("cpu", "auto") is contextlib.nullcontext
    assert dev.training_autocast("cpu", "bf16") is contextlib.nullcontext
    # a CUDA GPU without bf16 (pre-Ampere): auto trains in fp32, as inference runs
    monkeypatch.setattr(dev, "resolve_precision", lambda p, d: torch.float32 if p is None else torch.bfloat16)
    assert dev.training_autocast("cuda", "auto") is contextlib.nullcontext
    monkeypatch.setattr(dev, "resolve_precision", lambda p, d: torch.bfloat16)
    assert dev.training_autocast("cuda", "auto") is not contextlib.nullcontext
    assert dev.training_autocast("cuda", "fp32") is contextlib.nullcontext
