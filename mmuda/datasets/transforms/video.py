# Copyright (c) mmuda contributors. All rights reserved.
"""Loading the neighbour frames and optical flows of a video sample
(:class:`mmuda.datasets.video.VideoSegDataset`)."""
from typing import Optional

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform, RandomFlip, Resize
from mmengine import fileio
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs

from mmuda.models.utils.flow_warp import resize_flow
from mmuda.registry import TRANSFORMS

from ..flow_io import read_flow

#: Results keys of the neighbour frames -> which frame they are.
FRAME_KEYS = dict(img_prev='frame t-1', img_ref='frame t-I', img_ref_prev='frame t-I-1')
#: Results keys of the flows -> the key of the frame whose flow it is.
FLOW_KEYS = dict(flow='img', flow_ref='img_ref')


@TRANSFORMS.register_module()
class LoadVideoFrames(BaseTransform):
    """Load the neighbour frames and the optical flows of a video sample.

    Run after ``mmseg.LoadImageFromFile`` (frame t, ``img``). Adds ``img_prev`` (frame t-1)
    and, for TPS samples (``tps_offset`` > 0), ``img_ref`` (t-I) and ``img_ref_prev``
    (t-I-1), decoded as ``img`` is (BGR ``uint8`` by default); with ``load_flow``, ``flow``
    (the backward flow of t to t-1, float32 (H, W, 2) (dx, dy), NaN = no correspondence,
    :mod:`mmuda.datasets.flow_io`) and for TPS ``flow_ref`` (the flow of t-I). Every frame
    must have the size of frame t and every flow the size of its frame; a mismatch, or a file
    that cannot be read, raises an error naming the file. ``frame_fields`` and
    ``flow_fields`` list the keys added, for the transforms that follow.

    Args:
        load_flow (bool): load the flows (the dataset needs a ``flow_root``). Defaults to True.
        to_float32 (bool): frames as float32. Defaults to False.
        color_type (str): as ``LoadImageFromFile``. Defaults to 'color'.
        imdecode_backend (str): as ``LoadImageFromFile``. Defaults to 'cv2'.
        backend_args (dict, optional): file backend arguments.
    """

    def __init__(self, load_flow: bool = True, to_float32: bool = False,
                 color_type: str = 'color', imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None):
        self.load_flow = load_flow
        self.to_float32 = to_float32
        self.color_type = color_type
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args.copy() if backend_args else None

    def _load(self, path: str, what: str, sample: str) -> np.ndarray:
        try:
            img = mmcv.imfrombytes(fileio.get(path, backend_args=self.backend_args),
                                   flag=self.color_type, backend=self.imdecode_backend)
        except FileNotFoundError as exc:
            raise FileNotFoundError(f'LoadVideoFrames: the {what} {path!r} of frame '
                                    f'{sample!r} does not exist') from exc
        if img is None:
            raise ValueError(f'LoadVideoFrames: the {what} {path!r} of frame {sample!r} '
                             f'cannot be decoded as an image')
        return img.astype(np.float32) if self.to_float32 else img

    def transform(self, results: dict) -> dict:
        if 'img' not in results:
            raise KeyError('LoadVideoFrames: frame t is not loaded; put '
                           'mmseg.LoadImageFromFile before LoadVideoFrames')
        if 'img_prev_path' not in results:
            raise KeyError('LoadVideoFrames: the sample has no img_prev_path; it needs a video '
                           'dataset (mmuda.datasets.video.VideoSegDataset and subclasses)')
        sample = results.get('img_path')
        shape = results['img'].shape[:2]
        frame_fields = []
        for key, what in FRAME_KEYS.items():
            path = results.get(f'{key}_path')
            if path is None:
                continue
            img = self._load(path, what, sample)
            if img.shape[:2] != shape:
                raise ValueError(
                    f'LoadVideoFrames: the {what} {path!r} is {img.shape[1]} x {img.shape[0]} '
                    f'but frame t {sample!r} is {shape[1]} x {shape[0]}; expected the frames '
                    f'of a sequence to have one size')
            results[key] = img
            frame_fields.append(key)
        flow_fields = []
        if self.load_flow:
            if 'flow_path' not in results:
                raise KeyError(
                    f'LoadVideoFrames: sample {sample!r} has no flow_path: give the dataset a '
                    f'flow_root in data_prefix (compute the flows with '
                    f'tools/misc/compute_flow.py), or use LoadVideoFrames(load_flow=False)')
            for key, frame_key in FLOW_KEYS.items():
                path = results.get(f'{key}_path')
                if path is not None:
                    results[key] = read_flow(path, shape=results[frame_key].shape[:2])
                    flow_fields.append(key)
        results['frame_fields'] = frame_fields
        results['flow_fields'] = flow_fields
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(load_flow={self.load_flow}, '
                f'to_float32={self.to_float32}, color_type={self.color_type!r}, '
                f'imdecode_backend={self.imdecode_backend!r})')


@TRANSFORMS.register_module()
class CutBottomRows(BaseTransform):
    """Cut the bottom rows of every frame, label and flow of a sample (SYNTHIA-Seq: the 120
    rows of the car hood, 1280 x 760 -> 1280 x 640, as the reference does when loading).

    Put it right after the loading transforms (before any resize). Cuts ``img``, the
    ``frame_fields`` and ``flow_fields`` of :class:`LoadVideoFrames` and the ``seg_fields``
    (``gt_seg_map``), and sets ``img_shape`` and ``ori_shape`` to the cut size (the cut frame
    is the frame). Flow vectors pointing into the cut rows of frame t-1 become NaN (no
    correspondence left there).

    Args:
        rows (int, optional): rows to cut; None: the sample's ``cut_bottom_rows`` (set by
            :class:`mmuda.datasets.SynthiaSeqDataset`). Defaults to None.
    """

    def __init__(self, rows: Optional[int] = None):
        if rows is not None and (not isinstance(rows, int) or rows < 0):
            raise ValueError(f'CutBottomRows: rows must be an integer >= 0, got {rows!r}')
        self.rows = rows

    def transform(self, results: dict) -> dict:
        rows = self.rows if self.rows is not None else results.get('cut_bottom_rows')
        if rows is None:
            raise KeyError('CutBottomRows: no rows given and the sample has no '
                           'cut_bottom_rows (set by SynthiaSeqDataset); give rows=...')
        if not rows:
            return results
        height = results['img'].shape[0]
        if rows >= height:
            raise ValueError(f'CutBottomRows: cannot cut {rows} rows from frame '
                             f'{results.get("img_path")!r} of height {height}')
        keys = ['img', *results.get('frame_fields', []), *results.get('seg_fields', [])]
        for key in keys:
            if results[key].shape[0] != height:
                raise ValueError(f'CutBottomRows: {key} has {results[key].shape[0]} rows but '
                                 f'the frame {height}; cut before resizing')
            results[key] = results[key][:height - rows]
        keep = height - rows
        for key in results.get('flow_fields', []):
            flow = results[key][:keep].copy()
            ys = np.arange(keep, dtype=np.float32)[:, None]
            flow[ys + flow[..., 1] > keep - 1] = np.nan  # lands in the cut rows of t-1
            results[key] = flow
        results['img_shape'] = results['img'].shape[:2]
        results['ori_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(rows={self.rows})'


def resize_flow_array(flow: np.ndarray, width: int, height: int) -> np.ndarray:
    """An (H, W, 2) flow resized to ``width`` x ``height``, vectors scaled, NaN where the
    resized flow has no correspondence (:func:`mmuda.models.utils.flow_warp.resize_flow`, the
    same resize the models apply)."""
    if flow.shape[:2] == (height, width):
        return flow
    resized, valid = resize_flow(torch.from_numpy(flow.astype(np.float32)).permute(2, 0, 1)[None],
                                 (height, width))
    resized = resized.masked_fill(valid == 0, float('nan'))
    return resized[0].permute(1, 2, 0).numpy()


@TRANSFORMS.register_module()
class VideoResize(Resize):
    """mmcv's ``Resize`` of frame t and its label, applied alike to the neighbour frames
    (``frame_fields``, bilinear) and the flows (``flow_fields``: resized and their vectors
    scaled to the new size, :func:`resize_flow_array`) of :class:`LoadVideoFrames`."""

    def transform(self, results: dict) -> dict:
        results = super().transform(results)
        height, width = results['img'].shape[:2]
        for key in results.get('frame_fields', []):
            results[key] = mmcv.imresize(results[key], (width, height),
                                         interpolation=self.interpolation,
                                         backend=self.backend)
        for key in results.get('flow_fields', []):
            results[key] = resize_flow_array(results[key], width, height)
        return results


@TRANSFORMS.register_module()
class VideoRandomFlip(RandomFlip):
    """mmcv's ``RandomFlip`` of frame t and its label, applied alike to the neighbour frames
    (``frame_fields``) and the flows (``flow_fields``: the field mirrored and its x component
    negated for a horizontal flip, y for a vertical one), e.g. in the ``--tta`` pipelines of the
    video configs (the prediction is flipped back by the segmentor's post-processing)."""

    def _flip(self, results: dict) -> None:
        super()._flip(results)
        direction = results['flip_direction']
        for key in results.get('frame_fields', []):
            results[key] = mmcv.imflip(results[key], direction=direction)
        negate = dict(horizontal=(0, ), vertical=(1, ), diagonal=(0, 1))[direction]
        for key in results.get('flow_fields', []):
            flow = mmcv.imflip(results[key], direction=direction).copy()
            for axis in negate:
                flow[..., axis] = -flow[..., axis]
            results[key] = flow


@TRANSFORMS.register_module()
class PackVideoSegInputs(PackSegInputs):
    """mmseg's ``PackSegInputs`` (frame t as ``inputs``, its label, meta) plus the neighbour
    frames and flows of :class:`LoadVideoFrames` in ``data_samples.frames``, a ``PixelData``
    with ``img_prev`` (3, H, W) ..., ``flow`` (2, H, W) float32 (NaN = no correspondence).
    :class:`mmuda.models.VideoSegDataPreProcessor` normalises the frames as frame t. The meta
    also holds ``frame_index`` and ``tps_offset`` (I of TPS)."""

    def __init__(self, meta_keys=('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
                                  'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                                  'reduce_zero_label', 'frame_index', 'tps_offset')):
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        shape = results['img'].shape[:2]
        fields = {}
        for key in results.get('frame_fields', []):
            img = results[key]
            img = img[..., None] if img.ndim == 2 else img
            fields[key] = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        for key in results.get('flow_fields', []):
            flow = results[key].astype(np.float32)
            fields[key] = torch.from_numpy(np.ascontiguousarray(flow.transpose(2, 0, 1)))
        for key, value in fields.items():
            if tuple(value.shape[1:]) != tuple(shape):
                raise ValueError(
                    f'PackVideoSegInputs: {key} is {value.shape[2]} x {value.shape[1]} but '
                    f'frame t {results.get("img_path")!r} is {shape[1]} x {shape[0]}; resize '
                    f'video samples with VideoResize (it resizes every frame and flow)')
        if not fields:
            raise KeyError('PackVideoSegInputs: the sample has no neighbour frames; load them '
                           'with LoadVideoFrames')
        packed['data_samples'].frames = PixelData(**fields)
        return packed
