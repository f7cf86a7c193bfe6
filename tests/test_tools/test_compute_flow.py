# Copyright (c) mmuda contributors. All rights reserved.
"""tools/misc/compute_flow.py: the backward flow of a known translation (its sign), resuming,
--only-annotated with TPS offsets, --epe, and the clear errors."""
import importlib.util
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

from mmuda.datasets.flow_io import read_flow, write_flow

from ..helpers import ROOT, run_tool

SUFFIX = '_leftImg8bit.png'
H, W = 96, 128
SHIFT = (3, -2)  # frame t is frame t-1 moved 3 px right and 2 px up


def _tool():
    spec = importlib.util.spec_from_file_location(
        'compute_flow', osp.join(ROOT, 'tools/misc/compute_flow.py'))
    module = importlib.util.module_from_spec(spec)
    sys.modules['compute_flow'] = module  # its functions must pickle for a process pool
    spec.loader.exec_module(module)
    return module


def run(capsys, *args):
    """main() in this process: (exit code, stdout, stderr)."""
    rc = _tool().main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def _texture(seed, h=H + 40, w=W + 40):
    """A smooth random texture (well-conditioned for optical flow)."""
    noise = np.random.default_rng(seed).random((h, w)).astype(np.float32)
    tex = cv2.GaussianBlur(noise, (0, 0), 2)
    tex = (tex - tex.min()) / (tex.max() - tex.min()) * 255
    return np.repeat(tex.astype(np.uint8)[..., None], 3, axis=2)


def _name(root, seq, frame):
    return osp.join(root, 'train', 'city', f'city_{seq:06d}_{frame:06d}{SUFFIX}')


def make_shifted_sequence(root, seq=0, frames=2, seed=0):
    """Frame k is the texture moved by k * SHIFT: frame_k[y, x] = frame_k-1[y + 2, x - 3]."""
    tex = _texture(seed)
    os.makedirs(osp.join(root, 'train', 'city'), exist_ok=True)
    for k in range(frames):
        dx, dy = k * SHIFT[0], k * SHIFT[1]
        y0, x0 = 20 - dy, 20 - dx
        assert cv2.imwrite(_name(root, seq, k), tex[y0:y0 + H, x0:x0 + W])


def test_translation_gives_the_backward_flow_and_resumes(tmp_path, capsys):
    frames, flows = tmp_path / 'frames', tmp_path / 'flows'
    make_shifted_sequence(str(frames))
    cv2.imwrite(_name(str(frames), 1, 5), _texture(3)[:H, :W])  # a sequence of one frame
    rc, out, err = run(capsys, frames, flows, '--suffix', SUFFIX, '--nproc', 1)
    assert rc == 0, err
    assert 'dis: computed 1 flow(s), skipped 0 existing' in out
    assert '2 frame(s) without previous frame' in out  # the first of each sequence
    path = osp.join(flows, 'train', 'city', 'city_000000_000001_flow.npy')
    assert sorted(os.listdir(osp.dirname(path))) == ['city_000000_000001_flow.npy']
    flow = read_flow(path, shape=(H, W))
    # backward flow of t: frame_t[y, x] shows frame_t-1[y + dy, x + dx] -> (-3, +2)
    interior = flow[16:-16, 16:-16]
    assert np.isfinite(interior).all()
    assert np.abs(interior - [-SHIFT[0], -SHIFT[1]]).max() < 0.5
    # the left 3 columns and the bottom 2 rows of t come from outside t-1: NaN
    assert np.isnan(flow[H // 2, 0]).all() and np.isnan(flow[-1, W // 2]).all()

    mtime = os.stat(path).st_mtime_ns
    rc, out, _ = run(capsys, frames, flows, '--suffix', SUFFIX, '--nproc', 1)
    assert rc == 0 and 'computed 0 flow(s), skipped 1 existing' in out
    assert os.stat(path).st_mtime_ns == mtime


def test_farneback_in_two_processes(tmp_path):
    """The command line as users run it, with a process pool."""
    frames, flows = tmp_path / 'frames', tmp_path / 'flows'
    make_shifted_sequence(str(frames), frames=3)
    proc = run_tool([sys.executable, osp.join(ROOT, 'tools/misc/compute_flow.py'), str(frames),
                     str(flows), '--suffix', SUFFIX, '--method', 'farneback', '--nproc', '2'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'farneback: computed 2 flow(s)' in proc.stdout
    for k in (1, 2):
        flow = read_flow(osp.join(flows, 'train', 'city', f'city_000000_{k:06d}_flow.npy'))
        assert np.abs(flow[16:-16, 16:-16] - [-3, 2]).max() < 0.5


def test_only_annotated_with_tps_offset(tmp_path, capsys):
    frames, flows, labels = tmp_path / 'frames', tmp_path / 'flows', tmp_path / 'gtFine'
    make_shifted_sequence(str(frames), frames=4)
    label = _name(str(labels), 0, 3)[:-len(SUFFIX)] + '_gtFine_labelIds.png'
    os.makedirs(osp.dirname(label))
    cv2.imwrite(label, np.zeros((H, W), np.uint8))
    args = [frames, flows, '--suffix', SUFFIX, '--nproc', 1, '--only-annotated', labels,
            '--label-suffix', '_gtFine_labelIds.png']
    rc, out, err = run(capsys, *args, '--tps-offset', 2)
    assert rc == 0, err
    assert 'computed 2 flow(s)' in out  # of frames 3 (t) and 1 (t-I)
    assert sorted(os.listdir(osp.join(flows, 'train', 'city'))) == [
        'city_000000_000001_flow.npy', 'city_000000_000003_flow.npy']
    rc, _, err = run(capsys, *args, '--tps-offset', 3)  # needs frame 3 - 3 - 1 = -1
    assert rc == 1 and 'a sequence shorter than the method needs' in err
    os.remove(_name(str(frames), 0, 2))
    rc, _, err = run(capsys, *args)
    assert rc == 1
    assert f"the frame '{_name(str(frames), 0, 2)}', needed for the flows of annotated" in err
    rc, _, err = run(capsys, *args[:-1], '_labelIds.png')
    assert rc == 1 and 'matches a frame' in err  # ..._gtFine is not a frame name


def test_epe_against_ground_truth(tmp_path, capsys):
    frames, flows, gt = tmp_path / 'frames', tmp_path / 'flows', tmp_path / 'gt'
    make_shifted_sequence(str(frames))
    rel = osp.join('train', 'city', 'city_000000_000001_flow.npy')
    # a flow already there (not recomputed): zero; the ground truth: (3, 4) on the left half,
    # zero on the right, NaN on the first row -> end-point errors 5 and 0 -> mean 2.5
    write_flow(osp.join(flows, rel), np.zeros((H, W, 2), np.float32))
    truth = np.zeros((H, W, 2), np.float32)
    truth[:, :W // 2] = (3, 4)
    truth[0] = np.nan
    write_flow(osp.join(gt, rel), truth)
    rc, out, err = run(capsys, frames, flows, '--suffix', SUFFIX, '--nproc', 1, '--epe', gt)
    assert rc == 0, err
    assert 'computed 0 flow(s), skipped 1 existing' in out
    assert f'EPE: 2.5000 px (mean over {(H - 1) * W} pixel(s) of 1 flow file(s)' in out
    os.remove(osp.join(gt, rel))
    rc, _, err = run(capsys, frames, flows, '--suffix', SUFFIX, '--epe', gt)
    assert rc == 1 and f"ground-truth flow file '{osp.join(gt, rel)}'" in err


def test_errors(tmp_path, capsys):
    frames = tmp_path / 'frames'
    make_shifted_sequence(str(frames))
    rc, _, err = run(capsys, frames, tmp_path / 'f', '--suffix', SUFFIX, '--method', 'raft')
    assert rc == 1 and '--method raft needs --raft-weights PATH' in err
    rc, _, err = run(capsys, frames, tmp_path / 'f', '--suffix', SUFFIX, '--method', 'raft',
                     '--raft-weights', tmp_path / 'none.pth')
    assert rc == 1 and 'none.pth' in err and 'does not exist' in err
    rc, _, err = run(capsys, frames, tmp_path / 'f', '--suffix', '.jpg')
    assert rc == 1 and "found no frames ending in '.jpg'" in err
    rc, _, err = run(capsys, tmp_path / 'nowhere', tmp_path / 'f', '--suffix', SUFFIX)
    assert rc == 1 and 'does not exist' in err
    assert not osp.exists(tmp_path / 'f')


@pytest.mark.parametrize('method', ['dis', 'farneback'])
def test_opencv_flow_sign(method):
    """calc(first, second) is the flow of the first image: frame t first."""
    tool = _tool()
    tex = _texture(7)[..., 0]
    prev, cur = tex[20:20 + H, 20:20 + W], tex[22:22 + H, 17:17 + W]
    flow = tool.opencv_flow(method, cur, prev)
    assert np.abs(np.median(flow[16:-16, 16:-16], axis=(0, 1)) - [-3, 2]).max() < 0.1


def test_raft_with_a_local_state_dict(tmp_path, capsys):
    """RAFT runs from a local state dict (random weights here: only the plumbing is checked;
    nothing is downloaded). Skipped without torchvision."""
    torch = pytest.importorskip('torch')
    optical_flow = pytest.importorskip('torchvision.models.optical_flow')
    weights = tmp_path / 'raft.pth'
    state = optical_flow.raft_large(weights=None, progress=False).state_dict()
    torch.save(dict(state_dict={'module.' + k: v for k, v in state.items()}), weights)
    frames, flows = tmp_path / 'frames', tmp_path / 'flows'
    make_shifted_sequence(str(frames))
    rc, out, err = run(capsys, frames, flows, '--suffix', SUFFIX, '--method', 'raft',
                       '--raft-weights', weights, '--device', 'cpu')
    assert rc == 0, err
    assert 'raft: computed 1 flow(s)' in out
    read_flow(osp.join(flows, 'train', 'city', 'city_000000_000001_flow.npy'), shape=(H, W))
