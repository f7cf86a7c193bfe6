# Copyright (c) mmuda contributors. All rights reserved.
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor

from mmuda.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class UDAOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor applied to the trainable part of a UDA model only.

    mmengine's constructor puts every parameter in the optimizer, frozen ones included; a UDA
    model's EMA teacher and frozen ImageNet copy must not be there at all. This constructor
    builds the optimizer over ``model.trainable_modules()`` (see
    :class:`mmuda.models.uda.UDABase`); ``paramwise_cfg`` keys match the names inside it, e.g.
    ``student.decode_head``. Models without ``trainable_modules`` are handled as by the default.
    """

    def __call__(self, model):
        if is_model_wrapper(model):
            model = model.module
        if hasattr(model, 'trainable_modules'):
            model = model.trainable_modules()
        return super().__call__(model)
