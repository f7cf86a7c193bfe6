# Copyright (c) mmuda contributors. All rights reserved.
"""Train a model from a config (one process, torchrun, slurm or mpi).

What a run guarantees (docs/guarantees.md): the config is checked before anything is built;
one run per work dir (a lock); a failure during set-up leaves nothing behind; training stops
at the first non-finite loss or gradient; Ctrl-C stops with a checkpoint to resume from.
Exit status: 0 done, 1 an error (one paragraph, no traceback, for the errors mmuda
explains), 130 stopped by Ctrl-C.
"""
import argparse
import logging
import os
import os.path as osp
import sys

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmuda.engine.hooks import DivergenceHook, InterruptHook
from mmuda.utils import close_dist, init_cpu_dist, record_dist_backend, register_all_modules
from mmuda.utils.checkpoint import latest_checkpoint
from mmuda.utils.config_check import check_config
from mmuda.utils.divergence import DivergenceError
from mmuda.utils.errors import RunError
from mmuda.utils.workdir import WorkDirGuard

#: ``--resume`` given without a value
LATEST = 'latest'
#: exit status of a run stopped by Ctrl-C (128 + SIGINT, as a shell reports it)
EXIT_INTERRUPTED = 130


def parse_args():
    parser = argparse.ArgumentParser(description='Train a mmuda model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const=LATEST,
        metavar='CKPT|auto',
        help='resume training. Without a value: from the latest checkpoint in the work dir, '
        'an error if there is none; "auto": from it if there is one, else start from '
        'scratch; a path: from that checkpoint')
    parser.add_argument(
        '--amp', action='store_true', default=False,
        help='enable automatic mixed precision training (needs a CUDA device)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair in xxx=yyy '
        'format will be merged into config file.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local_rank / --local-rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def resolve_resume(cfg, resume) -> None:
    """Set ``cfg.resume`` / ``cfg.load_from`` for ``--resume [CKPT|auto]``."""
    if resume is None:
        return
    if resume in (LATEST, 'auto'):
        checkpoint = latest_checkpoint(cfg.work_dir)
        if checkpoint is None:
            if resume == 'auto':
                print_log(f'--resume auto: no checkpoint in {cfg.work_dir}, training starts '
                          'from scratch', logger='current', level=logging.WARNING)
                return
            raise RunError(
                f'--resume: there is no checkpoint to resume from in the work dir '
                f'{osp.abspath(cfg.work_dir)} (no last_checkpoint file, no iter_*.pth). Give '
                'the checkpoint (--resume PATH) or the work dir holding it (--work-dir), or '
                'use --resume auto to resume when there is a checkpoint and start from '
                'scratch when there is none.')
    else:
        checkpoint = resume
        if not osp.isfile(checkpoint):
            raise RunError(f'--resume: the checkpoint {checkpoint} does not exist.')
    cfg.resume = True
    cfg.load_from = checkpoint


def enable_amp(optim_wrapper) -> None:
    """Turn the config's optimizer wrapper(s) into ``AmpOptimWrapper``: the one wrapper, or
    each entry of a several-optimizer config (segmentor and discriminators)."""
    if 'optimizer' in optim_wrapper or 'type' in optim_wrapper:
        wrappers = {'optim_wrapper': optim_wrapper}
    else:
        wrappers = {f'optim_wrapper.{name}': cfg for name, cfg in optim_wrapper.items()
                    if name != 'constructor'}
    for name, wrapper in wrappers.items():
        kind = wrapper.get('type', 'OptimWrapper')
        if kind == 'SAMOptimWrapper':  # SDAT, MIC classification
            wrapper.type = 'AmpSAMOptimWrapper'
            wrapper.loss_scale = 'dynamic'
            continue
        if kind in ('AmpOptimWrapper', 'AmpSAMOptimWrapper'):
            print_log(f'AMP training is already enabled for {name} in your config.',
                      logger='current', level=logging.WARNING)
            continue
        if kind != 'OptimWrapper':
            raise SystemExit(f'--amp turns {name}.type OptimWrapper into AmpOptimWrapper (and '
                             f'SAMOptimWrapper into AmpSAMOptimWrapper), but it is {kind!r}')
        wrapper.type = 'AmpOptimWrapper'
        wrapper.loss_scale = 'dynamic'


def build_cfg(args) -> Config:
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    # work_dir priority: CLI > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        if not torch.cuda.is_available():
            raise SystemExit('--amp needs a CUDA device: mmengine\'s AmpOptimWrapper does '
                             'not run on the CPU.')
        enable_amp(cfg.optim_wrapper)
    # before anything is built or written: misspelt keys, hook arguments, pipelines
    check_config(cfg, ('train_dataloader', 'val_dataloader'), args.config)
    resolve_resume(cfg, args.resume)
    return cfg


def _after_divergence(exc: DivergenceError, work_dir: str) -> None:
    checkpoint = latest_checkpoint(work_dir)
    exc.args = (str(exc) + (
        f' The last checkpoint, {checkpoint}, was saved before it and holds finite weights: '
        f'resume from it with --resume {checkpoint}.' if checkpoint else
        ' No checkpoint was saved before it.'),)


def train(cfg, stop: InterruptHook) -> None:
    """Build the Runner and train; the Runner is gone when this returns.

    The errors mmuda explains (:class:`RunError`) are written to the run's log too, and
    re-raised marked as logged.
    """
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    # added here, not by the config, so that no config can forget them
    runner.register_hook(DivergenceHook())  # plain models; UDA models check their own steps
    runner.register_hook(stop)
    try:
        runner.train()
    except RunError as exc:
        if isinstance(exc, DivergenceError):
            _after_divergence(exc, runner.work_dir)
        runner.logger.error(str(exc))
        exc.logged = True
        raise
    if stop.interrupted_at is not None:
        runner.logger.warning(
            f'Training stopped by Ctrl-C after iteration {stop.interrupted_at}; its '
            f'checkpoint is {stop.checkpoint}. To continue, run the same command with '
            f'--resume (and --work-dir {runner.work_dir}).')


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    stop = InterruptHook()
    try:
        cfg = build_cfg(args)
        init_cpu_dist(args.launcher)
        record_dist_backend(cfg)
        # one run per work dir (rank 0 holds a lock); a failure before the first iteration
        # leaves nothing behind; Ctrl-C during training stops with a checkpoint
        guard = WorkDirGuard(cfg.work_dir, lock=True, launcher=args.launcher)
        stop.on_start = guard.mark_started
        with stop.handling_sigint(), guard:
            train(cfg, stop)
    except RunError as exc:
        if not getattr(exc, 'logged', False):
            print(f'Error: {exc}', file=sys.stderr)
        sys.exit(1)
    close_dist()
    if stop.interrupted_at is not None:
        sys.exit(EXIT_INTERRUPTED)


if __name__ == '__main__':
    main()
