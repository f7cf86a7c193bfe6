# Copyright (c) mmuda contributors. All rights reserved.
"""A test-only hook (imported by test configs through ``custom_imports``): after training,
each process writes its model's buffers to ``<work_dir>/buffers_rank<r>.pth``."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmuda.engine.hooks.utils import runner_model
from mmuda.registry import HOOKS


@HOOKS.register_module()
class DumpBuffersHook(Hook):

    def after_train(self, runner) -> None:
        buffers = {k: v.clone() for k, v in runner_model(runner).named_buffers()}
        torch.save(buffers, osp.join(runner.work_dir, f'buffers_rank{get_rank()}.pth'))
