# Copyright (c) mmuda contributors. All rights reserved.
"""Compute the optical flow files of a video dataset (the backward flow of each frame t to its
previous frame t-1, :mod:`mmuda.datasets.flow_io`), as the video datasets and methods read them.

    python tools/misc/compute_flow.py FRAME_ROOT FLOW_ROOT --suffix _leftImg8bit.png \\
        [--method dis|farneback|raft --raft-weights PATH] [--nproc N] \\
        [--only-annotated LABEL_ROOT --label-suffix _gtFine_labelIds.png [--tps-offset I]] \\
        [--epe GT_FLOW_ROOT]

Frames are the files under FRAME_ROOT (recursively) ending in ``--suffix``; the frame index is
the last number of the name (``aachen_000000_000019``, ``001_00010``, ``000001``), and the
previous frame is the file of the same folder and prefix with index - 1. The flow of frame
``FRAME_ROOT/rel<suffix>`` is written to ``FLOW_ROOT/rel_flow.npy`` (float16 (H, W, 2) (dx, dy):
frame_t[y, x] shows the point of frame_t-1 at (x + dx, y + dy); NaN where that point lies
outside frame t-1). A frame without previous frame (the first of its sequence) gets no flow.

``--only-annotated LABEL_ROOT`` computes only the flows the video datasets need: those of the
frames with a label (LABEL_ROOT/rel<label-suffix> for frame FRAME_ROOT/rel<suffix>) and, with
``--tps-offset I``, of the frames I before them (Cityscapes-Seq: 3.5k flows instead of 105k).

Methods: ``dis`` (OpenCV's DIS, medium preset; default, about 0.3 s per 2048 x 1024 frame on
one core), ``farneback`` (OpenCV), ``raft`` (torchvision's RAFT-large, GPU if available; only
with ``--raft-weights``, a state dict of ``torchvision.models.optical_flow.raft_large``:
nothing is downloaded). The reference methods (DA-VSN, TPS) used FlowNet2 flows, which are no
longer downloadable: DIS and Farneback are less accurate than FlowNet2, RAFT more.

Resumable: existing flow files are skipped (they are written atomically, so an interrupted run
leaves no half file). ``--epe GT_FLOW_ROOT`` then prints the average end-point error of the
flows against the ground-truth flow files at the same relative paths (pixels where either is
NaN are ignored).
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmuda.datasets.flow_io import flow_path, read_flow, write_flow
from mmuda.datasets.video import neighbour_stem, split_frame_index

METHODS = ('dis', 'farneback', 'raft')


class FlowError(Exception):
    """A problem with the input, reported without traceback."""


# ------------------------------------------------------------------------------------------
# Finding the frames
# ------------------------------------------------------------------------------------------

def find_frames(frame_root: str, suffix: str) -> Dict[Tuple[str, int], str]:
    """``(prefix, index) -> path`` of the frames under ``frame_root`` ending in ``suffix``
    (prefix: the relative path up to the index)."""
    frames = {}
    for folder, _, files in os.walk(frame_root):
        for name in files:
            if not name.endswith(suffix):
                continue
            path = osp.join(folder, name)
            parsed = split_frame_index(osp.relpath(path, frame_root)[:-len(suffix)])
            if parsed is not None:
                frames[parsed[:2]] = path
    return frames


def plan_jobs(frame_root: str, flow_root: str, suffix: str,
              only_annotated: Optional[str] = None, label_suffix: str = '.png',
              tps_offset: int = 0) -> Tuple[List[Tuple[str, str, str]], str]:
    """The ``(frame t, frame t-1, flow file)`` of every flow to have, and a summary line."""
    if not osp.isdir(frame_root):
        raise FlowError(f'the frame folder {frame_root!r} does not exist')
    frames = find_frames(frame_root, suffix)
    if not frames:
        raise FlowError(f'found no frames ending in {suffix!r} (whose name ends in a frame '
                        f'number) under {frame_root!r}; is --suffix right?')
    if only_annotated is None:
        wanted = sorted(frames)
        firsts = [k for k in wanted if (k[0], k[1] - 1) not in frames]
        wanted = [k for k in wanted if (k[0], k[1] - 1) in frames]
        note = f'{len(firsts)} frame(s) without previous frame (first of their sequence)'
    else:
        wanted, note = _annotated_frames(frames, frame_root, suffix, only_annotated,
                                         label_suffix, tps_offset)
    jobs = [(frames[k], frames[(k[0], k[1] - 1)],
             flow_path(frames[k], frame_root, flow_root, suffix)) for k in wanted]
    return jobs, note


def _annotated_frames(frames, frame_root, suffix, label_root, label_suffix, tps_offset):
    if not osp.isdir(label_root):
        raise FlowError(f'the label folder {label_root!r} (--only-annotated) does not exist')
    labels = []
    for folder, _, files in os.walk(label_root):
        labels += [osp.join(folder, n) for n in files
                   if n.endswith(label_suffix) and '.tmp-' not in n]
    keys, unmatched, missing = set(), [], []
    for label in sorted(labels):
        stem = osp.relpath(label, label_root)[:-len(label_suffix)]
        parsed = split_frame_index(stem)
        if parsed is None or parsed[:2] not in frames:
            unmatched.append(label)
            continue
        for offset in (0, tps_offset) if tps_offset else (0, ):
            for back in (offset, offset + 1):  # the frame whose flow it is, and its previous
                need = neighbour_stem(stem, back)
                if need is None or split_frame_index(need)[:2] not in frames:
                    missing.append((need or f'{stem} (index - {back} < 0)', frames[parsed[:2]]))
            keys.add((parsed[0], parsed[1] - offset))
    if not keys:
        raise FlowError(
            f'none of the {len(labels)} label file(s) ending in {label_suffix!r} under '
            f'{label_root!r} matches a frame under {frame_root!r}: expected a label at the '
            f'relative path of each annotated frame, its suffix {suffix!r} replaced by '
            f'{label_suffix!r} (--label-suffix)')
    if missing:
        need, frame = missing[0]
        raise FlowError(
            f'the frame {osp.join(frame_root, need + suffix)!r}, needed for the flows of '
            f'annotated frame {frame!r}, does not exist ({len(missing)} needed frame(s) '
            f'missing): an incomplete frame folder, or a sequence shorter than the method '
            f'needs (frames t-1' + (f', t-{tps_offset}, t-{tps_offset + 1}' if tps_offset
                                    else '') + ' of every annotated frame t)')
    note = f'{len(unmatched)} label file(s) without frame ignored' if unmatched else ''
    return sorted(keys), note


# ------------------------------------------------------------------------------------------
# Flow methods
# ------------------------------------------------------------------------------------------

def read_frame(path: str, gray: bool) -> np.ndarray:
    import cv2
    img = cv2.imread(path, cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR)
    if img is None:
        raise FlowError(f'cannot read the frame {path!r} as an image')
    return img


def outside_to_nan(flow: np.ndarray) -> np.ndarray:
    """NaN where the flow points outside the previous frame (no correspondence there)."""
    h, w = flow.shape[:2]
    xs = np.arange(w, dtype=np.float32)[None, :] + flow[..., 0]
    ys = np.arange(h, dtype=np.float32)[:, None] + flow[..., 1]
    flow = flow.astype(np.float32, copy=True)
    flow[(xs < 0) | (xs > w - 1) | (ys < 0) | (ys > h - 1)] = np.nan
    return flow


_DIS = None


def opencv_flow(method: str, frame_t: np.ndarray, frame_prev: np.ndarray) -> np.ndarray:
    """The backward flow t -> t-1 of two grey frames. OpenCV's calc(first, second) gives the
    flow with first[y, x] ~ second[y + dy, x + dx], so the first image is frame t."""
    import cv2
    global _DIS
    frame_t, frame_prev = np.ascontiguousarray(frame_t), np.ascontiguousarray(frame_prev)
    if method == 'dis':
        if _DIS is None:
            _DIS = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        return _DIS.calc(frame_t, frame_prev, None)
    if method == 'farneback':
        return cv2.calcOpticalFlowFarneback(frame_t, frame_prev, None, pyr_scale=0.5,
                                            levels=5, winsize=15, iterations=3, poly_n=5,
                                            poly_sigma=1.2, flags=0)
    raise ValueError(f'unknown method {method!r}')


def _opencv_job(task) -> int:
    """Compute and write one flow (in a worker process); 1 when written."""
    method, t_path, prev_path, out = task
    frame_t, frame_prev = read_frame(t_path, True), read_frame(prev_path, True)
    if frame_t.shape != frame_prev.shape:
        raise FlowError(f'frames {t_path!r} ({frame_t.shape[1]} x {frame_t.shape[0]}) and '
                        f'{prev_path!r} ({frame_prev.shape[1]} x {frame_prev.shape[0]}) '
                        f'differ in size')
    write_flow(out, outside_to_nan(opencv_flow(method, frame_t, frame_prev)))
    return 1


def _init_worker():
    import cv2
    cv2.setNumThreads(1)  # one core per process


class RaftFlow:
    """torchvision's RAFT-large from a local state dict (nothing is downloaded)."""

    def __init__(self, weights: Optional[str], device: Optional[str] = None,
                 iters: int = 12):
        if not weights:
            raise FlowError('--method raft needs --raft-weights PATH: a state dict of '
                            'torchvision.models.optical_flow.raft_large (e.g. the file of '
                            'Raft_Large_Weights.C_T_SKHT_V2, fetched by hand); nothing is '
                            'downloaded')
        if not osp.isfile(weights):
            raise FlowError(f'the RAFT weights file {weights!r} does not exist')
        import torch
        try:
            from torchvision.models.optical_flow import raft_large
        except ImportError as exc:
            raise FlowError(f'--method raft needs torchvision (the version matching torch '
                            f'{torch.__version__}): {exc}') from exc
        state = torch.load(weights, map_location='cpu', weights_only=True)  # tensors only
        if isinstance(state, dict) and 'state_dict' in state:
            state = state['state_dict']
        state = {k[7:] if k.startswith('module.') else k: v for k, v in state.items()}
        model = raft_large(weights=None, progress=False)
        try:
            model.load_state_dict(state)
        except RuntimeError as exc:
            raise FlowError(f'{weights!r} is not a raft_large state dict: {exc}') from exc
        self.device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
        self.model = model.eval().to(self.device)
        self.iters = iters
        self.torch = torch

    def __call__(self, task) -> int:
        torch = self.torch
        _, t_path, prev_path, out = task
        imgs = []
        for path in (t_path, prev_path):
            rgb = read_frame(path, False)[:, :, ::-1]
            imgs.append(torch.from_numpy(rgb.copy()).permute(2, 0, 1).float()[None] / 127.5 - 1)
        if imgs[0].shape != imgs[1].shape:
            raise FlowError(f'frames {t_path!r} and {prev_path!r} differ in size')
        h, w = imgs[0].shape[-2:]
        # RAFT needs sizes that are multiples of 8 and at least 128
        pad = (0, max(128, -(-w // 8) * 8) - w, 0, max(128, -(-h // 8) * 8) - h)
        imgs = [torch.nn.functional.pad(i, pad, mode='replicate').to(self.device) for i in imgs]
        with torch.no_grad():
            flow = self.model(imgs[0], imgs[1], num_flow_updates=self.iters)[-1]
        flow = flow[0, :, :h, :w].permute(1, 2, 0).cpu().numpy()
        write_flow(out, outside_to_nan(flow))
        return 1


# ------------------------------------------------------------------------------------------
# End-point error
# ------------------------------------------------------------------------------------------

def end_point_error(flow: np.ndarray, gt: np.ndarray) -> Tuple[float, int]:
    """(sum of end-point errors, number of pixels) over the pixels where both are finite."""
    valid = np.isfinite(flow).all(-1) & np.isfinite(gt).all(-1)
    err = np.sqrt(((flow[valid] - gt[valid])**2).sum(-1))
    return float(err.sum()), int(valid.sum())


def average_epe(flow_files: Sequence[str], flow_root: str,
                gt_root: str) -> Tuple[float, int, int]:
    """(mean end-point error over all valid pixels, pixels, files) of ``flow_files`` (under
    ``flow_root``) against the files at the same relative paths under ``gt_root``."""
    total, pixels = 0.0, 0
    for path in flow_files:
        gt_path = osp.join(gt_root, osp.relpath(path, flow_root))
        if not osp.isfile(gt_path):
            raise FlowError(f'the ground-truth flow file {gt_path!r} of {path!r} does not '
                            f'exist (expected one per flow, at the same relative path)')
        flow = read_flow(path)
        s, n = end_point_error(flow, read_flow(gt_path, shape=flow.shape[:2]))
        total, pixels = total + s, pixels + n
    return (total / pixels if pixels else float('nan')), pixels, len(flow_files)


# ------------------------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('frame_root')
    parser.add_argument('flow_root')
    parser.add_argument('--suffix', required=True,
                        help='the frames\' suffix, e.g. _leftImg8bit.png, .jpg, .png')
    parser.add_argument('--method', choices=METHODS, default='dis')
    parser.add_argument('--raft-weights', help='state dict of torchvision raft_large')
    parser.add_argument('--device', help='RAFT device (default: cuda if available)')
    parser.add_argument('--nproc', type=int, default=4,
                        help='processes for dis / farneback (default: 4)')
    parser.add_argument('--only-annotated', metavar='LABEL_ROOT',
                        help='only the flows of the frames with a label under LABEL_ROOT')
    parser.add_argument('--label-suffix', default='.png',
                        help='the labels\' suffix with --only-annotated (default: .png)')
    parser.add_argument('--tps-offset', type=int, default=0,
                        help='with --only-annotated: also the flows of the frames t-I (TPS)')
    parser.add_argument('--epe', metavar='GT_FLOW_ROOT',
                        help='print the average end-point error against these flow files')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    from mmengine.utils import track_parallel_progress, track_progress
    args = parse_args(argv)
    try:
        raft = RaftFlow(args.raft_weights, args.device) if args.method == 'raft' else None
        if args.tps_offset < 0:
            raise FlowError(f'--tps-offset must be >= 0, got {args.tps_offset}')
        jobs, note = plan_jobs(args.frame_root, args.flow_root, args.suffix,
                               args.only_annotated, args.label_suffix, args.tps_offset)
        todo = [(args.method, *job) for job in jobs if not osp.isfile(job[2])]
        if todo and raft is not None:
            track_progress(raft, todo, file=sys.stdout)
        elif todo and args.nproc > 1 and len(todo) > 1:
            track_parallel_progress(_opencv_job, todo, min(args.nproc, len(todo)),
                                    initializer=_init_worker, chunksize=4, file=sys.stdout)
        elif todo:
            track_progress(_opencv_job, todo, file=sys.stdout)
        print(f'\n{args.method}: computed {len(todo)} flow(s), skipped '
              f'{len(jobs) - len(todo)} existing, under {args.flow_root}'
              + (f'; {note}' if note else ''))
        if args.epe:
            epe, pixels, files = average_epe([job[2] for job in jobs], args.flow_root,
                                             args.epe)
            print(f'EPE: {epe:.4f} px (mean over {pixels} pixel(s) of {files} flow file(s); '
                  f'NaN ignored)')
    except FlowError as exc:
        print(f'compute_flow.py: error: {exc}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
