# Copyright (c) mmuda contributors. All rights reserved.
"""Loading mmengine checkpoints under torch's ``weights_only`` unpickler.

torch >= 2.6 defaults ``torch.load`` to ``weights_only=True``, which refuses every class that is
not on its allow-list. mmengine 0.10.7 calls ``torch.load`` without the argument, so resuming
from one of its own checkpoints fails on the classes they hold (the message hub's
``HistoryBuffer`` and the numpy arrays and scalars inside it). Rather than turning
``weights_only`` off, which would run arbitrary code from any checkpoint a user downloads, we
add exactly those classes to torch's allow-list. None of them can execute code when unpickled.

Local checkpoint files are loaded by :func:`load_from_local`, registered with mmengine's
``CheckpointLoader.register_scheme`` (its documented extension point for loading schemes) for
the ``''`` prefix, so ``--resume``, ``load_from``, ``tools/test.py`` and ``Pretrained``
init_cfgs all get errors that name the file and what to do (:class:`CheckpointLoadError`).
:func:`latest_checkpoint` is what ``tools/train.py --resume`` resumes from.
"""
import glob
import os.path as osp
import pickle
import re
from typing import List, Optional

import numpy as np
import torch
from mmengine.runner import CheckpointLoader

from .errors import RunError

_DONE = False


def checkpoint_safe_globals() -> List:
    """The classes and functions an mmengine checkpoint needs beyond torch's defaults."""
    from mmengine.logging.history_buffer import HistoryBuffer
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(t)) for t in (
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
        np.uint64, np.float16, np.float32, np.float64)]
    return [HistoryBuffer, _reconstruct, scalar, np.ndarray, np.dtype, *dtype_classes, bytes,
            (history_buffer_getattr, 'builtins.getattr')]


def history_buffer_getattr(obj, name: str):
    """The only ``getattr`` a checkpoint may call: a public method of ``HistoryBuffer``.

    A ``HistoryBuffer`` keeps its statistics methods (``HistoryBuffer.mean`` ...) in its
    ``__dict__``; pickle writes each as ``getattr(HistoryBuffer, 'mean')``. Allowing the real
    ``getattr`` would hand a malicious file every attribute of every allowed class, so this
    stand-in, registered under the name ``builtins.getattr`` for the unpickler only, refuses
    anything else.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and not name.startswith('_') and callable(
            getattr(HistoryBuffer, name, None)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'refusing getattr({obj!r}, {name!r}) in a checkpoint: only public methods of '
        f'mmengine HistoryBuffer are allowed')


def allowlist_checkpoint_classes() -> None:
    """Allow the classes mmengine checkpoints hold in torch's ``weights_only`` loader.

    Idempotent; a no-op on torch versions without ``add_safe_globals``.
    """
    global _DONE
    if _DONE or not hasattr(torch.serialization, 'add_safe_globals'):
        return
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    _DONE = True


# ---------------------------------------------------------------------------- loading
class CheckpointLoadError(RunError):
    """A checkpoint file that cannot be used: missing, truncated or corrupt, or holding a
    class that ``weights_only`` loading refuses."""


def _earlier_checkpoints(filename: str) -> List[str]:
    """The other ``*.pth`` files beside ``filename``, newest first."""
    folder = osp.dirname(osp.abspath(filename))
    others = [p for p in glob.glob(osp.join(folder, '*.pth'))
              if osp.abspath(p) != osp.abspath(filename)]
    return sorted(others, key=osp.getmtime, reverse=True)


def _corrupt(filename: str, reason: str) -> CheckpointLoadError:
    earlier = _earlier_checkpoints(filename)
    hint = (f'Use an earlier checkpoint instead ({", ".join(earlier[:3])}: '
            '`tools/train.py ... --resume PATH` or `load_from=PATH`)' if earlier else
            'No other checkpoint is beside it: train again, or give another checkpoint')
    return CheckpointLoadError(
        f'Cannot read checkpoint {filename}: it is truncated or corrupt ({reason}); a copy '
        f'that did not finish or a save that was cut off leaves such a file. {hint}.')


def _refused(filename: str, detail: str) -> CheckpointLoadError:
    return CheckpointLoadError(
        f'Checkpoint {filename} holds something that torch\'s safe (weights_only) loader '
        f'refuses: {detail}. mmuda loads checkpoints that way so that a file cannot run code. '
        'If the file comes from a source you trust and the class named is plain data, add it '
        'to checkpoint_safe_globals() in mmuda/utils/checkpoint.py; otherwise use a '
        'checkpoint saved by mmuda/mmengine, or re-save the weights alone '
        '(torch.save({"state_dict": ...})).')


def load_from_local(filename: str, map_location=None):
    """mmengine's loader of local checkpoint files, with errors that say what to do.

    Registered for the ``''`` prefix of mmengine's ``CheckpointLoader`` (its extension point
    for checkpoint loading schemes), so it serves ``--resume``, ``load_from``, tools/test.py
    and ``init_cfg=dict(type='Pretrained', checkpoint=<a local file>)`` alike. It loads as
    mmengine's ``load_from_local`` does (torch's default, ``weights_only=True`` on
    torch >= 2.6, with the allow-list above) and turns torch's errors into one that names the
    file and what to do: a missing file, a truncated or corrupt file (use an earlier
    checkpoint: those beside it are listed), a refused class (the allow-list).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise CheckpointLoadError(f'Checkpoint {filename} does not exist (or is not a file).')
    kwargs = dict(weights_only=True) if hasattr(torch.serialization, 'add_safe_globals') \
        else {}
    try:
        return torch.load(filename, map_location=map_location, **kwargs)
    except pickle.UnpicklingError as exc:
        message = str(exc)
        if 'WeightsUnpickler error:' not in message:
            raise _corrupt(filename, message.strip().splitlines()[0][:200]) from exc
        detail = message.split('WeightsUnpickler error:', 1)[1].strip().split('\n\n')[0]
        detail = detail.split(' Please use ')[0].strip()
        if not detail or detail.startswith('Unsupported operand'):
            raise _corrupt(filename, detail or 'unreadable pickle data') from exc
        raise _refused(filename, detail) from exc
    except EOFError as exc:
        raise _corrupt(filename, 'it ends too early') from exc
    except RuntimeError as exc:
        if 'PytorchStreamReader' not in str(exc):
            raise
        raise _corrupt(filename, str(exc).split('. ')[0]) from exc
    except OSError as exc:
        raise _corrupt(filename, f'{type(exc).__name__}: {exc}') from exc


CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint a run in ``work_dir`` saved last, or None.

    The file named in ``work_dir/last_checkpoint`` (written by mmengine's ``CheckpointHook``
    and by :class:`mmuda.engine.InterruptHook`) when it exists, else the ``iter_<n>.pth`` of
    ``work_dir`` with the largest n.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            path = f.read().strip()
        if path and osp.isfile(path):
            return path
    found = []
    for path in glob.glob(osp.join(work_dir, 'iter_*.pth')):
        match = re.fullmatch(r'iter_(\d+)\.pth', osp.basename(path))
        if match:
            found.append((int(match.group(1)), path))
    return max(found)[1] if found else None
