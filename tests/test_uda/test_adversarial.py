# Copyright (c) mmuda contributors. All rights reserved.
"""AdaptSegNet / AdvEnt / MinEnt: the losses against hand-computed values, which optimizer
each pass feeds, the order of the step, and the configuration errors."""
import math

import pytest
import torch
from mmengine.optim import OptimWrapperDict
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import mmuda  # noqa: F401
from mmuda.engine import UDAOptimWrapperConstructor
from mmuda.models.domain_heads import FCDiscriminator
from mmuda.models.utils.adversarial import (bce_domain_loss, entropy_loss, frozen,
                                            self_information)
from mmuda.registry import MODELS

NUM_CLASSES = 3


def tiny_segmentor(aux=True):
    head = dict(type='mmseg.FCNHead', num_convs=1, channels=8, num_classes=NUM_CLASSES,
                concat_input=False, dropout_ratio=0.0, align_corners=False,
                loss_decode=dict(type='mmseg.CrossEntropyLoss', loss_weight=1.0))
    model = dict(
        type='mmseg.EncoderDecoder',
        data_preprocessor=dict(type='mmseg.SegDataPreProcessor', mean=[0., 0., 0.],
                               std=[1., 1., 1.], size=(32, 32), seg_pad_val=255),
        backbone=dict(type='mmseg.ResNet', depth=18, stem_channels=8, base_channels=8,
                      strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4), norm_eval=False),
        decode_head=dict(head, in_channels=64, in_index=3),
        test_cfg=dict(mode='whole'))
    if aux:
        model['auxiliary_head'] = dict(
            head, in_channels=32, in_index=2,
            loss_decode=dict(type='mmseg.CrossEntropyLoss', loss_weight=0.1))
    return model


def build(method, **kwargs):
    return MODELS.build(dict(type=method, model=tiny_segmentor(), **kwargs))


def optim(model, seg_lr=0.01, d_lr=1e-3):
    cfg = dict(segmentor=dict(type='OptimWrapper',
                              optimizer=dict(type='SGD', lr=seg_lr, momentum=0.9)),
               discriminator=dict(type='OptimWrapper',
                                  optimizer=dict(type='Adam', lr=d_lr, betas=(0.9, 0.99))))
    return UDAOptimWrapperConstructor(cfg)(model)


def batch(n=2, seed=0):
    g = torch.Generator().manual_seed(seed)

    def sample():
        s = SegDataSample(metainfo=dict(img_shape=(32, 32), ori_shape=(32, 32),
                                        pad_shape=(32, 32)))
        s.gt_sem_seg = PixelData(data=torch.randint(0, NUM_CLASSES, (1, 32, 32), generator=g))
        return s
    img = [torch.rand(3, 32, 32, generator=g) * 255 for _ in range(n)]
    return dict(inputs=dict(source=img, target=[torch.rand(3, 32, 32, generator=g) * 255
                                                 for _ in range(n)]),
                data_samples=dict(source=[sample() for _ in range(n)],
                                  target=[sample() for _ in range(n)]))


def test_self_information_and_entropy_by_hand():
    # two classes at (0.5, 0.5): each channel 0.5 * log2(2) / log2(2) = 0.5, entropy 1;
    # a certain pixel (1, 0): 0
    prob = torch.tensor([[0.5, 1.0], [0.5, 0.0]]).view(1, 2, 1, 2)
    si = self_information(prob)
    assert torch.allclose(si[0, :, 0, 0], torch.tensor([0.5, 0.5]))
    assert torch.allclose(si[0, :, 0, 1], torch.zeros(2))
    assert entropy_loss(prob).item() == pytest.approx(0.5)
    # four classes, uniform: normalised entropy 1
    assert entropy_loss(torch.full((1, 4, 2, 2), 0.25)).item() == pytest.approx(1.0)
    # BCE with logits 0 against either label: log 2
    assert bce_domain_loss(torch.zeros(2, 1, 3, 3), 1.).item() == pytest.approx(math.log(2))


def test_fc_discriminator_shape_and_channel_error():
    disc = FCDiscriminator(in_channels=NUM_CLASSES, ndf=4)
    assert disc(torch.rand(2, NUM_CLASSES, 64, 64)).shape == (2, 1, 2, 2)
    with pytest.raises(ValueError, match='built for 3-channel maps'):
        disc(torch.rand(2, 5, 64, 64))
    with pytest.raises(ValueError, match='discriminator.in_channels is 5'):
        build('AdvEnt', discriminator=dict(type='FCDiscriminator', in_channels=5, ndf=4))
    with pytest.raises(KeyError, match=r"lambda_adv has level\(s\) \['aux_1'\]"):
        build('AdvEnt', train_cfg=dict(lambda_adv=dict(decode=1e-3, aux_1=1e-3)))
    with pytest.raises(KeyError, match='unknown MinEnt train_cfg'):
        build('MinEnt', train_cfg=dict(lambda_adv=dict(decode=1.0)))


def test_frozen_restores_requires_grad():
    disc = FCDiscriminator(3, ndf=4)
    disc.layers[0].weight.requires_grad_(False)
    with frozen(disc):
        assert not any(p.requires_grad for p in disc.parameters())
    assert [p.requires_grad for p in disc.parameters()] == [False] + [True] * 9


@pytest.mark.parametrize('method', ['AdvEnt', 'AdaptSegNet'])
def test_each_pass_feeds_its_own_optimizer(method):
    """The generator passes give no gradient to the discriminators (frozen, as the
    reference); the discriminator pass gives none to the segmentor (detached maps); the
    discriminator gradient equals the hand-written BCE / 2 of both domains."""
    torch.manual_seed(0)
    model = build(method, discriminator=dict(type='FCDiscriminator', ndf=4))
    ow = optim(model)
    data = model.data_preprocessor(batch(), True)
    state = model.make_state(data['inputs'], data['data_samples'])
    model.pass_source(state, ow)
    model.pass_target(state, ow)
    assert all(p.grad is None for p in model.discriminators.parameters())
    seg_grads = {n: p.grad.clone() for n, p in model.student.named_parameters()
                 if p.grad is not None}
    assert seg_grads
    log = model.pass_discriminator(state, ow)
    for n, p in model.student.named_parameters():
        if n in seg_grads:
            assert torch.equal(p.grad, seg_grads[n]), n
    # the discriminator gradient by hand
    disc = model.discriminators['decode']
    got = disc.layers[0].weight.grad.clone()
    disc.zero_grad()
    src, tgt = state['src_d_input']['decode'], state['tgt_d_input']['decode']
    loss = (torch.nn.functional.binary_cross_entropy_with_logits(
        disc(src), torch.zeros_like(disc(src))) + torch.nn.functional.
        binary_cross_entropy_with_logits(disc(tgt), torch.ones_like(disc(tgt)))) / 2
    loss.backward()
    assert torch.allclose(got, disc.layers[0].weight.grad, atol=1e-7)
    assert set(k for k in log if k.startswith('disc.loss_d')) == {
        'disc.loss_d_decode_src', 'disc.loss_d_decode_tgt', 'disc.loss_d_aux_src',
        'disc.loss_d_aux_tgt'}
    # the maps the discriminators judge
    prob = torch.softmax(model.student.decode_head.forward(
        model.student.extract_feat(state['tgt_img'])), 1)
    assert src.shape == (2, NUM_CLASSES, 32, 32)
    if method == 'AdvEnt':  # channel sums: normalised entropies in [0, 1]
        assert 0 <= float(tgt.sum(1).min()) and float(tgt.sum(1).max()) <= 1 + 1e-6
    else:  # soft-max maps
        assert torch.allclose(tgt.sum(1), torch.ones(2, 32, 32), atol=1e-5)
    assert prob.shape[1] == NUM_CLASSES


def test_adversarial_loss_by_hand():
    """The generator loss is lambda x BCE(D(target map), source label 0) per level."""
    torch.manual_seed(0)
    model = build('AdvEnt', discriminator=dict(type='FCDiscriminator', ndf=4),
                  train_cfg=dict(lambda_adv=dict(decode=0.5, aux=0.25)))
    ow = optim(model)
    data = model.data_preprocessor(batch(), True)
    state = model.make_state(data['inputs'], data['data_samples'])
    log = model.pass_target(state, ow)
    for level, lam in (('decode', 0.5), ('aux', 0.25)):
        d_out = model.discriminators[level](state['tgt_d_input'][level])
        expected = lam * torch.nn.functional.softplus(d_out).mean()  # BCE(x, 0) = softplus(x)
        assert log[f'tgt.loss_adv_{level}'].item() == pytest.approx(expected.item(), rel=1e-5)


def test_train_step_steps_both_and_checks_wrappers():
    torch.manual_seed(0)
    model = build('AdvEnt', discriminator=dict(type='FCDiscriminator', ndf=4))
    ow = optim(model)
    assert isinstance(ow, OptimWrapperDict) and list(ow.keys()) == ['segmentor',
                                                                   'discriminator']
    seg_ids = {id(p) for g in ow['segmentor'].optimizer.param_groups for p in g['params']}
    d_ids = {id(p) for g in ow['discriminator'].optimizer.param_groups for p in g['params']}
    assert d_ids == {id(p) for p in model.discriminators.parameters()}
    assert not seg_ids & d_ids
    assert seg_ids == {id(p) for p in model.student.parameters()}
    before = {k: v.clone() for k, v in model.state_dict().items()}
    log = model.train_step(batch(), ow)
    after = model.state_dict()
    moved = {k.split('.')[0] for k in before if before[k].is_floating_point()
             and not torch.equal(before[k], after[k])}
    assert moved == {'student', 'discriminators'}
    assert all(p.grad is None or not p.grad.any() for p in model.parameters())
    assert {'src.loss', 'tgt.loss', 'disc.loss', 'loss'} <= set(log)
    # one optimizer for a model with discriminators: one clear error
    with pytest.raises(KeyError, match='own optimizers'):
        UDAOptimWrapperConstructor(dict(type='OptimWrapper',
                                        optimizer=dict(type='SGD', lr=0.1)))(model)
    with pytest.raises(KeyError, match=r"entries \['segmentor'\] but AdvEnt trains"):
        UDAOptimWrapperConstructor(dict(segmentor=dict(
            type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))))(model)
    with pytest.raises(TypeError, match='needs one entry for each'):
        model.train_step(batch(), ow['segmentor'])


def test_minent_loss_by_hand_and_single_optimizer():
    torch.manual_seed(0)
    model = build('MinEnt', train_cfg=dict(lambda_ent=dict(decode=1.0, aux=0.5)))
    ow = UDAOptimWrapperConstructor(dict(type='OptimWrapper',
                                         optimizer=dict(type='SGD', lr=0.01)))(model)
    data = model.data_preprocessor(batch(), True)
    state = model.make_state(data['inputs'], data['data_samples'])
    log = model.pass_entropy(state, ow)
    feats = model.student.extract_feat(state['tgt_img'])
    for level, head, lam in (('decode', model.student.decode_head, 1.0),
                             ('aux', model.student.auxiliary_head, 0.5)):
        logits = torch.nn.functional.interpolate(head.forward(feats), size=(32, 32),
                                                 mode='bilinear', align_corners=False)
        p = torch.softmax(logits, 1)
        ent = (-(p * torch.log(p)).sum(1) / math.log(NUM_CLASSES)).mean()
        assert log[f'ent.loss_ent_{level}'].item() == pytest.approx(lam * ent.item(),
                                                                   rel=1e-5)


def test_amp_option_turns_every_optimizer_into_amp():
    """tools/train.py --amp on a several-optimizer config: each entry gets its own
    AmpOptimWrapper (its own loss scaler); anything but OptimWrapper is refused by name."""
    import importlib.util
    import os.path as osp

    from mmengine.config import Config

    from ..helpers import ROOT
    spec = importlib.util.spec_from_file_location('train_tool',
                                                  osp.join(ROOT, 'tools', 'train.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs/advent/advent_deeplabv2-r101_1x1-120k_gta2cityscapes-1280x720.py'))
    tool.enable_amp(cfg.optim_wrapper)
    for name in ('segmentor', 'discriminator'):
        assert cfg.optim_wrapper[name].type == 'AmpOptimWrapper'
        assert cfg.optim_wrapper[name].loss_scale == 'dynamic'
    assert cfg.optim_wrapper.constructor == 'UDAOptimWrapperConstructor'
    single = Config(dict(optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='SGD'))))
    tool.enable_amp(single.optim_wrapper)
    assert single.optim_wrapper.type == 'AmpOptimWrapper'
    # SDAT / MIC classification: SAM keeps its ascent under AMP
    sam = Config.fromfile(osp.join(ROOT, 'configs/mic/mic-sdat_vit-b16_15k_visda2017.py'))
    tool.enable_amp(sam.optim_wrapper)
    assert sam.optim_wrapper.classifier.type == 'AmpSAMOptimWrapper'
    assert sam.optim_wrapper.classifier.rho == 0.02
    assert sam.optim_wrapper.discriminator.type == 'AmpOptimWrapper'
    odd = Config(dict(optim_wrapper=dict(segmentor=dict(type='ApexOptimWrapper',
                                                        optimizer=dict(type='SGD')))))
    with pytest.raises(SystemExit, match='optim_wrapper.segmentor.type'):
        tool.enable_amp(odd.optim_wrapper)


MIC = dict(mask_mode='separatetrgaug', color_jitter_prob=0.2)


@pytest.mark.parametrize('method', ['AdvEnt', 'MinEnt'])
def test_mic_on_adversarial_and_entropy_hosts(method):
    """MIC composes with AdvEnt / MinEnt as the reference's AdvSeg / MinEnt: its own EMA
    teacher, passes teacher + masked after the target pass and (AdvEnt) before the
    discriminators'; the masked pass trains the segmentor only, with the teacher's labels."""
    from ..helpers import before_iteration
    torch.manual_seed(0)
    model = build(method, mic=MIC, **({'discriminator': dict(type='FCDiscriminator', ndf=4)}
                                      if method == 'AdvEnt' else {}))
    names = [n for n, _ in model.passes()]
    host = ['source', 'target'] if method == 'AdvEnt' else ['source', 'entropy']
    assert names == host + ['teacher', 'masked'] + (['discriminator'] if method == 'AdvEnt'
                                                     else [])
    assert model.required_hooks() == ('EMATeacherHook', 'MaskingHook')
    # the teacher is no optimizer's
    ow = optim(model) if method == 'AdvEnt' else UDAOptimWrapperConstructor(dict(
        type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01)))(model)
    wrappers = ow.values() if isinstance(ow, OptimWrapperDict) else [ow]
    params = {id(p) for w in wrappers for g in w.optimizer.param_groups for p in g['params']}
    assert not any(id(p) in params for p in model.teacher.parameters())
    with pytest.raises(RuntimeError, match='MaskingHook'):
        model.train_step(batch(), ow)
    before_iteration(model, 0, mask_ratio=0.7, block_size=8)
    data = model.data_preprocessor(batch(), True)
    state = model.make_state(data['inputs'], data['data_samples'])
    model.pass_teacher(state, ow)
    label, weight = model.pseudo_label(state['tgt_img'], state['tgt_samples'])
    assert torch.equal(state['pseudo_label'], label)
    with torch.no_grad():
        logits = model.teacher.decode_head.forward(model.teacher.extract_feat(state['tgt_img']))
    assert label.shape == state['tgt_img'].shape[:1] + state['tgt_img'].shape[2:]
    assert logits.shape[1] == NUM_CLASSES
    log = model.pass_masked(state, ow)
    assert 'masked.decode.loss_ce' in log
    if method == 'AdvEnt':
        assert all(p.grad is None or not p.grad.any() for p in model.discriminators.parameters())
    assert any(p.grad is not None and p.grad.any() for p in model.student.parameters())
    assert all(p.grad is None for p in model.teacher.parameters())
    before_iteration(model, 1, mask_ratio=0.7, block_size=8)
    log = model.train_step(batch(), ow)
    assert {'src.loss', 'masked.loss', 'pseudo_weight'} <= set(log)
    # without mic: no teacher, no MIC keys needed
    plain = build(method)
    assert plain.teacher is None and plain.required_hooks() == ()
