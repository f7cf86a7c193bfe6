# Copyright (c) mmuda contributors. All rights reserved.
"""A checkpoint that cannot be used is named, with what to do; the latest one is found."""
import os
import time

import pytest
import torch
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

import mmuda  # noqa: F401  (registers the loader)
from mmuda.utils.checkpoint import CheckpointLoadError, latest_checkpoint, load_from_local


class _Pickled:
    """A class no allow-list holds."""


def test_local_files_go_through_mmuda_loader():
    # the extension point mmengine's Runner (resume, load_from) and init_cfg use
    assert CheckpointLoader._get_checkpoint_loader('/some/iter_4.pth') is load_from_local


def test_good_checkpoint_loads(tmp_path):
    path = str(tmp_path / 'iter_4.pth')
    torch.save(dict(state_dict=dict(w=torch.ones(3)), meta=dict(iter=4)), path)
    assert _load_checkpoint(path, map_location='cpu')['meta']['iter'] == 4


def test_truncated_checkpoint_names_the_file_and_earlier_ones(tmp_path):
    earlier = str(tmp_path / 'iter_4.pth')
    torch.save(dict(state_dict=dict(w=torch.ones(1000))), earlier)
    path = str(tmp_path / 'iter_8.pth')
    with open(earlier, 'rb') as f:
        data = f.read()
    time.sleep(0.01)
    for size in (0, len(data) // 2, len(data) - 30):  # empty, half, all but the end
        with open(path, 'wb') as f:
            f.write(data[:size])
        with pytest.raises(CheckpointLoadError) as info:
            _load_checkpoint(path, map_location='cpu')
        message = str(info.value)
        assert message.startswith(f'Cannot read checkpoint {path}: it is truncated or corrupt')
        assert f'Use an earlier checkpoint instead ({earlier}' in message
        assert 'weights_only' not in message


def test_refused_class_points_at_the_allow_list(tmp_path):
    path = str(tmp_path / 'foreign.pth')
    torch.save(dict(state_dict=dict(w=torch.ones(1)), extra=_Pickled()), path)
    with pytest.raises(CheckpointLoadError) as info:
        _load_checkpoint(path, map_location='cpu')
    message = str(info.value)
    assert message.startswith(f'Checkpoint {path} holds something')
    assert '_Pickled' in message and 'mmuda/utils/checkpoint.py' in message
    # not torch's advice to turn the safe loader off
    assert 'weights_only` set to `False' not in message and 'weights_only=False' not in message


def test_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointLoadError, match='nothing.pth does not exist'):
        _load_checkpoint(str(tmp_path / 'nothing.pth'), map_location='cpu')


def test_latest_checkpoint(tmp_path):
    work_dir = str(tmp_path)
    assert latest_checkpoint(work_dir) is None
    for n in (4, 12, 8):
        torch.save({}, str(tmp_path / f'iter_{n}.pth'))
    torch.save({}, str(tmp_path / 'best_mIoU_iter_30.pth'))
    assert latest_checkpoint(work_dir) == str(tmp_path / 'iter_12.pth')
    # last_checkpoint (written by the checkpoint and interrupt hooks) wins when it exists
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_8.pth'))
    assert latest_checkpoint(work_dir) == str(tmp_path / 'iter_8.pth')
    os.remove(str(tmp_path / 'iter_8.pth'))
    assert latest_checkpoint(work_dir) == str(tmp_path / 'iter_12.pth')
