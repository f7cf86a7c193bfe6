# Copyright (c) mmuda contributors. All rights reserved.
"""An image classifier for classification UDA: backbone, pooling, bottleneck, linear head."""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel

from mmuda.registry import MODELS
from mmuda.structures import ClsDataSample


def build_backbone(cfg: dict) -> nn.Module:
    """A backbone of an OpenMMLab library (``'mmdet.ResNet'``, ``'mmseg.VisionTransformer'``)
    built in its own scope (see :func:`mmuda.models.uda.base.build_in_own_scope`)."""
    from mmuda.models.uda.base import build_in_own_scope
    return build_in_own_scope(cfg)


@MODELS.register_module()
class UDAImageClassifier(BaseModel):
    """Backbone -> pooled feature -> bottleneck (Linear, BN1d, ReLU) -> linear head, as the
    image classifier of the classification UDA references (thuml's Transfer-Learning-Library,
    SDAT, MIC): the domain discriminators see the bottleneck feature, the losses the logits.

    mmpretrain (whose backbones and ``ImageClassifier`` this would otherwise reuse) cannot be
    imported with this stack on CPU: it imports torchvision, which has no CPU build for the
    pinned torch. The backbones are therefore mmdet's ``ResNet`` and mmseg's
    ``VisionTransformer`` (ImageNet weights through their ``init_cfg``).

    Args:
        backbone (dict): backbone config (an mmdet/mmseg backbone).
        num_classes (int): number of classes.
        in_channels (int): channels of the pooled backbone feature.
        pool (str): ``'avg'`` (global average pool of the last feature map, CNNs) or
            ``'cls_token'`` (the class token of a ViT built with ``output_cls_token=True``).
        bottleneck_dim (int): bottleneck width; 0 drops the bottleneck (head on the pooled
            feature). Defaults to 256 (the references).
        data_preprocessor (dict): mmengine's ``ImgDataPreprocessor`` config.
    """

    def __init__(self, backbone: dict, num_classes: int, in_channels: int, pool: str = 'avg',
                 bottleneck_dim: int = 256, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if pool not in ('avg', 'cls_token'):
            raise ValueError(f"pool must be 'avg' or 'cls_token', got {pool!r}")
        if int(num_classes) < 2:
            raise ValueError(f'num_classes must be >= 2, got {num_classes}')
        self.backbone = build_backbone(backbone)
        self.pool = pool
        self.num_classes = int(num_classes)
        if bottleneck_dim:
            self.bottleneck = nn.Sequential(nn.Linear(in_channels, bottleneck_dim),
                                            nn.BatchNorm1d(bottleneck_dim), nn.ReLU())
            feat_dim = bottleneck_dim
        else:
            self.bottleneck = nn.Identity()
            feat_dim = in_channels
        self.features_dim = feat_dim
        self.head = nn.Linear(feat_dim, self.num_classes)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """The pooled backbone feature, (B, in_channels)."""
        outs = self.backbone(inputs)
        last = outs[-1] if isinstance(outs, (list, tuple)) else outs
        if self.pool == 'cls_token':
            if not isinstance(last, (list, tuple)) or len(last) != 2:
                raise TypeError("pool='cls_token' needs a ViT backbone built with "
                                'output_cls_token=True (its outputs are [feature map, '
                                'class token])')
            return last[1]
        if isinstance(last, (list, tuple)):
            last = last[0]
        return F.adaptive_avg_pool2d(last, 1).flatten(1)

    def forward_features(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(logits, features)``: the head's logits and the bottleneck feature."""
        feats = self.bottleneck(self.extract_feat(inputs))
        return self.head(feats), feats

    @staticmethod
    def labels(data_samples: List[ClsDataSample], device) -> torch.Tensor:
        return torch.stack([s.gt_label.reshape(()) for s in data_samples]).to(device).long()

    def loss(self, inputs: torch.Tensor, data_samples: List[ClsDataSample]) -> dict:
        logits, _ = self.forward_features(inputs)
        return dict(loss_cls=F.cross_entropy(logits, self.labels(data_samples, logits.device)))

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[ClsDataSample]] = None) -> List[ClsDataSample]:
        logits, _ = self.forward_features(inputs)
        scores = torch.softmax(logits.float(), dim=1)
        if data_samples is None:
            data_samples = [ClsDataSample() for _ in range(len(scores))]
        for sample, score in zip(data_samples, scores):
            sample.pred_score = score
            sample.pred_label = score.argmax()
        return data_samples

    def _forward(self, inputs: torch.Tensor, data_samples=None) -> torch.Tensor:
        return self.forward_features(inputs)[0]

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}"; expected loss, predict or tensor')
