# Copyright (c) mmuda contributors. All rights reserved.
"""Sharpness-aware minimisation (Foret et al., ICLR 2021) as an mmengine optimizer wrapper, as
SDAT uses it (Rangwani et al., ICML 2022)."""
from typing import List, Tuple

import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmuda.registry import OPTIM_WRAPPERS


class SAMMixin:
    """Adds SAM's ascent step to an optimizer wrapper.

    A step is two forward/backward passes: after the first backward, :meth:`first_step` moves
    every parameter with a gradient to ``w + e(w)``, ``e(w) = rho g / (||g||_2 + 1e-12)``
    (``adaptive``: ``rho w^2 g / (||w g||_2 + 1e-12)``; the norm over all the wrapper's
    parameters), and clears the gradients; the second backward runs at ``w + e(w)``;
    :meth:`step` puts the weights back to ``w`` and lets the base optimizer step with the
    second gradients. Optimizers outside this wrapper (e.g. a domain discriminator in an
    ``OptimWrapperDict``) are not perturbed: SDAT keeps its discriminator outside SAM.

    Under AMP (:class:`AmpSAMOptimWrapper`) the gradients of the first pass are still scaled:
    the ascent divides them by the loss scale (without ``unscale_``, which the scaler allows
    once per step and the real step needs); a non-finite first gradient skips the ascent.
    Without a first step, :meth:`step` is the base optimizer's step (plain training).
    """

    def _init_sam(self, rho: float, adaptive: bool) -> None:
        if rho <= 0:
            raise ValueError(f'SAM rho must be > 0, got {rho}')
        if getattr(self, '_accumulative_counts', 1) != 1:
            raise ValueError('SAM does not accumulate gradients over iterations: set '
                             'accumulative_counts=1')
        self.rho = float(rho)
        self.adaptive = bool(adaptive)
        self._sam_backup: List[Tuple[torch.Tensor, torch.Tensor]] = []
        #: whether the last step made its ascent (False after an AMP overflow)
        self.ascended = False

    def _grad_scale(self) -> float:
        scaler = getattr(self, 'loss_scaler', None)
        return float(scaler.get_scale()) if scaler is not None and scaler.is_enabled() \
            else 1.0

    @torch.no_grad()
    def first_step(self) -> None:
        """Ascend to ``w + e(w)`` along the current gradients, then clear them."""
        if self._sam_backup:
            raise RuntimeError('SAM first_step called twice without step() in between')
        params = [p for group in self.optimizer.param_groups for p in group['params']
                  if p.grad is not None]
        self.ascended = False
        if params:
            inv_scale = 1.0 / self._grad_scale()
            scaled = [(p.abs() * p.grad if self.adaptive else p.grad).float() * inv_scale
                      for p in params]
            grad_norm = torch.norm(torch.stack([g.norm(2) for g in scaled]), 2)
            if torch.isfinite(grad_norm):
                factor = self.rho / (grad_norm + 1e-12)
                for p in params:
                    e_w = p.grad.float() * inv_scale * factor
                    if self.adaptive:
                        e_w = e_w * p.float().pow(2)
                    self._sam_backup.append((p, p.detach().clone()))
                    p.add_(e_w.to(p.dtype))
                self.ascended = True
        self.optimizer.zero_grad()

    @torch.no_grad()
    def restore(self) -> None:
        """Put the weights back where :meth:`first_step` found them."""
        for p, old in self._sam_backup:
            p.copy_(old)
        self._sam_backup = []

    def step(self, **kwargs) -> None:
        self.restore()
        super().step(**kwargs)


@OPTIM_WRAPPERS.register_module()
class SAMOptimWrapper(SAMMixin, OptimWrapper):
    """:class:`SAMMixin` on mmengine's ``OptimWrapper``.

    Args:
        rho (float): the neighbourhood radius. Defaults to 0.05 (SAM); SDAT / MIC use 0.02.
        adaptive (bool): ASAM's scale-invariant neighbourhood. Defaults to False.
        **kwargs: ``OptimWrapper``'s arguments (``optimizer``, ``clip_grad``).
    """

    def __init__(self, *args, rho: float = 0.05, adaptive: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_sam(rho, adaptive)


@OPTIM_WRAPPERS.register_module()
class AmpSAMOptimWrapper(SAMMixin, AmpOptimWrapper):
    """:class:`SAMMixin` on mmengine's ``AmpOptimWrapper`` (``--amp`` turns
    ``SAMOptimWrapper`` into this)."""

    def __init__(self, *args, rho: float = 0.05, adaptive: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_sam(rho, adaptive)
