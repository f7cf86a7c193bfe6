# Copyright (c) mmuda contributors. All rights reserved.
"""Output-space adversarial alignment (the AdaptSegNet / ADVENT training scheme), optionally
with feature-level cosine-similarity alignment."""
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapperDict
from mmseg.models.utils import resize

from mmuda.models.utils.adversarial import (SOURCE_LABEL, TARGET_LABEL, bce_domain_loss,
                                            frozen)
from mmuda.models.utils.cosine_alignment import CosineSimilarityAlignment
from mmuda.models.utils.seg_losses import segmentor_heads, segmentor_loss, stack_labels
from mmuda.registry import MODELS
from .base import UDABase
from .teacher import PSEUDO_LABEL_DEFAULTS, TeacherPseudoLabels


class AdversarialUDA(TeacherPseudoLabels, UDABase):
    """Base of the methods whose discriminators tell source from target segmentation outputs.

    One iteration, in the order of ADVENT's ``train_advent`` (and AdaptSegNet's):

    1. source: the segmentor's own losses on the source batch (decode head, auxiliary head x
       its loss weight), backward into the segmentor;
    2. target (generator): the target outputs of each level (``decode``, ``aux``), up-sampled
       to the input size, are turned into the discriminator's input
       (:meth:`discriminator_input`); with the discriminators frozen, BCE so that they say
       "source" (label 0), weighted by ``lambda_adv[level]`` (+ the cosine-similarity loss
       when ``cossim`` is set), backward into the segmentor;
    3. discriminators: BCE / 2 on the detached source (label 0) and target (label 1) inputs,
       backward into the discriminators;
    4. the segmentor's optimizer steps, then the discriminators'.

    The discriminators are trained by their own optimizer: ``optim_wrapper`` has the entries
    ``segmentor`` and ``discriminator`` (an ``OptimWrapperDict``, see
    :class:`mmuda.engine.UDAOptimWrapperConstructor`), each with its schedule.

    Args:
        model (dict): the student segmentor (``mmseg.EncoderDecoder``).
        discriminator (dict): config of one discriminator, built once per level of
            ``lambda_adv``; ``in_channels`` defaults to the number of classes.
        cossim (dict, optional): arguments of
            :class:`mmuda.models.utils.CosineSimilarityAlignment`: adds the
            cosine-similarity loss of the target features to the target pass.
        mic (dict, optional): :class:`~mmuda.models.uda.mic.MaskedImageConsistency`
            arguments: MIC with its own EMA teacher (needs ``EMATeacherHook`` and
            ``MaskingHook``), its passes (``teacher``, ``masked``) between the generator's and
            the discriminators', as the reference's AdvSeg; pseudo-labels with the
            ``train_cfg`` keys of :class:`~mmuda.models.uda.teacher.TeacherPseudoLabels`.
        train_cfg (dict): ``lambda_adv`` (dict level -> weight; ADVENT: decode 1e-3,
            aux 2e-4; empty: no discriminator), ``seed``, and with ``mic`` the
            pseudo-label keys (``pseudo_threshold`` 0.968, ...).
    """

    def __init__(self, model: dict, discriminator: Optional[dict] = None,
                 cossim: Optional[dict] = None, mic: Optional[dict] = None,
                 train_cfg: Optional[dict] = None, **kwargs):
        defaults = dict(PSEUDO_LABEL_DEFAULTS, lambda_adv=dict(decode=1e-3, aux=2e-4), seed=0)
        cfg = self.checked_train_cfg(train_cfg, defaults)
        super().__init__(model, teacher=mic is not None, train_cfg=cfg, **kwargs)
        self.setup_mic(mic)
        self.num_classes = self.student.decode_head.num_classes
        heads = segmentor_heads(self.student)
        unknown = set(cfg['lambda_adv']) - set(heads)
        if unknown:
            raise KeyError(f'train_cfg.lambda_adv has level(s) {sorted(unknown)} but the '
                           f'segmentor has the heads {sorted(heads)}')
        discriminator = dict(discriminator or dict(type='FCDiscriminator', ndf=64))
        in_channels = discriminator.setdefault('in_channels', self.num_classes)
        if in_channels != self.num_classes:
            raise ValueError(f'discriminator.in_channels is {in_channels} but it judges '
                             f'{self.num_classes}-class segmentation maps: set it to '
                             f'{self.num_classes} or leave it out')
        self.discriminators = nn.ModuleDict(
            {level: MODELS.build(discriminator) for level in cfg['lambda_adv']})
        self.cossim = CosineSimilarityAlignment(
            **dict(dict(num_classes=self.num_classes,
                        ignore_index=self.student.decode_head.ignore_index), **cossim)) \
            if cossim is not None else None

    def discriminator_input(self, logits: torch.Tensor) -> torch.Tensor:
        """The map a discriminator judges, from one level's up-sampled logits."""
        raise NotImplementedError

    def optim_groups(self) -> Dict[str, nn.Module]:
        trainable = self.trainable_modules()
        if not self.discriminators:
            return {'segmentor': trainable}
        del trainable['discriminators']
        return {'segmentor': trainable, 'discriminator': self.discriminators}

    # ------------------------------------------------------------------ the passes
    def pass_source(self, state: dict, optim_wrapper) -> dict:
        """Source segmentation losses, backward; keeps the detached discriminator inputs and
        fills the cosine-similarity dictionary."""
        wrapper = self.main_optim_wrapper(optim_wrapper)
        logits = {}
        with wrapper.optim_context(self):
            losses, feats = segmentor_loss(self.student, state['src_img'],
                                           state['src_samples'], logits=logits)
        with torch.no_grad():
            size = state['src_img'].shape[2:]
            state['src_d_input'] = {
                level: self.discriminator_input(
                    resize(logits[level].detach(), size=size, mode='bilinear',
                           align_corners=segmentor_heads(self.student)[level].align_corners))
                for level in self.discriminators}
            if self.cossim is not None:
                self.cossim.update(feats[self.cossim.in_index],
                                   stack_labels(state['src_samples']), state['generator'])
        return self.backward(losses, wrapper, prefix='src.')

    def pass_target(self, state: dict, optim_wrapper) -> dict:
        """The generator's losses on the target (adversarial, discriminators frozen;
        cosine similarity), backward."""
        wrapper = self.main_optim_wrapper(optim_wrapper)
        losses, log, state['tgt_d_input'] = {}, {}, {}
        with wrapper.optim_context(self), frozen(self.discriminators):
            feats = self.student.extract_feat(state['tgt_img'])
            heads = segmentor_heads(self.student)
            for level, weight in self.train_cfg['lambda_adv'].items():
                logits = resize(heads[level].forward(feats), size=state['tgt_img'].shape[2:],
                                mode='bilinear', align_corners=heads[level].align_corners)
                d_input = self.discriminator_input(logits)
                state['tgt_d_input'][level] = d_input.detach()
                losses[f'loss_adv_{level}'] = weight * bce_domain_loss(
                    self.discriminators[level](d_input), SOURCE_LABEL)
            if self.cossim is not None:
                losses['loss_cos'], selected, candidates = self.cossim.loss(
                    feats[self.cossim.in_index])
                # the selected pairs and their share of the candidates: a share of 1 is a
                # collapse, 0 trains nothing
                log['tgt.cos_pairs'] = torch.tensor(float(selected))
                log['tgt.cos_selected'] = torch.tensor(selected / max(candidates, 1))
        return dict(self.backward(losses, wrapper, prefix='tgt.'), **log)

    def pass_discriminator(self, state: dict, optim_wrapper: OptimWrapperDict) -> dict:
        """Each discriminator on the detached source (label 0) and target (1) maps, / 2."""
        wrapper = optim_wrapper['discriminator']
        losses = {}
        with wrapper.optim_context(self):
            for level, disc in self.discriminators.items():
                losses[f'loss_d_{level}_src'] = bce_domain_loss(
                    disc(state['src_d_input'][level]), SOURCE_LABEL) / 2
                losses[f'loss_d_{level}_tgt'] = bce_domain_loss(
                    disc(state['tgt_d_input'][level]), TARGET_LABEL) / 2
        return self.backward(losses, wrapper, prefix='disc.')

    #: the discriminator pass needs both domains' maps, MIC's the teacher's pseudo-labels
    pass_dependencies = ('source', 'target', 'teacher')

    def passes(self):
        # MIC between the generator and the discriminators, as the reference's AdvSeg
        names = ('source', 'target') + (('teacher', 'masked') if self.mic is not None else ()) \
            + (('discriminator', ) if self.discriminators else ())
        return [(name, getattr(self, f'pass_{name}')) for name in names]
