# Copyright (c) mmuda contributors. All rights reserved.
"""T2S-DA: prototypes, sampling balance, the InfoNCE-style loss, the re-weighting formula,
translators, stop-gradient on keys, the pass order and domain generalisation."""
import copy
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmuda.models.segmentors.projected import head_penultimate
from mmuda.models.utils.pulling import (ClassReweighting, class_prototypes, info_nce,
                                        pulling_terms, sample_negatives, sample_queries)
from mmuda.registry import MODELS, TRANSLATORS
from mmuda.utils import register_all_modules

from ..helpers import ROOT, before_iteration, counting_optim_wrapper

CFG = osp.join(ROOT, 'configs/t2sda/t2sda_segformer-mitb0_1k_synthetic-src2tgt.py')
DG_CFG = osp.join(ROOT, 'configs/t2sda/t2sda-dg_segformer-mitb0_1k_synthetic-src.py')
H, W = 32, 64


def _model(cfg_file=CFG, **train_cfg):
    register_all_modules()
    cfg = Config.fromfile(cfg_file)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.model.data_preprocessor.size = (H, W)
    model_cfg.train_cfg.update(train_cfg)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model


def _batch(n=2, labelled=True, seed=0):
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(n):
        inputs.append(torch.randint(0, 255, (3, H, W), generator=gen).float())
        s = SegDataSample(metainfo=dict(img_shape=(H, W), ori_shape=(H, W), pad_shape=(H, W)))
        if labelled:
            label = torch.zeros(1, H, W, dtype=torch.long)
            for c in range(4):  # four vertical bands of classes 0..3
                label[:, :, c * W // 4:(c + 1) * W // 4] = c
            s.gt_sem_seg = PixelData(data=label)
        samples.append(s)
    return inputs, samples


def _data(target=True):
    src_in, src_s = _batch()
    data = dict(inputs=dict(source=src_in), data_samples=dict(source=src_s))
    if target:
        tgt_in, tgt_s = _batch(labelled=False, seed=1)
        data['inputs']['target'] = tgt_in
        data['data_samples']['target'] = tgt_s
    return data


# ---------------------------------------------------------------------- pure functions
def test_class_prototypes_are_normalised_class_means():
    keys = F.normalize(torch.tensor([[1., 0.], [0., 1.], [1., 1.], [-1., 0.]]), dim=1)
    labels = torch.tensor([0, 0, 2, 255])
    protos, present = class_prototypes(keys, labels, 3)
    assert present.tolist() == [True, False, True]
    # mean of (1, 0) and (0, 1) is (0.5, 0.5) -> normalised (1/sqrt2, 1/sqrt2)
    assert torch.allclose(protos[0], torch.tensor([1., 1.]) / math.sqrt(2))
    assert torch.allclose(protos[2], torch.tensor([1., 1.]) / math.sqrt(2))
    assert torch.equal(protos[1], torch.zeros(2))


def test_class_balanced_query_sampling():
    labels = torch.tensor([0] * 90 + [1] * 9 + [2] * 1)
    gen = torch.Generator().manual_seed(0)
    picked = sample_queries(labels, [0, 1, 2], 8, class_balanced=True, generator=gen)
    for c in (0, 1, 2):
        assert picked[c].numel() == 8 and (labels[picked[c]] == c).all()
    assert picked[0].unique().numel() == 8  # enough pixels: without replacement
    # by pixel frequency: class 0 gets most of the 24 queries
    counts = torch.zeros(3)
    for seed in range(20):
        freq = sample_queries(labels, [0, 1, 2], 8, class_balanced=False,
                              generator=torch.Generator().manual_seed(seed))
        counts += torch.tensor([freq[c].numel() for c in (0, 1, 2)], dtype=torch.float)
    assert counts.sum() == 20 * 24
    assert counts[0] / counts.sum() == pytest.approx(0.9, abs=0.05)


def test_negatives_equal_across_domains_and_never_of_the_class():
    src = torch.tensor([0] * 50 + [1] * 50)
    tgt = torch.tensor([1] * 5 + [2] * 5 + [-1] * 90)  # mostly unconfident target pixels
    gen = torch.Generator().manual_seed(0)
    s_idx, t_idx = sample_negatives(0, 20, src, tgt, True, gen)
    assert s_idx.numel() == 10 and t_idx.numel() == 10
    assert (src[s_idx] != 0).all() and (tgt[t_idx] != 0).all() and (tgt[t_idx] >= 0).all()
    # pooled: the domains in proportion to their keys (50 source vs 10 target)
    total = 0
    for seed in range(20):
        s_idx, t_idx = sample_negatives(0, 20, src, tgt, False,
                                        torch.Generator().manual_seed(seed))
        assert s_idx.numel() + t_idx.numel() == 20
        total += t_idx.numel()
    assert total / 400 == pytest.approx(10 / 60, abs=0.06)
    # no target (domain generalisation): all from the source
    s_idx, t_idx = sample_negatives(1, 20, src, None, True, gen)
    assert s_idx.numel() == 20 and t_idx.numel() == 0 and (src[s_idx] == 0).all()


def test_info_nce_against_a_hand_computed_case():
    q = torch.tensor([[1., 0.], [0., 1.]])
    p = torch.tensor([1., 0.])
    n = torch.tensor([[0., 1.], [-1., 0.]])
    t = 0.5
    # query 1: pos 1, negs 0, -1 -> -log(e^2 / (e^2 + e^0 + e^-2))
    l1 = -math.log(math.exp(2) / (math.exp(2) + 1 + math.exp(-2)))
    # query 2: pos 0, negs 1, 0 -> -log(1 / (1 + e^2 + 1))
    l2 = -math.log(1 / (2 + math.exp(2)))
    assert info_nce(q, p, n, t).item() == pytest.approx((l1 + l2) / 2, rel=1e-6)


def test_pulling_skips_absent_classes_and_a_single_class():
    keys = F.normalize(torch.randn(40, 8), dim=1)
    labels = torch.tensor([0] * 20 + [1] * 20)
    q = F.normalize(torch.randn(40, 8), dim=1)
    q_labels = torch.tensor([0] * 20 + [3] * 20)  # class 3 has no source prototype
    terms = pulling_terms(q, q_labels, keys, labels, None, None, 4, 8, 10, 0.5)
    assert terms.present.tolist() == [True, False, False, False]
    assert terms.losses[0] > 0 and terms.num_queries == 8 and terms.num_negatives == 10
    single = pulling_terms(q, torch.zeros(40, dtype=torch.long), keys, torch.zeros(40,
                           dtype=torch.long), None, None, 4, 8, 10, 0.5)
    assert not single.present.any() and single.losses.sum() == 0


def test_reweighting_formula():
    rw = ClassReweighting(3, momentum=0.5, power=2.0)
    assert torch.allclose(rw.weights(torch.tensor([True, True, False])),
                          torch.tensor([1., 1., 0.]))  # nothing known yet: uniform
    prob = torch.tensor([0.8, 0.6, 0.2, 0.9, 0.3])
    label = torch.tensor([0, 0, 1, 2, 255])  # an ignored pixel counts for nothing
    rw.update(prob, label)
    # bias-corrected: after one update a class's confidence is its batch mean
    assert torch.allclose(rw.confidence, torch.tensor([0.7, 0.2, 0.9]))
    rw.update(torch.tensor([1.0]), torch.tensor([1]))  # only class 1 seen
    # class 1: avg = 0.5 * (0.5 * 0.2) + 0.5 * 1.0 = 0.55, corrected by 1 - 0.5^2 = 0.75
    assert torch.allclose(rw.confidence, torch.tensor([0.7, 0.55 / 0.75, 0.9]))
    w = rw.weights(torch.tensor([True, True, True]))
    raw = (1 - torch.tensor([0.7, 0.55 / 0.75, 0.9])) ** 2
    assert torch.allclose(w, raw / raw.mean())
    assert w[0] > w[1] > w[2]  # the least confident class weighs most
    w2 = rw.weights(torch.tensor([True, False, True]))
    assert w2[1] == 0 and torch.allclose(w2[[0, 2]].mean(), torch.tensor(1.0))
    # a rare class is judged by its score, not by how often it was seen
    rare = ClassReweighting(2, momentum=0.99)
    for _ in range(50):
        rare.update(torch.tensor([0.9]), torch.tensor([0]))
    rare.update(torch.tensor([0.9]), torch.tensor([1]))
    assert torch.allclose(rare.confidence, torch.tensor([0.9, 0.9]))


def test_pulling_under_autocast_is_float32():
    keys = F.normalize(torch.randn(40, 8), dim=1)
    labels = torch.tensor([0] * 20 + [1] * 20)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        q = F.normalize(torch.randn(40, 8), dim=1).bfloat16()
        terms = pulling_terms(q, labels, keys.bfloat16(), labels, None, None, 2, 8, 10, 0.5,
                              generator=torch.Generator().manual_seed(0))
    assert terms.losses.dtype == torch.float32 and terms.present.all()
    exact = pulling_terms(q.float(), labels, keys.bfloat16().float(), labels, None, None, 2, 8,
                          10, 0.5, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(terms.losses, exact.losses)


# ---------------------------------------------------------------------- translators
def _images(n=2, seed=0):
    return torch.rand(n, 3, 16, 32, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize('cfg', [dict(type='FourierAmplitudeSwap'),
                                 dict(type='HistogramTranslator'), dict(type='RandomStyle'),
                                 dict(type='IdentityTranslator')])
def test_translators_keep_shape_and_range(cfg):
    register_all_modules()
    tr = TRANSLATORS.build(cfg)
    src, tgt = _images(), _images(3, seed=1) * 0.5 + 0.5
    out = tr(src, tgt, torch.Generator().manual_seed(0))
    assert out.shape == src.shape and out.min() >= 0 and out.max() <= 1
    again = tr(src, tgt, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)  # deterministic given the generator
    if cfg['type'] == 'IdentityTranslator':
        assert torch.equal(out, src)
    else:
        assert not torch.allclose(out, src, atol=1e-3)
    if cfg['type'] == 'HistogramTranslator':  # every value is one of a target image's
        values = tgt.reshape(3, 3, -1)
        assert all(torch.isin(out[b, c], values[:, c]).all() for b in range(2) for c in range(3))


def test_fourier_swap_of_the_dc_term_shifts_the_channel_means():
    """beta = 0: only the zero frequency's amplitude is swapped, so each channel's mean
    becomes the partner target image's and the rest of the image is unchanged."""
    from mmuda.models.utils.translators import FourierAmplitudeSwap
    src = _images(1) * 0.5 + 0.25
    tgt = _images(1, seed=1) * 0.2 + 0.4
    out = FourierAmplitudeSwap(beta=0.0)(src, tgt, torch.Generator().manual_seed(0))
    expected = src - src.mean((2, 3), keepdim=True) + tgt.mean((2, 3), keepdim=True)
    assert torch.allclose(out, expected, atol=1e-5)


def test_translator_errors(tmp_path):
    register_all_modules()
    with pytest.raises(ValueError, match='needs target images'):
        TRANSLATORS.build(dict(type='FourierAmplitudeSwap'))(_images(), None)
    with pytest.raises(FileNotFoundError, match='translator.checkpoint'):
        TRANSLATORS.build(dict(type='ScriptedTranslator', checkpoint=str(tmp_path / 'no.pt')))
    # a user's network as TorchScript: called on RGB in [0, 1], output clamped
    net = torch.jit.script(torch.nn.Conv2d(3, 3, 1))
    path = str(tmp_path / 'style.pt')
    torch.jit.save(net, path)
    tr = TRANSLATORS.build(dict(type='ScriptedTranslator', checkpoint=path))
    out = tr(_images())
    assert out.shape == (2, 3, 16, 32) and 0 <= out.min() and out.max() <= 1
    assert not any(p.requires_grad for p in tr.parameters())


# ---------------------------------------------------------------------- the model
def test_head_penultimate_is_what_the_classifier_sees():
    """Fails if mmseg's cls_seg stops calling dropout / conv_seg (the adapter's contract)."""
    model = _model()
    student = model.student.eval()
    img = torch.randn(1, 3, H, W)
    feats = student.extract_feat(img)
    logits, feat = head_penultimate(student.decode_head, feats)
    assert torch.allclose(student.decode_head.conv_seg(feat), logits, atol=1e-6)
    assert torch.allclose(student.decode_head.forward(feats), logits, atol=1e-6)
    _, z = student.project(img)
    assert z.shape == (1, 64) + logits.shape[2:]
    assert torch.allclose(z.norm(dim=1), torch.ones_like(z[:, 0]), atol=1e-5)


def test_passes_keys_without_gradient_and_one_step():
    model = _model()
    model.train()
    assert [n for n, _ in model.passes()] == ['source', 'teacher', 'mix', 'pull']
    ow = counting_optim_wrapper(model)
    # the projection heads are in the student's optimizer, the teacher's are not
    params = {id(p) for g in ow.optimizer.param_groups for p in g['params']}
    assert all(id(p) in params for p in model.student.projection_head.parameters())
    assert not any(id(p) in params for p in model.teacher.parameters())
    before_iteration(model)
    data = model.data_preprocessor(_data(), True)
    state = model.make_state(data['inputs'], data['data_samples'])
    model.pass_teacher(state, ow)
    assert not state['src_keys'].requires_grad and not state['tgt_keys'].requires_grad
    log = model.pass_pull(state, ow)
    assert log['pull.loss_pull'] > 0 and log['pull.classes'] == 4
    # the pull trains the student's backbone, head and projection head, not the teacher
    assert model.student.projection_head.layers[0].conv.weight.grad.abs().sum() > 0
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.student.backbone.parameters())
    assert all(p.grad is None for p in model.teacher.parameters())
    assert model.reweighting.confidence[:4].gt(0).all()  # updated from the pseudo-target
    model.student.zero_grad()
    before_iteration(model, 1)
    log = model.train_step(_data(), ow)
    assert ow.backwards == 3 + 1 and ow.steps == 1  # source, mix, pull (+ the pass above)
    assert {'src.loss', 'mix.loss', 'pull.loss', 'pseudo_weight'} <= set(log)


def test_loss_weight_scales_the_pull():
    a, b = _model(loss_weight=0.1), _model(loss_weight=1.0)
    b.load_state_dict(a.state_dict())
    logs = []
    for model in (a, b):
        model.train()
        ow = counting_optim_wrapper(model)
        before_iteration(model)
        data = model.data_preprocessor(_data(), True)
        state = model.make_state(data['inputs'], data['data_samples'])
        model.pass_teacher(state, ow)
        logs.append(model.pass_pull(state, ow)['pull.loss_pull'])
    assert logs[1].item() == pytest.approx(10 * logs[0].item(), rel=1e-4)


def test_domain_generalisation_uses_the_source_only():
    model = _model(DG_CFG)
    model.train()
    assert [n for n, _ in model.passes()] == ['source', 'teacher', 'pull']
    ow = counting_optim_wrapper(model)
    before_iteration(model)
    log = model.train_step(_data(target=False), ow)
    assert 'pull.loss_pull' in log and 'mix.loss' not in log and ow.steps == 1
    cfg = copy.deepcopy(Config.fromfile(DG_CFG).model)
    cfg.translator = dict(type='FourierAmplitudeSwap')
    with pytest.raises(ValueError, match='needs them'):
        MODELS.build(cfg)


def test_bad_configs_stop_with_one_message():
    register_all_modules()
    cfg = Config.fromfile(CFG)
    plain = copy.deepcopy(cfg.model)
    plain.model.type = 'mmseg.EncoderDecoder'
    plain.model.pop('projection_head')
    with pytest.raises(TypeError, match='ProjectedEncoderDecoder'):
        MODELS.build(plain)
    bad = copy.deepcopy(cfg.model)
    bad.train_cfg.reweighting = dict(momentum=0.9, powr=2)
    with pytest.raises(KeyError, match='powr'):
        MODELS.build(bad)
    bad = copy.deepcopy(cfg.model)
    bad.train_cfg.temprature = 0.1
    with pytest.raises(KeyError, match='temprature'):
        MODELS.build(bad)


def test_uda_dataset_without_target(tmp_path):
    register_all_modules()
    from mmuda.registry import DATASETS
    cfg = Config.fromfile(DG_CFG)
    ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    ds_cfg.pop('rare_class_sampling')
    src = ds_cfg.source
    src.update(data_root=str(tmp_path), num_images=dict(train=2, val=1), img_size=(32, 64))
    src.pipeline[2].scale = (64, 32)
    src.pipeline[3].crop_size = (32, 64)
    ds = DATASETS.build(ds_cfg)
    item = ds[0]
    assert set(item['inputs']) == {'source'} and set(item['data_samples']) == {'source'}


def test_composes_with_mic():
    register_all_modules()
    cfg = Config.fromfile(CFG)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.mic = dict(mask_mode='separatetrgaug')
    model = MODELS.build(model_cfg)
    assert [n for n, _ in model.passes()] == ['source', 'teacher', 'mix', 'pull', 'masked']
    assert model.required_hooks() == ('EMATeacherHook', 'MaskingHook')


def test_keys_are_the_teachers_and_target_negatives_are_used():
    model = _model(key_threshold=0.0)  # every target pixel is a key
    model.train()
    # a teacher that differs from the student: the keys must be the teacher's
    with torch.no_grad():
        for p in model.teacher.projection_head.parameters():
            p.add_(0.5)
    ow = counting_optim_wrapper(model)
    data = model.data_preprocessor(_data(), True)
    state = model.make_state(data['inputs'], data['data_samples'])
    model.pass_teacher(state, ow)
    with torch.no_grad():
        _, teacher_keys = model.teacher.project(state['src_img'])
        _, student_keys = model.student.project(state['src_img'])
    assert torch.allclose(state['src_keys'], teacher_keys, atol=1e-6)
    assert not torch.allclose(state['src_keys'], student_keys, atol=1e-3)
    assert (state['tgt_key_label'] >= 0).all()
    log = model.pass_pull(state, ow)
    # the negatives are half source, half target
    assert log['pull.target_negatives'].item() == pytest.approx(0.5)


@pytest.mark.parametrize('bgr_to_rgb', [True, False])
def test_translate_round_trip_in_either_channel_order(bgr_to_rgb):
    register_all_modules()
    cfg = copy.deepcopy(Config.fromfile(CFG).model)
    cfg.model.data_preprocessor.bgr_to_rgb = bgr_to_rgb
    cfg.translator = dict(type='IdentityTranslator')
    model = MODELS.build(cfg)
    img = (torch.rand(2, 3, 8, 8) * 255 - model.mean.view(1, 3, 1, 1)) / \
        model.std.view(1, 3, 1, 1)
    assert torch.allclose(model.translate(img, None, torch.Generator()), img, atol=1e-4)
    # a translator sees RGB: a red-only image stays red whatever the input order
    seen = []

    class Spy(torch.nn.Module):
        needs_target = False

        def forward(self, source, target=None, generator=None):
            seen.append(source)
            return source

    model.translator = Spy()
    red = torch.zeros(1, 3, 4, 4)
    red[:, 0 if bgr_to_rgb else 2] = 1.0  # red in the pre-processor's output order
    norm = (red * 255 - model.mean.view(1, 3, 1, 1)) / model.std.view(1, 3, 1, 1)
    model.translate(norm, None, torch.Generator())
    assert torch.allclose(seen[0][0, :, 0, 0], torch.tensor([1., 0., 0.]), atol=1e-5)


def test_fourier_swap_replaces_the_low_frequency_amplitude_only():
    from mmuda.models.utils.translators import FourierAmplitudeSwap
    src, tgt = _images(1) * 0.5 + 0.25, _images(1, seed=1) * 0.5 + 0.25
    out = FourierAmplitudeSwap(beta=0.1)(src, tgt, torch.Generator().manual_seed(0))
    spec = [torch.fft.fftshift(torch.fft.fft2(x), dim=(-2, -1)) for x in (src, tgt, out)]
    b, ch, cw = int(0.1 * 16), 8, 16  # 16 x 32 images: a 3 x 3 square around the centre
    inside = (..., slice(ch - b, ch + b + 1), slice(cw - b, cw + b + 1))
    assert torch.allclose(spec[2].abs()[inside], spec[1].abs()[inside], atol=1e-3)
    outside = torch.ones(16, 32, dtype=torch.bool)
    outside[ch - b:ch + b + 1, cw - b:cw + b + 1] = False
    assert torch.allclose(spec[2].abs()[..., outside], spec[0].abs()[..., outside], atol=1e-3)
    assert torch.allclose(spec[2].angle()[..., outside], spec[0].angle()[..., outside],
                          atol=1e-3)


def test_target_confidence_signal_and_translated_loss():
    model = _model(reweighting=dict(signal='target_confidence'), translated_loss_weight=0.5)
    model.train()
    ow = counting_optim_wrapper(model)
    data = model.data_preprocessor(_data(), True)
    state = model.make_state(data['inputs'], data['data_samples'])
    model.pass_teacher(state, ow)
    # updated from the teacher's argmax on the target, before the pull
    assert model.reweighting.updates.sum() > 0
    log = model.pass_pull(state, ow)
    assert log['pull.loss_translated'] > 0
