# Copyright (c) mmuda contributors. All rights reserved.
"""Training stops at the first non-finite loss or gradient, before the optimizer steps."""
import copy
import types

import pytest
import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from mmuda.engine import DivergenceHook
from mmuda.models import DACS
from mmuda.utils import register_all_modules
from mmuda.utils.divergence import AMP_PATIENCE, DivergenceError, check_finite_step

from ..helpers import counting_optim_wrapper
from ..test_uda.test_dacs_parity import _segmentor_cfg, _uda_data


class _MixDiverges(DACS):
    """DACS whose mix pass sees a non-finite source image: its loss and gradients are NaN."""

    def pass_mix(self, state, optim_wrapper):
        state['src_img'] = state['src_img'] * float('nan')
        return super().pass_mix(state, optim_wrapper)


def _mark_required_hooks(model):
    # the method refuses to step when the hooks it needs (EMA teacher) did not run
    for name in getattr(model, 'required_hooks', lambda: ())():
        model.hook_ran(name)


def test_uda_step_names_the_pass_and_term_and_does_not_step():
    register_all_modules()
    model = _MixDiverges(model=_segmentor_cfg())
    model.init_weights()
    model.train()
    wrapper = counting_optim_wrapper(model)
    params = copy.deepcopy({k: v for k, v in model.student.named_parameters()})
    _mark_required_hooks(model)
    with pytest.raises(DivergenceError) as info:
        model.train_step(_uda_data(), wrapper)
    err = info.value
    # the source pass ran first and was finite: the mix pass is named, with its term
    assert (err.iteration, err.pass_name, err.term) == (1, 'mix', 'mix.decode.loss_ce')
    assert "loss term 'mix.decode.loss_ce' of pass 'mix' is nan" in str(err)
    assert 'at iteration 1' in str(err) and 'src.' not in str(err)
    # three passes ran (two backwards), the optimizer did not step, no weight changed
    assert wrapper.backwards == 2 and wrapper.steps == 0
    for name, value in model.student.named_parameters():
        assert torch.equal(value, params[name]), name


def _linear_with_grad(value):
    model = nn.Linear(2, 1)
    for p in model.parameters():
        p.grad = torch.full_like(p, value)
    return model


def _sgd(model):
    return OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))


def test_finite_step_passes_and_gradient_alone_is_caught():
    model = _linear_with_grad(1.0)
    check_finite_step(model, {'src.loss_ce': torch.tensor(0.5), 'src.acc': torch.tensor(
        float('nan'))}, _sgd(model))  # finite losses (an accuracy is not a loss) and grads
    model = _linear_with_grad(float('inf'))
    with pytest.raises(DivergenceError, match='gradient norm .* is inf while every loss term '
                       'is finite') as info:
        check_finite_step(model, {'src.loss_ce': torch.tensor(0.5)}, _sgd(model))
    assert info.value.pass_name is None and info.value.term is None


class _AmpLikeWrapper(OptimWrapper):
    """An optimizer wrapper with a loss scaler, as mmengine's AmpOptimWrapper (which needs
    CUDA to be built) has."""

    def __init__(self, optimizer):
        super().__init__(optimizer)
        self.loss_scaler = torch.amp.GradScaler('cpu')


def test_amp_tolerates_overflow_until_it_persists():
    model = _linear_with_grad(float('inf'))
    wrapper = _AmpLikeWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    losses = {'src.loss_ce': torch.tensor(float('inf'))}
    for _ in range(AMP_PATIENCE - 1):  # the GradScaler skips these steps
        check_finite_step(model, losses, wrapper)
    for p in model.parameters():  # one finite step resets the count
        p.grad.fill_(1.0)
    check_finite_step(model, {'src.loss_ce': torch.tensor(0.5)}, wrapper)
    for p in model.parameters():
        p.grad.fill_(float('inf'))
    for _ in range(AMP_PATIENCE - 1):
        check_finite_step(model, losses, wrapper)
    with pytest.raises(DivergenceError, match=f'non-finite for {AMP_PATIENCE} consecutive '
                       'steps under mixed precision .* loss scale to 65536'):
        check_finite_step(model, losses, wrapper)
    # without a loss scaler the first one stops training
    with pytest.raises(DivergenceError, match="loss term 'src.loss_ce' of pass 'src' is inf"):
        check_finite_step(model, losses, _sgd(model))


def _runner(model, wrapper, iteration):
    return types.SimpleNamespace(model=model, optim_wrapper=wrapper, iter=iteration)


def test_hook_stops_a_plain_model_without_stepping():
    model = nn.Linear(2, 1)
    wrapper = _sgd(model)
    hook = DivergenceHook()
    runner = _runner(model, wrapper, 0)
    hook.before_train(runner)
    assert hook.active  # not a UDA model
    # a finite iteration: the optimizer steps
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    before = copy.deepcopy(model.state_dict())
    hook.before_train_iter(runner, 0)
    wrapper.step()
    hook.after_train_iter(runner, 0, outputs={'loss': torch.tensor(1.), 'decode.loss_ce':
                                              torch.tensor(1.)})
    assert not torch.equal(before['weight'], model.weight)
    # a non-finite one: the gradients are dropped before the step, then training stops
    runner.iter = 2
    for p in model.parameters():
        p.grad = torch.full_like(p, float('nan'))
    before = copy.deepcopy(model.state_dict())
    hook.before_train_iter(runner, 2)
    wrapper.step()
    assert torch.equal(before['weight'], model.weight) and model.weight.grad is None
    nan = torch.tensor(float('nan'))
    with pytest.raises(DivergenceError, match=r"at iteration 3: loss term 'decode.loss_ce' is "
                       r'nan; gradient norm nan\. .*lr, 0.1 in this step') as info:
        hook.after_train_iter(runner, 2, outputs={'loss': nan, 'decode.loss_ce': nan})
    assert info.value.pass_name is None  # a plain model has no passes
    hook.after_train(runner)


def test_hook_under_amp_counts_lowered_loss_scales():
    model = nn.Linear(2, 1)
    wrapper = _AmpLikeWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    scaler = wrapper.loss_scaler
    scaler.scale(torch.ones(()))  # the scale tensor exists from the first step on
    hook = DivergenceHook()
    runner = _runner(model, wrapper, 0)
    hook.before_train(runner)
    finite = {'loss': torch.tensor(1.)}
    hook.after_train_iter(runner, 0, outputs=finite)
    for i in range(AMP_PATIENCE - 1):  # the scaler skipped a step and halved its scale
        scaler.update(scaler.get_scale() / 2)
        hook.after_train_iter(runner, i, outputs=finite)
    hook.after_train_iter(runner, 0, outputs=finite)  # the scale held: a step was taken
    for i in range(AMP_PATIENCE - 1):
        scaler.update(scaler.get_scale() / 2)
        hook.after_train_iter(runner, i, outputs=finite)
    scaler.update(scaler.get_scale() / 2)
    with pytest.raises(DivergenceError, match='consecutive steps under mixed precision'):
        hook.after_train_iter(runner, 99, outputs=finite)


def test_hook_leaves_uda_models_to_themselves():
    register_all_modules()
    model = DACS(model=_segmentor_cfg())
    hook = DivergenceHook()
    hook.before_train(_runner(model, counting_optim_wrapper(model), 0))
    assert not hook.active
    nan = torch.tensor(float('nan'))
    hook.after_train_iter(_runner(model, None, 0), 0, outputs={'src.loss': nan})
