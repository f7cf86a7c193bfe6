# Copyright (c) mmuda contributors. All rights reserved.
"""A segmentor with a projection head for pixel-wise contrastive losses (T2S-DA)."""
from typing import List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.segmentors import EncoderDecoder

from mmuda.registry import MODELS


def head_penultimate(head, feats) -> Tuple[torch.Tensor, torch.Tensor]:
    """The logits of an mmseg decode head and the features its classifier sees (the input
    of ``cls_seg``: of its dropout when it has one, else of ``conv_seg``), in one forward.

    Relies on mmseg's ``BaseDecodeHead.cls_seg`` calling ``self.dropout`` (if not None) then
    ``self.conv_seg`` (tests/test_uda/test_t2sda.py fails if an upgrade changes that)."""
    first = head.dropout if getattr(head, 'dropout', None) is not None else \
        getattr(head, 'conv_seg', None)
    if not isinstance(first, nn.Module):
        raise TypeError(f'{type(head).__name__} has no conv_seg classifier: use '
                        "projection_head.feature='backbone'")
    captured = []
    handle = first.register_forward_pre_hook(lambda module, args: captured.append(args[0]))
    try:
        logits = head.forward(feats)
    finally:
        handle.remove()
    if len(captured) != 1:
        raise RuntimeError(f'{type(head).__name__}.forward called its classifier '
                           f'{len(captured)} times; expected once')
    return logits, captured[0]


class ProjectionHead(nn.Module):
    """conv3x3-BN-ReLU, conv3x3-BN-ReLU, conv1x1, then L2 normalisation over channels (the
    representation head of U2PL, by the same first author as T2S-DA)."""

    def __init__(self, in_channels: int, channels: int = 256, out_channels: int = 256,
                 norm_cfg: dict = dict(type='BN')):
        super().__init__()
        self.layers = nn.Sequential(
            ConvModule(in_channels, channels, 3, padding=1, norm_cfg=norm_cfg),
            ConvModule(channels, channels, 3, padding=1, norm_cfg=norm_cfg),
            nn.Conv2d(channels, out_channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.layers(x), dim=1)


@MODELS.register_module()
class ProjectedEncoderDecoder(EncoderDecoder):
    """mmseg's ``EncoderDecoder`` plus a projection head whose L2-normalised embeddings feed a
    pixel-wise contrastive loss. Prediction and the segmentation losses are the parent's (the
    projection head is not used at test time); inside a UDA model with an EMA teacher the
    teacher gets its own copy of the projection head, updated by the EMA like the rest.

    Args:
        projection_head (dict): ``in_channels`` (of the chosen feature), ``channels`` (256),
            ``out_channels`` (256), ``norm_cfg`` (BN), ``feature``: ``'head'`` (the decode
            head's features before its classifier, default) or ``'backbone'`` (the backbone
            level ``in_index``, default -1).
    """

    def __init__(self, *args, projection_head: dict, **kwargs):
        super().__init__(*args, **kwargs)
        cfg = dict(projection_head)
        self.projection_feature = cfg.pop('feature', 'head')
        self.projection_index = cfg.pop('in_index', -1)
        if self.projection_feature not in ('head', 'backbone'):
            raise ValueError("projection_head.feature must be 'head' or 'backbone', got "
                             f'{self.projection_feature!r}')
        if 'in_channels' not in cfg:
            raise KeyError('projection_head needs in_channels (the channels of the projected '
                           'feature: decode_head.channels for feature=\'head\')')
        self.projection_head = ProjectionHead(**cfg)

    def project(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(decode-head logits at the head's resolution, L2-normalised embeddings)."""
        feats: List[torch.Tensor] = self.extract_feat(inputs)
        if self.projection_feature == 'head':
            logits, feat = head_penultimate(self.decode_head, feats)
        else:
            logits, feat = self.decode_head.forward(feats), feats[self.projection_index]
        return logits, self.projection_head(feat)
