# Copyright (c) mmuda contributors. All rights reserved.
import torch
from mmengine.hooks import Hook

from mmuda.registry import HOOKS
from .utils import runner_model


@HOOKS.register_module()
class EMATeacherHook(Hook):
    """Keeps a UDA model's teacher an exponential moving average of its student.

    Before training iteration ``t`` (0-based): at ``t == 0`` the teacher is a copy of the
    student; after that ``teacher = a_t * teacher + (1 - a_t) * student`` with
    ``a_t = min(1 - 1 / (t + 1), alpha)`` (DAFormer/MIC segmentation: a ramp from 0.5 up to
    ``alpha``) or, with ``ramp=False``, ``a_t = alpha`` (MIC detection), i.e. the teacher of
    iteration t averages the students up to the step of iteration t - 1. Only parameters are
    averaged by default (the segmentation reference); ``update_buffers=True`` averages floating
    buffers too and copies integer ones (the detection reference averages the whole state
    dict).

    The model must have ``student`` and ``teacher`` modules of the same structure.

    Args:
        alpha (float): the EMA momentum (its cap with ``ramp``), in (0, 1). Defaults to 0.999.
        update_buffers (bool): also average/copy buffers. Defaults to False.
        ramp (bool): ramp the momentum up as ``1 - 1 / (t + 1)``. Defaults to True.
    """
    priority = 'ABOVE_NORMAL'

    def __init__(self, alpha: float = 0.999, update_buffers: bool = False, ramp: bool = True):
        if not 0 < alpha < 1:
            raise ValueError(f'EMATeacherHook alpha must be in (0, 1), got {alpha}')
        self.alpha = float(alpha)
        self.update_buffers = update_buffers
        self.ramp = bool(ramp)

    def before_run(self, runner) -> None:
        model = runner_model(runner)
        for name in ('student', 'teacher', 'hook_ran'):
            if not hasattr(model, name):
                raise AttributeError(
                    f'EMATeacherHook needs a model with a `{name}` module; '
                    f'{type(model).__name__} has none')

    def momentum(self, iteration: int) -> float:
        return min(1 - 1 / (iteration + 1), self.alpha) if self.ramp else self.alpha

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        model = runner_model(runner)
        self.update(model.student, model.teacher, runner.iter)
        model.hook_ran('EMATeacherHook')  # the method checks its teacher was updated

    def update(self, student, teacher, iteration: int) -> None:
        alpha = 0.0 if iteration == 0 else self.momentum(iteration)
        ema_update(student, teacher, alpha, self.update_buffers)


def ema_update(student, teacher, alpha: float, update_buffers: bool = False) -> None:
    """``teacher = alpha * teacher + (1 - alpha) * student`` in place (no autograd), with
    one multi-tensor operation per step rather than one per parameter."""
    with torch.no_grad():
        t_params = [p.data for p in teacher.parameters()]
        s_params = [p.data for p in student.parameters()]
        if len(t_params) != len(s_params):
            raise ValueError('student and teacher have different parameter lists')
        if alpha == 0.0:
            torch._foreach_copy_(t_params, s_params)
        else:
            torch._foreach_lerp_(t_params, s_params, 1 - alpha)
        if update_buffers:
            for t, s in zip(teacher.buffers(), student.buffers()):
                if t.is_floating_point() and alpha > 0:
                    t.lerp_(s, 1 - alpha)
                else:
                    t.copy_(s)
