# Copyright (c) mmuda contributors. All rights reserved.
"""One run per work dir; a failure during set-up leaves nothing, one during training keeps all."""
import os
import os.path as osp
import socket
import subprocess
import sys
import textwrap

import pytest

from mmuda.utils.workdir import LOCK_FILE, WorkDirBusyError, WorkDirGuard, lock_work_dir

from ..helpers import ROOT


def test_second_holder_is_refused_with_the_first_described(tmp_path):
    work_dir = str(tmp_path / 'work')
    # another process takes the lock and holds it until we close its stdin
    holder = subprocess.Popen(
        [sys.executable, '-c', textwrap.dedent(f"""
            import sys
            from mmuda.utils.workdir import lock_work_dir
            lock_work_dir({work_dir!r})
            print('locked', flush=True)
            sys.stdin.read()
            """)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        assert holder.stdout.readline().strip() == 'locked'
        with pytest.raises(WorkDirBusyError) as info:
            lock_work_dir(work_dir)
        message = str(info.value)
        assert f'pid {holder.pid} on host {socket.gethostname()}' in message
        assert 'started 20' in message and f'{sys.executable} -c' in message
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    # the operating system released the lock with the process: it can be taken now
    assert lock_work_dir(work_dir) == osp.join(work_dir, LOCK_FILE)


def test_failure_during_set_up_removes_what_the_run_added(tmp_path):
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    (work_dir / 'iter_4.pth').write_text('an earlier run')
    with pytest.raises(RuntimeError):
        with WorkDirGuard(str(work_dir)):
            (work_dir / '20240101_000000').mkdir()
            (work_dir / '20240101_000000' / 'run.log').write_text('set-up')
            (work_dir / 'config.py').write_text('dumped')
            raise RuntimeError('bad data root')
    assert sorted(os.listdir(work_dir)) == ['iter_4.pth']
    # a work dir the run created goes entirely
    new_dir = tmp_path / 'new'
    with pytest.raises(KeyboardInterrupt):
        with WorkDirGuard(str(new_dir)):
            new_dir.mkdir()
            (new_dir / 'log').write_text('set-up')
            raise KeyboardInterrupt
    assert not new_dir.exists()


def test_failure_after_training_started_keeps_the_logs(tmp_path):
    work_dir = tmp_path / 'work'
    with pytest.raises(KeyboardInterrupt):
        with WorkDirGuard(str(work_dir)) as guard:
            work_dir.mkdir()
            (work_dir / 'run.log').write_text('iteration 12 of 40')
            guard.mark_started()
            raise KeyboardInterrupt
    assert os.listdir(work_dir) == ['run.log']
