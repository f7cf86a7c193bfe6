# Copyright (c) mmuda contributors. All rights reserved.
"""All-or-nothing label conversion, shared by the dataset converters (SYNTHIA, Mapillary, the
video datasets): every output is written to a temporary file first and renamed into place only
when every label converted, so a bad label or an interruption leaves the folders as they were.
"""
import os
import os.path as osp
from typing import Any, Callable, List, Optional, Sequence


def temp_path(dst: str, tag: str) -> str:
    """Where a worker writes ``dst`` before it is renamed into place."""
    return f'{dst}.tmp-{tag}.png'


class _Unpack:
    """``worker(*args)`` as a one-argument picklable callable (for process pools)."""

    def __init__(self, worker: Callable):
        self.worker = worker

    def __call__(self, args: tuple):
        return self.worker(*args)


def convert_all_or_nothing(worker: Callable, args: Sequence[tuple],
                           destinations: Sequence[str], tag: str, what: str,
                           problem: Callable[[Any], Optional[str]] = lambda r: r,
                           nproc: int = 4, progress: bool = False) -> List[Any]:
    """Run ``worker(*a)`` for each ``a`` of ``args`` (in ``nproc`` processes; with mmengine's
    progress bar when ``progress``); the workers write each path of ``destinations`` to
    ``temp_path(path, tag)``. ``problem(result)`` is None for a good label, else what is wrong
    with it: then (or on any exception) the temporary files are removed and ``ValueError``
    lists the bad labels (``what``: e.g. 'are not SYNTHIA labels'). Otherwise the files are
    renamed into place. Returns the workers' results, in order."""
    call = _Unpack(worker)
    try:
        if nproc > 1 and len(args) > 1:
            if progress:
                from mmengine.utils import track_parallel_progress
                results = track_parallel_progress(call, list(args), min(nproc, len(args)))
            else:
                from multiprocessing import Pool
                with Pool(min(nproc, len(args))) as pool:
                    results = pool.map(call, args, chunksize=8)
        elif progress:
            from mmengine.utils import track_progress
            results = track_progress(call, list(args))
        else:
            results = [call(a) for a in args]
        problems = [p for p in map(problem, results) if p is not None]
        if problems:
            more = f'\n... and {len(problems) - 5} more' if len(problems) > 5 else ''
            raise ValueError(f'{len(problems)} of {len(args)} label(s) {what}; nothing was '
                             f'written:\n' + '\n'.join(problems[:5]) + more)
    except BaseException:
        for dst in destinations:
            if osp.exists(temp_path(dst, tag)):
                os.remove(temp_path(dst, tag))
        raise
    for dst in destinations:
        os.replace(temp_path(dst, tag), dst)
    return results
