# Copyright (c) mmuda contributors. All rights reserved.
from mmengine.model import BaseTTAModel, is_model_wrapper


def runner_model(runner):
    """The runner's model without its (DDP) wrapper or, in a ``--tta`` test, its
    test-time augmentation wrapper."""
    model = runner.model
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model
