# Copyright (c) mmuda contributors. All rights reserved.
"""Losses of an mmdet two-stage detector on pseudo-labelled images, weighted per anchor / RoI
by the detector's own (detached) confidence, with box regression off (MIC for detection)."""
from typing import Dict, List, Tuple

import torch
from mmdet.models.utils import images_to_levels, multi_apply
from mmdet.structures.bbox import bbox2roi


def train_proposal_cfg(detector):
    """The RPN proposal settings of training (``train_cfg.rpn_proposal``, e.g. 12000 / 2000
    boxes before / after NMS), as mmdet's ``TwoStageDetector.loss`` uses them."""
    return detector.train_cfg.get('rpn_proposal', detector.test_cfg.rpn)


def confidence_weighted_rpn_loss(rpn_head, feats: Tuple[torch.Tensor], data_samples: List,
                                 proposal_cfg, detach_weight: bool = False
                                 ) -> Tuple[Dict[str, torch.Tensor], List]:
    """RPN losses whose objectness term is weighted per anchor by ``sigmoid(objectness)`` and
    whose box regression is zero; and the proposals of the same forward.

    The weight is not detached (the reference's RPN loss keeps its gradient, while its RoI
    classification weight is detached); ``detach_weight=True`` detaches it.

    mmdet's ``AnchorHead.loss_by_feat`` with the anchor weights changed between its target
    assignment and its per-level losses.
    """
    cls_scores, bbox_preds = rpn_head(feats)
    metas = [s.metainfo for s in data_samples]
    gts = []
    for s in data_samples:  # class-agnostic targets, as the RPN of TwoStageDetector.loss
        gt = s.gt_instances.clone()
        gt.labels = torch.zeros_like(gt.labels)
        gts.append(gt)
    anchors, valid = rpn_head.get_anchors([c.shape[-2:] for c in cls_scores], metas,
                                          device=cls_scores[0].device)
    labels, label_weights, bbox_targets, bbox_weights, avg_factor = rpn_head.get_targets(
        anchors, valid, gts, metas)
    label_weights = [w * torch.sigmoid(c.detach() if detach_weight else c).permute(
        0, 2, 3, 1).reshape(w.shape) for w, c in zip(label_weights, cls_scores)]
    bbox_weights = [torch.zeros_like(w) for w in bbox_weights]
    level_anchors = images_to_levels([torch.cat(a) for a in anchors],
                                     [a.size(0) for a in anchors[0]])
    loss_cls, loss_bbox = multi_apply(rpn_head.loss_by_feat_single, cls_scores, bbox_preds,
                                      level_anchors, labels, label_weights, bbox_targets,
                                      bbox_weights, avg_factor=avg_factor)
    proposals = rpn_head.predict_by_feat([c.detach() for c in cls_scores],
                                         [b.detach() for b in bbox_preds],
                                         batch_img_metas=metas, cfg=proposal_cfg)
    return dict(loss_rpn_cls=loss_cls, loss_rpn_bbox=loss_bbox), proposals


def confidence_weighted_roi_loss(roi_head, feats: Tuple[torch.Tensor], proposals: List,
                                 data_samples: List) -> Dict[str, torch.Tensor]:
    """RoI head losses whose classification term is weighted per sampled RoI by the head's
    own max softmax probability (detached) and whose box regression is zero.

    mmdet's ``StandardRoIHead.loss``/``bbox_loss`` with the weights changed between target
    computation and loss.
    """
    sampling_results = []
    for i, (props, sample) in enumerate(zip(proposals, data_samples)):
        props = props.clone()
        props.priors = props.pop('bboxes')
        assign = roi_head.bbox_assigner.assign(props, sample.gt_instances, None)
        sampling_results.append(roi_head.bbox_sampler.sample(
            assign, props, sample.gt_instances, feats=[f[i][None] for f in feats]))
    rois = bbox2roi([r.priors for r in sampling_results])
    out = roi_head._bbox_forward(feats, rois)
    cls_score, bbox_pred = out['cls_score'], out['bbox_pred']
    labels, label_weights, bbox_targets, bbox_weights = roi_head.bbox_head.get_targets(
        sampling_results, roi_head.train_cfg)
    label_weights = label_weights * torch.softmax(cls_score.detach(), dim=1).max(dim=1)[0]
    return roi_head.bbox_head.loss(cls_score, bbox_pred, rois, labels, label_weights,
                                   bbox_targets, torch.zeros_like(bbox_weights))
