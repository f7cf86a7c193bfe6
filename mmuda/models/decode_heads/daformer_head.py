# Copyright (c) mmuda contributors. All rights reserved.
"""DAFormer's decoder (Hoyer et al., CVPR 2022): context-aware multi-level feature fusion."""
from typing import Sequence, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.decode_heads.sep_aspp_head import DepthwiseSeparableASPPModule
from mmseg.models.decode_heads.aspp_head import ASPPModule
from mmseg.models.utils import resize

from mmuda.registry import MODELS


class MLPEmbed(nn.Module):
    """A per-pixel linear embedding of one feature level (no norm, no activation)."""

    def __init__(self, in_channels: int, embed_dims: int):
        super().__init__()
        self.proj = nn.Linear(in_channels, embed_dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        x = self.proj(x.flatten(2).transpose(1, 2))
        return x.transpose(1, 2).reshape(n, -1, h, w)


class ASPPFusion(nn.Module):
    """Parallel (depthwise-separable) dilated convolutions on the concatenated embeddings,
    then a 3x3 bottleneck: DAFormer's context-aware fusion ('aspp' fusion_cfg)."""

    def __init__(self, in_channels: int, channels: int, dilations: Sequence[int],
                 sep: bool, pool: bool, norm_cfg: dict, act_cfg: dict, align_corners: bool):
        super().__init__()
        self.align_corners = align_corners
        self.image_pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            ConvModule(in_channels, channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        ) if pool else None
        aspp = DepthwiseSeparableASPPModule if sep else ASPPModule
        self.aspp_modules = aspp(dilations=dilations, in_channels=in_channels,
                                 channels=channels, norm_cfg=norm_cfg, conv_cfg=None,
                                 act_cfg=act_cfg)
        self.bottleneck = ConvModule((len(dilations) + int(pool)) * channels, channels, 3,
                                     padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = []
        if self.image_pool is not None:
            outs.append(resize(self.image_pool(x), size=x.shape[2:], mode='bilinear',
                               align_corners=self.align_corners))
        outs.extend(self.aspp_modules(x))
        return self.bottleneck(torch.cat(outs, dim=1))


@MODELS.register_module()
class DAFormerHead(BaseDecodeHead):
    """Embed each backbone level with an MLP, upsample all to the finest level, concatenate
    and fuse with :class:`ASPPFusion`, then classify.

    Args:
        embed_dims (int | list[int]): embedding width per level. DAFormer: 256.
        fusion_dilations (tuple): ASPP dilations. DAFormer: (1, 6, 12, 18).
        fusion_sep (bool): depthwise-separable ASPP convs. DAFormer: True.
        fusion_pool (bool): add an image-pooling branch. DAFormer: False.
        fusion (str): 'aspp' (the context-aware fusion above) or 'conv' (one 1x1
            conv-norm-act, the fusion of HRDA's scale-attention head).
        **kwargs: mmseg ``BaseDecodeHead`` arguments (in_channels as a list, in_index,
            channels, num_classes, norm_cfg, dropout_ratio, loss_decode, ...).
    """

    def __init__(self, embed_dims: Union[int, Sequence[int]] = 256,
                 fusion_dilations: Sequence[int] = (1, 6, 12, 18), fusion_sep: bool = True,
                 fusion_pool: bool = False, fusion: str = 'aspp', **kwargs):
        super().__init__(input_transform='multiple_select', **kwargs)
        if fusion not in ('aspp', 'conv'):
            raise ValueError(f"DAFormerHead: fusion must be 'aspp' or 'conv', got {fusion!r}")
        if self.align_corners:
            raise ValueError('DAFormerHead expects align_corners=False')
        if isinstance(embed_dims, int):
            embed_dims = [embed_dims] * len(self.in_channels)
        self.embed_layers = nn.ModuleList(
            MLPEmbed(c, e) for c, e in zip(self.in_channels, embed_dims))
        if fusion == 'aspp':
            self.fuse_layer = ASPPFusion(sum(embed_dims), self.channels, fusion_dilations,
                                         fusion_sep, fusion_pool, self.norm_cfg,
                                         self.act_cfg, self.align_corners)
        else:
            self.fuse_layer = ConvModule(sum(embed_dims), self.channels, 1,
                                         norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)

    def forward(self, inputs):
        feats = self._transform_inputs(inputs)
        size = feats[0].shape[2:]
        embedded = [resize(layer(f), size=size, mode='bilinear',
                           align_corners=self.align_corners) if f.shape[2:] != size
                    else layer(f) for layer, f in zip(self.embed_layers, feats)]
        return self.cls_seg(self.fuse_layer(torch.cat(embedded, dim=1)))
