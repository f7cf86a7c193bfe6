# Copyright (c) mmuda contributors. All rights reserved.
"""A work dir is used by one run at a time, and a run that fails while setting up leaves
nothing behind in it."""
import datetime
import fcntl
import json
import logging
import os
import os.path as osp
import shlex
import shutil
import socket
import sys
from typing import Optional, Set

from mmengine.dist import get_rank, is_distributed

from .errors import RunError

#: the lock file a training run holds in its work dir (``fcntl.flock``, rank 0 only)
LOCK_FILE = '.mmuda.lock'

# the open lock files of this process: closing one would release its lock
_HELD = {}


class WorkDirBusyError(RunError):
    """Another run holds the work dir."""


def _checkpoints(entries: Set[str]) -> Set[str]:
    return {e for e in entries if e.endswith('.pth')}


def launcher_rank(launcher: str = 'none') -> int:
    """This process's rank, also before the process group exists (from the launcher's
    environment: torchrun's RANK, slurm's SLURM_PROCID, Open MPI's OMPI_COMM_WORLD_RANK)."""
    if is_distributed():
        return get_rank()
    if launcher == 'none':
        return 0
    for var in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK'):
        if var in os.environ:
            return int(os.environ[var])
    return 0


def lock_work_dir(work_dir: str) -> str:
    """Take the work dir's lock for the lifetime of this process, or raise
    :class:`WorkDirBusyError` naming the run that holds it (pid, host, start time, command).

    The lock is an exclusive ``fcntl.flock`` on ``work_dir/.mmuda.lock``; the operating
    system releases it when the process ends, however it ends, so a crashed run never leaves
    a stale lock (the file itself stays, with the last holder's description). Idempotent
    within a process. Returns the lock file's path.
    """
    path = osp.join(osp.abspath(work_dir), LOCK_FILE)
    if path in _HELD:
        return path
    os.makedirs(osp.dirname(path), exist_ok=True)
    handle = open(path, 'a+')
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        text = handle.read()
        handle.close()
        try:
            holder = json.loads(text)
            who = (f'pid {holder["pid"]} on host {holder["host"]}, started '
                   f'{holder["started"]}: {holder["command"]}')
        except (ValueError, KeyError, TypeError):
            who = 'a process that has not described itself yet'
        raise WorkDirBusyError(
            f'The work dir {osp.dirname(path)} is in use by another run ({who}). Two runs in '
            'one work dir would mix their logs and overwrite each other\'s checkpoints. Wait '
            'for that run to end (or stop it), or give this one another --work-dir.') from None
    handle.seek(0)
    handle.truncate()
    json.dump(dict(pid=os.getpid(), host=socket.gethostname(),
                   started=datetime.datetime.now().isoformat(timespec='seconds'),
                   command=' '.join(shlex.quote(a) for a in [sys.executable] + sys.argv)),
              handle)
    handle.write('\n')
    handle.flush()
    _HELD[path] = handle
    return path


class WorkDirGuard:
    """Context manager: the work dir of one run, cleaned up if the run fails while setting up.

    - ``lock=True``: rank 0 takes the work dir's lock on entry (:func:`lock_work_dir`); a
      second run in the same work dir is refused before it writes anything.
    - On an exception before :meth:`mark_started` (set-up: bad data root, empty dataset,
      config error, unreadable checkpoint, Ctrl-C while building), everything this run added
      to ``work_dir`` is removed (the work dir itself if this run created it; the lock file
      stays in a work dir that existed, so that no other run can be locking a file that is
      being deleted), so the failure leaves nothing that looks like a result.
    - Once training started (:meth:`mark_started`, called by
      :class:`mmuda.engine.InterruptHook` at the first iteration) nothing is removed: the logs
      say what happened, and checkpoints can be resumed.

    Only rank 0 takes the lock and cleans up; the exception is always re-raised.
    """

    def __init__(self, work_dir: str, lock: bool = False, launcher: str = 'none'):
        self.work_dir = osp.abspath(work_dir)
        self.lock = lock
        self.launcher = launcher
        self.existed = osp.isdir(self.work_dir)
        self.before = set(os.listdir(self.work_dir)) if self.existed else set()
        self.started = False
        self.lock_path: Optional[str] = None

    def mark_started(self) -> None:
        """Training has started: from now on a failure keeps the work dir as it is."""
        self.started = True

    def __enter__(self):
        if self.lock and launcher_rank(self.launcher) == 0:
            # raises before this run wrote anything; __exit__ is not called then
            self.lock_path = lock_work_dir(self.work_dir)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None or self.started or launcher_rank(self.launcher) != 0 or \
                not osp.isdir(self.work_dir):
            return False
        added = set(os.listdir(self.work_dir)) - self.before - {LOCK_FILE}
        if _checkpoints(added):
            return False
        # close the log files of this run before removing them
        for logger in logging.Logger.manager.loggerDict.values():
            for handler in getattr(logger, 'handlers', []):
                if isinstance(handler, logging.FileHandler) and handler.baseFilename.startswith(
                        self.work_dir + os.sep):
                    handler.close()
        if not self.existed:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        else:
            for entry in added:
                path = osp.join(self.work_dir, entry)
                if osp.isdir(path) and not osp.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.remove(path)
        return False
