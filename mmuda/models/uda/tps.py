# Copyright (c) mmuda contributors. All rights reserved.
"""TPS (Xing et al., ECCV 2022): domain adaptive video segmentation via temporal pseudo
supervision."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmseg.models.utils import resize

from mmuda.models.utils.augmentation import denorm, renorm
from mmuda.models.utils.flow_warp import resize_flow, warp_by_flow
from mmuda.models.utils.seg_losses import with_labels
from mmuda.models.utils.video_augmentation import (draw_video_augment, match_histograms,
                                                   video_strong_augment)
from mmuda.registry import MODELS
from ..data_preprocessor import stack_frames
from .base import UDABase


def flip_flow(flow: torch.Tensor) -> torch.Tensor:
    """The flow of horizontally flipped frames: the field mirrored and its x component
    negated."""
    flipped = flow.flip(3)
    return torch.cat((-flipped[:, :1], flipped[:, 1:]), dim=1)


def flip_where(x: torch.Tensor, flip: torch.Tensor, fn=lambda t: t.flip(3)) -> torch.Tensor:
    """``fn(x)`` for the batch elements where ``flip`` (B,) is set, ``x`` elsewhere."""
    return torch.where(flip.view(-1, *([1] * (x.dim() - 1))), fn(x), x)


@MODELS.register_module()
class TPS(UDABase):
    """TPS on an :class:`~mmuda.models.AccelSegmentor` student: no discriminator, no EMA
    teacher. One iteration, in the order of the reference (``train_TPS``):

    1. source: the source frames t and t-1 histogram-matched to the target frame t
       (``hist_match``), the segmentor's losses on the fused logits, backward;
    2. pseudo-label, no gradient: the model on the target pair (t-I, t-I-1) with the flow of
       t-I, both frames (and the flow) flipped horizontally with probability ``flip_prob``
       and the prediction flipped back; its soft-max warped to frame t with the flow t -> t-I
       (the flow of t for I = 1) and arg-maxed; pixels without a correspondence ignored;
    3. student: the target pair (t, t-1) with one strong augmentation for both frames (blur,
       colour jitter, grayscale, :func:`~mmuda.models.utils.video_augmentation
       .video_strong_augment`) and a random rescale by r in ``scale_range`` (sides multiples
       of 8); its fused logits resized to the pseudo-label's size; cross-entropy of each head
       (its loss weight: 1 and 0.1) x ``lambda_t``, backward;
    4. one optimizer step.

    Args:
        model (dict): the student, an ``mmuda.AccelSegmentor``.
        train_cfg (dict): ``lambda_t`` (reference: 1.0 for SYNTHIA-Seq, 0.1 for VIPER),
            ``scale_range`` ((0.8, 1.2)), ``flip_prob`` (0.5), ``hist_match`` (True),
            ``augment`` (dict of :func:`draw_video_augment` arguments), ``seed``.
    """

    def __init__(self, model: dict, train_cfg: Optional[dict] = None, **kwargs):
        defaults = dict(lambda_t=1.0, scale_range=(0.8, 1.2), flip_prob=0.5, hist_match=True,
                        augment=dict(), seed=0)
        cfg = self.checked_train_cfg(train_cfg, defaults)
        super().__init__(model, train_cfg=cfg, **kwargs)
        if not hasattr(self.student, 'pair_logits'):
            raise TypeError(f'TPS needs a video segmentor (model.type='
                            f'\'mmuda.AccelSegmentor\'), got {type(self.student).__name__}')
        low, high = cfg['scale_range']
        if not 0 < low < high:
            raise ValueError(f'train_cfg.scale_range must be (low, high) with 0 < low < high, '
                             f'got {cfg["scale_range"]!r}')
        draw_video_augment(1, torch.Generator(), **cfg['augment'])  # bad keys fail here
        self.register_pixel_stats()

    # ------------------------------------------------------------------ the passes
    def pass_source(self, state: dict, optim_wrapper) -> dict:
        """Source losses on the fused logits of the (histogram-matched) source pair."""
        samples = state['src_samples']
        img, img_prev = state['src_img'], stack_frames(samples, 'img_prev')
        if self.train_cfg['hist_match']:
            with torch.no_grad():
                reference = denorm(state['tgt_img'], self.mean, self.std)
                img, img_prev = (renorm(match_histograms(denorm(x, self.mean, self.std),
                                                         reference), self.mean, self.std)
                                 for x in (img, img_prev))
        state['src_img_matched'] = img
        with optim_wrapper.optim_context(self):
            logits = self.student.pair_logits(img, img_prev,
                                              stack_frames(samples, 'flow'))
            losses = self.student.fused_loss(logits, samples)
        return self.backward(losses, optim_wrapper, prefix='src.')

    @torch.no_grad()
    def pseudo_labels(self, state: dict) -> dict:
        """Each head's pseudo-label of frame t (at the head's resolution), from (t-I,
        t-I-1)."""
        samples = state['tgt_samples']
        offsets = {s.metainfo.get('tps_offset') for s in samples}
        if offsets != {1}:
            raise ValueError(f'TPS warps the prediction of frame t-I to t with the flow of '
                             f'frame t, which needs tps_offset=1 in the target dataset (got '
                             f'{sorted(offsets, key=str)})')
        ref, ref_prev = stack_frames(samples, 'img_ref'), stack_frames(samples, 'img_ref_prev')
        flow_ref = stack_frames(samples, 'flow_ref')
        flip = torch.rand(ref.shape[0], generator=state['generator']) < \
            self.train_cfg['flip_prob']
        flip = flip.to(ref.device)
        logits = self.student.pair_logits(flip_where(ref, flip), flip_where(ref_prev, flip),
                                          flip_where(flow_ref, flip, flip_flow))
        flow = stack_frames(samples, 'flow')
        labels = {}
        for level, pair in logits.items():
            prob = flip_where(torch.softmax(pair.fused.float(), dim=1), flip)
            warped, valid = warp_by_flow(prob, flow)
            label = warped.argmax(dim=1)
            label[valid[:, 0] == 0] = 255
            labels[level] = label
        return labels

    def pass_target(self, state: dict, optim_wrapper) -> dict:
        """Cross-frame pseudo-supervision of the augmented, rescaled target pair."""
        cfg = self.train_cfg
        samples = state['tgt_samples']
        labels = self.pseudo_labels(state)
        generator = state['generator']
        img, img_prev = state['tgt_img'], stack_frames(samples, 'img_prev')
        with torch.no_grad():
            params = draw_video_augment(img.shape[0], generator, **cfg['augment'])
            img, img_prev = video_strong_augment(
                [img, img_prev], params, self.mean, self.std,
                bgr=self.bgr_inputs)
            low, high = cfg['scale_range']
            # the reference: randint(100 low, 100 high) / 100, sides rounded to multiples of 8
            ratio = int(torch.randint(int(round(100 * low)), int(round(100 * high)), (1, ),
                                      generator=generator)) / 100
            height, width = img.shape[2:]
            size = (max(8, round(height * ratio / 8) * 8), max(8, round(width * ratio / 8) * 8))
            img, img_prev = (F.interpolate(x, size=size, mode='bilinear', align_corners=True)
                             for x in (img, img_prev))
            flow, valid = resize_flow(stack_frames(samples, 'flow'), size)
            flow = flow.masked_fill(valid == 0, float('nan'))
        state['tgt_img_strong'] = img
        losses = {}
        with optim_wrapper.optim_context(self):
            logits = self.student.pair_logits(img, img_prev, flow)
            for level, pair in logits.items():
                target_size = labels[level].shape[1:]
                fused = resize(pair.fused, size=target_size, mode='bilinear',
                               align_corners=True)
                level_losses = self.student.fused_loss(
                    {level: pair._replace(fused=fused)},
                    with_labels(samples, labels[level]))
                losses.update({k: v * cfg['lambda_t'] if 'loss' in k else v
                               for k, v in level_losses.items()})
        state['tgt_pseudo_label'] = labels['decode']
        return self.backward(losses, optim_wrapper, prefix='tgt.')

    def passes(self):
        return [('source', self.pass_source), ('target', self.pass_target)]
