# Copyright (c) mmuda contributors. All rights reserved.
"""The inverse-decay learning-rate schedule of the classification UDA references."""
from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler

from mmuda.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class InverseDecayParamScheduler(_ParamScheduler):
    """``value_t = initial x (1 + gamma t)^(-power)`` for step ``t`` since ``begin`` (Caffe's
    "inv" policy; thuml's Transfer-Learning-Library, SDAT and MIC classification:
    ``LambdaLR(lambda t: (1 + 0.001 t) ** -0.75)`` stepped every iteration). Each parameter
    group keeps its own initial value, so multipliers (backbone x 0.1) carry through.

    The schedule is open-ended, as the reference's: ``end`` (which mmengine's Runner sets to
    the run's ``max_iters`` when the config gives none) is ignored, also when a checkpoint is
    loaded, so a run resumed with more iterations keeps decaying.

    Args:
        gamma (float): Defaults to 0.001.
        power (float): Defaults to 0.75.
    """

    def __init__(self, optimizer, param_name: str, gamma: float = 0.001, power: float = 0.75,
                 begin: int = 0, end: int = INF, last_step: int = -1, by_epoch: bool = False,
                 verbose: bool = False):
        if gamma < 0 or power < 0:
            raise ValueError(f'gamma and power must be >= 0, got {gamma}, {power}')
        self.gamma = float(gamma)
        self.power = float(power)
        super().__init__(optimizer, param_name=param_name, begin=begin, end=INF,
                         last_step=last_step, by_epoch=by_epoch, verbose=verbose)

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        self.end = INF

    def _get_value(self):
        step = self.last_step - self.begin
        factor = (1 + self.gamma * step) ** (-self.power)
        return [base * factor for base in self.base_values]


@PARAM_SCHEDULERS.register_module()
class InverseDecayLR(LRSchedulerMixin, InverseDecayParamScheduler):
    """:class:`InverseDecayParamScheduler` on the learning rate."""
