# Copyright (c) mmuda contributors. All rights reserved.
"""mmengine checkpoints load under torch's weights_only unpickler; arbitrary code does not."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import mmuda  # noqa: F401  (adds the allow-list)


def _message_hub_state():
    hub = MessageHub.get_instance('test_checkpoint_hub')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/loss', np.float64(0.75))
    hub.update_info('iter', 7)
    return hub.state_dict()


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    path = str(tmp_path / 'ckpt.pth')
    checkpoint = dict(
        meta=dict(iter=7, seed=np.int64(3), dataset_meta=dict(classes=('a', 'b'))),
        state_dict=dict(w=torch.ones(2)),
        message_hub=_message_hub_state(),
        optimizer=torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1).state_dict(),
        extra=np.arange(3, dtype=np.float32))
    torch.save(checkpoint, path)
    loaded = torch.load(path, map_location='cpu', weights_only=True)
    history = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(history, HistoryBuffer)
    assert history.current() == pytest.approx(0.75)
    assert history.mean() == pytest.approx(1.125)
    assert loaded['meta']['seed'] == 3
    assert np.array_equal(loaded['extra'], np.arange(3, dtype=np.float32))


class _Evil:
    def __reduce__(self):
        return (os.system, ('echo pwned > /dev/null',))


class _SneakyGetattr:
    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


def test_arbitrary_code_is_still_refused(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict=_Evil()), path)
    with pytest.raises(pickle.UnpicklingError, match='system'):
        torch.load(path, map_location='cpu', weights_only=True)


def test_getattr_only_reaches_history_buffer_methods(tmp_path):
    path = str(tmp_path / 'sneaky.pth')
    torch.save(dict(x=_SneakyGetattr()), path)
    with pytest.raises(pickle.UnpicklingError, match="refusing getattr"):
        torch.load(path, map_location='cpu', weights_only=True)
