"""Learning-rate schedule, the exponential moving average of the generator weights, and
the interpolation of fine-tuned weights with their start's."""

from __future__ import annotations

import copy
import math
from typing import Any

__all__ = ["EMA", "lr_factor", "mix_weights"]


def lr_factor(step: int, total: int, warmup: int = 0, min_factor: float = 0.1) -> float:
    """Linear warm-up then cosine decay, as a factor of the base learning rate.

    ``step`` counts from 0.  During the first ``warmup`` steps the factor rises linearly
    from ``1/warmup`` to 1 (Goyal et al. 2017, "Accurate, large minibatch SGD"), then
    follows a half cosine from 1 down to ``min_factor`` at ``total`` (Loshchilov & Hutter
    2017, SGDR, without restarts).  The schedule is a pure function of the step, so
    resuming a run needs nothing but the step.
    """
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    span = max(1, total - warmup)
    t = min(1.0, max(0.0, (step - warmup) / span))
    return min_factor + (1.0 - min_factor) * 0.5 * (1.0 + math.cos(math.pi * t))


class EMA:
    """Exponential moving average of a module's parameters (Polyak averaging).

    The average is what gets evaluated and saved: it is smoother than the raw weights of
    an adversarially trained generator (Karras et al. 2018, ProGAN; Yazıcı et al. 2019).
    The effective decay ramps up as ``min(decay, (1 + n) / (10 + n))`` over the first
    updates (TensorFlow's ``ExponentialMovingAverage(num_updates=…)``), so short runs
    are not dominated by the random initial weights.  Buffers are copied, not averaged.

    Args:
        module: the module to follow (unwrapped; not a DDP wrapper).
        decay: the long-run decay.
    """

    def __init__(self, module: Any, decay: float = 0.999) -> None:
        import torch

        self.decay = float(decay)
        self.updates = 0
        self.module = copy.deepcopy(module).eval()
        for p in self.module.parameters():
            p.requires_grad_(False)
        self._torch = torch

    def current_decay(self) -> float:
        """The decay the next update uses."""
        return min(self.decay, (1.0 + self.updates) / (10.0 + self.updates))

    def update(self, module: Any) -> None:
        """Move the average towards ``module``'s current weights."""
        torch = self._torch
        d = self.current_decay()
        with torch.no_grad():
            for e, p in zip(self.module.parameters(), module.parameters()):
                e.lerp_(p.detach().to(e.dtype), 1.0 - d)
            for e, b in zip(self.module.buffers(), module.buffers()):
                e.copy_(b)
        self.updates += 1

    def state_dict(self) -> dict[str, Any]:
        """The averaged weights (tensors)."""
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, Any], updates: int) -> None:
        """Restore the averaged weights and the update count."""
        self.module.load_state_dict(state)
        self.updates = int(updates)


def mix_weights(module: Any, start: dict[str, Any], m: float) -> Any:
    """A copy of ``module`` (eval mode) whose floating-point weights are
    ``(1 − m)·start + m·module`` — WiSE-FT (Wortsman et al., "Robust fine-tuning of
    zero-shot models", CVPR 2022): interpolating fine-tuned weights with the start's keeps
    most of the fine-tune's gain on its own data and the start's robustness on material
    unlike it.  ``start`` is the start's ``state_dict`` (same keys)."""
    import torch

    mixed = copy.deepcopy(module)
    mixed.load_state_dict({k: torch.lerp(start[k].to(v), v, float(m)) if v.is_floating_point() else v
                           for k, v in module.state_dict().items()})
    return mixed.eval()
