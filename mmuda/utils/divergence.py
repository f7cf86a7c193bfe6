# Copyright (c) mmuda contributors. All rights reserved.
"""Stop training at the first non-finite loss or gradient, before the optimizer steps.

UDA models: :meth:`mmuda.models.UDABase.train_step` calls :func:`check_finite_step` after the
step's backward passes (and the gradient averaging of a distributed run), right before the
single optimizer step. A non-finite loss term or gradient norm raises
:class:`DivergenceError`, which names the iteration, the pass (the prefix of the log variable:
``src``, ``mix``, ``masked``, ``tgt`` ...) and the loss term; the step is not taken, so no
weight is ever made non-finite and no checkpoint holds one.

Under mixed precision (an optimizer wrapper with a ``loss_scaler``, e.g. mmengine's
``AmpOptimWrapper``) an fp16 overflow makes the scaled loss or gradients infinite now and then;
the ``GradScaler`` then skips the step and halves the loss scale. That is tolerated. Training
stops when it persists: :data:`AMP_PATIENCE` consecutive non-finite steps, i.e. a loss scale
halved that many times in a row (65536 -> 1/16), which no overflow needs.

Models that step inside mmengine's ``BaseModel.train_step`` (a plain mmseg/mmdet model, as in
the source-only and oracle segmentation configs) are checked by
:class:`mmuda.engine.DivergenceHook` with the same rules and messages; ``tools/train.py``
adds that hook to every run.
"""
import weakref
from typing import Dict, Iterable, List, Optional, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn

from .errors import RunError

__all__ = ['AMP_PATIENCE', 'DivergenceError', 'any_nonfinite', 'check_finite_step',
           'divergence_error', 'grad_norm', 'loss_scaler', 'loss_terms']

#: consecutive non-finite steps a loss scaler may skip before training is stopped
AMP_PATIENCE = 20

# optimizer wrapper -> number of consecutive non-finite steps (under a loss scaler)
_STREAKS: 'weakref.WeakKeyDictionary' = weakref.WeakKeyDictionary()


class DivergenceError(RunError):
    """Training produced a non-finite loss or gradient.

    Attributes:
        iteration (int, optional): the iteration (1-based, as logged).
        pass_name (str, optional): the pass whose loss was non-finite (log-variable prefix).
        term (str, optional): the first non-finite loss term (full log-variable name).
    """

    def __init__(self, message: str, iteration: Optional[int] = None,
                 pass_name: Optional[str] = None, term: Optional[str] = None):
        super().__init__(message)
        self.iteration = iteration
        self.pass_name = pass_name
        self.term = term


def grad_norm(params: Iterable[nn.Parameter]) -> Optional[torch.Tensor]:
    """The 2-norm of all gradients of ``params`` together (one fused norm), or None if none
    has a gradient."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return None
    if hasattr(torch.nn.utils, 'get_total_norm'):  # torch >= 2.6
        return torch.nn.utils.get_total_norm(grads, 2.0)
    norms = torch._foreach_norm(grads)
    return torch.linalg.vector_norm(
        torch.stack([n.to(device=grads[0].device, dtype=torch.float32) for n in norms]))


def loss_terms(log_vars: Dict[str, torch.Tensor]) -> List[Tuple[str, torch.Tensor]]:
    # the loss variables, named as mmengine's parse_losses names them ('loss' in the key)
    return [(k, v) for k, v in log_vars.items() if 'loss' in k and isinstance(v, torch.Tensor)]


def _is_total(key: str) -> bool:
    return key == 'loss' or key.endswith('.loss')


def _fmt(value: float) -> str:
    return str(value) if value != value or value in (float('inf'), float('-inf')) \
        else f'{value:.4g}'


def _diagnose(terms, norm: Optional[torch.Tensor],
              passes: bool = True) -> Tuple[str, Optional[str], Optional[str]]:
    """(what was non-finite, pass, term) for the message; the first non-finite term that is
    not a total names the pass (its log-variable prefix, when the model has passes)."""
    bad = [(k, float(v.detach().float().mean())) for k, v in terms
           if not torch.isfinite(v.detach()).all()]
    norm_value = None if norm is None else float(norm)
    norm_bad = norm_value is not None and not torch.isfinite(norm).all()
    if bad:
        leaves = [b for b in bad if not _is_total(b[0])] or bad
        term, value = leaves[0]
        pass_name = term.split('.', 1)[0] if passes and '.' in term else None
        what = f'loss term {term!r}' + (f' of pass {pass_name!r}' if pass_name else '') + \
            f' is {_fmt(value)}'
        others = [k for k, _ in bad if k != term and not _is_total(k)]
        if others:
            what += f' (also non-finite: {", ".join(others)})'
        if norm_bad:
            what += f'; gradient norm {_fmt(norm_value)}'
        return what, pass_name, term
    if norm_bad:
        return (f'the gradient norm (all passes together) is {_fmt(norm_value)} while every '
                'loss term is finite'), None, None
    return 'another process had a non-finite loss or gradient', None, None


def loss_scaler(optim_wrapper):
    """The enabled loss scaler of a mixed-precision optimizer wrapper (mmengine's
    ``AmpOptimWrapper.loss_scaler``), or None."""
    scaler = getattr(optim_wrapper, 'loss_scaler', None)
    if scaler is None or not getattr(scaler, 'is_enabled', lambda: True)():
        return None
    return scaler


def any_nonfinite(values: List[torch.Tensor]) -> bool:
    """Whether any of the (scalar) tensors is non-finite, on any process: one host
    synchronisation, and one all-reduce of a flag in a distributed run (so that every process
    decides alike)."""
    if not values:
        return False
    device = values[0].device
    stacked = torch.stack([v.detach().float().reshape(()).to(device) for v in values])
    bad = (~torch.isfinite(stacked)).any().to(torch.int32)
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.all_reduce(bad, op=dist.ReduceOp.MAX)
    return bool(bad.item())


def divergence_error(iteration: Optional[int], terms, norm: Optional[torch.Tensor],
                     optim_wrapper, amp_streak: Optional[int] = None,
                     passes: bool = True, lr: Optional[dict] = None) -> DivergenceError:
    """The error for a non-finite step, naming the iteration, pass and term.

    Args:
        amp_streak: the number of consecutive non-finite steps a loss scaler skipped.
        passes: the log variables are prefixed with the pass (UDA models).
        lr: the optimizer wrapper's ``get_lr()`` during the step (default: now).
    """
    what, pass_name, term = _diagnose(terms, norm, passes)
    at = f'at iteration {iteration}' if iteration is not None else 'during a training step'
    lrs = (lr if lr is not None else getattr(optim_wrapper, 'get_lr', lambda: {})()).get(
        'lr', [])
    lr_now = f', {_fmt(max(lrs))} in this step' if lrs else ''
    advice = (f'Lower the learning rate (optim_wrapper.optimizer.lr{lr_now}) or the loss '
              'weights, or clip gradients (optim_wrapper.clip_grad), then resume from the last '
              'checkpoint or start again.')
    if amp_streak is not None:
        scaler = loss_scaler(optim_wrapper)
        scale = '' if scaler is None else \
            f' and lowered the loss scale to {float(scaler.get_scale()):g}'
        return DivergenceError(
            f'Training diverged {at}: {what}, and the loss or gradients have been non-finite '
            f'for {amp_streak} consecutive steps under mixed precision (the GradScaler skipped '
            f'each{scale}; an fp16 overflow clears after a few halvings). Training stopped '
            f'before a non-finite value reached the weights or a checkpoint. {advice}',
            iteration, pass_name, term)
    return DivergenceError(
        f'Training diverged {at}: {what}. Training stopped before a non-finite value reached '
        f'the weights or a checkpoint. {advice}', iteration, pass_name, term)


def check_finite_step(model: nn.Module, log_vars: Dict[str, torch.Tensor],
                      optim_wrapper, patience: int = AMP_PATIENCE) -> None:
    """Raise :class:`DivergenceError` if this step's losses or gradients are non-finite.

    Call it after the backward passes (and gradient averaging), before the optimizer step
    (:meth:`mmuda.models.UDABase.train_step` does). One fused gradient norm and one host
    synchronisation per step; in a distributed run one extra all-reduce of a flag, so that
    every process stops at the same iteration.

    Args:
        model: the model being trained (its trainable parameters' gradients are checked;
            ``model.local_iter``, when present, is the iteration reported).
        log_vars: the step's log variables; those with 'loss' in their name are checked.
        optim_wrapper: the optimizer wrapper; one with an enabled ``loss_scaler`` (AMP) makes
            non-finite steps tolerated up to ``patience`` in a row.
        patience: consecutive non-finite steps tolerated under a loss scaler.
    """
    terms = loss_terms(log_vars)
    norm = grad_norm(p for p in model.parameters() if p.requires_grad)
    amp = loss_scaler(optim_wrapper) is not None
    if not any_nonfinite([v.mean() for _, v in terms] + ([] if norm is None else [norm])):
        if amp:
            _STREAKS[optim_wrapper] = 0
        return
    local_iter = getattr(model, 'local_iter', None)
    iteration = None if local_iter is None else int(local_iter)
    if not amp:
        raise divergence_error(iteration, terms, norm, optim_wrapper)
    streak = _STREAKS.get(optim_wrapper, 0) + 1
    _STREAKS[optim_wrapper] = streak
    if streak >= patience:
        raise divergence_error(iteration, terms, norm, optim_wrapper, amp_streak=streak)
    # else an fp16 overflow: the GradScaler skips this step and lowers the scale
