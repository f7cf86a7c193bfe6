# Copyright (c) mmuda contributors. All rights reserved.
"""close_dist: the process group is torn down while the interpreter is whole."""
import gc
import weakref

import torch
import torch.distributed as dist

from mmuda.utils import close_dist


class _Holder:
    """Stands for a Runner: in a reference cycle, holding a DDP-wrapped model."""

    def __init__(self):
        self.me = self
        self.model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 1))


def test_close_dist_frees_cycles_then_destroys_the_group(tmp_path):
    dist.init_process_group('gloo', init_method=f'file://{tmp_path / "store"}', rank=0,
                            world_size=1)
    try:
        gc.disable()  # only close_dist may collect the cycle
        holder = _Holder()
        alive = weakref.ref(holder.model)
        del holder
        assert alive() is not None  # a cycle: reference counting alone does not free it
        close_dist()
        assert alive() is None
        assert not dist.is_initialized()
        close_dist()  # nothing open: a no-op
    finally:
        gc.enable()
        if dist.is_initialized():
            dist.destroy_process_group()


def test_config_names_the_backend_of_the_open_group(tmp_path):
    """On a CPU-only machine the group is gloo; the run header (the Runner's env_cfg) says so,
    not the configs' 'nccl'."""
    from mmengine.config import Config

    from mmuda.utils import record_dist_backend
    cfg = Config(dict(env_cfg=dict(cudnn_benchmark=False,
                                   dist_cfg=dict(backend='nccl', timeout=60))))
    record_dist_backend(cfg)  # no group open: nothing to record
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    dist.init_process_group('gloo', init_method=f'file://{tmp_path / "store"}', rank=0,
                            world_size=1)
    try:
        record_dist_backend(cfg)
    finally:
        dist.destroy_process_group()
    assert cfg.env_cfg == dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo', timeout=60))
