# Copyright (c) mmuda contributors. All rights reserved.
"""Transforms of image classification (:class:`mmuda.datasets.ImageListDataset`).

A classification UDA pipeline (as thuml's Transfer-Learning-Library's ``ResizeImage(256)`` +
``RandomResizedCrop(224)`` / ``CenterCrop(224)``) uses mmcv's ``LoadImageFromFile``,
``Resize``, ``CenterCrop`` and ``RandomFlip`` with the two below::

    train_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(256, 256)),
        dict(type='RandomResizedCrop', size=224),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackClsInputs'),
    ]
"""
import math
from numbers import Integral
from typing import Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmuda.registry import TRANSFORMS
from mmuda.structures import ClsDataSample


def _pair(size: Union[int, Sequence[int]], name: str) -> Tuple[int, int]:
    if isinstance(size, Integral) and not isinstance(size, bool):
        size = (size, size)
    size = tuple(size)
    if len(size) != 2 or not all(isinstance(s, Integral) and s > 0 for s in size):
        raise ValueError(f'{name}: size is a positive int or (height, width), got {size!r}')
    return int(size[0]), int(size[1])


def _range(values: Sequence[float], name: str, what: str) -> Tuple[float, float]:
    low, high = (float(v) for v in values)
    if not 0 < low <= high:
        raise ValueError(f'RandomResizedCrop: {name} is (min, max) with 0 < min <= max '
                         f'({what}), got {tuple(values)!r}')
    return low, high


@TRANSFORMS.register_module()
class RandomResizedCrop(BaseTransform):
    """Crop a random area and aspect ratio of ``img``, resized to ``size`` (the crop of
    Inception / torchvision's ``RandomResizedCrop``).

    Up to 10 tries draw an area (a fraction ``scale`` of the image) and an aspect ratio
    (width / height, log-uniform in ``ratio``) and keep the first crop that fits in the image,
    at a uniform position; if none fits, the largest centred crop with the ratio clamped to
    ``ratio``. Uses ``np.random``. Sets ``img``, ``img_shape`` and ``crop_bbox``
    (x1, y1, x2, y2 in the input image, exclusive end).

    Args:
        size (int | tuple[int, int]): output (height, width); an int for a square.
        scale (tuple[float, float]): range of the crop area over the image area.
            Defaults to (0.08, 1.0).
        ratio (tuple[float, float]): range of the crop aspect ratio (width / height).
            Defaults to (3 / 4, 4 / 3).
        interpolation (str): as ``mmcv.imresize``. Defaults to 'bilinear'.
        backend (str): as ``mmcv.imresize``. Defaults to 'cv2'.
        max_tries (int): tries before the centre crop. Defaults to 10.
    """

    def __init__(self, size: Union[int, Sequence[int]],
                 scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3. / 4., 4. / 3.),
                 interpolation: str = 'bilinear', backend: str = 'cv2', max_tries: int = 10):
        self.size = _pair(size, 'RandomResizedCrop')
        self.scale = _range(scale, 'scale', 'fractions of the image area')
        if self.scale[0] > 1:
            raise ValueError(f'RandomResizedCrop: scale is at most 1, got {tuple(scale)!r}')
        self.ratio = _range(ratio, 'ratio', 'width / height')
        self.interpolation = interpolation
        self.backend = backend
        self.max_tries = int(max_tries)

    def crop_box(self, height: int, width: int) -> Tuple[int, int, int, int]:
        """A random crop of a ``height`` x ``width`` image as (top, left, crop h, crop w)."""
        area = height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(self.max_tries):
            target_area = area * np.random.uniform(*self.scale)
            aspect = math.exp(np.random.uniform(*log_ratio))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                top = int(np.random.randint(0, height - h + 1))
                left = int(np.random.randint(0, width - w + 1))
                return top, left, h, w
        in_ratio = width / height
        if in_ratio < self.ratio[0]:
            w, h = width, int(round(width / self.ratio[0]))
        elif in_ratio > self.ratio[1]:
            w, h = int(round(height * self.ratio[1])), height
        else:
            w, h = width, height
        h, w = max(1, min(h, height)), max(1, min(w, width))
        return (height - h) // 2, (width - w) // 2, h, w

    def transform(self, results: dict) -> dict:
        img = results['img']
        top, left, h, w = self.crop_box(*img.shape[:2])
        crop = img[top:top + h, left:left + w]
        out_h, out_w = self.size
        results['img'] = mmcv.imresize(crop, (out_w, out_h), interpolation=self.interpolation,
                                       backend=self.backend)
        results['img_shape'] = results['img'].shape[:2]
        results['crop_bbox'] = (left, top, left + w, top + h)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, scale={self.scale}, '
                f'ratio={self.ratio}, interpolation={self.interpolation!r})')


@TRANSFORMS.register_module()
class PackClsInputs(BaseTransform):
    """Pack a classification sample: ``inputs``, the image as a contiguous (C, H, W) tensor
    (channels as loaded: BGR for mmcv's ``LoadImageFromFile``, normalised later by the data
    preprocessor), and ``data_samples``, a :class:`mmuda.structures.ClsDataSample` with
    ``gt_label`` (when ``results`` has one) and the ``meta_keys`` that ``results`` has.

    Args:
        meta_keys (tuple[str]): results keys copied into the meta info.
            Defaults to ('img_path', 'ori_shape', 'img_shape', 'flip').
    """

    def __init__(self, meta_keys: Sequence[str] = ('img_path', 'ori_shape', 'img_shape', 'flip')):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = ClsDataSample()
        if results.get('gt_label') is not None:
            sample.gt_label = results['gt_label']
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
