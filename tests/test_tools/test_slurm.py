# Copyright (c) mmuda contributors. All rights reserved.
"""tools/slurm_train.sh and tools/slurm_test.sh.

The srun command line is checked against a stand-in ``srun`` (no Slurm needed). The real runs
go through a private one-node Slurm cluster (munged, slurmctld and slurmd started here, with
their sockets, ports, state and logs in a temp dir; Debian's slurm-wlm and munge, installed by
tools/misc/install_slurm.sh): two CPU tasks must give the losses, weights and mIoU of the same
run under torchrun and of a one-process test.
"""
import glob
import json
import os
import os.path as osp
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

import pytest
import torch

import mmuda  # noqa: F401  (allow-lists the classes of mmengine checkpoints)

from ..helpers import ROOT, SOURCE_ONLY_CFG, run_tool, train_cmd

PARTITION = 'mmudacpu'
NODE = 'localhost'
DAEMON_TIMEOUT_S = 60  # for each daemon to come up, and for the node to become idle
RUN_TIMEOUT_S = 600  # for each training or test run


# ---------------------------------------------------------------- the srun command line


def _srun_args(tmp_path, script, env):
    """The arguments that ``script`` passes to srun (a stand-in on PATH records them)."""
    fake = tmp_path / 'bin'
    fake.mkdir(exist_ok=True)
    srun = fake / 'srun'
    srun.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    srun.chmod(0o755)
    env = dict(env, PATH=f'{fake}{os.pathsep}{os.environ["PATH"]}')
    proc = run_tool(['bash', osp.join(ROOT, 'tools', script), 'part', 'job', 'cfg.py', 'arg4',
                     '--cfg-options', 'a=[1, 2]'], env=env, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@pytest.mark.parametrize('script', ['slurm_train.sh', 'slurm_test.sh'])
def test_slurm_scripts_srun_options(tmp_path, script):
    # GPUS_PER_NODE=0: a CPU partition, no GPU request at all, all tasks on one node
    args = _srun_args(tmp_path, script, dict(GPUS='2', GPUS_PER_NODE='0', CPUS_PER_TASK='1'))
    assert not any(a.startswith('--gres') for a in args), args
    assert {'--ntasks=2', '--ntasks-per-node=2', '--cpus-per-task=1', '--kill-on-bad-exit=1',
            '--launcher=slurm'} <= set(args)
    # an option with a space reaches the tool as one argument
    assert args[-2:] == ['--cfg-options', 'a=[1, 2]']
    # TASKS_PER_NODE spreads the CPU tasks over nodes; SRUN_ARGS are passed on
    args = _srun_args(tmp_path, script, dict(GPUS='4', GPUS_PER_NODE='0', TASKS_PER_NODE='2',
                                             SRUN_ARGS='--time=5 --qos=low'))
    assert {'--ntasks=4', '--ntasks-per-node=2', '--time=5', '--qos=low'} <= set(args)
    assert not any(a.startswith('--gres') for a in args), args
    # GPU partitions as before: one task per GPU
    args = _srun_args(tmp_path, script, dict(GPUS='16', GPUS_PER_NODE='8'))
    assert {'--gres=gpu:8', '--ntasks=16', '--ntasks-per-node=8', '--cpus-per-task=5'} \
        <= set(args)


def test_slurm_script_usage_error():
    proc = run_tool(['bash', osp.join(ROOT, 'tools', 'slurm_train.sh'), 'part', 'job'],
                    timeout=30)
    assert proc.returncode == 2
    assert 'usage:' in proc.stderr and 'PARTITION JOB_NAME CONFIG WORK_DIR' in proc.stderr


# ---------------------------------------------------------------- a one-node cluster


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _find(cmd):
    return shutil.which(cmd) or next(
        (p for p in (f'/usr/sbin/{cmd}', f'/sbin/{cmd}') if os.access(p, os.X_OK)), None)


def _tail(path, n=2000):
    try:
        with open(path, errors='replace') as f:
            return f.read()[-n:]
    except OSError:
        return f'({path} not written)'


def _wait(predicate, procs, timeout_s, interval_s=0.5):
    """Poll ``predicate`` until it holds (True), a process in ``procs`` ended or
    ``timeout_s`` passed (False)."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end and all(p.poll() is None for p in procs):
        try:
            if predicate():
                return True
        except subprocess.TimeoutExpired:
            pass
        time.sleep(interval_s)
    return False


SLURM_CONF = """\
ClusterName=mmudatest
SlurmctldHost={node}
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
StateSaveLocation={base}/state
SlurmdSpoolDir={base}/spool
SlurmctldPidFile={base}/slurmctld.pid
SlurmdPidFile={base}/slurmd.pid
SlurmctldLogFile={base}/slurmctld.log
SlurmdLogFile={base}/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName={partition} Nodes={node} Default=YES MaxTime=30 State=UP
"""


@pytest.fixture(scope='module')
def slurm_cluster():
    """Start munged, slurmctld and slurmd on this machine; yields the environment (SLURM_CONF)
    for srun. Skips, saying why, where Slurm cannot run here; stops everything afterwards."""
    tools = {cmd: _find(cmd) for cmd in
             ('munged', 'munge', 'slurmctld', 'slurmd', 'srun', 'scontrol', 'sinfo', 'squeue',
              'scancel')}
    missing = [cmd for cmd, path in tools.items() if path is None]
    if missing:
        pytest.skip(f'Slurm/munge not installed (no {", ".join(missing)}): run '
                    'tools/misc/install_slurm.sh as root')
    if os.geteuid() != 0:
        pytest.skip('slurmd must run as root to launch tasks; this test is not root')
    # munged wants every folder above its socket searchable by all: not so under pytest's
    # tmp_path (0700), so the cluster lives in its own folder
    base = tempfile.mkdtemp(prefix='mmuda-slurm-')
    os.chmod(base, 0o755)
    procs = []
    env = dict(os.environ, SLURM_CONF=osp.join(base, 'slurm.conf'))

    def start(name, args):
        log = open(osp.join(base, f'{name}.out'), 'w')
        procs.append(subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env,
                                      start_new_session=True))
        log.close()

    try:
        for name, mode in (('munge', 0o700), ('run', 0o755), ('state', 0o755), ('spool', 0o755)):
            os.mkdir(osp.join(base, name), mode)
        munge_dir, run_dir = osp.join(base, 'munge'), osp.join(base, 'run')
        key = osp.join(munge_dir, 'munge.key')
        with open(key, 'wb') as f:
            f.write(os.urandom(1024))
        os.chmod(key, stat.S_IRUSR)
        munge_socket = osp.join(run_dir, 'munge.socket')
        start('munged', [tools['munged'], '--foreground', f'--key-file={key}',
                         f'--socket={munge_socket}', f'--log-file={munge_dir}/munged.log',
                         f'--pid-file={munge_dir}/munged.pid',
                         f'--seed-file={munge_dir}/munged.seed'])

        def munge_works():
            return osp.exists(munge_socket) and subprocess.run(
                [tools['munge'], '-n', '-S', munge_socket], capture_output=True,
                timeout=10).returncode == 0

        if not _wait(munge_works, procs, DAEMON_TIMEOUT_S):
            pytest.skip(f'munged failed to start (or within {DAEMON_TIMEOUT_S} s): '
                        f'{_tail(osp.join(base, "munged.out"))}')

        with open(env['SLURM_CONF'], 'w') as f:
            f.write(SLURM_CONF.format(
                node=NODE, ctld_port=_free_port(), d_port=_free_port(), base=base,
                munge_socket=munge_socket, cpus=os.cpu_count(), partition=PARTITION))
        start('slurmctld', [tools['slurmctld'], '-D'])
        start('slurmd', [tools['slurmd'], '-D', '-N', NODE])

        def node_state():
            try:
                proc = subprocess.run([tools['sinfo'], '-h', '-N', '-n', NODE, '-o', '%T'],
                                      capture_output=True, text=True, env=env, timeout=10)
            except subprocess.TimeoutExpired:
                return 'sinfo timed out'
            return proc.stdout.strip() or proc.stderr.strip()

        if not _wait(lambda: node_state() == 'idle', procs, DAEMON_TIMEOUT_S):
            ended = [osp.basename(p.args[0]) for p in procs if p.poll() is not None]
            why = (f'{" and ".join(ended)} exited' if ended else
                   f'state {node_state()!r} after {DAEMON_TIMEOUT_S} s')
            pytest.skip(
                f'Slurm node {NODE} never became idle ({why}); '
                f'slurmctld: {_tail(osp.join(base, "slurmctld.out"))}'
                f'\nslurmd: {_tail(osp.join(base, "slurmd.out"))}')
        yield env
    finally:
        if len(procs) == 3 and procs[1].poll() is None:
            # end this cluster's jobs (a timed-out test leaves its tasks), then the daemons
            try:
                subprocess.run([tools['scancel'], f'--partition={PARTITION}'], env=env,
                               capture_output=True, timeout=30)
                _wait(lambda: not subprocess.run(
                    [tools['squeue'], '-h'], capture_output=True, text=True, env=env,
                    timeout=10).stdout.strip(), procs, 30)
            except subprocess.TimeoutExpired:
                pass
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
        shutil.rmtree(base, ignore_errors=True)


def _scalars(work_dir):
    files = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    assert len(files) == 1, files
    with open(files[0]) as f:
        rows = [json.loads(line) for line in f]
    # per training iteration: the losses and the learning rate (not the timings)
    return [{k: v for k, v in r.items() if 'loss' in k or k in ('iter', 'lr')}
            for r in rows if 'loss' in r]


def _test_metrics(work_dir):
    files = glob.glob(osp.join(work_dir, '*', '*.json'))
    assert len(files) == 1, files
    with open(files[0]) as f:
        return json.load(f)


@pytest.mark.slow
def test_slurm_runs_match_torchrun(slurm_cluster, tmp_path, tiny_data_root):
    iters = 4
    det = ['randomness.seed=5', 'randomness.deterministic=True']
    # one thread per process in both runs (torchrun's default), so the sums are the same
    common = dict(PYTHON=sys.executable, OMP_NUM_THREADS='1', PYTHONFAULTHANDLER='1')

    # two processes under torchrun
    torchrun_dir = str(tmp_path / 'torchrun')
    cmd = train_cmd(torchrun_dir, tiny_data_root, iters, extra=det)
    proc = run_tool(['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), SOURCE_ONLY_CFG, '2']
                    + cmd[3:], env=dict(common, PORT=str(_free_port())), timeout=RUN_TIMEOUT_S)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]

    # two CPU tasks under srun: GPUS_PER_NODE=0 asks for no GPU
    slurm_dir = str(tmp_path / 'slurm')
    cmd = train_cmd(slurm_dir, tiny_data_root, iters, extra=det)
    assert cmd[3:5] == ['--work-dir', slurm_dir]
    slurm_env = dict(slurm_cluster, **common, GPUS='2', GPUS_PER_NODE='0', CPUS_PER_TASK='1',
                     MASTER_PORT=str(_free_port()), SRUN_ARGS='--time=10')
    proc = run_tool(['bash', osp.join(ROOT, 'tools', 'slurm_train.sh'), PARTITION, 'mmuda-train',
                     SOURCE_ONLY_CFG, slurm_dir] + cmd[5:], env=slurm_env,
                    timeout=RUN_TIMEOUT_S)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert 'Distributed training: True' in out and 'GPU number: 2' in out, out[-3000:]

    # the same iterations: same losses, same learning rates, same final weights
    expected = _scalars(torchrun_dir)
    assert [r['iter'] for r in expected] == list(range(1, iters + 1))
    assert _scalars(slurm_dir) == expected
    ckpt = osp.join(slurm_dir, f'iter_{iters}.pth')
    a = torch.load(ckpt, map_location='cpu', weights_only=True)['state_dict']
    b = torch.load(osp.join(torchrun_dir, f'iter_{iters}.pth'), map_location='cpu',
                   weights_only=True)['state_dict']
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])]

    # slurm_test.sh (two tasks) and tools/test.py (one process) on the same checkpoint
    test_cmd = train_cmd(str(tmp_path / 'eval'), tiny_data_root, iters, tool='tools/test.py')
    proc = run_tool(test_cmd[:3] + [ckpt] + test_cmd[3:], timeout=RUN_TIMEOUT_S)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    expected = _test_metrics(str(tmp_path / 'eval'))

    proc = run_tool(['bash', osp.join(ROOT, 'tools', 'slurm_test.sh'), PARTITION, 'mmuda-test',
                     SOURCE_ONLY_CFG, ckpt, '--work-dir', str(tmp_path / 'slurm_eval')]
                    + test_cmd[5:], env=slurm_env, timeout=RUN_TIMEOUT_S)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    metrics = _test_metrics(str(tmp_path / 'slurm_eval'))
    assert {'aAcc', 'mIoU', 'mAcc'} <= metrics.keys(), metrics
    for key in ('aAcc', 'mIoU', 'mAcc'):
        assert metrics[key] == expected[key], (key, metrics, expected)
