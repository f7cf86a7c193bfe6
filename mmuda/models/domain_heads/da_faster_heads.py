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


def domain_loss(logits: torch.Tensor, domain: torch.Tensor) -> torch.Tensor:
    """The domain classification loss of (B, D, ...) logits and (B,) domain labels.

    One channel (D = 1, source vs target): BCE with logits, label 1 = source (``domain`` >= 1)
    and 0 = target, as DA-Faster. D > 1 channels (multi-source: target 0, source k -> k + 1):
    cross-entropy over the domains, at every position of the trailing dimensions.
    """
    if logits.shape[1] == 1:
        return domain_bce(logits, domain > 0)
    if int(domain.max()) >= logits.shape[1]:
        raise ValueError(f'domain label {int(domain.max())} but only {logits.shape[1]} '
                         f'domain logits (num_domains of the domain classifier)')
    target = domain.long().view(-1, *([1] * (logits.dim() - 2)))
    return F.cross_entropy(logits, target.expand(-1, *logits.shape[2:]))


def domain_probs(logits: torch.Tensor) -> torch.Tensor:
    """Domain probabilities of (B, D, ...) logits: sigmoid for one channel, else softmax."""
    return torch.sigmoid(logits) if logits.shape[1] == 1 else torch.softmax(logits, dim=1)


def _num_outputs(num_domains: int) -> int:
    if num_domains < 2:
        raise ValueError(f'num_domains must be >= 2 (target + sources), got {num_domains}')
    return 1 if num_domains == 2 else num_domains


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
        num_domains (int): 2 (source vs target, one logit) or, multi-source, the number of
            sources + 1 (one logit per domain, cross-entropy). Defaults to 2.
    """

    def __init__(self, in_channels: int = 1024, channels: int = 512, grl_weight: float = 0.1,
                 num_domains: int = 2):
        super().__init__(grl_weight)
        self.conv1 = nn.Conv2d(in_channels, channels, 1)
        self.conv2 = nn.Conv2d(channels, _num_outputs(num_domains), 1)
        for conv in (self.conv1, self.conv2):
            nn.init.normal_(conv.weight, std=0.001)
            nn.init.zeros_(conv.bias)

    def forward(self, feat: torch.Tensor, consistency: bool = False) -> torch.Tensor:
        """(B, C, H, W) -> (B, D, H, W) logits (gradient to ``feat``: see :meth:`grl`)."""
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
        num_domains (int): as :class:`ImageDomainClassifier`. Defaults to 2.
    """

    def __init__(self, in_channels: int = 2048, channels: int = 1024, dropout: float = 0.5,
                 grl_weight: float = 0.1, num_domains: int = 2):
        super().__init__(grl_weight)
        self.fc1 = nn.Linear(in_channels, channels)
        self.fc2 = nn.Linear(channels, channels)
        self.fc3 = nn.Linear(channels, _num_outputs(num_domains))
        self.dropout = nn.Dropout(dropout)
        for fc, std in ((self.fc1, 0.01), (self.fc2, 0.01), (self.fc3, 0.05)):
            nn.init.normal_(fc.weight, std=std)
            nn.init.zeros_(fc.bias)

    def forward(self, feat: torch.Tensor, consistency: bool = False) -> torch.Tensor:
        """(N, C) or (N, C, h, w) RoI features (the latter are averaged) -> (N, D) logits;
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
    ``roi_image_index`` (the batch index of mmdet's ``rois[:, 0]``). With D > 1 domain
    logits (multi-source) the probabilities are softmaxes and the L1 distance is summed over
    the domains.

    Args:
        image_logits: (B, D, H, W) image-level logits.
        instance_logits: (N, D) or, for D = 1, (N,) instance-level logits.
        roi_image_index: (N,) image index of each RoI.
    """
    if instance_logits.numel() == 0:
        return image_logits.sum() * 0
    b = image_logits.shape[0] if num_images is None else num_images
    index = roi_image_index.long().view(-1)
    if index.numel() * image_logits.shape[1] != instance_logits.numel():
        raise ValueError(f'{instance_logits.numel() // image_logits.shape[1]} instance logits '
                         f'but {index.numel()} RoI image indices')
    if int(index.min()) < 0 or int(index.max()) >= b:
        raise ValueError(f'RoI image indices must be in [0, {b}), got '
                         f'{int(index.min())}..{int(index.max())}')
    d = image_logits.shape[1]
    image_prob = domain_probs(image_logits).flatten(2).mean(dim=2)  # (B, D)
    instance_prob = domain_probs(instance_logits.view(-1, d))
    return (image_prob[index] - instance_prob).abs().sum(dim=1).mean()
