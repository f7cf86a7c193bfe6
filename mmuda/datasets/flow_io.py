# Copyright (c) mmuda contributors. All rights reserved.
"""Optical flow files of the video datasets (written by tools/misc/compute_flow.py and by the
embedded video domains, read by the video datasets).

Convention: the flow of frame t is its BACKWARD flow to frame t-1, an (H, W, 2) array of
(dx, dy) in pixels such that frame_t[y, x] shows the point at frame_{t-1}[y + dy, x + dx];
NaN marks pixels with no correspondence (occluded in t-1 or outside it). Stored as a float16
``.npy`` file (about 1e-3 relative precision, a quarter of a pixel at 250 px), one per frame,
at the path of the frame under the flow root with the suffix ``FLOW_SUFFIX``.
"""
import os
import os.path as osp
import tempfile
from typing import Optional, Tuple

import numpy as np

FLOW_SUFFIX = '_flow.npy'


def flow_path(frame_path: str, frame_root: str, flow_root: str, frame_suffix: str) -> str:
    """The flow file of ``frame_path`` (under ``frame_root``, ending in ``frame_suffix``):
    the same relative path under ``flow_root``, the suffix replaced by ``FLOW_SUFFIX``."""
    rel = osp.relpath(frame_path, frame_root)
    if not rel.endswith(frame_suffix):
        raise ValueError(f'frame {frame_path} does not end with {frame_suffix!r}')
    return osp.join(flow_root, rel[:-len(frame_suffix)] + FLOW_SUFFIX)


def write_flow(path: str, flow: np.ndarray) -> None:
    """Write an (H, W, 2) flow atomically (a temporary file renamed into place)."""
    flow = np.asarray(flow)
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f'a flow is an (H, W, 2) array of (dx, dy); got shape {flow.shape}')
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=osp.dirname(path) or '.', suffix='.tmp.npy')
    try:
        with os.fdopen(fd, 'wb') as f:
            np.save(f, flow.astype(np.float16))
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def read_flow(path: str, shape: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Read a flow file as float32 (H, W, 2); ``shape`` (H, W): the frame's, checked."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'missing optical flow file {path} (compute the flow with '
                                f'tools/misc/compute_flow.py)')
    try:
        flow = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ValueError(f'optical flow file {path} is not a .npy array: {exc}') from exc
    if flow.ndim != 3 or flow.shape[2] != 2 or (
            shape is not None and tuple(flow.shape[:2]) != tuple(shape)):
        want = f'({shape[0]}, {shape[1]}, 2)' if shape is not None else '(H, W, 2)'
        raise ValueError(f'optical flow file {path} has shape {flow.shape}; expected {want} '
                         f'(the size of its frame, (dx, dy) per pixel)')
    return flow.astype(np.float32)
