# Copyright (c) mmuda contributors. All rights reserved.
"""HRDA: the detail crop, the fusion with the scale attention, the loss split, sliding-window
detail inference, and DACS / MIC training an HRDA student."""
import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmuda.models.decode_heads.hrda_head import HRDAHead
from mmuda.models.uda.base import build_in_own_scope
from mmuda.utils import register_all_modules

from ..helpers import ROOT

register_all_modules()
NUM_CLASSES = 3


def small_hrda(**kwargs):
    """An HRDA segmentor on the CPU model (MiT-B0-sized, SegformerHead)."""
    cfg = Config.fromfile(f'{ROOT}/configs/_base_/models/segformer_mit-b0.py').model.to_dict()
    head = cfg.pop('decode_head')
    head['num_classes'] = NUM_CLASSES
    cfg.update(type='mmuda.HRDAEncoderDecoder',
               decode_head=dict(type='mmuda.HRDAHead', single_scale_head=head,
                                attention_embed_dim=16),
               hr_crop_size=(32, 32), scales=(0.5, 1.0), feature_scale=0.5)
    cfg.update(kwargs)
    return build_in_own_scope(cfg)


def samples(labels):
    out = []
    for label in labels:
        s = SegDataSample(metainfo=dict(img_shape=tuple(label.shape), ori_shape=tuple(
            label.shape), pad_shape=tuple(label.shape)))
        s.gt_sem_seg = PixelData(data=label[None].long())
        out.append(s)
    return out


class FirstLevel(nn.Module):
    """A stand-in head: its 'logits' are the first feature level."""

    def forward(self, feats):
        return feats[0]


class ConstantLogit(nn.Module):
    def __init__(self, value):
        super().__init__()
        self.value = value

    def forward(self, feats):
        f = feats[0]
        return torch.full((f.shape[0], 1, *f.shape[2:]), self.value)


def test_crop_box_is_aligned_inside_and_reproducible():
    model = small_hrda()
    boxes = set()
    for seed in range(40):
        box = model.random_crop_box(64, 128, torch.Generator().manual_seed(seed))
        y1, y2, x1, x2 = box
        assert (y2 - y1, x2 - x1) == (32, 32)
        assert y1 % 8 == 0 and x1 % 8 == 0 and 0 <= y1 and y2 <= 64 and 0 <= x1 and x2 <= 128
        assert box == model.random_crop_box(64, 128, torch.Generator().manual_seed(seed))
        boxes.add(box)
    assert len(boxes) > 10  # the crop moves
    with pytest.raises(ValueError, match='larger than the detail-scale input'):
        model.random_crop_box(16, 128)


def test_fuse_against_hand_computed_values():
    head = small_hrda().decode_head
    head.head = FirstLevel()
    head.scale_attention = ConstantLogit(0.0)  # sigmoid(0) = 0.5
    lr = torch.full((1, NUM_CLASSES, 8, 16), 2.0)  # context logits: input 64 x 128, cell 8
    hr = torch.arange(8 * 8, dtype=torch.float).reshape(1, 1, 8, 8).repeat(1, NUM_CLASSES, 1, 1)
    box = (16, 48, 32, 64)  # detail crop 32 x 32 input px = 8 x 8 detail cells (cell 4)
    fused, lr_scaled, hr_out = head.fuse([lr], hr, (64, 128), box)
    assert fused.shape == (1, NUM_CLASSES, 16, 32) and hr_out is hr
    # inside the crop (away from its border, where the attention mask is interpolated):
    # 0.5 * detail + (1 - 0.5) * context
    inner = fused[0, 0, 4 + 2:12 - 2, 8 + 2:16 - 2]
    assert torch.allclose(inner, 0.5 * hr[0, 0, 2:-2, 2:-2] + 1.0)
    # outside it the attention is zero: the context alone
    assert torch.allclose(fused[0, 0, :2], torch.full((2, 32), 2.0))
    assert torch.allclose(fused[0, 0, :, :6], torch.full((16, 6), 2.0))
    # without a crop (inference) the detail covers everything
    whole = torch.ones(1, NUM_CLASSES, 16, 32) * 10
    fused, _, _ = head.fuse([lr], whole, (64, 128))
    assert torch.allclose(fused, torch.full_like(fused, 0.5 * 10 + 1.0))


def test_loss_split_and_weights_against_hand_computed_losses():
    torch.manual_seed(0)
    model = small_hrda()
    img = torch.randn(2, 3, 64, 128)
    label = torch.randint(0, NUM_CLASSES, (2, 64, 128))
    label[0, :4] = 255
    weight = torch.rand(2, 64, 128)
    logits = {}
    losses, feats = model.weighted_loss(img, samples(label), weight,
                                        generator=torch.Generator().manual_seed(3),
                                        logits=logits)
    box = model.random_crop_box(64, 128, torch.Generator().manual_seed(3))
    # the fused prediction over the whole input, 0.9 of the loss
    fused = F.interpolate(logits['decode'], size=(64, 128), mode='bilinear',
                          align_corners=False)
    ce = F.cross_entropy(fused, label, ignore_index=255, reduction='none') * weight
    assert torch.allclose(losses['loss_ce'], 0.9 * ce.sum() / label.numel(), rtol=1e-4)
    # the detail logits on the crop, against the cropped labels and weights, 0.1 of it
    y1, y2, x1, x2 = box
    hr = model.decode_head.forward(model.backbone_feats(img[:, :, y1:y2, x1:x2]))
    hr = F.interpolate(hr, size=(32, 32), mode='bilinear', align_corners=False)
    ce = F.cross_entropy(hr, label[:, y1:y2, x1:x2], ignore_index=255, reduction='none') \
        * weight[:, y1:y2, x1:x2]
    assert torch.allclose(losses['hr.loss_ce'], 0.1 * ce.sum() / (2 * 32 * 32), rtol=1e-4)
    # the features returned (for the ImageNet feature distance) are the context's
    assert feats[0].shape[2:] == (8, 16)
    # mmseg's loss() is the same split, under 'decode.'
    assert set(model.loss(img, samples(label))) == {
        'decode.loss_ce', 'decode.acc_seg', 'decode.hr.loss_ce', 'decode.hr.acc_seg'}


def test_attention_learns_only_from_the_fused_prediction():
    model = small_hrda()
    img = torch.randn(2, 3, 64, 128)
    label = torch.randint(0, NUM_CLASSES, (2, 64, 128))
    losses, _ = model.weighted_loss(img, samples(label), generator=torch.Generator())
    losses['hr.loss_ce'].backward(retain_graph=True)
    att = [p.grad for p in model.decode_head.scale_attention.parameters()]
    assert all(g is None or not g.any() for g in att)
    assert any(p.grad is not None and p.grad.any()
               for p in model.decode_head.head.parameters())
    losses['loss_ce'].backward()
    assert any(p.grad is not None and p.grad.any()
               for p in model.decode_head.scale_attention.parameters())


class PoolBackbone(nn.Module):
    """A position-equivariant stand-in backbone: 4x average pooling (one level)."""

    def forward(self, x):
        return [F.avg_pool2d(x, 4)]


def test_slide_detail_inference_assembles_the_windows():
    model = small_hrda(hr_crop_size=(32, 32))
    model.backbone = PoolBackbone()
    model.decode_head.head = FirstLevel()
    img = torch.randn(2, NUM_CLASSES, 64, 96)
    out = model.slide_logits(img)
    # overlapping windows (stride 16) of a window-independent map average to the map itself
    assert torch.allclose(out, F.avg_pool2d(img, 4), atol=1e-6)
    model.hr_slide_overlapping = False
    assert torch.allclose(model.slide_logits(img), F.avg_pool2d(img, 4), atol=1e-6)


def test_inference_shapes_and_mmseg_predict():
    model = small_hrda().eval()
    img = torch.randn(1, 3, 64, 128)
    label = torch.zeros(1, 64, 128)
    with torch.no_grad():
        assert model.dense_logits(img).shape == (1, NUM_CLASSES, 16, 32)
        assert model.encode_decode(img, None).shape == (1, NUM_CLASSES, 64, 128)
        model.test_cfg = Config(dict(mode='slide', crop_size=(64, 64), stride=(32, 32)))
        pred = model.predict(img, samples(label))
    assert pred[0].pred_sem_seg.data.shape == (1, 64, 128)


def test_bad_configs_stop_with_a_clear_message():
    with pytest.raises(ValueError, match='detail scale must be 1'):
        small_hrda(scales=(0.25, 0.5))
    with pytest.raises(ValueError, match='feature_scale 0.25 is not one of the scales'):
        small_hrda(feature_scale=0.25)
    with pytest.raises(ValueError, match='single_scale_head lacks'):
        HRDAHead(single_scale_head=dict(type='mmseg.SegformerHead'))


def test_module_names_match_the_reference():
    """The authors' checkpoints hold decode_head.head.* and decode_head.scale_attention.*"""
    cfg = Config.fromfile(f'{ROOT}/configs/hrda/'
                          'hrda_daformer-mitb5_1x2-40k_gtaHR2cityscapesHR-1024x1024.py')
    head_cfg = copy.deepcopy(cfg.model.model.decode_head.to_dict())
    head_cfg['single_scale_head'].update(in_channels=[8, 8, 8, 8], channels=16, embed_dims=16)
    head_cfg['attention_embed_dim'] = 8
    head = build_in_own_scope(head_cfg)
    keys = set(head.state_dict())
    assert 'head.fuse_layer.bottleneck.conv.weight' in keys  # the ASPP fusion
    assert 'scale_attention.fuse_layer.conv.weight' in keys  # the 1x1 fusion
    assert 'scale_attention.conv_seg.weight' in keys
    assert head.scale_attention.conv_seg.out_channels == 19  # class-wise attention
    assert not any(k.startswith('conv_seg') for k in keys)


def test_pseudo_margins_are_marked_before_the_crop_and_zero_the_weight():
    """HRDA's pseudo-label cropping v2: the margins of the whole image travel with the crop
    and the flip into the data sample; the teacher's weight is zero there."""
    import numpy as np
    from mmcv.transforms import Compose

    from mmuda.datasets.transforms import MarkPseudoMargins
    from mmuda.models.uda.dacs import DACS
    pipeline = Compose([
        dict(type='MarkPseudoMargins', top=2, bottom=6, left=3, right=1),
        dict(type='mmseg.Resize', scale=(80, 40), keep_ratio=True),  # 20 x 40 -> 40 x 80
        dict(type='mmseg.RandomCrop', crop_size=(40, 40)),
        dict(type='PackUDASegInputs')])
    results = pipeline(dict(img=np.zeros((20, 40, 3), np.uint8), img_path='x.png',
                            seg_fields=[]))
    sample = results['data_samples']
    valid = sample.pseudo_valid.data[0]
    assert valid.shape == (40, 40)
    # the map of the whole resized image (margins doubled: top 4, bottom 12, left 6, right 2)
    # cut at the crop's horizontal offset, whichever it was
    whole = torch.zeros(40, 80, dtype=valid.dtype)
    whole[4:28, 6:78] = 1
    assert any(torch.equal(valid, whole[:, x:x + 40]) for x in range(41))
    with pytest.raises(ValueError, match='leave nothing'):
        MarkPseudoMargins(top=10, bottom=10)(dict(img=np.zeros((20, 40, 3), np.uint8)))
    with pytest.raises(ValueError, match='integers >= 0'):
        MarkPseudoMargins(top=-1)
    # the teacher's weight: the scalar confidence share, zero where the map is 0
    logits = torch.zeros(1, NUM_CLASSES, 40, 40)
    logits[:, 0] = 10.0  # confident everywhere
    model = DACS.__new__(DACS)
    torch.nn.Module.__init__(model)
    model.train_cfg = dict(pseudo_threshold=0.968)
    model.margins = dict(top=0, bottom=0, left=0, right=0)
    model.teacher = small_hrda()
    label, weight = model.pseudo_label_from_logits(logits, (40, 40), [sample])
    assert torch.equal(weight[0], valid.float())
