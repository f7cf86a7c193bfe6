# Copyright (c) mmuda contributors. All rights reserved.
"""Pseudo-labels from an EMA teacher, shared by DACS and by the hosts MIC composes with
(AdaptSegNet, AdvEnt, MinEnt: MIC brings its own EMA teacher there, as the reference's
``MaskingConsistencyModule``)."""
from typing import List, Optional

import torch
from mmengine.optim import OptimWrapper
from mmseg.models.utils import resize

from mmuda.models.utils.seg_losses import decode_logits
from .mic import MaskedImageConsistency

#: the train_cfg keys of pseudo-labelling, with the references' defaults
PSEUDO_LABEL_DEFAULTS = dict(pseudo_threshold=0.968, pseudo_weight_ignore=dict(),
                             teacher_bn_train=True)


def teacher_train_mode(teacher: torch.nn.Module) -> None:
    """The mode in which the references' teachers predict pseudo-labels: train mode (batch
    statistics in BN) but dropout and drop-path off."""
    teacher.train()
    for m in teacher.modules():
        if isinstance(m, torch.nn.modules.dropout._DropoutNd) or \
                type(m).__name__ == 'DropPath':
            m.eval()


class TeacherPseudoLabels:
    """Mixin (before :class:`UDABase`) of a method whose EMA teacher pseudo-labels the target
    and, with ``self.mic`` set, whose student learns MIC from those labels.

    ``train_cfg`` keys (:data:`PSEUDO_LABEL_DEFAULTS`): ``pseudo_threshold`` (0.968: the weight
    of a batch's labels is the share of pixels whose max probability reaches it),
    ``pseudo_weight_ignore`` (dict(top, bottom, left, right) margins in pixels with weight 0),
    ``teacher_bn_train`` (True: the teacher predicts in train mode, BN on batch statistics,
    dropout and drop-path off, as the reference). In ``__init__``, after
    ``UDABase.__init__``: :meth:`setup_mic` (hosts whose teacher serves MIC only), or
    :meth:`setup_pseudo_labels` and ``self.mic`` (a
    :class:`~mmuda.models.uda.mic.MaskedImageConsistency` or None) (DACS).
    """

    def setup_mic(self, mic: Optional[dict]) -> None:
        """``self.mic`` from the ``mic`` argument of a host that pseudo-labels only for MIC
        (AdaptSegNet, AdvEnt, MinEnt; its teacher exists when ``mic`` is set)."""
        self.mic = MaskedImageConsistency(**mic) if mic is not None else None
        if self.mic is not None:
            self.setup_pseudo_labels()
            self.register_pixel_stats()

    def setup_pseudo_labels(self) -> None:
        cfg = self.train_cfg
        if not 0 <= cfg['pseudo_threshold'] <= 1:
            raise ValueError(f'pseudo_threshold must be in [0, 1], got {cfg["pseudo_threshold"]}')
        margins = dict(top=0, bottom=0, left=0, right=0)
        bad = set(cfg['pseudo_weight_ignore']) - set(margins)
        if bad:
            raise KeyError(f'pseudo_weight_ignore keys must be among {sorted(margins)}, got '
                           f'{sorted(bad)}')
        self.margins = dict(margins, **cfg['pseudo_weight_ignore'])

    def train(self, mode: bool = True):
        super().train(mode)
        if mode and self.teacher is not None and self.train_cfg['teacher_bn_train']:
            teacher_train_mode(self.teacher)
        return self

    @torch.no_grad()
    def pseudo_label(self, target_img: torch.Tensor, target_samples: List):
        """Teacher argmax and the scalar confidence weight (broadcast to (B, H, W)); zero in
        the crop margins (``pseudo_weight_ignore``, and those marked before the crop by
        ``MarkPseudoMargins``) and on batch padding."""
        logits = decode_logits(self.teacher, target_img)
        return self.pseudo_label_from_logits(logits, target_img.shape[2:], target_samples)

    @torch.no_grad()
    def pseudo_label_from_logits(self, logits: torch.Tensor, size, target_samples: List):
        """:meth:`pseudo_label` from the teacher's decode-head ``logits``, up-sampled to
        ``size`` (the input's)."""
        logits = resize(logits, size=size, mode='bilinear',
                        align_corners=self.teacher.decode_head.align_corners)
        prob, label = torch.softmax(logits.detach(), dim=1).max(dim=1)
        share = (prob >= self.train_cfg['pseudo_threshold']).float().mean()
        weight = share * torch.ones_like(prob)
        for i, sample in enumerate(target_samples):
            h, w = sample.metainfo.get('img_shape', weight.shape[1:])[:2]
            weight[i, h:, :] = 0
            weight[i, :, w:] = 0
            # the margins marked on the whole image before its crop (MarkPseudoMargins)
            valid = sample.get('pseudo_valid')
            if valid is not None:
                v = valid.data[0].to(weight)
                vh, vw = min(v.shape[0], weight.shape[1]), min(v.shape[1], weight.shape[2])
                weight[i, :vh, :vw] *= v[:vh, :vw]
        m = self.margins
        if m['top']:
            weight[:, :m['top'], :] = 0
        if m['bottom']:
            weight[:, weight.shape[1] - m['bottom']:, :] = 0
        if m['left']:
            weight[:, :, :m['left']] = 0
        if m['right']:
            weight[:, :, weight.shape[2] - m['right']:] = 0
        return label, weight

    def pass_teacher(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """Pseudo-labels and their weight from the teacher (into ``state``)."""
        wrapper = self.main_optim_wrapper(optim_wrapper)
        with wrapper.optim_context(self):
            state['pseudo_label'], state['pseudo_weight'] = self.pseudo_label(
                state['tgt_img'], state['tgt_samples'])
        return dict(pseudo_weight=state['pseudo_weight'].mean().detach())

    def pass_masked(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """MIC on masked images, one backward."""
        wrapper = self.main_optim_wrapper(optim_wrapper)
        with wrapper.optim_context(self):
            losses, state['masked_img'] = self.mic.loss(
                self.student, state['src_img'], state['src_samples'], state['tgt_img'],
                state['pseudo_label'], state['pseudo_weight'], self.mask_source, self.mean,
                self.std, state['generator'], bgr=self.bgr_inputs)
        return self.backward(losses, wrapper, prefix='masked.')

    def required_hooks(self):
        return super().required_hooks() + (('MaskingHook', ) if self.mic is not None else ())
