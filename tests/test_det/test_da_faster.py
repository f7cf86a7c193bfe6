# Copyright (c) mmuda contributors. All rights reserved.
"""DA-Faster R-CNN on a tiny C4 Faster R-CNN: the step, the RoIs the instance classifier sees,
and where gradients go."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config, ConfigDict
from mmengine.structures import InstanceData

from mmuda.models.uda.da_faster import DomainShares, sample_domain_rois
from mmuda.registry import MODELS
from mmuda.utils import register_all_modules

from ..helpers import ROOT, counting_optim_wrapper

norm_cfg = dict(type='BN', requires_grad=False)


def tiny_c4_faster_rcnn(num_classes=2):
    """mmdet's Faster R-CNN C4 layout on a ResNet-18: C4 features (256 channels), RoIAlign,
    res5 as the shared RoI head (512 channels)."""
    return ConfigDict(  # mmdet reads its train/test cfgs by attribute
        type='mmdet.FasterRCNN',
        data_preprocessor=dict(type='mmdet.DetDataPreprocessor', mean=[103.53, 116.28, 123.675],
                               std=[1.0, 1.0, 1.0], bgr_to_rgb=False, pad_size_divisor=32),
        backbone=dict(type='mmdet.ResNet', depth=18, num_stages=3, strides=(1, 2, 2),
                      dilations=(1, 1, 1), out_indices=(2, ), frozen_stages=1,
                      norm_cfg=norm_cfg, norm_eval=True, style='caffe'),
        rpn_head=dict(
            type='mmdet.RPNHead', in_channels=256, feat_channels=64,
            anchor_generator=dict(type='mmdet.AnchorGenerator', scales=[2, 4, 8],
                                  ratios=[0.5, 1.0, 2.0], strides=[16]),
            bbox_coder=dict(type='mmdet.DeltaXYWHBBoxCoder', target_means=[.0] * 4,
                            target_stds=[1.0] * 4),
            loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
            loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0)),
        roi_head=dict(
            type='mmdet.StandardRoIHead',
            shared_head=dict(type='mmdet.ResLayer', depth=18, stage=3, stride=2, dilation=1,
                             style='caffe', norm_cfg=norm_cfg, norm_eval=True),
            bbox_roi_extractor=dict(type='mmdet.SingleRoIExtractor',
                                    roi_layer=dict(type='RoIAlign', output_size=14,
                                                   sampling_ratio=0),
                                    out_channels=256, featmap_strides=[16]),
            bbox_head=dict(
                type='mmdet.BBoxHead', with_avg_pool=True, roi_feat_size=7, in_channels=512,
                num_classes=num_classes,
                bbox_coder=dict(type='mmdet.DeltaXYWHBBoxCoder', target_means=[0.] * 4,
                                target_stds=[0.1, 0.1, 0.2, 0.2]),
                loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False,
                              loss_weight=1.0),
                loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0))),
        train_cfg=dict(
            rpn=dict(assigner=dict(type='mmdet.MaxIoUAssigner', pos_iou_thr=0.7,
                                   neg_iou_thr=0.3, min_pos_iou=0.3, ignore_iof_thr=-1),
                     sampler=dict(type='mmdet.RandomSampler', num=64, pos_fraction=0.5,
                                  neg_pos_ub=-1, add_gt_as_proposals=False),
                     allowed_border=-1, pos_weight=-1, debug=False),
            rpn_proposal=dict(nms_pre=300, max_per_img=100, nms=dict(type='nms',
                                                                      iou_threshold=0.7),
                              min_bbox_size=0),
            rcnn=dict(assigner=dict(type='mmdet.MaxIoUAssigner', pos_iou_thr=0.5,
                                    neg_iou_thr=0.5, min_pos_iou=0.5, match_low_quality=False,
                                    ignore_iof_thr=-1),
                      sampler=dict(type='mmdet.RandomSampler', num=64, pos_fraction=0.25,
                                   neg_pos_ub=-1, add_gt_as_proposals=True),
                      pos_weight=-1, debug=False)),
        test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=100,
                               nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
                      rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.3),
                                max_per_img=20)))


def da_faster(method='DAFasterRCNN', mic=None, **train_cfg):
    """A DA-Faster R-CNN (or subclass, ``method``) on the tiny detector, small domain heads."""
    register_all_modules()
    return MODELS.build(dict(
        type=method, model=tiny_c4_faster_rcnn(),
        img_da_head=dict(type='ImageDomainClassifier', in_channels=256, channels=32),
        ins_da_head=dict(type='InstanceDomainClassifier', in_channels=512, channels=32),
        mic=mic, train_cfg=dict(dict(num_da_rois=16), **train_cfg)))


def uda_batch(seed=0):
    torch.manual_seed(seed)
    src = demo_mm_inputs(batch_size=2, image_shapes=[(3, 96, 128)] * 2, num_items=[3, 2],
                         num_classes=2, with_mask=False)
    tgt = demo_mm_inputs(batch_size=2, image_shapes=[(3, 96, 128)] * 2, num_items=[0, 0],
                         num_classes=2, with_mask=False)
    return dict(inputs=dict(source=src['inputs'], target=tgt['inputs']),
                data_samples=dict(source=src['data_samples'], target=tgt['data_samples']))


def test_step_losses_and_one_optimizer_step():
    model = da_faster()
    model.train()
    wrapper = counting_optim_wrapper(model)
    head_before = copy.deepcopy(model.img_da_head.state_dict())
    log_vars = model.train_step(uda_batch(), wrapper)
    assert wrapper.backwards == 2 and wrapper.steps == 1
    for prefix in ('src.', 'tgt.'):
        for key in ('loss_da_img', 'loss_da_ins', 'loss_da_cst'):
            assert torch.isfinite(log_vars[prefix + key]), prefix + key
    assert 'src.loss_cls' in log_vars and 'src.loss_rpn_cls' in log_vars
    assert not any(k.startswith('tgt.') and ('rpn' in k or k == 'tgt.loss_cls')
                   for k in log_vars)  # no detection loss on the target
    # a balanced untrained classifier: image-level BCE near log 2 over the joint batch,
    # half of it from each domain's pass (2 + 2 images of one size)
    for key in ('loss_da_img', 'loss_da_ins'):
        assert log_vars['src.' + key].item() == pytest.approx(0.347, abs=0.03)
        assert log_vars['tgt.' + key].item() == pytest.approx(0.347, abs=0.03)
    assert any(not torch.equal(v, model.img_da_head.state_dict()[k])
               for k, v in head_before.items())  # the domain heads are trained


def test_domain_gradient_reaches_the_backbone_reversed():
    """The instance-level domain loss pushes shared features the opposite way of a plain
    classifier loss: dL/dfeat through the GRL = -0.1 x the gradient without it."""
    model = da_faster(cst_weight=0.0)
    model.train()
    data = model.data_preprocessor(uda_batch(), True)
    feats = model.student.extract_feat(data['inputs']['source'])
    feat = feats[-1].detach().requires_grad_(True)
    proposals = model.student.rpn_head.predict((feat, ), data['data_samples']['source'],
                                               rescale=False)
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    loss = model.domain_losses((feat, ), proposals, data['data_samples']['source'], True,
                               gen, DomainShares(image=1.0, instance=1.0))['loss_da_img']
    (grad_rev, ) = torch.autograd.grad(loss, feat)
    torch.manual_seed(0)
    plain = torch.nn.functional.binary_cross_entropy_with_logits(
        model.img_da_head(feat, consistency=True), torch.ones(2, 1, *feat.shape[2:]))
    (grad_plain, ) = torch.autograd.grad(plain, feat)
    assert torch.allclose(grad_rev, -grad_plain, atol=1e-10)
    assert grad_rev.abs().sum() > 0


def test_instance_rois_draw_gt_with_the_proposals_on_source_only():
    """As the reference: num RoIs per image drawn uniformly from the proposals and (source
    images only) the ground-truth boxes together, so a GT box enters only by chance."""
    props = InstanceData(bboxes=torch.rand(40, 4) * 50 + torch.tensor([0, 0, 50, 50]))
    sample = DetDataSample()
    gt = torch.tensor([1., 2., 30., 40.])
    sample.gt_instances = InstanceData(bboxes=gt[None], labels=torch.tensor([0]))

    def has_gt(rois):
        return any(torch.equal(r[1:], gt) for r in rois)

    drawn = 0
    for seed in range(200):
        gen = torch.Generator().manual_seed(seed)
        src = sample_domain_rois([props, props], [sample, sample], 16, add_gt=True,
                                 generator=gen)
        assert src.shape == (32, 5)  # 16 per image, GT included or not
        assert src[:, 0].tolist() == [0.0] * 16 + [1.0] * 16
        drawn += has_gt(src[:16])
    # P(the GT box is among 16 of 41 candidates) = 16 / 41 = 0.39
    assert 0.29 < drawn / 200 < 0.49
    tgt = sample_domain_rois([props] * 50, [sample] * 50, 16, add_gt=False,
                             generator=torch.Generator().manual_seed(0))
    assert tgt.shape == (800, 5) and not has_gt(tgt)  # never a target box
    # fewer candidates than asked: all of them (5 proposals + the GT box)
    few = sample_domain_rois([props[:5]], [sample], 16, add_gt=True)
    assert few.shape == (6, 5) and has_gt(few)


def test_build_errors():
    register_all_modules()
    with pytest.raises(KeyError, match='unknown DAFasterRCNN train_cfg'):
        MODELS.build(dict(type='DAFasterRCNN', model=tiny_c4_faster_rcnn(),
                          train_cfg=dict(img_wieght=1.0)))
    with pytest.raises(ValueError, match='needs both'):
        MODELS.build(dict(type='DAFasterRCNN', model=tiny_c4_faster_rcnn(),
                          img_da_head=dict(type='ImageDomainClassifier', in_channels=256)))


def test_multi_source_domain_classifiers():
    """Two sources + target: 3-way domain classifiers; at initialisation (weights ~ N(0,
    0.001)) their logits are ~0, so the cross-entropy is log 3."""
    register_all_modules()
    model = MODELS.build(dict(
        type='DAFasterRCNN', model=tiny_c4_faster_rcnn(),
        img_da_head=dict(type='ImageDomainClassifier', in_channels=256, channels=32,
                         num_domains=3),
        ins_da_head=dict(type='InstanceDomainClassifier', in_channels=512, channels=32,
                         num_domains=3),
        train_cfg=dict(num_da_rois=16)))
    model.train()
    batch = uda_batch()
    for k, sample in enumerate(batch['data_samples']['source']):
        sample.set_metainfo(dict(source_domain=k))  # image 0 from source 0, image 1 source 1
    log_vars = model.train_step(batch, counting_optim_wrapper(model))
    total = log_vars['src.loss_da_img'] + log_vars['tgt.loss_da_img']
    assert total.item() == pytest.approx(1.0986, abs=0.01)  # one mean over all 4 images
    assert torch.isfinite(log_vars['src.loss_da_cst'])
    assert model.img_da_head.conv2.out_channels == 3


def flat_domain_heads(model, image_logit=0.0, instance_logit=0.0):
    """Domain classifiers that output constant logits: every BCE is the same number."""
    for layer, bias in ((model.img_da_head.conv2, image_logit),
                        (model.ins_da_head.fc3, instance_logit)):
        torch.nn.init.zeros_(layer.weight)
        torch.nn.init.constant_(layer.bias, bias)


@pytest.mark.parametrize('sources,targets', [(2, 2), (2, 1), (1, 3)])
def test_domain_losses_are_one_mean_over_the_joint_batch(sources, targets):
    """With constant logits every position / RoI has the same BCE, so the reference's single
    mean over the joint source + target batch is that value whatever the batch sizes; each
    pass contributes its share of it (the old per-domain means added up to twice that)."""
    model = da_faster()
    flat_domain_heads(model, image_logit=0.0, instance_logit=2.0)
    model.train()
    batch = uda_batch()
    torch.manual_seed(0)
    tgt = demo_mm_inputs(batch_size=targets, image_shapes=[(3, 96, 128)] * targets,
                         num_items=[0] * targets, num_classes=2, with_mask=False)
    batch['inputs']['source'] = batch['inputs']['source'][:1] * sources
    batch['data_samples']['source'] = batch['data_samples']['source'][:1] * sources
    batch['inputs']['target'], batch['data_samples']['target'] = tgt['inputs'], \
        tgt['data_samples']
    log_vars = model.train_step(batch, counting_optim_wrapper(model, lr=0.0))
    log2 = torch.log(torch.tensor(2.0)).item()
    bce_target_2 = torch.nn.functional.softplus(torch.tensor(2.0)).item()  # label 0, logit 2
    bce_source_2 = torch.nn.functional.softplus(torch.tensor(-2.0)).item()  # label 1, logit 2
    img = log_vars['src.loss_da_img'] + log_vars['tgt.loss_da_img']
    assert img.item() == pytest.approx(log2, rel=1e-5)
    share = sources / (sources + targets)
    assert log_vars['src.loss_da_img'].item() == pytest.approx(share * log2, rel=1e-5)
    ins = log_vars['src.loss_da_ins'] + log_vars['tgt.loss_da_ins']
    assert ins.item() == pytest.approx(share * bce_source_2 + (1 - share) * bce_target_2,
                                       rel=1e-5)
    # consistency: |sigmoid(0) - sigmoid(2)| for every RoI, x 0.1
    cst = log_vars['src.loss_da_cst'] + log_vars['tgt.loss_da_cst']
    expected = 0.1 * abs(0.5 - torch.sigmoid(torch.tensor(2.0)).item())
    assert cst.item() == pytest.approx(expected, rel=1e-5)


def test_target_proposals_use_the_training_rpn_settings():
    """The target images' domain RoIs come from proposals made as in training (rpn_proposal:
    12000 / 2000 in the R-50-C4 configs), not with the test settings (6000 / 1000)."""
    register_all_modules()
    detector = tiny_c4_faster_rcnn()
    detector.train_cfg.rpn_proposal.max_per_img = 20
    detector.test_cfg.rpn.max_per_img = 5
    model = MODELS.build(dict(
        type='DAFasterRCNN', model=detector,
        img_da_head=dict(type='ImageDomainClassifier', in_channels=256, channels=32),
        ins_da_head=dict(type='InstanceDomainClassifier', in_channels=512, channels=32),
        train_cfg=dict(num_da_rois=256)))
    model.train()
    data = model.data_preprocessor(uda_batch(), True)
    feats = model.student.extract_feat(data['inputs']['target'])
    proposals = model.target_proposals(feats, data['data_samples']['target'])
    assert [len(p) for p in proposals] == [20, 20]
    seen = []
    model.ins_da_head.register_forward_hook(lambda m, args, out: seen.append(len(out)))
    model.pass_target(model.make_state(data['inputs'], data['data_samples']),
                      counting_optim_wrapper(model))
    assert seen[0] == 40  # 20 per target image reached the instance classifier


R50_C4 = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*r50-caffe-c4*.py'),
                                     recursive=True))


@pytest.mark.parametrize('path', R50_C4, ids=[osp.basename(p) for p in R50_C4])
def test_r50_c4_rpn_targets_as_the_reference(path):
    """maskrcnn-benchmark's RPN targets: anchors crossing the image border are ignored
    (STRADDLE_THRESH 0) and each object's best anchor is positive whatever its IoU
    (allow_low_quality_matches, no minimum)."""
    rpn = Config.fromfile(path).model.model.train_cfg.rpn
    assert rpn.allowed_border == 0
    assert rpn.assigner.match_low_quality is True and rpn.assigner.min_pos_iou == 0.0


def test_straddling_anchors_and_low_quality_matches_in_mmdet():
    """What those two settings do in mmdet's RPN: with allowed_border 0 no anchor that
    crosses the border gets a label weight, and a box whose best anchor IoU is below 0.3
    still gets that anchor as a positive with min_pos_iou 0."""
    register_all_modules()
    detector = tiny_c4_faster_rcnn()
    detector.train_cfg.rpn.allowed_border = 0
    detector.train_cfg.rpn.assigner.min_pos_iou = 0.0
    detector.train_cfg.rpn.assigner.match_low_quality = True
    rpn_head = MODELS.build(dict(type='DAFasterRCNN', model=detector,
                                 train_cfg=dict(cst_weight=0.0))).student.rpn_head
    meta = dict(img_shape=(96, 128), pad_shape=(96, 128))
    featmap = [(6, 8)]
    anchors, valid = rpn_head.get_anchors(featmap, [meta], device='cpu')
    # a thin 4 x 40 box: IoU with its best anchor (32 px, ratio 2: 23 x 45) < 0.3
    gt = InstanceData(bboxes=torch.tensor([[46., 40., 50., 80.]]), labels=torch.tensor([0]))
    labels, label_weights, *_ = rpn_head.get_targets(anchors, valid, [gt], [meta])
    flat = torch.cat([a for a in anchors[0]])
    inside = (flat[:, 0] >= 0) & (flat[:, 1] >= 0) & (flat[:, 2] < 128) & (flat[:, 3] < 96)
    weights = torch.cat([w.reshape(-1) for w in label_weights])
    assert weights[~inside].sum() == 0 and weights[inside].sum() > 0
    positives = torch.cat([x.reshape(-1) for x in labels]) == 0  # class 0 = object
    assert positives.sum() >= 1
