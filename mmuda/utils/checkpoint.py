# Copyright (c) mmuda contributors. All rights reserved.
"""Loading mmengine checkpoints under torch's ``weights_only`` unpickler.

torch >= 2.6 defaults ``torch.load`` to ``weights_only=True``, which refuses every class that is
not on its allow-list. mmengine 0.10.7 calls ``torch.load`` without the argument, so resuming
from one of its own checkpoints fails on the classes they hold (the message hub's
``HistoryBuffer`` and the numpy arrays and scalars inside it). Rather than turning
``weights_only`` off, which would run arbitrary code from any checkpoint a user downloads, we
add exactly those classes to torch's allow-list. None of them can execute code when unpickled.
"""
import pickle
from typing import List

import numpy as np
import torch

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
