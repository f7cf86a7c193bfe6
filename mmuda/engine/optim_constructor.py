# Copyright (c) mmuda contributors. All rights reserved.
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict

from mmuda.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class UDAOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor applied to the trainable part of a UDA model only.

    mmengine's constructor puts every parameter in the optimizer, frozen ones included; a UDA
    model's EMA teacher and frozen ImageNet copy must not be there at all. This constructor
    builds the optimizer over ``model.trainable_modules()`` (see
    :class:`mmuda.models.uda.UDABase`); ``paramwise_cfg`` keys match the names inside it, e.g.
    ``student.decode_head``. Models without ``trainable_modules`` are handled as by the default.

    Several optimizers (methods with discriminators: AdaptSegNet, AdvEnt, DA-VSN) are one
    entry per group of ``model.optim_groups()``, each an optimizer wrapper config with its own
    ``paramwise_cfg``; the result is an ``OptimWrapperDict``::

        optim_wrapper = dict(
            constructor='UDAOptimWrapperConstructor',
            segmentor=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=2.5e-4, ...)),
            discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, ...)))
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg=None):
        self.groups = None
        if 'optimizer' in optim_wrapper_cfg or 'type' in optim_wrapper_cfg:
            super().__init__(optim_wrapper_cfg, paramwise_cfg)
            return
        if paramwise_cfg is not None:
            raise KeyError('optim_wrapper with one entry per optimizer takes paramwise_cfg '
                           'inside each entry (e.g. optim_wrapper.segmentor.paramwise_cfg), '
                           'not at the top level')
        self.groups = {}
        for name, cfg in optim_wrapper_cfg.items():
            if not isinstance(cfg, dict) or 'optimizer' not in cfg:
                raise KeyError(f'optim_wrapper.{name} must be an optimizer wrapper config with '
                               f"an 'optimizer' key (e.g. dict(type='OptimWrapper', "
                               f"optimizer=dict(type='Adam', lr=1e-4))), got {cfg!r}")
            cfg = dict(cfg)
            self.groups[name] = DefaultOptimWrapperConstructor(cfg, cfg.pop('paramwise_cfg',
                                                                            None))

    def __call__(self, model):
        if is_model_wrapper(model):
            model = model.module
        if self.groups is None:
            if hasattr(model, 'optim_groups') and len(model.optim_groups()) > 1:
                raise KeyError(
                    f'{type(model).__name__} trains {sorted(model.optim_groups())} with their '
                    f'own optimizers: optim_wrapper needs one entry for each (see '
                    f'UDAOptimWrapperConstructor), not a single optimizer')
            if hasattr(model, 'trainable_modules'):
                model = model.trainable_modules()
            return super().__call__(model)
        groups = model.optim_groups() if hasattr(model, 'optim_groups') else {}
        if set(groups) != set(self.groups):
            raise KeyError(f'optim_wrapper has entries {sorted(self.groups)} but '
                           f'{type(model).__name__} trains the groups {sorted(groups)}: give '
                           f'one optimizer wrapper config for each')
        # in the model's order: the segmentor steps first, as in the references
        return OptimWrapperDict(**{name: self.groups[name](module)
                                   for name, module in groups.items()})
