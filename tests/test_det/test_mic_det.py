# Copyright (c) mmuda contributors. All rights reserved.
"""MIC for detection: pseudo-boxes, confidence-weighted losses against hand-computed values,
and the step of MIC(DA-Faster)."""
import glob

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmuda.engine import EMATeacherHook

from mmuda.models.uda.mic_det import DetMaskedImageConsistency
from mmuda.models.utils.det_losses import (confidence_weighted_roi_loss,
                                           confidence_weighted_rpn_loss)
from mmuda.registry import MODELS
from mmuda.utils import register_all_modules

from ..helpers import ROOT, before_iteration, counting_optim_wrapper
from .test_da_faster import da_faster, tiny_c4_faster_rcnn, uda_batch


class FakeTeacher:
    """Predicts fixed boxes and scores."""

    def __init__(self, scores):
        self.scores = scores

    def predict(self, img, samples, rescale=True):
        assert rescale is False  # boxes in the coordinates of the input batch
        out = []
        for scores, sample in zip(self.scores, samples):
            pred = DetDataSample(metainfo=sample.metainfo)
            n = len(scores)
            pred.pred_instances = InstanceData(
                bboxes=torch.tensor([[10., 10., 40., 30.]]).repeat(n, 1),
                scores=torch.tensor(scores), labels=torch.arange(n) % 2)
            out.append(pred)
        return out


def test_pseudo_boxes_threshold_and_skip():
    mic = DetMaskedImageConsistency(pseudo_threshold=0.8)
    samples = [DetDataSample(metainfo=dict(img_shape=(64, 64))) for _ in range(3)]
    keep, pseudo = mic.pseudo_boxes(FakeTeacher([[0.9, 0.5, 0.8], [0.79], [0.95]]),
                                    torch.zeros(3, 3, 64, 64), samples)
    assert keep == [0, 2]  # image 1 has no box >= 0.8: skipped
    assert len(pseudo[0].gt_instances) == 2 and len(pseudo[1].gt_instances) == 1
    assert pseudo[0].gt_instances.labels.tolist() == [0, 0]  # boxes 0 and 2 of image 0
    assert pseudo[0].metainfo['img_shape'] == (64, 64)
    with pytest.raises(ValueError, match='pseudo_threshold'):
        DetMaskedImageConsistency(pseudo_threshold=1.5)


def detector_with_flat_scores():
    register_all_modules()
    model = MODELS.build(dict(type='DAFasterRCNN', model=tiny_c4_faster_rcnn(),
                              train_cfg=dict(cst_weight=0.0)))
    student = model.student
    for layer in (student.rpn_head.rpn_cls, student.roi_head.bbox_head.fc_cls):
        torch.nn.init.zeros_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
    return model


def test_confidence_weighted_losses_by_hand():
    """Zero classifier weights: every anchor has objectness 0, so sigmoid = 0.5 and the BCE of
    each sampled anchor is log 2; every RoI has a uniform softmax over 2 classes + background,
    so its max is 1/3 and its CE is log 3. Weighted means: 0.5 log 2 and log(3) / 3; box
    regression is off."""
    model = detector_with_flat_scores()
    model.train()
    data = model.data_preprocessor(uda_batch(), True)
    img, samples = data['inputs']['source'], data['data_samples']['source']
    feats = model.student.extract_feat(img)
    proposal_cfg = model.student.train_cfg.rpn_proposal
    rpn_losses, proposals = confidence_weighted_rpn_loss(model.student.rpn_head, feats,
                                                         samples, proposal_cfg)
    assert sum(rpn_losses['loss_rpn_cls']).item() == pytest.approx(0.5 * 0.693147, rel=1e-4)
    assert sum(rpn_losses['loss_rpn_bbox']).item() == 0
    roi_losses = confidence_weighted_roi_loss(model.student.roi_head, feats, proposals,
                                              samples)
    assert roi_losses['loss_cls'].item() == pytest.approx(1.098612 / 3, rel=1e-4)
    assert roi_losses['loss_bbox'].item() == 0
    # the unweighted losses of the same detector, for contrast
    plain = model.student.loss(img, samples)
    assert sum(plain['loss_rpn_cls']).item() == pytest.approx(0.693147, rel=1e-4)
    assert plain['loss_cls'].item() == pytest.approx(1.098612, rel=1e-4)


def mic_da_faster(threshold=0.0):
    model = da_faster(mic=dict(pseudo_threshold=threshold))
    model.init_weights()
    model.mask_source = lambda b, h, w, device: (torch.rand(b, 1, h, w) > 0.5).float()
    return model


def test_mic_da_faster_step():
    model = mic_da_faster(threshold=0.0)  # the untrained teacher's boxes all count
    model.train()
    assert not model.teacher.training  # the teacher predicts in eval mode
    assert all(not p.requires_grad for p in model.teacher.parameters())
    wrapper = counting_optim_wrapper(model)
    log_vars = before_iteration(model).train_step(uda_batch(), wrapper)
    assert [name for name, _ in model.passes()] == ['source', 'target', 'teacher', 'masked']
    assert wrapper.backwards == 3 and wrapper.steps == 1
    assert log_vars['pseudo_boxes'].item() > 0
    assert torch.isfinite(log_vars['masked.loss_cls'])
    assert log_vars['masked.loss_bbox'].item() == 0  # regression off on pseudo-boxes
    assert not any(k.startswith('masked.loss_da') for k in log_vars)  # no DA on masked
    assert all(p.grad is None or not p.grad.any() for p in model.teacher.parameters())


def test_mic_skips_a_batch_without_confident_boxes():
    model = mic_da_faster(threshold=1.0)  # no untrained score reaches 1
    model.train()
    wrapper = counting_optim_wrapper(model)
    log_vars = before_iteration(model).train_step(uda_batch(), wrapper)
    assert wrapper.backwards == 2 and wrapper.steps == 1
    assert log_vars['pseudo_boxes'].item() == 0
    assert not any(k.startswith('masked.') for k in log_vars)


def test_mic_needs_its_hooks_before_every_step():
    model = mic_da_faster()
    model.train()
    assert model.required_hooks() == ('EMATeacherHook', 'MaskingHook')
    wrapper = counting_optim_wrapper(model)
    with pytest.raises(RuntimeError, match=r"\['EMATeacherHook', 'MaskingHook'\]"):
        model.train_step(uda_batch(), wrapper)
    assert wrapper.backwards == 0  # refused before any pass
    model.hook_ran('EMATeacherHook')
    with pytest.raises(RuntimeError, match=r"\['MaskingHook'\].*custom_hooks"):
        model.train_step(uda_batch(), wrapper)
    before_iteration(model, 0).train_step(uda_batch(), wrapper)
    # the hooks must run again before the next step
    with pytest.raises(RuntimeError, match='EMATeacherHook'):
        model.train_step(uda_batch(), wrapper)
    assert da_faster().required_hooks() == ()  # no teacher, no mask: nothing needed


def test_objectness_weight_keeps_its_gradient_by_default():
    """The reference weights each sampled anchor's BCE by sigmoid(objectness) WITHOUT
    detaching it. With objectness 0 everywhere, d/dx [BCE(x, y) sigmoid(x)] = (sigmoid - y)
    sigmoid + BCE sigmoid (1 - sigmoid) at x = 0: the second term, log 2 / 4 per sampled anchor,
    is what detaching removes; averaged over the sampled anchors it adds log(2) / 4 to the
    summed gradient of the objectness biases."""
    assert DetMaskedImageConsistency().detach_objectness_weight is False
    model = detector_with_flat_scores()
    model.train()
    data = model.data_preprocessor(uda_batch(), True)
    img, samples = data['inputs']['source'], data['data_samples']['source']
    bias = model.student.rpn_head.rpn_cls.bias
    grads = {}
    for detach in (False, True):
        torch.manual_seed(0)  # the same sampled anchors
        feats = model.student.extract_feat(img)
        losses, _ = confidence_weighted_rpn_loss(model.student.rpn_head, feats, samples,
                                                 model.student.train_cfg.rpn_proposal,
                                                 detach_weight=detach)
        (grads[detach], ) = torch.autograd.grad(sum(losses['loss_rpn_cls']), bias)
    extra = (grads[False] - grads[True]).sum().item()
    assert extra == pytest.approx(0.25 * 0.693147, rel=1e-4)


def test_detection_teacher_momentum_is_constant():
    det = EMATeacherHook(alpha=0.9, update_buffers=True, ramp=False)
    seg = EMATeacherHook(alpha=0.9)
    assert [det.momentum(t) for t in (1, 2, 50)] == [0.9, 0.9, 0.9]
    assert [seg.momentum(t) for t in (1, 2, 50)] == [0.5, pytest.approx(2 / 3), 0.9]
    for path in glob.glob(f'{ROOT}/configs/mic/mic-da-faster_*.py'):
        (hook, ) = [h for h in Config.fromfile(path).custom_hooks
                    if h['type'] == 'EMATeacherHook']
        assert hook.get('ramp') is False and hook['alpha'] == 0.9, path


def test_mic_burn_in_trains_the_host_alone_first():
    model = da_faster(mic=dict(pseudo_threshold=0.0, burn_in_iters=2))
    model.init_weights()
    model.mask_source = lambda b, h, w, device: (torch.rand(b, 1, h, w) > 0.5).float()
    model.train()
    wrapper = counting_optim_wrapper(model)
    masked = ['masked.loss_cls' in before_iteration(model, seed).train_step(uda_batch(seed),
                                                                            wrapper)
              for seed in range(3)]
    assert masked == [False, False, True]
    with pytest.raises(ValueError, match='burn_in_iters'):
        DetMaskedImageConsistency(burn_in_iters=-1)
