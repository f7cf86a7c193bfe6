# Copyright (c) mmuda contributors. All rights reserved.
"""Distributed start-up on machines without CUDA.

mmengine's ``init_dist`` always calls ``torch.cuda.set_device``, which fails on a CPU build of
torch. On such machines the launch scripts still work: we open the process group ourselves with
the gloo backend before the Runner is built (the Runner then sees an initialised group and
skips its own ``init_dist``). ``close_dist`` ends such a run: it tears the group down while
the interpreter is still whole.
"""
import gc
import os

import torch
import torch.distributed as dist


def _env_from_slurm() -> None:
    os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
    os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
    os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
    if 'MASTER_ADDR' not in os.environ:
        import subprocess
        node_list = os.environ['SLURM_NODELIST']
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {node_list} | head -n1')
    os.environ.setdefault('MASTER_PORT', '29500')


def _env_from_mpi() -> None:
    os.environ.setdefault('RANK', os.environ['OMPI_COMM_WORLD_RANK'])
    os.environ.setdefault('WORLD_SIZE', os.environ['OMPI_COMM_WORLD_SIZE'])
    os.environ.setdefault('LOCAL_RANK', os.environ['OMPI_COMM_WORLD_LOCAL_RANK'])
    os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
    os.environ.setdefault('MASTER_PORT', '29500')


def init_cpu_dist(launcher: str, timeout_s: int = 1800) -> bool:
    """Initialise a gloo process group when CUDA is unavailable.

    Args:
        launcher: 'none', 'pytorch', 'slurm' or 'mpi'.
        timeout_s: process-group timeout in seconds.

    Returns:
        True if this call created the process group; False when there is nothing to do
        (no launcher, CUDA available so mmengine's ``init_dist`` applies, or a group exists).
    """
    if launcher == 'none' or torch.cuda.is_available() or dist.is_initialized():
        return False
    if launcher == 'slurm':
        _env_from_slurm()
    elif launcher == 'mpi':
        _env_from_mpi()
    elif launcher != 'pytorch':
        raise ValueError(f"launcher must be one of none, pytorch, slurm, mpi; got {launcher!r}")
    import datetime
    dist.init_process_group(
        backend='gloo', init_method='env://', rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        timeout=datetime.timedelta(seconds=timeout_s))
    return True


def close_dist() -> None:
    """Free what still holds the process group, then destroy the group (if one is open).

    Call it after the last reference to the Runner is gone. A Runner sits in reference cycles
    (its loops and hooks point back at it), so without a collection its DDP wrapper, whose
    reducer holds the gloo group, and its data-loader workers would be freed, if at all, during
    interpreter shutdown, in no set order with the C++ statics the group's threads use; a rank
    can then abort after a good run ("terminate called without an active exception"). Here the
    group's threads are joined inside ``destroy_process_group``, after a barrier, so no rank
    tears its sockets down while another still talks to it.
    """
    gc.collect()
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def record_dist_backend(cfg) -> None:
    """Make ``cfg.env_cfg.dist_cfg.backend`` name the backend of the open process group.

    The configs ask for 'nccl' (the GPU default); on a machine without CUDA
    :func:`init_cpu_dist` opens a gloo group instead, and the Runner, which finds the group
    open, would still print the config's 'nccl' in its run header. Call after
    :func:`init_cpu_dist`; a no-op when no group is open.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    env_cfg = cfg.get('env_cfg') or {}
    dist_cfg = dict(env_cfg.get('dist_cfg') or {})
    dist_cfg['backend'] = str(dist.get_backend())
    env_cfg = dict(env_cfg, dist_cfg=dist_cfg)
    cfg.env_cfg = env_cfg
