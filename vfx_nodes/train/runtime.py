"""What every training loop of the project runs with, apart from its step: the stop flag
that turns Ctrl-C/SIGTERM into a clean stop, the ``metrics.jsonl`` log and the seeding
(:func:`vfx_nodes.train.train` and keyframe looks share them)."""

from __future__ import annotations

import contextlib
import json
import random
import signal
import threading
from pathlib import Path
from typing import Any

import numpy as np

from . import checkpoint as ckpt
from .state import json_number

__all__ = ["Metrics", "StopFlag", "seed_everything"]


class StopFlag:
    """Turns SIGINT/SIGTERM into a flag checked between steps (a step is never cut in
    half, so the checkpoint written on the way out is consistent); a second Ctrl-C
    interrupts at once."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> StopFlag:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(ValueError, OSError):  # exotic embedding: no handler
                    self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal = signum

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def seed_everything(seed: int) -> None:
    """torch, numpy and random seeded from the run's seed."""
    import torch

    torch.manual_seed(seed)
    np.random.seed(seed % (2 ** 32))
    random.seed(seed)


class Metrics:
    """``metrics.jsonl`` appender (rank 0)."""

    def __init__(self, path: Path, enabled: bool) -> None:
        self.path = path
        self.enabled = enabled

    def truncate_after(self, step: int) -> None:
        """Drop lines logged after ``step`` (written by a run killed after its last
        checkpoint), so a resumed run's log has every step once."""
        if not self.enabled or not self.path.exists():
            return
        keep = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                if int(json.loads(line).get("step", 0)) <= step:
                    keep.append(line)
            except (ValueError, AttributeError):
                continue
        ckpt.atomic_write_bytes(self.path, ("\n".join(keep) + ("\n" if keep else "")).encode())

    def write(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, allow_nan=False, default=json_number) + "\n")
