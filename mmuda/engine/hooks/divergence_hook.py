# Copyright (c) mmuda contributors. All rights reserved.
"""The divergence check for models that are not UDA models (they step inside mmengine)."""
from typing import List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmuda.utils.divergence import (AMP_PATIENCE, any_nonfinite, divergence_error, grad_norm,
                                    loss_scaler, loss_terms)


def _optimizers(optim_wrapper) -> List[torch.optim.Optimizer]:
    wrappers = getattr(optim_wrapper, 'optim_wrappers', None)  # OptimWrapperDict
    return [w.optimizer for w in wrappers.values()] if wrappers else [optim_wrapper.optimizer]


class DivergenceHook(Hook):
    """Stop at the first non-finite loss or gradient of a model that is not a UDA model.

    A UDA model (:class:`mmuda.models.UDABase`) checks its own steps
    (:func:`mmuda.utils.divergence.check_finite_step`, before its single optimizer step); for
    it this hook does nothing. A plain mmseg/mmdet model (the source-only and oracle
    segmentation configs) computes its loss, backpropagates and steps inside mmengine's
    ``BaseModel.train_step``; for it:

    - a step pre-hook on the optimizer (torch's ``register_step_pre_hook``) computes one fused
      gradient norm; if it is non-finite, the gradients are dropped (``grad = None``), so the
      optimizer leaves every parameter, and its state, as it was;
    - :meth:`after_train_iter` (after the logger, so the iteration is logged, and before the
      checkpoint hook, so nothing is saved) raises :class:`mmuda.utils.divergence.
      DivergenceError` if a loss term or that gradient norm was non-finite, naming the
      iteration and the term;
    - under mixed precision (a ``loss_scaler``) the GradScaler skips overflowing steps itself
      (no pre-hook); a step counts as non-finite when a loss term is non-finite or the loss
      scale went down, and training stops after ``patience`` such steps in a row.

    ``tools/train.py`` adds this hook to every training run (it is not in the hook registry,
    so a config can neither forget nor duplicate it).

    Args:
        patience (int): consecutive non-finite steps tolerated under a loss scaler.
    """
    priority = 'LOW'  # after LoggerHook (BELOW_NORMAL), before CheckpointHook (VERY_LOW)

    def __init__(self, patience: int = AMP_PATIENCE):
        self.patience = patience
        self.active = False
        self.streak = 0
        self._scale: Optional[float] = None
        self._skipped_norm: Optional[torch.Tensor] = None
        self._handles = []
        self._lr: Optional[dict] = None

    def before_train(self, runner) -> None:
        from mmuda.models.uda.base import UDABase
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        self.active = not isinstance(model, UDABase)
        if self.active and loss_scaler(runner.optim_wrapper) is None:
            self._handles = [optimizer.register_step_pre_hook(self._before_step)
                             for optimizer in _optimizers(runner.optim_wrapper)]

    def _before_step(self, optimizer, args, kwargs) -> None:
        params = [p for group in optimizer.param_groups for p in group['params']]
        norm = grad_norm(params)
        if norm is not None and any_nonfinite([norm]):
            self._skipped_norm = norm
            for param in params:  # torch's optimizers skip parameters without a gradient
                param.grad = None

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self.active:  # the step's learning rate, for the message (schedulers step after)
            self._lr = runner.optim_wrapper.get_lr()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self.active:
            return
        terms = loss_terms(outputs or {})
        norm, self._skipped_norm = self._skipped_norm, None
        bad = any_nonfinite([v.mean() for _, v in terms]) or norm is not None
        iteration = runner.iter + 1
        if loss_scaler(runner.optim_wrapper) is None:
            if bad:
                raise divergence_error(iteration, terms, norm, runner.optim_wrapper,
                                       passes=False, lr=self._lr)
            return
        scale = float(loss_scaler(runner.optim_wrapper).get_scale())
        lowered = self._scale is not None and scale < self._scale
        self._scale = scale
        self.streak = self.streak + 1 if bad or lowered else 0
        if self.streak >= self.patience:
            raise divergence_error(iteration, terms, None, runner.optim_wrapper,
                                   amp_streak=self.streak, passes=False, lr=self._lr)

    def after_train(self, runner) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
