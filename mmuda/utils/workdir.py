# Copyright (c) mmuda contributors. All rights reserved.
"""Leave no half-written output in a work dir when a run fails early."""
import logging
import os
import os.path as osp
import shutil
from typing import Set

from mmengine.dist import get_rank


def _checkpoints(entries: Set[str]) -> Set[str]:
    return {e for e in entries if e.endswith('.pth')}


class WorkDirGuard:
    """Context manager: on an exception, remove what this run added to ``work_dir``.

    A run that fails before it saved any checkpoint (bad data root, empty dataset, wrong label
    id, config error) has written only a log folder, a dumped config and visualiser folders;
    they are removed (and the work dir itself, if this run created it), so the failure leaves
    nothing that looks like a result. A run that has saved a checkpoint keeps everything: it
    can be resumed. Only rank 0 cleans up; the exception is always re-raised.
    """

    def __init__(self, work_dir: str):
        self.work_dir = work_dir
        self.existed = osp.isdir(work_dir)
        self.before = set(os.listdir(work_dir)) if self.existed else set()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None or get_rank() != 0 or not osp.isdir(self.work_dir):
            return False
        added = set(os.listdir(self.work_dir)) - self.before
        if _checkpoints(added):
            return False
        # close the log files of this run before removing them
        for logger in logging.Logger.manager.loggerDict.values():
            for handler in getattr(logger, 'handlers', []):
                if isinstance(handler, logging.FileHandler) and handler.baseFilename.startswith(
                        osp.abspath(self.work_dir)):
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
