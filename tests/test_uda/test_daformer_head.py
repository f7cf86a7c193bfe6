# Copyright (c) mmuda contributors. All rights reserved.
import torch

from mmuda.registry import MODELS
from mmuda.utils import register_all_modules


def test_daformer_head_fuses_all_levels():
    register_all_modules()
    head = MODELS.build(dict(
        type='DAFormerHead', in_channels=[8, 16, 32, 64], in_index=[0, 1, 2, 3], channels=16,
        embed_dims=16, num_classes=5, norm_cfg=dict(type='BN', requires_grad=True),
        dropout_ratio=0.1, loss_decode=dict(type='mmseg.CrossEntropyLoss')))
    feats = [torch.randn(2, c, 32 // s, 32 // s) for c, s in zip([8, 16, 32, 64], [1, 2, 4, 8])]
    out = head(feats)
    assert out.shape == (2, 5, 32, 32)  # logits at the finest level
    out.sum().backward()
    for layer in head.embed_layers:  # every level contributes
        assert layer.proj.weight.grad.abs().sum() > 0
    # four dilation branches (1, 6, 12, 18), the dilated ones depthwise-separable
    branches = head.fuse_layer.aspp_modules
    assert len(branches) == 4
    assert branches[1].depthwise_conv.conv.dilation == (6, 6)
    assert branches[1].depthwise_conv.conv.groups == 64
