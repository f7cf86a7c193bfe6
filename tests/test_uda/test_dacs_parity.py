# Copyright (c) mmuda contributors. All rights reserved.
"""The parity hazards of DAFormer/MIC ports, pinned against hand-computed values."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmuda.engine import EMATeacherHook, ema_update
from mmuda.models import DACS, BlockMaskGenerator
from mmuda.models.uda.mic import MaskedImageConsistency, scale_losses
from mmuda.models.utils.augmentation import (JitterParams, apply_jitter, draw_jitter,
                                             strong_augment)
from mmuda.models.utils.classmix import class_mix_masks
from mmuda.registry import MODELS
from mmuda.utils import register_all_modules

from ..helpers import ROOT, before_iteration, counting_optim_wrapper

H, W = 32, 64


def _segmentor_cfg():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/segformer_mit-b0.py'))
    model = copy.deepcopy(cfg.model)
    model.data_preprocessor.size = (H, W)
    return model


def _dacs(**kwargs):
    register_all_modules()
    model = DACS(model=_segmentor_cfg(), **kwargs)
    model.init_weights()
    return model


def _batch(n=2, labelled=True):
    gen = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for _ in range(n):
        inputs.append(torch.randint(0, 255, (3, H, W), generator=gen).float())
        s = SegDataSample(metainfo=dict(img_shape=(H, W), ori_shape=(H, W), pad_shape=(H, W)))
        if labelled:
            s.gt_sem_seg = PixelData(data=torch.randint(0, 8, (1, H, W), generator=gen))
        samples.append(s)
    return inputs, samples


def _uda_data():
    src_in, src_s = _batch()
    tgt_in, tgt_s = _batch(labelled=False)
    return dict(inputs=dict(source=src_in, target=tgt_in),
                data_samples=dict(source=src_s, target=tgt_s))


def test_pseudo_weight_is_one_scalar_per_batch(monkeypatch):
    model = _dacs(train_cfg=dict(pseudo_weight_ignore=dict(top=2, right=3)))
    # teacher logits (B=2, C=8, 4x4 pixels): 3 of the 32 pixels confident (p >= 0.968)
    logits = torch.zeros(2, 8, 4, 4)
    logits[0, 1, 0, 0] = logits[0, 2, 1, 1] = logits[1, 3, 2, 2] = 10.0  # p = 0.9989
    logits[1, 4, 3, 3] = 5.0  # p = 0.955 < 0.968
    monkeypatch.setattr(model.teacher, 'extract_feat', lambda img: None)
    monkeypatch.setattr(model.teacher.decode_head, 'forward', lambda feats: logits)
    img = torch.zeros(2, 3, 4, 4)
    samples = [SegDataSample(metainfo=dict(img_shape=(4, 4))) for _ in range(2)]
    label, weight = model.pseudo_label(img, samples)
    assert label[0, 0, 0] == 1 and label[1, 3, 3] == 4
    expected = torch.full((2, 4, 4), 3 / 32)
    expected[:, :2, :] = 0  # top margin
    expected[:, :, 4 - 3:] = 0  # right margin
    assert torch.allclose(weight, expected)


def test_classmix_draws_from_the_batch_class_set():
    # image 0 holds classes {0, 1}, image 1 holds {2, 3}: the candidates are {0, 1, 2, 3},
    # 2 are drawn per image, so image 0's mask is sometimes empty (drew {2, 3})
    labels = torch.zeros(2, 1, 4, 4, dtype=torch.long)
    labels[0, 0, :2] = 1
    labels[1, 0] = 2
    labels[1, 0, :2] = 3
    empty, covered = 0, set()
    for seed in range(200):
        masks = class_mix_masks(labels, torch.Generator().manual_seed(seed))
        assert len(masks) == 2 and masks[0].shape == (1, 4, 4)
        if not masks[0].any():
            empty += 1
        covered.add(round(masks[0].float().mean().item(), 2))
    # P(image 0 draws exactly {2, 3}) = 1 / C(4, 2) = 1/6
    assert 15 < empty < 55
    assert covered == {0.0, 0.5, 1.0}
    # an odd number of classes: (n + n % 2) / 2 = 2 of 3
    labels3 = torch.tensor([[[[0, 1, 2, 2]]]])
    mask = class_mix_masks(labels3, torch.Generator().manual_seed(0))[0]
    assert int(mask.sum()) in (2, 3)  # two classes chosen: {0,1} (2 px) or with 2 (3 px)


def test_color_jitter_probability_is_0_8():
    mean, std = torch.tensor([123.7, 116.3, 103.5]), torch.tensor([58.4, 57.1, 57.4])
    img = torch.randn(1, 3, 8, 8)
    gen = torch.Generator().manual_seed(0)
    changed = sum(not torch.equal(strong_augment(img, mean, std, blur=False, generator=gen),
                                  img) for _ in range(1000))
    assert 0.76 < changed / 1000 < 0.84


def test_ema_momentum_and_parameters_only():
    hook = EMATeacherHook(alpha=0.999)
    assert hook.momentum(1) == pytest.approx(0.5)
    assert hook.momentum(9) == pytest.approx(0.9)
    assert hook.momentum(5000) == pytest.approx(0.999)
    student = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    teacher = copy.deepcopy(student)
    with torch.no_grad():
        for p in student.parameters():
            p.fill_(1.0)
        for p in teacher.parameters():
            p.fill_(3.0)
        student[1].running_mean.fill_(5.0)
    ema_update(student, teacher, alpha=0.75)
    for p in teacher.parameters():
        assert torch.allclose(p, torch.full_like(p, 0.75 * 3 + 0.25 * 1))
    assert torch.equal(teacher[1].running_mean, torch.zeros(2))  # buffers untouched
    ema_update(student, teacher, alpha=0.75, update_buffers=True)
    assert torch.allclose(teacher[1].running_mean, torch.full((2,), 1.25))
    with pytest.raises(ValueError, match=r'alpha must be in \(0, 1\)'):
        EMATeacherHook(alpha=1.0)


def _optim_wrapper(model):
    return counting_optim_wrapper(model)


def test_one_optimizer_step_after_several_backward_passes():
    model = _dacs(mic=dict(mask_mode='separatetrgaug'))
    model.train()
    gen = BlockMaskGenerator(0.5, 8)
    model.mask_source = lambda b, h, w, device: gen(b, h, w, device)
    wrapper = _optim_wrapper(model)
    teacher_before = copy.deepcopy(model.teacher.state_dict())
    student_before = copy.deepcopy(model.student.state_dict())
    log_vars = before_iteration(model).train_step(_uda_data(), wrapper)
    assert wrapper.backwards == 3 and wrapper.steps == 1  # source, mix, masked; one step
    assert {'src.loss', 'mix.loss', 'masked.loss', 'pseudo_weight'} <= set(log_vars)
    # the student moved, the teacher did not (it is only changed by the EMA hook)
    assert any(not torch.equal(v, model.student.state_dict()[k])
               for k, v in student_before.items() if v.is_floating_point())
    for k, v in teacher_before.items():
        if 'running' not in k and 'num_batches' not in k:  # teacher BN runs in train mode
            assert torch.equal(v, model.teacher.state_dict()[k]), k
    # ... and holds no gradient
    assert all(p.grad is None for p in model.teacher.parameters())


def test_teacher_is_not_in_optimizer_nor_ddp():
    model = _dacs(train_cfg=dict(imnet_feature_dist=dict(classes=[5, 6, 7])))
    wrapper = _optim_wrapper(model)
    in_optim = {id(p) for g in wrapper.optimizer.param_groups for p in g['params']}
    assert all(id(p) not in in_optim for p in model.teacher.parameters())
    assert all(id(p) not in in_optim for p in model.imnet.parameters())
    assert all(id(p) in in_optim for p in model.student.parameters())
    assert all(not p.requires_grad for p in model.teacher.parameters())
    ignored = set(model._ddp_params_and_buffers_to_ignore)
    assert {f'teacher.{k}' for k in model.teacher.state_dict()} <= ignored
    assert {f'imnet.{k}' for k in model.imnet.state_dict()} <= ignored
    assert not any(k.startswith('student.') for k in ignored)


def test_masks_are_nearest_upsampled_blocks_in_normalised_space():
    gen = BlockMaskGenerator(mask_ratio=0.5, block_size=4)
    mask = gen(3, 16, 32, generator=torch.Generator().manual_seed(1))
    assert mask.shape == (3, 1, 16, 32)
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    blocks = mask.view(3, 1, 4, 4, 8, 4)
    assert torch.equal(blocks.amax(dim=(3, 5)), blocks.amin(dim=(3, 5)))  # constant per block
    assert 0.35 < mask.mean() < 0.65
    img = torch.randn(3, 3, 16, 32)
    masked = gen.mask_image(img, torch.Generator().manual_seed(1))
    assert torch.equal(masked, img * mask)  # masked pixels are 0 = the mean colour
    with pytest.raises(ValueError, match=r'mask_ratio must be in \[0, 1\)'):
        BlockMaskGenerator(mask_ratio=1.0)


def test_student_is_evaluated_by_default():
    model = _dacs()
    with torch.no_grad():
        for p in model.teacher.parameters():
            p.add_(torch.randn_like(p))
    model.eval()
    inputs, samples = _batch(n=1)
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), False)
    out = model(data['inputs'], data['data_samples'], mode='predict')[0].seg_logits.data
    student = model.student.predict(data['inputs'], data['data_samples'])[0].seg_logits.data
    teacher = model.teacher.predict(data['inputs'], data['data_samples'])[0].seg_logits.data
    assert torch.equal(out, student) and not torch.equal(out, teacher)
    register_all_modules()
    teacher_eval = MODELS.build(dict(type='DACS', model=_segmentor_cfg(),
                                     test_cfg=dict(model='teacher')))
    assert teacher_eval.eval_model is teacher_eval.teacher


def test_jitter_order_per_image_or_per_batch():
    gen = torch.Generator().manual_seed(0)
    assert draw_jitter(3, 0.2, per_image=False, generator=gen).order.shape == (4, )
    orders = draw_jitter(64, 0.2, per_image=True, generator=gen).order
    assert orders.shape == (64, 4) and len({tuple(o) for o in orders.tolist()}) > 1
    # the same factors, two orders: each image gets its own order
    one = torch.ones(2)
    params = dict(brightness=one * 1.2, contrast=one * 0.8, saturation=one, hue=one * 0)
    img = torch.rand(1, 3, 4, 4).repeat(2, 1, 1, 1)
    per_image = apply_jitter(img, JitterParams(order=torch.tensor([[0, 1, 2, 3],
                                                                   [1, 0, 2, 3]]), **params))
    first = apply_jitter(img[:1], JitterParams(order=torch.tensor([0, 1, 2, 3]),
                                               **{k: v[:1] for k, v in params.items()}))
    second = apply_jitter(img[:1], JitterParams(order=torch.tensor([1, 0, 2, 3]),
                                                **{k: v[:1] for k, v in params.items()}))
    assert torch.allclose(per_image[0], first[0]) and torch.allclose(per_image[1], second[0])
    assert not torch.allclose(first, second)  # brightness and contrast do not commute


def test_blur_sigma_per_image_or_per_batch():
    mean, std = torch.tensor([123.7, 116.3, 103.5]), torch.tensor([58.4, 57.1, 57.4])
    img = torch.randn(1, 3, 32, 32).repeat(2, 1, 1, 1)  # two identical images
    kwargs = dict(color_jitter_prob=0.0, blur_prob=1.0)
    batch = strong_augment(img, mean, std, per_image=False,
                           generator=torch.Generator().manual_seed(0), **kwargs)
    assert not torch.equal(batch[0], img[0]) and torch.equal(batch[0], batch[1])  # one sigma
    differ = [not torch.allclose(out[0], out[1]) for out in (
        strong_augment(img, mean, std, per_image=True,
                       generator=torch.Generator().manual_seed(seed), **kwargs)
        for seed in range(3))]
    assert all(differ)  # a sigma per image


def test_mix_augments_per_image_and_mic_per_batch(monkeypatch):
    import mmuda.models.uda.dacs as dacs_module
    import mmuda.models.uda.mic as mic_module
    calls = []

    def spy(img, *args, per_image=False, **kwargs):
        calls.append(per_image)
        return img

    monkeypatch.setattr(dacs_module, 'strong_augment', spy)
    monkeypatch.setattr(mic_module, 'strong_augment', spy)
    model = _dacs(mic=dict(mask_mode='separatetrgaug'))
    model.train()
    gen = BlockMaskGenerator(0.5, 8)
    model.mask_source = lambda b, h, w, device: gen(b, h, w, device)
    before_iteration(model).train_step(_uda_data(), _optim_wrapper(model))
    assert calls == [True, False]  # the mixed images, then MIC's masked batch


def test_mic_lambda_scales_the_decode_head_only():
    cfg = _segmentor_cfg()
    cfg.auxiliary_head = dict(
        type='mmseg.FCNHead', in_channels=160, in_index=2, channels=16, num_convs=1,
        concat_input=False, dropout_ratio=0.0, num_classes=8,
        loss_decode=dict(type='mmseg.CrossEntropyLoss', loss_weight=0.4))
    register_all_modules()
    model = DACS(model=cfg)
    model.init_weights()
    model.train()
    data = model.data_preprocessor(_uda_data(), True)
    label = torch.randint(0, 8, (2, H, W), generator=torch.Generator().manual_seed(2))
    weight = torch.full((2, H, W), 0.5)
    masks = BlockMaskGenerator(0.5, 8)

    def mic_losses(mask_lambda):
        mic = MaskedImageConsistency(mask_lambda=mask_lambda)
        rng = torch.Generator().manual_seed(0)
        with torch.no_grad():
            losses, _ = mic.loss(model.student, data['inputs']['source'],
                                 data['data_samples']['source'], data['inputs']['target'],
                                 label, weight, lambda b, h, w, d: masks(b, h, w, d, rng),
                                 model.mean, model.std, torch.Generator().manual_seed(1))
        return losses

    full, scaled = mic_losses(1.0), mic_losses(0.25)
    assert scaled['decode.loss_ce'] == pytest.approx(0.25 * float(full['decode.loss_ce']))
    assert scaled['aux.loss_ce'] == pytest.approx(float(full['aux.loss_ce']))
    assert float(full['aux.loss_ce']) > 0
    # accuracies are never scaled
    assert scale_losses({'decode.acc_seg': 50.0}, 0.1, prefix='decode.') == {
        'decode.acc_seg': 50.0}


def test_masks_differ_across_ranks_and_repeat_on_resume(monkeypatch):
    import types

    import mmuda.engine.hooks.masking_hook as masking_hook
    from mmuda.engine import MaskingHook
    hook = MaskingHook(mask_ratio=0.5, block_size=4)
    model = types.SimpleNamespace(mask_source=None, hook_ran=lambda name: None)

    def masks(rank, iteration):
        monkeypatch.setattr(masking_hook, 'get_rank', lambda: rank)
        hook.before_train_iter(types.SimpleNamespace(model=model, iter=iteration), 0)
        return model.mask_source(2, 16, 16, 'cpu')

    assert not torch.equal(masks(0, 5), masks(1, 5))  # each process its own masks
    assert torch.equal(masks(1, 5), masks(1, 5))  # the same after a resume at iteration 5
    assert not torch.equal(masks(0, 5), masks(0, 6))
    # rank 0 draws what a single-process run draws
    single = BlockMaskGenerator(0.5, 4)(2, 16, 16, generator=torch.Generator().manual_seed(5))
    assert torch.equal(masks(0, 5), single)


def test_plain_student_checkpoint_initialises_student_and_frozen_copies(tmp_path):
    from mmengine.runner import load_checkpoint
    register_all_modules()
    plain = MODELS.build(_segmentor_cfg())
    path = str(tmp_path / 'segformer.pth')
    torch.save(dict(state_dict=plain.state_dict()), path)
    model = _dacs(train_cfg=dict(imnet_feature_dist=dict(classes=[5, 6, 7])))
    load_checkpoint(model, path, map_location='cpu', strict=True)
    for name in ('student', 'teacher', 'imnet'):
        state = getattr(model, name).state_dict()
        for key, value in plain.state_dict().items():
            assert torch.equal(state[key], value), (name, key)
    # an mmuda checkpoint (student.*, teacher.*) loads as it is
    with torch.no_grad():
        for p in model.teacher.parameters():
            p.add_(1.0)
    own = str(tmp_path / 'dacs.pth')
    torch.save(dict(state_dict=model.state_dict()), own)
    other = _dacs(train_cfg=dict(imnet_feature_dist=dict(classes=[5, 6, 7])))
    load_checkpoint(other, own, map_location='cpu', strict=True)
    key = 'decode_head.conv_seg.weight'
    assert torch.equal(other.teacher.state_dict()[key], model.teacher.state_dict()[key])
    assert not torch.equal(other.teacher.state_dict()[key], other.student.state_dict()[key])


def test_jitter_of_bgr_batches_acts_on_the_rgb_view():
    """The DeepLab-v2 configs feed BGR (no bgr_to_rgb): the jitter's luma / saturation
    weights must see the right channels, and the batch comes back in BGR."""
    mean, std = torch.tensor([10., 20., 30.]), torch.tensor([50., 60., 70.])
    rgb = torch.rand(2, 3, 8, 8) * 255
    norm_rgb = (rgb - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)
    norm_bgr = norm_rgb.flip(1)
    kwargs = dict(color_jitter_prob=1.0, blur_prob=1.0, per_image=True)
    out_rgb = strong_augment(norm_rgb, mean, std, generator=torch.Generator().manual_seed(3),
                             **kwargs)
    out_bgr = strong_augment(norm_bgr, mean.flip(0), std.flip(0), bgr=True,
                             generator=torch.Generator().manual_seed(3), **kwargs)
    assert not torch.allclose(out_rgb, norm_rgb, atol=1e-3)
    assert torch.allclose(out_bgr, out_rgb.flip(1), atol=1e-4)
    # treating the BGR batch as RGB would not commute with the flip (saturation, luma)
    wrong = strong_augment(norm_bgr, mean.flip(0), std.flip(0),
                           generator=torch.Generator().manual_seed(3), **kwargs)
    assert not torch.allclose(wrong, out_rgb.flip(1), atol=1e-3)


@pytest.mark.parametrize('bgr_to_rgb', [True, False])
def test_hosts_pass_the_channel_order_to_the_augmentation(monkeypatch, bgr_to_rgb):
    import mmuda.models.uda.dacs as dacs_module
    import mmuda.models.uda.mic as mic_module
    calls = []

    def spy(img, *args, bgr=None, **kwargs):
        calls.append(bgr)
        return img

    monkeypatch.setattr(dacs_module, 'strong_augment', spy)
    monkeypatch.setattr(mic_module, 'strong_augment', spy)
    register_all_modules()
    cfg = _segmentor_cfg()
    cfg.data_preprocessor.bgr_to_rgb = bgr_to_rgb
    model = DACS(model=cfg, mic=dict(mask_mode='separatetrgaug'))
    model.init_weights()
    model.train()
    assert model.bgr_inputs is (not bgr_to_rgb)
    gen = BlockMaskGenerator(0.5, 8)
    model.mask_source = lambda b, h, w, device: gen(b, h, w, device)
    before_iteration(model).train_step(_uda_data(), _optim_wrapper(model))
    assert calls == [not bgr_to_rgb] * 2
