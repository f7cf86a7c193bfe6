# Copyright (c) mmuda contributors. All rights reserved.
from mmengine.model import is_model_wrapper


def runner_model(runner):
    """The runner's model without its (DDP) wrapper."""
    return runner.model.module if is_model_wrapper(runner.model) else runner.model
