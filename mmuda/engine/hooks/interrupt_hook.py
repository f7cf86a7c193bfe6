# Copyright (c) mmuda contributors. All rights reserved.
"""Ctrl-C ends a training run with a checkpoint it can be resumed from."""
import contextlib
import os
import os.path as osp
import signal
import sys
import threading
import time
from typing import Callable, Optional

import torch
from mmengine.dist import all_reduce, get_world_size, is_distributed, is_main_process
from mmengine.hooks import CheckpointHook, Hook


class InterruptHook(Hook):
    """The first Ctrl-C (SIGINT) stops training after the current iteration, with a checkpoint.

    ``tools/train.py`` adds this hook to every training run (it is not in the hook registry,
    so a config can neither forget nor duplicate it) and installs its signal handler
    (:meth:`handling_sigint`) before the Runner is built, so that data-loader workers forked
    later inherit it (with ``mp_start_method='fork'``, as the configs set) and ignore the
    signal, which a terminal sends to every process of the job:

    - during set-up (before the first iteration) Ctrl-C aborts at once (``KeyboardInterrupt``);
    - in training, the first Ctrl-C sets a flag and the current iteration finishes; in
      :meth:`after_train_iter` (after the logger and the checkpoint hook) the Runner saves a
      checkpoint of that iteration (``Runner.save_checkpoint``, as ``CheckpointHook`` does:
      model, optimizer, schedulers, message hub; ``last_checkpoint`` points at it), so
      ``--resume`` continues exactly there, and the loop stops (``stop_training``, which
      mmengine's ``IterBasedTrainLoop`` checks before each iteration). The tool then exits
      with status 130;
    - a second Ctrl-C aborts at once (one within :attr:`repeat_window_s` of the first counts
      as the same: under torchrun each worker gets the terminal's SIGINT and the agent's copy
      of it; the agent kills the workers 30 s after forwarding it).

    In a distributed run the flag is all-reduced after every iteration (one tiny collective),
    so all processes stop at the same iteration even when only one of them got the signal.

    Args:
        on_start (callable, optional): called once, before the first training iteration
            (``tools/train.py`` passes :meth:`mmuda.utils.workdir.WorkDirGuard.mark_started`).
    """
    priority = 'LOWEST'
    #: a SIGINT this soon after the first is the same Ctrl-C: torchrun forwards the terminal's
    #: SIGINT to its workers, which got it from the terminal already
    repeat_window_s = 2.0

    def __init__(self, on_start: Optional[Callable[[], None]] = None):
        self.on_start = on_start
        #: a SIGINT arrived during training
        self.requested = False
        #: training started (the first iteration began)
        self.started = False
        #: the iteration (1-based, as logged) training stopped after, when interrupted
        self.interrupted_at: Optional[int] = None
        #: the checkpoint of that iteration
        self.checkpoint: Optional[str] = None
        self._previous = None
        self._pid = os.getpid()
        self._first = 0.0

    # ---------------------------------------------------------------- the signal handler
    def _handle(self, signum, frame):
        if os.getpid() != self._pid:
            return  # a forked data-loader worker: the main process decides
        if not self.started:
            raise KeyboardInterrupt  # set-up: nothing worth saving yet
        now = time.monotonic()
        if self.requested:
            if now - self._first < self.repeat_window_s:
                return  # the same Ctrl-C, forwarded by a launcher (torchrun)
            raise KeyboardInterrupt  # a second Ctrl-C
        self.requested = True
        self._first = now
        sys.stderr.write('\nCtrl-C: training stops after this iteration and saves a checkpoint '
                         '(Ctrl-C again to abort at once, without one).\n')

    @contextlib.contextmanager
    def handling_sigint(self):
        """Install the SIGINT handler for the duration of the block (main thread only;
        elsewhere Python's default handling stays)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        self._pid = os.getpid()
        self._previous = signal.signal(signal.SIGINT, self._handle)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, self._previous)

    # ---------------------------------------------------------------- hook points
    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if not self.started:
            self.started = True
            if self.on_start is not None:
                self.on_start()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        stop = self.requested
        if is_distributed() and get_world_size() > 1:
            flag = torch.tensor([int(stop)], dtype=torch.int32)
            all_reduce(flag, op='max')
            stop = bool(flag.item())
        if not stop:
            return
        if not self.requested:  # a process that learnt it from another
            self.requested, self._first = True, time.monotonic()
        step = runner.iter + 1
        self.checkpoint = self._save(runner, step)
        self.interrupted_at = step
        runner.train_loop.stop_training = True
        runner.logger.warning(f'Interrupted (Ctrl-C) after iteration {step}; checkpoint: '
                              f'{self.checkpoint}')

    @staticmethod
    def _save(runner, step: int) -> str:
        """Save the checkpoint of iteration ``step`` where and as the checkpoint hook would,
        unless it has just done so; returns its path."""
        ckpt_hook = next((h for h in runner.hooks if isinstance(h, CheckpointHook)), None)
        out_dir = getattr(ckpt_hook, 'out_dir', None) or runner.work_dir
        iter_based = ckpt_hook is not None and not ckpt_hook.by_epoch
        filename = (ckpt_hook.filename_tmpl if iter_based else 'iter_{}.pth').format(step)
        path = osp.join(out_dir, filename)
        if runner.message_hub.get_info('last_ckpt') == path:
            return path  # the checkpoint hook saved this iteration already
        kwargs = {}
        if ckpt_hook is not None:
            kwargs = dict(save_optimizer=ckpt_hook.save_optimizer,
                          save_param_scheduler=ckpt_hook.save_param_scheduler,
                          backend_args=ckpt_hook.backend_args)
        runner.save_checkpoint(out_dir, filename, meta=dict(epoch=runner.epoch, iter=step),
                               by_epoch=False, **kwargs)
        runner.message_hub.update_info('last_ckpt', path)
        if is_main_process():
            with open(osp.join(runner.work_dir, 'last_checkpoint'), 'w') as f:
                f.write(path)
        return path
