# Copyright (c) mmuda contributors. All rights reserved.
"""Converting the authors' DAFormer / HRDA / MIC checkpoints (tools/model_converters/
reference2mmuda.py, mmuda/utils/reference_checkpoint.py).

The reference state dicts here are written from the reference modules' structure (lhoyer/MIC
seg/mmseg/models/backbones/mix_transformer.py: MixVisionTransformer, Block, Attention, Mlp,
OverlapPatchEmbed; decode_heads/daformer_head.py: DAFormerHead, ASPPWrapper; decode_head.py:
conv_seg; hrda_head.py: HRDAHead; uda/dacs.py: model, ema_model, imnet_model), in the order
those modules register their parameters, NOT from the mapping under test.
"""
import copy
import importlib.util
import os
import os.path as osp
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmuda.utils.reference_checkpoint import (ReferenceCheckpointError, check_against_model,
                                              convert_daformer_head, convert_decode_head,
                                              convert_reference_state_dict)

from ..helpers import ROOT

MIC_CFG = osp.join(ROOT, 'configs/mic/mic-dacs_segformer-mitb0_1k_synthetic-src2tgt.py')
# MiT-B0 (reference mit_b0): the backbone of the synthetic configs
EMBED = [32, 64, 160, 256]
DEPTHS = [2, 2, 2, 2]
HEADS = [1, 2, 5, 8]
SR = [8, 4, 2, 1]
MLP_RATIO = 4
# a small DAFormer head: embed_dims E, channels C, the config's 8 classes
E, C, NUM_CLASSES = 16, 24, 8
H, W = 32, 64


def _load_converter():
    path = osp.join(ROOT, 'tools', 'model_converters', 'reference2mmuda.py')
    spec = importlib.util.spec_from_file_location('reference2mmuda', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------- reference keys
def _linear(sd, name, out_f, in_f, gen, bias=True):
    sd[f'{name}.weight'] = torch.randn(out_f, in_f, generator=gen) * 0.2
    if bias:
        sd[f'{name}.bias'] = torch.randn(out_f, generator=gen) * 0.1


def _conv(sd, name, out_c, in_c, k, gen, groups=1, bias=True):
    sd[f'{name}.weight'] = torch.randn(out_c, in_c // groups, k, k, generator=gen) * 0.2
    if bias:
        sd[f'{name}.bias'] = torch.randn(out_c, generator=gen) * 0.1


def _layer_norm(sd, name, dim, gen):
    sd[f'{name}.weight'] = 1 + 0.1 * torch.randn(dim, generator=gen)
    sd[f'{name}.bias'] = 0.1 * torch.randn(dim, generator=gen)


def _bn(sd, name, dim, gen):
    sd[f'{name}.weight'] = 1 + 0.1 * torch.randn(dim, generator=gen)
    sd[f'{name}.bias'] = 0.1 * torch.randn(dim, generator=gen)
    sd[f'{name}.running_mean'] = 0.1 * torch.randn(dim, generator=gen)
    sd[f'{name}.running_var'] = 1 + torch.rand(dim, generator=gen)
    sd[f'{name}.num_batches_tracked'] = torch.tensor(7)


def _conv_module(sd, name, out_c, in_c, k, gen, groups=1):
    """mmcv ConvModule(conv without bias, BN): ``conv``, ``bn``."""
    _conv(sd, f'{name}.conv', out_c, in_c, k, gen, groups=groups, bias=False)
    _bn(sd, f'{name}.bn', out_c, gen)


def reference_mit_b0(gen):
    """The reference MixVisionTransformer(mit_b0)'s state dict: patch_embed1-4 first, then
    block<s> and norm<s> per stage (its __init__ order)."""
    sd = OrderedDict()
    in_c = 3
    for s in range(4):
        k = 7 if s == 0 else 3  # OverlapPatchEmbed patch_size 7 then 3
        _conv(sd, f'patch_embed{s + 1}.proj', EMBED[s], in_c, k, gen)
        _layer_norm(sd, f'patch_embed{s + 1}.norm', EMBED[s], gen)
        in_c = EMBED[s]
    for s in range(4):
        dim, hidden = EMBED[s], EMBED[s] * MLP_RATIO
        for j in range(DEPTHS[s]):
            b = f'block{s + 1}.{j}'
            _layer_norm(sd, f'{b}.norm1', dim, gen)
            _linear(sd, f'{b}.attn.q', dim, dim, gen)  # qkv_bias=True in mit_b0
            _linear(sd, f'{b}.attn.kv', 2 * dim, dim, gen)
            _linear(sd, f'{b}.attn.proj', dim, dim, gen)
            if SR[s] > 1:
                _conv(sd, f'{b}.attn.sr', dim, dim, SR[s], gen)
                _layer_norm(sd, f'{b}.attn.norm', dim, gen)
            _layer_norm(sd, f'{b}.norm2', dim, gen)
            _linear(sd, f'{b}.mlp.fc1', hidden, dim, gen)
            _conv(sd, f'{b}.mlp.dwconv.dwconv', hidden, hidden, 3, gen, groups=hidden)
            _linear(sd, f'{b}.mlp.fc2', dim, hidden, gen)
        _layer_norm(sd, f'norm{s + 1}', dim, gen)
    return sd


def reference_daformer_head(gen, embed=E, channels=C, fusion='aspp'):
    """The reference DAFormerHead's state dict: BaseDecodeHead's conv_seg, embed_layers
    (ModuleDict '0'..'3' of segformer_head.MLP: ``proj``), fuse_layer: ASPPWrapper (sep=True,
    dilations (1, 6, 12, 18), pool=False: aspp_modules 0 a 1x1 ConvModule, 1-3
    DepthwiseSeparableConvModules, then the 3x3 bottleneck) or build_layer('conv',
    kernel_size=1) (one ConvModule)."""
    sd = OrderedDict()
    _conv(sd, 'conv_seg', NUM_CLASSES, channels, 1, gen)
    for i, in_c in enumerate(EMBED):
        _linear(sd, f'embed_layers.{i}.proj', embed, in_c, gen)
    fused = 4 * embed
    if fusion == 'aspp':
        _conv_module(sd, 'fuse_layer.aspp_modules.0', channels, fused, 1, gen)
        for k in (1, 2, 3):
            _conv_module(sd, f'fuse_layer.aspp_modules.{k}.depthwise_conv', fused, fused, 3,
                         gen, groups=fused)
            _conv_module(sd, f'fuse_layer.aspp_modules.{k}.pointwise_conv', channels, fused,
                         1, gen)
        _conv_module(sd, 'fuse_layer.bottleneck', channels, 4 * channels, 3, gen)
    else:
        _conv_module(sd, 'fuse_layer', channels, fused, 1, gen)
    return sd


def reference_segmentor(seed, hrda=False):
    gen = torch.Generator().manual_seed(seed)
    sd = OrderedDict(('backbone.' + k, v) for k, v in reference_mit_b0(gen).items())
    if hrda:  # HRDAHead: head (DAFormerHead) then scale_attention (1x1-conv fusion, 256 wide)
        head = OrderedDict(('head.' + k, v) for k, v in reference_daformer_head(gen).items())
        head.update(('scale_attention.' + k, v) for k, v in reference_daformer_head(
            gen, embed=12, channels=12, fusion='conv').items())
    else:
        head = reference_daformer_head(gen)
    sd.update(('decode_head.' + k, v) for k, v in head.items())
    return sd


def reference_dacs(parts=('model', 'ema_model', 'imnet_model')):
    """The reference DACS state dict: UDADecorator.model, then DACS.ema_model and
    .imnet_model, each a segmentor with its own values."""
    sd = OrderedDict()
    for seed, part in enumerate(parts):
        sd.update((f'{part}.{k}', v) for k, v in reference_segmentor(seed).items())
    return sd


# ---------------------------------------------------------------------------- mmuda model
def _model_cfg(imnet=True):
    cfg = Config.fromfile(MIC_CFG)
    model = copy.deepcopy(cfg.model)
    model.model.decode_head = dict(
        type='mmuda.DAFormerHead', in_channels=EMBED, in_index=[0, 1, 2, 3], channels=C,
        embed_dims=E, num_classes=NUM_CLASSES, norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False, dropout_ratio=0.1,
        loss_decode=dict(type='mmseg.CrossEntropyLoss'))
    model.model.data_preprocessor.size = (H, W)
    if imnet:
        model.train_cfg.imnet_feature_dist = dict(lambda_=0.005, classes=[1, 2],
                                                  scale_min_ratio=0.75)
    return cfg, model


def _build(model_cfg):
    from mmuda.models.uda.base import build_in_own_scope
    from mmuda.utils import register_all_modules
    register_all_modules()
    return build_in_own_scope(model_cfg)


@pytest.fixture
def config_file(tmp_path):
    """A config file of the small DAFormer (MiT-B0) MIC model, for --config."""
    cfg, model = _model_cfg()
    cfg.model = model
    path = str(tmp_path / 'mic_daformer_mitb0.py')
    cfg.dump(path)
    return path


# ---------------------------------------------------------------------------- tests
def test_uda_checkpoint_loads_strictly_and_values_land():
    ref = reference_dacs()
    converted = convert_reference_state_dict(ref)
    model = _build(_model_cfg()[1])
    check_against_model(converted, model)  # strict: every key filled, none left over
    own = model.state_dict()

    def same(ref_key, own_key):
        assert torch.equal(own[own_key], ref[ref_key]), (ref_key, own_key)

    # UDA wrapper: model -> student, ema_model -> teacher, imnet_model -> imnet
    for ref_part, own_part in (('model', 'student'), ('ema_model', 'teacher'),
                               ('imnet_model', 'imnet')):
        r, o = f'{ref_part}.backbone.', f'{own_part}.backbone.'
        same(r + 'patch_embed1.proj.weight', o + 'layers.0.0.projection.weight')
        same(r + 'patch_embed3.norm.bias', o + 'layers.2.0.norm.bias')
        same(r + 'norm4.weight', o + 'layers.3.2.weight')
        same(r + 'block2.1.norm1.weight', o + 'layers.1.1.1.norm1.weight')
        same(r + 'block1.0.attn.sr.weight', o + 'layers.0.1.0.attn.sr.weight')
        same(r + 'block3.1.attn.norm.bias', o + 'layers.2.1.1.attn.norm.bias')
        same(r + 'block4.0.attn.proj.weight', o + 'layers.3.1.0.attn.attn.out_proj.weight')
        same(r + 'block2.0.mlp.dwconv.dwconv.weight', o + 'layers.1.1.0.ffn.layers.1.weight')
        same(r + 'block2.0.mlp.fc2.bias', o + 'layers.1.1.0.ffn.layers.4.bias')
        # q rows first, then k and v (the reference's kv output is (k, v))
        dim = EMBED[2]
        in_proj = own[o + 'layers.2.1.1.attn.attn.in_proj_weight']
        assert in_proj.shape == (3 * dim, dim)
        assert torch.equal(in_proj[:dim], ref[r + 'block3.1.attn.q.weight'])
        assert torch.equal(in_proj[dim:2 * dim], ref[r + 'block3.1.attn.kv.weight'][:dim])
        assert torch.equal(in_proj[2 * dim:], ref[r + 'block3.1.attn.kv.weight'][dim:])
        bias = own[o + 'layers.0.1.1.attn.attn.in_proj_bias']
        assert torch.equal(bias, torch.cat([ref[r + 'block1.1.attn.q.bias'],
                                            ref[r + 'block1.1.attn.kv.bias']]))
        # Linear (out, in) -> 1x1 conv (out, in, 1, 1)
        fc1 = own[o + 'layers.3.1.1.ffn.layers.0.weight']
        assert fc1.shape == (4 * EMBED[3], EMBED[3], 1, 1)
        assert torch.equal(fc1[:, :, 0, 0], ref[r + 'block4.1.mlp.fc1.weight'])
        r, o = f'{ref_part}.decode_head.', f'{own_part}.decode_head.'
        same(r + 'embed_layers.2.proj.weight', o + 'embed_layers.2.proj.weight')
        same(r + 'fuse_layer.aspp_modules.0.conv.weight',
             o + 'fuse_layer.aspp_modules.0.conv.weight')
        same(r + 'fuse_layer.aspp_modules.3.depthwise_conv.conv.weight',
             o + 'fuse_layer.aspp_modules.3.depthwise_conv.conv.weight')
        same(r + 'fuse_layer.aspp_modules.1.pointwise_conv.bn.running_var',
             o + 'fuse_layer.aspp_modules.1.pointwise_conv.bn.running_var')
        same(r + 'fuse_layer.bottleneck.bn.running_mean',
             o + 'fuse_layer.bottleneck.bn.running_mean')
        same(r + 'conv_seg.weight', o + 'conv_seg.weight')
    assert not torch.equal(own['student.decode_head.conv_seg.weight'],
                           own['teacher.decode_head.conv_seg.weight'])
    assert int(own['local_iter']) == 0
    # every reference tensor is in the converted checkpoint, once (q and kv inside in_proj)
    n_ref = sum(v.numel() for v in ref.values())
    assert sum(v.numel() for k, v in converted.items() if k != 'local_iter') == n_ref


def _reference_mit_forward(sd, x):
    """The reference MixVisionTransformer.forward_features (mix_transformer.py) on its own
    state dict, functionally: OverlapPatchEmbed (conv, LayerNorm eps 1e-5), Blocks (norm1/2
    eps 1e-6, Attention with q / kv / spatial reduction, Mlp with depth-wise conv and GELU),
    stage norms (eps 1e-6)."""
    def ln(t, name, eps):
        return F.layer_norm(t, t.shape[-1:], sd[f'{name}.weight'], sd[f'{name}.bias'], eps)

    def lin(t, name):
        return F.linear(t, sd[f'{name}.weight'], sd[f'{name}.bias'])

    outs = []
    B = x.shape[0]
    for s in range(4):
        k = 7 if s == 0 else 3
        x = F.conv2d(x, sd[f'patch_embed{s + 1}.proj.weight'], sd[f'patch_embed{s + 1}.proj.bias'],
                     stride=4 if s == 0 else 2, padding=k // 2)
        _, C_, h, w = x.shape
        x = ln(x.flatten(2).transpose(1, 2), f'patch_embed{s + 1}.norm', 1e-5)
        heads = HEADS[s]
        for j in range(DEPTHS[s]):
            b = f'block{s + 1}.{j}'
            y = ln(x, f'{b}.norm1', 1e-6)
            N = y.shape[1]
            q = lin(y, f'{b}.attn.q').reshape(B, N, heads, C_ // heads).permute(0, 2, 1, 3)
            if SR[s] > 1:
                y_ = y.permute(0, 2, 1).reshape(B, C_, h, w)
                y_ = F.conv2d(y_, sd[f'{b}.attn.sr.weight'], sd[f'{b}.attn.sr.bias'],
                              stride=SR[s]).reshape(B, C_, -1).permute(0, 2, 1)
                y_ = ln(y_, f'{b}.attn.norm', 1e-5)
            else:
                y_ = y
            kv = lin(y_, f'{b}.attn.kv').reshape(B, -1, 2, heads, C_ // heads) \
                .permute(2, 0, 3, 1, 4)
            attn = ((q @ kv[0].transpose(-2, -1)) * (C_ // heads) ** -0.5).softmax(-1)
            y = lin((attn @ kv[1]).transpose(1, 2).reshape(B, N, C_), f'{b}.attn.proj')
            x = x + y
            y = lin(ln(x, f'{b}.norm2', 1e-6), f'{b}.mlp.fc1')
            hidden = y.shape[-1]
            y = F.conv2d(y.transpose(1, 2).reshape(B, hidden, h, w),
                         sd[f'{b}.mlp.dwconv.dwconv.weight'], sd[f'{b}.mlp.dwconv.dwconv.bias'],
                         padding=1, groups=hidden).flatten(2).transpose(1, 2)
            x = x + lin(F.gelu(y), f'{b}.mlp.fc2')
        x = ln(x, f'norm{s + 1}', 1e-6)
        x = x.reshape(B, h, w, -1).permute(0, 3, 1, 2)
        outs.append(x)
    return outs


def test_converted_backbone_computes_the_reference_features():
    """mmseg 1.x's MiT with the converted weights = the reference MiT's forward (written out
    from mix_transformer.py): checks the q/kv order, the head split and the MLP reshapes."""
    ref = reference_segmentor(3)
    converted = convert_reference_state_dict(ref, plain=True)
    model = _build(_model_cfg(imnet=False)[1]).student
    check_against_model(converted, model)
    model.eval()
    x = torch.randn(2, 3, H, W, generator=torch.Generator().manual_seed(0))
    backbone_ref = OrderedDict((k[len('backbone.'):], v) for k, v in ref.items()
                               if k.startswith('backbone.'))
    with torch.no_grad():
        expected = _reference_mit_forward(backbone_ref, x)
        got = model.backbone(x)
    for e, g in zip(expected, got):
        assert e.shape == g.shape
        # the patch-embed and attention LayerNorms: eps 1e-5 in the reference, 1e-6 in mmseg
        assert torch.allclose(e, g, atol=1e-4, rtol=1e-4), (e - g).abs().max()


def test_hrda_head_prefixes():
    """decode_head.head.* (DAFormerHead, ASPP) and decode_head.scale_attention.* (1x1-conv
    fusion: fuse_layer.conv / fuse_layer.bn) keep their names."""
    ref = reference_segmentor(4, hrda=True)
    converted = convert_reference_state_dict(ref, plain=True)
    head_keys = [k for k in converted if k.startswith('decode_head.')]
    assert head_keys == [k for k in ref if k.startswith('decode_head.')]
    for key in ('decode_head.head.fuse_layer.aspp_modules.2.depthwise_conv.conv.weight',
                'decode_head.scale_attention.fuse_layer.conv.weight',
                'decode_head.scale_attention.fuse_layer.bn.running_var',
                'decode_head.scale_attention.embed_layers.3.proj.bias',
                'decode_head.scale_attention.conv_seg.weight'):
        assert torch.equal(converted[key], ref[key])
    assert 'decode_head.conv_seg.weight' not in converted  # HRDAHead deletes its own
    uda = convert_reference_state_dict(OrderedDict(('model.' + k, v) for k, v in ref.items()))
    assert 'student.decode_head.scale_attention.fuse_layer.bn.weight' in uda
    # a stray key beside the two sub-heads is refused, named in full
    bad = OrderedDict(ref, **{'decode_head.conv_seg.weight': torch.zeros(1)})
    with pytest.raises(ReferenceCheckpointError, match=r'decode_head\.conv_seg\.weight'):
        convert_reference_state_dict(bad, plain=True)


def test_hrda_head_loads_into_mmuda_hrda_head():
    """The converted HRDA head loads strictly into mmuda's HRDAHead (when it exists)."""
    try:
        from mmuda.models.decode_heads.hrda_head import HRDAHead
    except ImportError:
        pytest.skip("mmuda's HRDAHead is not in the tree")
    from mmuda.utils import register_all_modules
    register_all_modules()
    head = HRDAHead(single_scale_head=dict(
        type='DAFormerHead', in_channels=EMBED, in_index=[0, 1, 2, 3], channels=C,
        embed_dims=E, num_classes=NUM_CLASSES, norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False, dropout_ratio=0.1, loss_decode=dict(type='mmseg.CrossEntropyLoss')),
        attention_embed_dim=12)
    ref = reference_segmentor(5, hrda=True)
    head_ref = OrderedDict((k[len('decode_head.'):], v) for k, v in ref.items()
                           if k.startswith('decode_head.'))
    converted = convert_decode_head(head_ref)
    check_against_model(converted, head)
    assert torch.equal(head.scale_attention.fuse_layer.conv.weight,
                       head_ref['scale_attention.fuse_layer.conv.weight'])


def test_embed_levels_follow_the_module_dict_order():
    """embed_layers keys are in_index values in the reference (a ModuleDict), positions in
    mmuda (a ModuleList): e.g. in_index [1, 2, 3] -> 0, 1, 2."""
    gen = torch.Generator().manual_seed(6)
    sd = OrderedDict()
    for i in (1, 2, 3):
        _linear(sd, f'embed_layers.{i}.proj', E, EMBED[i], gen)
    out = convert_daformer_head(sd)
    assert list(out) == [f'embed_layers.{p}.proj.{w}' for p in range(3)
                         for w in ('weight', 'bias')]
    assert torch.equal(out['embed_layers.0.proj.weight'], sd['embed_layers.1.proj.weight'])


def test_cli_writes_a_checkpoint_that_loads(tmp_path, config_file):
    tool = _load_converter()
    src, dst = str(tmp_path / 'latest.pth'), str(tmp_path / 'out' / 'mmuda.pth')
    torch.save(dict(meta=dict(iter=40000, CLASSES=('road', 'car'), mmcv_version='1.3.7'),
                    state_dict=reference_dacs(), optimizer=dict(state={}, param_groups=[])),
               src)
    assert tool.main([src, dst, '--config', config_file]) == 0
    saved = torch.load(dst, map_location='cpu', weights_only=True)
    assert saved['meta']['reference_meta'] == dict(iter=40000, CLASSES=['road', 'car'],
                                                   mmcv_version='1.3.7')
    model = _build(_model_cfg()[1])
    model.load_state_dict(saved['state_dict'], strict=True)
    # the student alone, and --plain (mmuda copies a plain student into teacher and imnet)
    assert tool.main([src, dst, '--keep', 'none']) == 0
    keys = torch.load(dst, weights_only=True)['state_dict']
    assert {k.split('.')[0] for k in keys} == {'student', 'local_iter'}
    assert tool.main([src, dst, '--plain', '--config', config_file]) == 0
    plain = torch.load(dst, weights_only=True)['state_dict']
    model.load_state_dict(plain, strict=True)
    assert torch.equal(model.teacher.decode_head.conv_seg.weight,
                       reference_dacs()['model.decode_head.conv_seg.weight'])
    # a plain reference segmentor -> student.*
    torch.save(dict(state_dict=reference_segmentor(0)), src)
    assert tool.main([src, dst, '--keep', 'none']) == 0
    assert 'student.backbone.layers.0.0.projection.weight' in \
        torch.load(dst, weights_only=True)['state_dict']
    assert sorted(os.listdir(tmp_path / 'out')) == ['mmuda.pth']  # no temporary file left


def _fails(tool, capsys, args, dst, *names):
    assert tool.main(args) == 1
    err = capsys.readouterr().err
    for name in names:
        assert name in err, err
    assert not osp.exists(dst)
    assert not [n for n in os.listdir(osp.dirname(dst)) if n.endswith('.tmp')]
    return err


def test_missing_key_is_named_and_nothing_is_written(tmp_path, capsys, config_file):
    tool = _load_converter()
    src, dst = str(tmp_path / 'latest.pth'), str(tmp_path / 'mmuda.pth')
    # kv without q: the in_proj cannot be built
    ref = reference_dacs()
    del ref['model.backbone.block2.1.attn.q.weight']
    torch.save(dict(state_dict=ref), src)
    _fails(tool, capsys, [src, dst], dst, 'model.backbone.block2.1.attn.q.weight')
    # a key the config's model needs: found by the strict check
    ref = reference_dacs()
    del ref['ema_model.decode_head.fuse_layer.bottleneck.bn.running_var']
    torch.save(dict(state_dict=ref), src)
    err = _fails(tool, capsys, [src, dst, '--config', config_file], dst,
                 'teacher.decode_head.fuse_layer.bottleneck.bn.running_var', 'missing')
    assert '1 missing' in err
    # the config wants an ImageNet model that the checkpoint does not have
    torch.save(dict(state_dict=reference_dacs(('model', 'ema_model'))), src)
    err = _fails(tool, capsys, [src, dst, '--config', config_file], dst,
                 'imnet.backbone.layers.0.0.projection.weight')


def test_unknown_key_is_named_and_nothing_is_written(tmp_path, capsys):
    tool = _load_converter()
    src, dst = str(tmp_path / 'latest.pth'), str(tmp_path / 'mmuda.pth')
    for key, extra in (
            ('model.backbone.head.weight', ''),  # the ImageNet classifier of MiT
            ('model.decode_head.fuse_layer.context_layer.conv.weight', 'context layer'),
            ('model.auxiliary_head.conv_seg.weight', ''),
            ('mic.teacher.ema_model.backbone.norm1.weight', 'MIC'),
            ('model.backbone.block5.0.norm1.weight', '')):
        ref = reference_dacs(('model', ))
        ref[key] = torch.zeros(3)
        torch.save(dict(state_dict=ref), src)
        err = _fails(tool, capsys, [src, dst], dst, key, 'no mmuda counterpart', extra)
        assert err.count('\n  ') == 1  # this key alone is listed
    # one error names every unknown key, wherever it is (backbone, head, copies, wrapper)
    ref = reference_dacs()
    keys = ['model.backbone.head.weight', 'ema_model.decode_head.fuse_layer.context_layer.w',
            'imnet_model.neck.weight', 'mic.teacher.ema_model.backbone.norm1.weight']
    for key in keys:
        ref[key] = torch.zeros(3)
    torch.save(dict(state_dict=ref), src)
    err = _fails(tool, capsys, [src, dst, '--keep', 'none'], dst, *keys)
    assert 'key(s)' in err and err.count('\n  ') == len(keys)
    # an existing DST survives a failed conversion unchanged
    with open(dst, 'w') as f:
        f.write('previous')
    assert tool.main([src, dst]) == 1
    with open(dst) as f:
        assert f.read() == 'previous'


def test_keep_selects_the_copies():
    ref = reference_dacs()
    assert {k.split('.')[0] for k in convert_reference_state_dict(ref, keep=['ema'])} == \
        {'student', 'teacher', 'local_iter'}
    assert {k.split('.')[0] for k in convert_reference_state_dict(ref, keep=['imnet'])} == \
        {'student', 'imnet', 'local_iter'}
    with pytest.raises(ReferenceCheckpointError, match='ema_model'):
        convert_reference_state_dict(reference_dacs(('model', )), keep=['ema'])
    with pytest.raises(ReferenceCheckpointError, match='unknown name'):
        convert_reference_state_dict(ref, keep=['student2'])


@pytest.mark.slow  # a tools/test.py process on the generated tiny domains (about a minute)
def test_tools_test_evaluates_the_converted_checkpoint(tmp_path, tiny_data_root, config_file):
    """tools/test.py CONFIG DST loads the converted checkpoint (mmuda's safe loader) and
    evaluates it: the student, i.e. the reference's ``model``, as the reference's test.py."""
    from ..helpers import run_tool, train_cmd
    tool = _load_converter()
    src, dst = str(tmp_path / 'latest.pth'), str(tmp_path / 'mmuda.pth')
    torch.save(dict(meta=dict(iter=40000), state_dict=reference_dacs()), src)
    assert tool.main([src, dst, '--config', config_file]) == 0
    cmd = train_cmd(str(tmp_path / 'test'), tiny_data_root, 2, config=config_file,
                    tool='tools/test.py', synthetic_train=False)
    proc = run_tool(cmd[:3] + [dst] + cmd[3:])
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert 'mIoU' in proc.stdout and 'Load checkpoint from' in proc.stdout + proc.stderr
    assert 'missing keys' not in proc.stdout + proc.stderr
    assert 'unexpected key' not in proc.stdout + proc.stderr
