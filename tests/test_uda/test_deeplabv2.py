# Copyright (c) mmuda contributors. All rights reserved.
"""DeepLab-v2 of AdaptSegNet / ADVENT: DeepLabV2Head, the r101 and synthetic r18 configs and
the checkpoint converter."""
import importlib.util
import os.path as osp
import subprocess
import sys
from collections import OrderedDict

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import DefaultOptimWrapperConstructor
from mmengine.runner.checkpoint import _load_checkpoint_with_prefix
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmuda.registry import MODELS
from mmuda.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
R101_CFG = osp.join(ROOT, 'configs/_base_/models/deeplabv2_r101.py')
R18_CFG = osp.join(ROOT, 'configs/_base_/models/deeplabv2_r18_synthetic.py')
CONVERTER = osp.join(ROOT, 'tools/model_converters/deeplabv2_advent.py')


def _converter():
    spec = importlib.util.spec_from_file_location('deeplabv2_advent', CONVERTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _samples(num, h, w, num_classes):
    out = []
    for _ in range(num):
        s = SegDataSample(metainfo=dict(img_shape=(h, w), pad_shape=(h, w), ori_shape=(h, w)))
        s.gt_sem_seg = PixelData(data=torch.randint(0, num_classes, (1, h, w)))
        out.append(s)
    return out


def _build(path):
    register_all_modules()
    cfg = Config.fromfile(path)
    if cfg.model.backbone.get('init_cfg'):
        cfg.model.backbone.init_cfg = None  # the converted ImageNet checkpoint is not here
    return MODELS.build(cfg.model), cfg


@pytest.fixture(scope='module')
def r101():
    torch.manual_seed(0)
    return _build(R101_CFG)


def _head(**kwargs):
    register_all_modules()
    cfg = dict(type='DeepLabV2Head', in_channels=3, in_index=0, num_classes=3,
               loss_decode=dict(type='mmseg.CrossEntropyLoss', loss_weight=1.0))
    cfg.update(kwargs)
    return MODELS.build(cfg)


# ---------------------------------------------------------------------------------- head
def test_head_sums_the_four_dilated_convs():
    head = _head()
    assert [c.dilation for c in head.convs] == [(d, d) for d in (6, 12, 18, 24)]
    assert [c.padding for c in head.convs] == [(d, d) for d in (6, 12, 18, 24)]
    assert all(c.kernel_size == (3, 3) and c.bias is not None for c in head.convs)
    # no dropout, no 1x1 conv_seg after the sum: 4 weights + 4 biases are all the parameters
    assert head.dropout is None and not hasattr(head, 'conv_seg')
    assert len(list(head.parameters())) == 8
    x = torch.randn(1, 3, 40, 50)
    biases = [0.5, -1.0, 2.0, 0.25]
    with torch.no_grad():
        for conv, b in zip(head.convs, biases):
            conv.weight.zero_()
            conv.bias.zero_()
            conv.bias[0] = b
            # top-left tap, input channel 0 -> class 0: out[y, x] = in[y - d, x - d]
            conv.weight[0, 0, 0, 0] = 1.0
        out = head([x])
    expected = torch.full((40, 50), sum(biases))
    for d in (6, 12, 18, 24):
        expected[d:, d:] += x[0, 0, :-d, :-d]
    torch.testing.assert_close(out[0, 0], expected)
    torch.testing.assert_close(out[0, 1:], torch.zeros(2, 40, 50))  # no weight, no bias
    # one branch alone is that branch's convolution
    with torch.no_grad():
        for conv in head.convs:
            conv.weight.normal_()
            conv.bias.normal_()
        for i in range(1, 4):
            head.convs[i].weight.zero_()
            head.convs[i].bias.zero_()
        torch.testing.assert_close(
            head([x]), torch.conv2d(x, head.convs[0].weight, head.convs[0].bias,
                                    padding=6, dilation=6))


def test_head_init_and_arguments():
    torch.manual_seed(0)
    head = _head(in_channels=512, num_classes=19)
    weights = torch.cat([c.weight.flatten() for c in head.convs])
    assert abs(weights.std().item() - 0.01) < 5e-4 and abs(weights.mean().item()) < 5e-4
    assert head.channels == 19 and head.init_cfg is None
    with pytest.raises(ValueError, match='dropout'):
        _head(dropout_ratio=0.1)
    with pytest.raises(ValueError, match='channels'):
        _head(channels=16)


def test_head_loss_reaches_every_parameter():
    head = _head(in_channels=8, num_classes=5, dilations=(1, 2, 3, 4))
    feats = [torch.randn(2, 8, 12, 12)]
    losses = head.loss(feats, _samples(2, 48, 48, 5), dict())
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    for name, p in head.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


# -------------------------------------------------------------------------------- r101
def test_r101_logits_and_layout(r101):
    model, cfg = r101
    model.eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        feats = model.extract_feat(x)
        logits = model(x, mode='tensor')
        aux = model.auxiliary_head(feats)
    # the reference's stem pool (ceil_mode): 32 x 48 -> 17 x 25, then stride 2 -> 9 x 13
    # (mmseg's ResNet: 16 x 24 and 8 x 12)
    assert [f.shape[1:] for f in feats] == [(256, 17, 25), (512, 9, 13), (1024, 9, 13),
                                            (2048, 9, 13)]
    assert logits.shape == (1, 19, 9, 13) and aux.shape == (1, 19, 9, 13)
    assert model.decode_head.in_index == 3 and model.auxiliary_head.in_index == 2
    assert model.decode_head.loss_decode.loss_weight == 1.0
    assert model.auxiliary_head.loss_decode.loss_weight == 0.1
    assert model.decode_head.ignore_index == 255 == model.auxiliary_head.ignore_index
    bb = model.backbone
    # caffe style: the stride on the first 1x1 conv of the block, the 3x3 unstrided
    assert bb.layer2[0].conv1.stride == (2, 2) and bb.layer2[0].conv2.stride == (1, 1)
    assert bb.layer2[0].downsample[0].stride == (2, 2)
    # every block of layer3 / layer4 dilated 2 / 4 (no contracted first dilation)
    assert {b.conv2.dilation for b in bb.layer3} == {(2, 2)} and len(bb.layer3) == 23
    assert {b.conv2.dilation for b in bb.layer4} == {(4, 4)}
    assert not hasattr(bb, 'stem') and bb.conv1.kernel_size == (7, 7)


def test_r101_bn_frozen_convs_trained(r101):
    model, _ = r101
    model.train()
    bns = [m for m in model.backbone.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(bns) == 1 + 3 * 33 + 4  # stem, 3 per bottleneck, 4 projection shortcuts
    assert all(not p.requires_grad for m in bns for p in m.parameters())
    # as the reference: train mode, batch statistics, running statistics updated
    assert all(m.training for m in bns)
    stats = [m.running_mean.clone() for m in bns]
    model(torch.randn(1, 3, 32, 32), mode='tensor')
    assert not any(torch.equal(a, m.running_mean) for a, m in zip(stats, bns))
    # the reference freezes the BN only: the convs, stem included, and the heads train
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert all(p.requires_grad for m in convs for p in m.parameters())


def test_r101_preprocessing_and_lr_mult(r101):
    model, cfg = r101
    # caffe input: BGR (as loaded) minus the BGR mean, no std; batches padded to x8
    pre = MODELS.build(cfg.data_preprocessor)
    img = torch.randint(0, 256, (3, 60, 90), dtype=torch.uint8)
    data = pre(dict(inputs=[img], data_samples=_samples(1, 60, 90, 19)), True)
    assert data['inputs'].shape == (1, 3, 64, 96)
    mean = torch.tensor([104.00698793, 116.66876762, 122.67891434]).view(3, 1, 1)
    torch.testing.assert_close(data['inputs'][0, :, :60, :90], img.float() - mean)
    # classifiers at 10x the lr, also under a UDA model's 'student.' prefix
    constructor = DefaultOptimWrapperConstructor(
        dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=1.0)),
        cfg.deeplabv2_paramwise_cfg)
    uda = torch.nn.ModuleDict(dict(student=model))
    groups = constructor(uda).optimizer.param_groups
    lr = {id(p): g['lr'] for g in groups for p in g['params']}
    for name, p in uda.named_parameters():
        if not p.requires_grad:  # the frozen BN: not optimised at all, as in the reference
            assert id(p) not in lr, name
            continue
        expected = 10.0 if name.startswith(('student.decode_head.',
                                            'student.auxiliary_head.')) else 1.0
        assert lr[id(p)] == expected, name
    assert sum(v == 10.0 for v in lr.values()) == 16  # 2 heads x 4 branches x (w, b)


# ------------------------------------------------------------------------ synthetic r18
def test_synthetic_r18_trains_every_parameter():
    torch.manual_seed(0)
    model, cfg = _build(R18_CFG)
    model.init_weights()
    for head in (model.decode_head, model.auxiliary_head):  # mmseg's init leaves the heads
        std = torch.cat([c.weight.flatten() for c in head.convs]).std().item()
        assert 0.009 < std < 0.011
    model.train()
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and all(m.training and m.weight.requires_grad for m in bns)  # trainable BN
    x = torch.randn(2, 3, 64, 128)
    assert model(x, mode='tensor').shape == (2, 8, 9, 17)  # the reference's ceil-mode pool
    losses = model.loss(x, _samples(2, 64, 128, 8))
    assert set(k for k in losses if 'loss' in k) == {'decode.loss_ce', 'aux.loss_ce'}
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    for name, p in model.named_parameters():  # DDP: no unused parameter
        assert p.grad is not None, name
        if 'head' in name:
            assert p.grad.abs().sum() > 0, name
    # (mmseg zero-initialises the last BN of each residual branch: at init the gradient of
    # the branch's convs is zero, but they are in the graph)


# ---------------------------------------------------------------------------- converter
def _reference_names(model_state):
    """The model's state dict under ADVENT's names (a trained ResNetMulti) and under the
    ImageNet initialisation's names (Scale.*, classifier layer5 on 2048 channels), with
    values that differ from the model's."""
    torch.manual_seed(1)
    trained, init = OrderedDict(), OrderedDict()
    for key, value in model_state.items():
        value = torch.rand_like(value) + 0.5 if value.is_floating_point() else value + 7
        if key.startswith('backbone.'):
            name = key[len('backbone.'):]
            trained[name] = value
            if not name.endswith('num_batches_tracked'):  # pre-0.4 PyTorch checkpoint
                init[f'Scale.{name}'] = value
        else:
            head, _, i, p = key.split('.')
            trained[f'{"layer6" if head == "decode_head" else "layer5"}.conv2d_list.{i}.{p}'] \
                = value
    for i in range(4):
        init[f'Scale.layer5.conv2d_list.{i}.weight'] = torch.randn(21, 2048, 3, 3)
        init[f'Scale.layer5.conv2d_list.{i}.bias'] = torch.randn(21)
    return trained, init


def test_converter_round_trips(r101, tmp_path):
    model, _ = r101
    conv = _converter()
    own = model.state_dict()
    trained, init = _reference_names(own)
    # a trained ADVENT model: the whole segmentor, loaded strictly
    torch.save(trained, tmp_path / 'advent.pth')
    conv.main([str(tmp_path / 'advent.pth'), str(tmp_path / 'advent_mmuda.pth')])
    ckpt = torch.load(tmp_path / 'advent_mmuda.pth', weights_only=True)
    assert set(ckpt['state_dict']) == set(own)
    model.load_state_dict(ckpt['state_dict'], strict=True)
    new = model.state_dict()
    torch.testing.assert_close(new['decode_head.convs.3.weight'],
                               trained['layer6.conv2d_list.3.weight'])
    torch.testing.assert_close(new['auxiliary_head.convs.0.bias'],
                               trained['layer5.conv2d_list.0.bias'])
    torch.testing.assert_close(new['backbone.layer3.22.bn3.running_var'],
                               trained['layer3.22.bn3.running_var'])
    torch.testing.assert_close(new['backbone.layer1.0.downsample.0.weight'],
                               trained['layer1.0.downsample.0.weight'])
    assert not list(tmp_path.glob('.*.tmp'))  # the temporary file was renamed
    # the ImageNet initialisation: backbone only (layer5 dropped as the reference does),
    # loaded strictly as the config's Pretrained init_cfg with prefix 'backbone.' does
    init['Scale.fc.weight'] = torch.zeros(1)  # not DeepLab's: listed, not converted
    torch.save(init, tmp_path / 'imagenet.pth')
    conv.main([str(tmp_path / 'imagenet.pth'), str(tmp_path / 'imagenet_mmuda.pth')])
    state = _load_checkpoint_with_prefix('backbone.', str(tmp_path / 'imagenet_mmuda.pth'))
    model.backbone.load_state_dict(state, strict=True)
    torch.testing.assert_close(model.backbone.conv1.weight, init['Scale.conv1.weight'])
    assert int(model.backbone.bn1.num_batches_tracked) == 0
    out, report = conv.convert(init)
    assert report['unknown'] == ['Scale.fc.weight'] and len(report['dropped']) == 8
    assert not any(k.startswith(('decode_head', 'auxiliary_head')) for k in out)
    # AdaptSegNet's models sum branches 0 and 1 only: --adaptsegnet zeroes the others
    out, _ = conv.convert(trained, adaptsegnet=True)
    assert out['decode_head.convs.2.weight'].abs().sum() == 0
    assert out['auxiliary_head.convs.3.bias'].abs().sum() == 0
    torch.testing.assert_close(out['decode_head.convs.1.weight'],
                               trained['layer6.conv2d_list.1.weight'])


def test_converter_names_a_missing_key(r101, tmp_path):
    model, _ = r101
    conv = _converter()
    trained, init = _reference_names(model.state_dict())
    del trained['layer3.17.bn2.running_var']
    torch.save(trained, tmp_path / 'advent.pth')
    dst = tmp_path / 'out.pth'
    proc = subprocess.run([sys.executable, CONVERTER, str(tmp_path / 'advent.pth'), str(dst)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode != 0
    assert "missing required key 'layer3.17.bn2.running_var'" in proc.stderr
    assert 'Traceback' not in proc.stderr and not dst.exists()
    del init['Scale.layer4.0.downsample.1.running_mean']
    with pytest.raises(conv.ConversionError,
                       match="'Scale.layer4.0.downsample.1.running_mean'"):
        conv.convert(init)
    trained, _ = _reference_names(model.state_dict())
    del trained['layer6.conv2d_list.2.bias']
    with pytest.raises(conv.ConversionError, match="'layer6.conv2d_list.2.bias'"):
        conv.convert(trained)


def test_deeplabv2_resnet_pools_as_the_reference():
    """512 x 1024 -> 65 x 129 at output stride 8, as the reference (mmseg's ResNet: 64 x 128);
    the rest of the network is mmseg's."""
    from mmseg.models.backbones import ResNet

    from mmuda.models.backbones import DeepLabV2ResNet
    args = dict(depth=18, stem_channels=8, base_channels=8, strides=(1, 2, 1, 1),
                dilations=(1, 1, 2, 4))
    ours, theirs = DeepLabV2ResNet(**args), ResNet(**args)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(1, 3, 512, 1024)
    with torch.no_grad():
        a, b = ours(x)[-1], theirs(x)[-1]
    assert a.shape[2:] == (65, 129) and b.shape[2:] == (64, 128)
    assert ours.maxpool.ceil_mode and not theirs.maxpool.ceil_mode
