# Copyright (c) mmuda contributors. All rights reserved.
"""Gradient reversal (Ganin & Lempitsky, 2015) and gradient scaling layers."""
import math

import torch
import torch.nn as nn


class _ScaleGradient(torch.autograd.Function):
    """Identity forward; backward multiplies the incoming gradient by ``scale``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return grad * ctx.scale, None


def scale_gradient(x: torch.Tensor, scale: float) -> torch.Tensor:
    """``x`` unchanged; its gradient multiplied by ``scale`` (negative: reversed)."""
    return _ScaleGradient.apply(x, float(scale))


class GradientScale(nn.Module):
    """A layer that passes its input through and scales its gradient by ``scale``.

    ``GradientScale(-0.1)`` is DA-Faster's gradient reversal layer of weight 0.1: the domain
    classifier behind it minimises its loss while the features before it are pushed to
    maximise it. ``GradientScale(0.1)`` is the non-reversing layer of its consistency term.
    """

    def __init__(self, scale: float):
        super().__init__()
        self.scale = float(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return scale_gradient(x, self.scale)

    def extra_repr(self) -> str:
        return f'scale={self.scale}'


class GradientReversal(GradientScale):
    """Gradient reversal of weight ``weight`` (> 0): the gradient times ``-weight``."""

    def __init__(self, weight: float = 1.0):
        if weight <= 0:
            raise ValueError(f'GradientReversal weight must be > 0, got {weight}')
        super().__init__(-weight)


def warm_start_coefficient(iteration: int, alpha: float = 1.0, lo: float = 0.0,
                           hi: float = 1.0, max_iters: int = 1000) -> float:
    """The gradient-reversal weight of CDAN / DANN's warm start (thuml's
    ``WarmStartGradientReverseLayer``): ``2 (hi - lo) / (1 + exp(-alpha i / max_iters))
    - (hi - lo) + lo``, rising from ``lo`` at iteration 0 towards ``hi``."""
    span = hi - lo
    return float(2.0 * span / (1.0 + math.exp(-alpha * iteration / max_iters)) - span + lo)
