# Copyright (c) mmuda contributors. All rights reserved.
"""A test-only hook (imported by test configs through ``custom_imports``): after training,
each process writes its model's buffers (and, with ``with_params``, its parameters) to
``<work_dir>/buffers_rank<r>.pth``."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmuda.engine.hooks.utils import runner_model
from mmuda.registry import HOOKS


@HOOKS.register_module()
class DumpBuffersHook(Hook):

    def __init__(self, with_params: bool = False):
        self.with_params = with_params

    def after_train(self, runner) -> None:
        model = runner_model(runner)
        buffers = {k: v.clone() for k, v in model.named_buffers()}
        if self.with_params:
            buffers.update({k: v.detach().clone() for k, v in model.named_parameters()})
        torch.save(buffers, osp.join(runner.work_dir, f'buffers_rank{get_rank()}.pth'))
