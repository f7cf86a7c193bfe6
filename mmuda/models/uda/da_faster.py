# Copyright (c) mmuda contributors. All rights reserved.
"""DA-Faster R-CNN (Chen et al., CVPR 2018): image-level and instance-level adversarial
alignment and their consistency, on any mmdet two-stage detector (R-50-C4 in the paper)."""
import copy
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import torch
from mmdet.structures.bbox import bbox2roi
from mmengine.optim import OptimWrapper

from mmuda.registry import MODELS
from ..domain_heads.da_faster_heads import domain_consistency_loss, domain_loss
from ..utils.det_losses import train_proposal_cfg
from .base import UDABase
from .mic import scale_losses
from .mic_det import DetMaskedImageConsistency


def two_stage_losses(detector, feats: Tuple[torch.Tensor], data_samples: List
                     ) -> Tuple[Dict[str, torch.Tensor], List]:
    """The losses of mmdet's ``TwoStageDetector.loss`` from already extracted features, and
    the RPN proposals made on the way (so that the features serve the domain heads too)."""
    proposal_cfg = train_proposal_cfg(detector)
    rpn_samples = copy.deepcopy(data_samples)
    for sample in rpn_samples:  # class-agnostic RPN targets
        sample.gt_instances.labels = torch.zeros_like(sample.gt_instances.labels)
    rpn_losses, proposals = detector.rpn_head.loss_and_predict(
        feats, rpn_samples, proposal_cfg=proposal_cfg)
    losses = {(f'rpn_{k}' if 'loss' in k and 'rpn' not in k else k): v
              for k, v in rpn_losses.items()}
    # the RoI head renames the proposals' fields in place: give it copies
    losses.update(detector.roi_head.loss(feats, [p.clone() for p in proposals],
                                         data_samples))
    return losses, proposals


def sample_domain_rois(proposals: List, data_samples: List, num: int, add_gt: bool,
                       generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """RoIs (batch index, x1, y1, x2, y2) for the instance-level domain classifier: ``num``
    boxes per image (all if fewer) drawn uniformly from the RPN proposals, together with the
    ground-truth boxes when ``add_gt`` (source images only: target boxes must never be seen).

    As the reference (maskrcnn-benchmark's ``subsample_for_da``): the ground-truth boxes join
    the candidates before the draw, so a ground-truth box is sampled only by chance."""
    boxes = []
    for props, sample in zip(proposals, data_samples):
        b = props.bboxes.detach()
        if add_gt:
            b = torch.cat([sample.gt_instances.bboxes.to(b), b])
        if b.shape[0] > num:
            keep = torch.randperm(b.shape[0], generator=generator)[:num].to(b.device)
            b = b[keep]
        boxes.append(b)
    return bbox2roi(boxes)


@dataclass
class DomainShares:
    """The share of one domain's pass in the joint source + target batch.

    The reference feeds source and target through the detector as ONE batch and takes one
    mean of each domain loss over it; here each domain has its own pass, whose mean is
    weighted by its share of what that mean runs over: ``image`` of the feature-map positions
    (proportional to the padded input pixels), ``instance`` of the images (each image gives
    ``num_da_rois`` RoIs when it has that many candidates, as at real resolution)."""
    image: float
    instance: float

    @classmethod
    def of(cls, images: torch.Tensor, others: List[torch.Tensor]) -> 'DomainShares':
        """Shares of the batch ``images`` (B, C, H, W) among ``[images] + others``."""
        pixels = [x.shape[0] * x.shape[2] * x.shape[3] for x in [images] + others]
        counts = [x.shape[0] for x in [images] + others]
        return cls(image=pixels[0] / sum(pixels), instance=counts[0] / sum(counts))


@MODELS.register_module()
class DAFasterRCNN(UDABase):
    """DA-Faster R-CNN on an mmdet two-stage detector (the student).

    Each iteration runs these passes and one optimizer step:

    - source: detection losses; image-level domain loss (label 1) on the last backbone
      feature map; instance-level domain loss on the res5 RoI features of ``num_da_rois``
      boxes drawn from the RPN proposals and the ground-truth boxes; consistency;
    - target: the same domain losses with label 0 on boxes drawn from the proposals only (no
      detection loss, no target boxes); proposals made with the training RPN settings
      (``rpn_proposal``), as the reference;
    - each domain loss has the strength of the reference's single mean over the joint
      source + target batch: a pass's mean is weighted by its domain's share of that batch
      (:class:`DomainShares`), for any batch sizes and any number of sources;
    - with ``mic``: teacher (pseudo-boxes) and masked (see :class:`DetMaskedImageConsistency`;
      needs :class:`EMATeacherHook` and :class:`MaskingHook`).

    Multi-source (several source datasets in :class:`UDADataset`): domain classifiers with
    ``num_domains`` = sources + 1 learn which source (or the target) each image comes from.
    Without domain heads the model is the source-only baseline (+ MIC if ``mic`` is set).

    The domain classifiers sit behind gradient reversal layers (weight 0.1 in their
    configs); the consistency term reaches the features with a non-reversed gradient of the
    same weight, as the reference.

    Args:
        model (dict): the detector (e.g. mmdet's Faster R-CNN R-50-C4 config).
        img_da_head (dict): :class:`ImageDomainClassifier` config, or None to disable.
        ins_da_head (dict): :class:`InstanceDomainClassifier` config, or None to disable.
        mic (dict, optional): :class:`DetMaskedImageConsistency` arguments; enables MIC.
        train_cfg (dict): ``img_weight`` (1.0), ``ins_weight`` (1.0), ``cst_weight`` (0.1; 0
            disables), ``num_da_rois`` (256 random proposals per image), ``seed`` (0).
    """

    #: train_cfg keys and their defaults (an unknown key is an error)
    default_train_cfg = dict(img_weight=1.0, ins_weight=1.0, cst_weight=0.1, num_da_rois=256,
                             seed=0)

    def __init__(self, model: dict, img_da_head: Optional[dict] = None,
                 ins_da_head: Optional[dict] = None, mic: Optional[dict] = None,
                 train_cfg: Optional[dict] = None, **kwargs):
        train_cfg = dict(train_cfg or {})
        unknown = set(train_cfg) - set(self.default_train_cfg)
        if unknown:
            raise KeyError(f'unknown {type(self).__name__} train_cfg key(s) {sorted(unknown)}; '
                           f'expected {sorted(self.default_train_cfg)}')
        super().__init__(model, teacher=mic is not None,
                         train_cfg=dict(self.default_train_cfg, **train_cfg), **kwargs)
        if not hasattr(self.student, 'roi_head') or not hasattr(self.student, 'rpn_head'):
            raise TypeError(f'{type(self).__name__} needs a two-stage detector (rpn_head and '
                            f'roi_head); got {type(self.student).__name__}')
        self.img_da_head = MODELS.build(img_da_head) if img_da_head else None
        self.ins_da_head = MODELS.build(ins_da_head) if ins_da_head else None
        if self.train_cfg['cst_weight'] and not (self.img_da_head and self.ins_da_head):
            raise ValueError('the consistency term (cst_weight > 0) needs both the image- and '
                             'the instance-level domain classifiers')
        self.mic = DetMaskedImageConsistency(**mic) if mic is not None else None
        if self.mic is not None:
            self.register_pixel_stats()

    @staticmethod
    def domain_labels(data_samples: List, is_source: bool, device) -> torch.Tensor:
        """Domain label of each image: 0 for target, 1 + the index of its source for source
        images (``source_domain`` in the sample's metainfo, set by :class:`UDADataset` when
        it pairs several sources; 0 with one source). Binary classifiers see source = 1."""
        labels = [1 + int(s.metainfo.get('source_domain', 0)) if is_source else 0
                  for s in data_samples]
        return torch.tensor(labels, dtype=torch.long, device=device)

    def roi_features(self, feats: Tuple[torch.Tensor], rois: torch.Tensor) -> torch.Tensor:
        """The RoI head's features of ``rois`` (after its shared head, e.g. res5)."""
        roi_head = self.student.roi_head
        roi_feats = roi_head.bbox_roi_extractor(
            feats[:roi_head.bbox_roi_extractor.num_inputs], rois)
        if roi_head.with_shared_head:
            roi_feats = roi_head.shared_head(roi_feats)
        return roi_feats

    def domain_losses(self, feats, proposals, data_samples, is_source: bool,
                      generator: torch.Generator,
                      share: DomainShares) -> Dict[str, torch.Tensor]:
        """Image-level, instance-level and consistency losses of one domain's batch, weighted
        by the domain's ``share`` of the joint batch."""
        domain = self.domain_labels(data_samples, is_source, feats[-1].device)
        losses = {}
        if self.img_da_head is not None:
            img_logits = self.img_da_head(feats[-1])
            losses['loss_da_img'] = domain_loss(img_logits, domain) * \
                self.train_cfg['img_weight'] * share.image
        if self.ins_da_head is not None:
            rois = sample_domain_rois(proposals, data_samples, self.train_cfg['num_da_rois'],
                                      add_gt=is_source, generator=generator)
            ins = self.instance_losses(feats, self.roi_features(feats, rois), rois, domain)
            losses.update(scale_losses(ins, share.instance, prefix='loss_da'))
        return losses

    def instance_losses(self, feats, roi_feats: torch.Tensor, rois: torch.Tensor,
                        domain: torch.Tensor) -> Dict[str, torch.Tensor]:
        """DA-Faster's instance level: every RoI classified, and its consistency with the
        image-level prediction of its image."""
        cfg = self.train_cfg
        ins_logits = self.ins_da_head(roi_feats)
        losses = dict(loss_da_ins=domain_loss(ins_logits, domain[rois[:, 0].long()]) *
                      cfg['ins_weight'])
        if cfg['cst_weight']:
            losses['loss_da_cst'] = self.consistency_loss(feats, roi_feats, rois, len(domain))
        return losses

    def consistency_loss(self, feats, roi_feats: torch.Tensor, rois: torch.Tensor,
                         num_images: int) -> torch.Tensor:
        """The weighted image/instance consistency term (non-reversed gradients)."""
        img_logits = self.img_da_head(feats[-1], consistency=True)
        ins_logits = self.ins_da_head(roi_feats, consistency=True)
        return self.train_cfg['cst_weight'] * domain_consistency_loss(
            img_logits, ins_logits, rois[:, 0], num_images)

    @property
    def with_domain_heads(self) -> bool:
        return self.img_da_head is not None or self.ins_da_head is not None

    def pass_source(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        with optim_wrapper.optim_context(self):
            feats = self.student.extract_feat(state['src_img'])
            losses, proposals = two_stage_losses(self.student, feats, state['src_samples'])
            if self.with_domain_heads:
                share = DomainShares.of(state['src_img'], [state['tgt_img']])
                losses.update(self.domain_losses(feats, proposals, state['src_samples'], True,
                                                 state['generator'], share))
        return self.backward(losses, optim_wrapper, prefix='src.')

    def target_proposals(self, feats: Tuple[torch.Tensor], data_samples: List) -> List:
        """RPN proposals of target images with the training settings (``rpn_proposal``)."""
        rpn_head = self.student.rpn_head
        cls_scores, bbox_preds = rpn_head(feats)
        return rpn_head.predict_by_feat(cls_scores, bbox_preds,
                                        batch_img_metas=[s.metainfo for s in data_samples],
                                        cfg=train_proposal_cfg(self.student), rescale=False)

    def pass_target(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        with optim_wrapper.optim_context(self):
            feats = self.student.extract_feat(state['tgt_img'])
            proposals = self.target_proposals(feats, state['tgt_samples'])
            share = DomainShares.of(state['tgt_img'], [state['src_img']])
            losses = self.domain_losses(feats, proposals, state['tgt_samples'], False,
                                        state['generator'], share)
        return self.backward(losses, optim_wrapper, prefix='tgt.')

    def pass_teacher(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """MIC: the teacher's confident boxes on the un-masked target (into ``state``)."""
        with optim_wrapper.optim_context(self):
            state['pseudo_keep'], state['pseudo_samples'] = self.mic.pseudo_boxes(
                self.teacher, state['tgt_img'], state['tgt_samples'])
        boxes = sum(len(s.gt_instances) for s in state['pseudo_samples'])
        return dict(pseudo_boxes=torch.tensor(boxes / len(state['tgt_samples'])))

    def pass_masked(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """MIC: confidence-weighted detection losses on the masked target, one backward."""
        if not state['pseudo_keep']:  # no confident box in the batch: nothing to learn
            return {}
        with optim_wrapper.optim_context(self):
            losses, state['masked_img'] = self.mic.loss(
                self.student, state['tgt_img'], state['pseudo_keep'],
                state['pseudo_samples'], self.mask_source, self.mean, self.std,
                state['generator'], bgr=self.bgr_inputs)
        return self.backward(losses, optim_wrapper, prefix='masked.')

    def required_hooks(self):
        return super().required_hooks() + (('MaskingHook', ) if self.mic is not None else ())

    #: the masked pass needs the teacher's pseudo-boxes
    pass_dependencies = ('teacher', )

    def passes(self):
        names = ['source']
        if self.with_domain_heads:
            names.append('target')
        if self.mic is not None and int(self.local_iter) >= self.mic.burn_in_iters:
            names += ['teacher', 'masked']
        return [(name, getattr(self, f'pass_{name}')) for name in names]
