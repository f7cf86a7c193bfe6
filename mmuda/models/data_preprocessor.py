# Copyright (c) mmuda contributors. All rights reserved.
"""Pre-processing of video samples: the neighbour frames as frame t."""
from typing import Any, Dict, List

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.data_preprocessor import SegDataPreProcessor

from mmuda.registry import MODELS


@MODELS.register_module()
class VideoSegDataPreProcessor(SegDataPreProcessor):
    """mmseg's ``SegDataPreProcessor`` for samples of
    :class:`mmuda.datasets.transforms.PackVideoSegInputs`: frame t is processed as any image
    (``inputs``); the neighbour frames of each sample (``data_samples[i].frames.img_*``) get
    the same channel order, normalisation and padding, the flows (``frames.flow*``) are cast to
    float32 and padded with NaN (no correspondence), so that the model reads them from
    ``frames`` at the size of ``inputs`` (see :func:`stack_frames`)."""

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        out = super().forward(data, training)
        height, width = out['inputs'].shape[2:]
        for sample in out['data_samples']:
            frames = sample.get('frames')
            if frames is None:
                raise KeyError('VideoSegDataPreProcessor: a sample has no neighbour frames '
                               '(data_samples.frames); pack video samples with '
                               'PackVideoSegInputs')
            fields = {}
            for key in frames.keys():
                value = frames.get(key)
                if key.startswith('flow'):
                    value, pad = value.float(), float('nan')
                else:
                    if self.channel_conversion and value.shape[0] == 3:
                        value = value[[2, 1, 0]]
                    value = value.float()
                    if self._enable_normalize:
                        value = (value - self.mean) / self.std
                    pad = float(self.pad_val)
                h, w = value.shape[1:]
                if (h, w) != (height, width):
                    value = F.pad(value, (0, width - w, 0, height - h), value=pad)
                fields[key] = value
            sample.frames = PixelData(**fields)
        return out


def stack_frames(data_samples: List, key: str) -> torch.Tensor:
    """The (B, C, H, W) batch of one neighbour frame or flow (``img_prev``, ``flow``, ...)
    of pre-processed video samples."""
    try:
        return torch.stack([sample.frames.get(key) if key in sample.frames else None
                            for sample in data_samples])
    except (AttributeError, TypeError):
        have = sorted(data_samples[0].frames.keys()) if 'frames' in data_samples[0] else []
        raise KeyError(f'the video samples have no {key!r} (they have {have}): the dataset '
                       f'and LoadVideoFrames provide img_prev and flow, and with tps_offset '
                       f'img_ref, img_ref_prev and flow_ref') from None
