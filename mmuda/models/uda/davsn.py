# Copyright (c) mmuda contributors. All rights reserved.
"""DA-VSN (Guan et al., ICCV 2021): domain adaptive video segmentation via temporal
consistency regularisation."""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.optim import AmpOptimWrapper, OptimWrapperDict
from mmseg.models.utils import resize

from mmuda.models.utils.adversarial import (SOURCE_LABEL, TARGET_LABEL, bce_domain_loss,
                                            frozen, self_information, weight_discrepancy)
from mmuda.models.utils.flow_warp import warp_by_flow
from mmuda.registry import MODELS
from ..data_preprocessor import stack_frames
from ..segmentors.accel import FrameLogits
from .base import UDABase

#: the two discriminators of each level: spatio-temporal and spatial
KINDS = ('sta', 'sa')


def temporal_consistency_loss(current: torch.Tensor, previous: torch.Tensor,
                              flow: torch.Tensor) -> torch.Tensor:
    """DA-VSN's intra-domain TCR on one head's logits of frames t (``current``, with
    gradient) and t-1 (``previous``): the soft-max and the mean weighted self-information
    (entropy) of frame t-1 are propagated to frame t with ``flow``; where the propagated
    prediction is more confident (lower entropy) than frame t's own, and the flow has a
    correspondence, frame t's probabilities are pulled to it: ``mean(w |p_t - p_prop|)`` over
    batch, classes and pixels (the reference's ``weighted_l1_loss``)."""
    prob = torch.softmax(current.float(), dim=1)
    with torch.no_grad():
        entropy = self_information(prob).mean(dim=1)
        prob_prev = torch.softmax(previous.float(), dim=1)
        entropy_prev = self_information(prob_prev).mean(dim=1, keepdim=True)
        warped, valid = warp_by_flow(torch.cat((prob_prev, entropy_prev), dim=1), flow)
        propagated, entropy_prop = warped[:, :-1], warped[:, -1]
        weight = valid[:, 0] * (entropy_prop < entropy).float()
    return (weight.unsqueeze(1) * (prob - propagated).abs()).mean()


@MODELS.register_module()
class DAVSN(UDABase):
    """DA-VSN on an :class:`~mmuda.models.AccelSegmentor` student. One iteration, in the order
    of the reference (``train_DAVSN``):

    1. source: the segmentor's losses on the fused logits of the source pair (decode head +
       auxiliary head x its loss weight), backward;
    2. target, discriminators frozen: intra-domain TCR
       (:func:`temporal_consistency_loss`, ``lambda_itcr``) and cross-domain TCR: the
       spatio-temporal discriminator judges ``softmax([logits_t, logits_t-1])`` (soft-max over
       the 2C channels, up-sampled to the input), the spatial one ``softmax([logits_t,
       logits_t])``, BCE towards "source" (``lambda_sta``, ``lambda_sa``), backward;
    3. discriminators: BCE / 2 on the detached source (label 0) and target (label 1) maps, plus
       the weight discrepancy between the spatio-temporal and spatial discriminator of each
       level (:func:`~mmuda.models.utils.adversarial.weight_discrepancy`, ``lambda_wd``),
       backward;
    4. each discriminator's gradient is clipped to norm ``disc_max_grad_norm`` (the segmentor's
       clip is its optimizer wrapper's ``clip_grad``), then the segmentor's optimizer steps and
       the discriminators'.

    The unfused logits of frames t and t-1 feed steps 2-3, the fused ones the source loss and
    prediction, as in the reference.

    Args:
        model (dict): the student, an ``mmuda.AccelSegmentor``.
        discriminator (dict): one discriminator's config (ADVENT's ``FCDiscriminator``), built
            for each kind (``sta``, ``sa``) and level; ``in_channels`` is 2C.
        train_cfg (dict): ``lambda_itcr``, ``lambda_sta``, ``lambda_sa``, ``lambda_wd`` (dicts
            level -> weight; the reference: 1e-3 for each, 2e-4 for the adversarial losses of
            ``aux``), ``disc_max_grad_norm`` (1.0; None: no clip), ``seed``.
    """

    def __init__(self, model: dict, discriminator: Optional[dict] = None,
                 train_cfg: Optional[dict] = None, **kwargs):
        defaults = dict(lambda_itcr=dict(decode=1e-3, aux=1e-3),
                        lambda_sta=dict(decode=1e-3, aux=2e-4),
                        lambda_sa=dict(decode=1e-3, aux=2e-4),
                        lambda_wd=dict(decode=1e-3, aux=1e-3),
                        disc_max_grad_norm=1.0, seed=0)
        cfg = self.checked_train_cfg(train_cfg, defaults)
        super().__init__(model, train_cfg=cfg, **kwargs)
        if not hasattr(self.student, 'pair_logits'):
            raise TypeError(f'DAVSN needs a video segmentor (model.type='
                            f'\'mmuda.AccelSegmentor\'), got {type(self.student).__name__}')
        levels = {key: set(cfg[key]) for key in ('lambda_itcr', 'lambda_sta', 'lambda_sa',
                                                 'lambda_wd')}
        heads = {'decode', 'aux'} if self.student.with_auxiliary_head else {'decode'}
        for key, names in levels.items():
            if not names <= heads:
                raise KeyError(f'train_cfg.{key} has level(s) {sorted(names - heads)} but the '
                               f'segmentor has the heads {sorted(heads)}')
        if levels['lambda_sta'] != levels['lambda_sa'] or \
                not levels['lambda_wd'] <= levels['lambda_sta']:
            raise KeyError('train_cfg.lambda_sta and lambda_sa must name the same levels '
                           '(each level has both discriminators) and lambda_wd a subset of them')
        classes = self.student.decode_head.num_classes
        discriminator = dict(discriminator or dict(type='FCDiscriminator', ndf=64))
        in_channels = discriminator.setdefault('in_channels', 2 * classes)
        if in_channels != 2 * classes:
            raise ValueError(f'discriminator.in_channels is {in_channels} but DA-VSN\'s '
                             f'discriminators judge two {classes}-class maps: set it to '
                             f'{2 * classes} or leave it out')
        self.discriminators = nn.ModuleDict({
            kind: nn.ModuleDict({level: MODELS.build(discriminator)
                                 for level in cfg['lambda_sta']}) for kind in KINDS})

    def optim_groups(self) -> Dict[str, nn.Module]:
        trainable = self.trainable_modules()
        del trainable['discriminators']
        return {'segmentor': trainable, 'discriminator': self.discriminators}

    def discriminator_inputs(self, logits: FrameLogits, size) -> Tuple[torch.Tensor, ...]:
        """The spatio-temporal and spatial discriminators' inputs of one head's logits,
        up-sampled to the input ``size`` (float32 soft-max over 2C channels)."""
        align = self.student.decode_head.align_corners
        current = resize(logits.current.float(), size=size, mode='bilinear',
                         align_corners=align)
        previous = resize(logits.previous.float(), size=size, mode='bilinear',
                          align_corners=align)
        return (torch.softmax(torch.cat((current, previous), dim=1), dim=1),
                torch.softmax(torch.cat((current, current), dim=1), dim=1))

    # ------------------------------------------------------------------ the passes
    def pass_source(self, state: dict, optim_wrapper) -> dict:
        """Source losses on the fused logits, backward; keeps the detached discriminator
        inputs."""
        wrapper = self.main_optim_wrapper(optim_wrapper)
        with wrapper.optim_context(self):
            logits = self.student.sample_logits(state['src_img'], state['src_samples'])
            losses = self.student.fused_loss(logits, state['src_samples'])
        size = state['src_img'].shape[2:]
        with torch.no_grad():
            state['src_d_input'] = {
                level: dict(zip(KINDS, self.discriminator_inputs(logits[level], size)))
                for level in self.train_cfg['lambda_sta']}
        return self.backward(losses, wrapper, prefix='src.')

    def pass_target(self, state: dict, optim_wrapper) -> dict:
        """Intra- and cross-domain TCR on the target pair (discriminators frozen),
        backward."""
        wrapper = self.main_optim_wrapper(optim_wrapper)
        cfg = self.train_cfg
        losses, state['tgt_d_input'] = {}, {}
        size = state['tgt_img'].shape[2:]
        with wrapper.optim_context(self), frozen(self.discriminators):
            flow = stack_frames(state['tgt_samples'], 'flow')
            logits = self.student.pair_logits(
                state['tgt_img'], stack_frames(state['tgt_samples'], 'img_prev'), flow)
            for level, weight in cfg['lambda_itcr'].items():
                losses[f'loss_itcr_{level}'] = weight * temporal_consistency_loss(
                    logits[level].current, logits[level].previous, flow)
            for level in cfg['lambda_sta']:
                inputs = dict(zip(KINDS, self.discriminator_inputs(logits[level], size)))
                state['tgt_d_input'][level] = {k: v.detach() for k, v in inputs.items()}
                for kind in KINDS:
                    losses[f'loss_{kind}_{level}'] = cfg[f'lambda_{kind}'][level] * \
                        bce_domain_loss(self.discriminators[kind][level](inputs[kind]),
                                        SOURCE_LABEL)
        return self.backward(losses, wrapper, prefix='tgt.')

    def pass_discriminator(self, state: dict, optim_wrapper: OptimWrapperDict) -> dict:
        """Each discriminator on the detached source (0) and target (1) maps, / 2, and the
        weight discrepancy of each level's pair, backward."""
        wrapper = optim_wrapper['discriminator']
        losses = {}
        with wrapper.optim_context(self):
            for level in self.train_cfg['lambda_sta']:
                for kind in KINDS:
                    disc = self.discriminators[kind][level]
                    losses[f'loss_d_{kind}_{level}_src'] = bce_domain_loss(
                        disc(state['src_d_input'][level][kind]), SOURCE_LABEL) / 2
                    losses[f'loss_d_{kind}_{level}_tgt'] = bce_domain_loss(
                        disc(state['tgt_d_input'][level][kind]), TARGET_LABEL) / 2
            for level, weight in self.train_cfg['lambda_wd'].items():
                losses[f'loss_wd_{level}'] = weight * weight_discrepancy(
                    self.discriminators['sta'][level], self.discriminators['sa'][level])
        return self.backward(losses, wrapper, prefix='disc.')

    #: the discriminator pass needs both domains' maps
    pass_dependencies = ('source', 'target')

    def passes(self):
        return [('source', self.pass_source), ('target', self.pass_target),
                ('discriminator', self.pass_discriminator)]

    def before_optimizer_step(self, optim_wrapper: OptimWrapperDict) -> None:
        """Clip each discriminator's gradient to ``disc_max_grad_norm`` on its own (the
        reference clips the four separately)."""
        max_norm = self.train_cfg['disc_max_grad_norm']
        if max_norm is None:
            return
        wrapper = optim_wrapper['discriminator']
        if wrapper.clip_grad_kwargs:
            raise KeyError('DAVSN clips each discriminator itself (train_cfg.'
                           'disc_max_grad_norm): remove clip_grad from '
                           'optim_wrapper.discriminator')
        if isinstance(wrapper, AmpOptimWrapper):  # the gradients are still scaled
            wrapper.loss_scaler.unscale_(wrapper.optimizer)
        for kind in KINDS:
            for disc in self.discriminators[kind].values():
                torch.nn.utils.clip_grad_norm_(disc.parameters(), max_norm)
