# Copyright (c) mmuda contributors. All rights reserved.
"""DA-Faster R-CNN's domain classifiers (Chen et al., CVPR 2018), with the shapes of the
maskrcnn-benchmark implementation, and its consistency regulariser for any batch size."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmuda.registry import MODELS
from ..utils.grl import scale_gradient


def domain_bce(logits: torch.Tensor, is_source: torch.Tensor) -> torch.Tensor:
    """BCE with logits, label 1 for source and 0 for target. ``is_source`` (B,) is broadcast
    over the trailing dimensions of ``logits`` (B, ...)."""
    target = is_source.to(logits.dtype).view(-1, *([1] * (logits.dim() - 1)))
    return F.binary_cross_entropy_with_logits(logits, target.expand_as(logits))


class _BehindGRL(nn.Module):
    """A classifier behind a gradient reversal layer of weight ``grl_weight`` (> 0)."""

    def __init__(self, grl_weight: float):
        super().__init__()
        if grl_weight <= 0:
            raise ValueError(f'grl_weight must be > 0, got {grl_weight}')
        self.grl_weight = float(grl_weight)

    def grl(self, feat: torch.Tensor, consistency: bool) -> torch.Tensor:
        """The gradient reaching ``feat`` is reversed and scaled by ``grl_weight``; for the
        consistency term (``consistency=True``) it is scaled without reversal, as the
        reference."""
        return scale_gradient(feat, self.grl_weight if consistency else -self.grl_weight)


@MODELS.register_module()
class ImageDomainClassifier(_BehindGRL):
    """Per-pixel domain classifier on a backbone feature map: GRL, 1x1 conv to ``channels``,
    ReLU, 1x1 conv to one logit (weights ~ N(0, 0.001), bias 0).

    Args:
        in_channels (int): feature channels (1024 for R-50-C4).
        channels (int): hidden channels. Defaults to 512.
        grl_weight (float): gradient reversal weight. Defaults to 0.1.
    """

    def __init__(self, in_channels: int = 1024, channels: int = 512, grl_weight: float = 0.1):
        super().__init__(grl_weight)
        self.conv1 = nn.Conv2d(in_channels, channels, 1)
        self.conv2 = nn.Conv2d(channels, 1, 1)
        for conv in (self.conv1, self.conv2):
            nn.init.normal_(conv.weight, std=0.001)
            nn.init.zeros_(conv.bias)

    def forward(self, feat: torch.Tensor, consistency: bool = False) -> torch.Tensor:
        """(B, C, H, W) -> (B, 1, H, W) logits (gradient to ``feat``: see :meth:`grl`)."""
        return self.conv2(F.relu(self.conv1(self.grl(feat, consistency))))


@MODELS.register_module()
class InstanceDomainClassifier(_BehindGRL):
    """Domain classifier on pooled RoI features: GRL, FC ``channels`` + ReLU + dropout, FC
    ``channels`` + ReLU + dropout, FC to one logit (weights ~ N(0, 0.01), last ~ N(0, 0.05),
    as the reference).

    Args:
        in_channels (int): RoI feature size (2048 for the R-50-C4 res5 head, avg-pooled).
        channels (int): hidden size. Defaults to 1024.
        dropout (float): dropout after each hidden layer. Defaults to 0.5.
        grl_weight (float): gradient reversal weight. Defaults to 0.1.
    """

    def __init__(self, in_channels: int = 2048, channels: int = 1024, dropout: float = 0.5,
                 grl_weight: float = 0.1):
        super().__init__(grl_weight)
        self.fc1 = nn.Linear(in_channels, channels)
        self.fc2 = nn.Linear(channels, channels)
        self.fc3 = nn.Linear(channels, 1)
        self.dropout = nn.Dropout(dropout)
        for fc, std in ((self.fc1, 0.01), (self.fc2, 0.01), (self.fc3, 0.05)):
            nn.init.normal_(fc.weight, std=std)
            nn.init.zeros_(fc.bias)

    def forward(self, feat: torch.Tensor, consistency: bool = False) -> torch.Tensor:
        """(N, C) or (N, C, h, w) RoI features (the latter are averaged) -> (N, 1) logits;
        gradient to ``feat``: see :meth:`grl`."""
        if feat.dim() == 4:
            feat = feat.mean(dim=(2, 3))
        x = self.grl(feat, consistency)
        x = self.dropout(F.relu(self.fc1(x)))
        x = self.dropout(F.relu(self.fc2(x)))
        return self.fc3(x)


def domain_consistency_loss(image_logits: torch.Tensor, instance_logits: torch.Tensor,
                            roi_image_index: torch.Tensor,
                            num_images: Optional[int] = None) -> torch.Tensor:
    """DA-Faster's consistency regulariser for any batch size.

    For each RoI, ``|mean over H x W of sigmoid(image logits of its image) - sigmoid(its
    instance logit)|``, averaged over RoIs. The reference hard-codes two images per batch
    (it splits the RoIs in halves); here each RoI is matched to its image by
    ``roi_image_index`` (the batch index of mmdet's ``rois[:, 0]``).

    Args:
        image_logits: (B, 1, H, W) image-level logits.
        instance_logits: (N, 1) or (N,) instance-level logits.
        roi_image_index: (N,) image index of each RoI.
    """
    if instance_logits.numel() == 0:
        return image_logits.sum() * 0
    b = image_logits.shape[0] if num_images is None else num_images
    index = roi_image_index.long().view(-1)
    if index.numel() != instance_logits.numel():
        raise ValueError(f'{instance_logits.numel()} instance logits but {index.numel()} RoI '
                         f'image indices')
    if int(index.min()) < 0 or int(index.max()) >= b:
        raise ValueError(f'RoI image indices must be in [0, {b}), got '
                         f'{int(index.min())}..{int(index.max())}')
    image_prob = torch.sigmoid(image_logits).flatten(1).mean(dim=1)  # (B,)
    instance_prob = torch.sigmoid(instance_logits).view(-1)
    return (image_prob[index] - instance_prob).abs().mean()
