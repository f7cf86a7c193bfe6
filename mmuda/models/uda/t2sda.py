# Copyright (c) mmuda contributors. All rights reserved.
"""T2S-DA: pulling target to source (Wang et al., arXiv 2305.13752, IJCV) on DACS.

No official training code exists and only the abstract and the pipeline figure could be read:
every choice they leave open is a ``train_cfg`` key, recorded with its reason in
configs/t2sda/README.md.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from torch import nn

from mmuda.models.utils.augmentation import denorm, renorm
from mmuda.models.utils.pulling import ClassReweighting, flatten_pixels, pulling_terms
from mmuda.models.utils.seg_losses import head_loss
from mmuda.registry import MODELS, TRANSLATORS
from .dacs import DACS

#: train_cfg keys of the pulling loss and their defaults (see configs/t2sda/README.md)
PULL_DEFAULTS = dict(
    loss_weight=1.0,  # lambda of the pulling loss (U2PL's; 0.1 measured lower, configs/t2sda)
    temperature=0.5,  # tau of the InfoNCE-style loss
    num_queries=256,  # queries per class (class-balanced) from the pseudo-target
    num_negatives=50,  # negatives per class, from the other classes' keys
    class_balanced=True,  # False: queries drawn by pixel frequency
    equalise_domains=True,  # False: negatives drawn from the pooled source + target keys
    key_threshold=0.968,  # teacher confidence a target pixel needs to serve as a key
    reweighting=dict(momentum=0.99, power=1.0, signal='pseudo_target'),  # None: uniform
    translated_loss_weight=0.0,  # cross-entropy on the pseudo-target (0: queries only)
    domain_generalization=False,  # True: no target images, keys from the source only
)


@MODELS.register_module()
class T2SDA(DACS):
    """DACS self-training (optionally with MIC) plus T2S-DA's class-wise pulling loss.

    The student and the EMA teacher are ``ProjectedEncoderDecoder`` segmentors (a projection
    head gives L2-normalised pixel embeddings). One iteration, in order:

    1. source: student cross-entropy on the source batch, backward;
    2. teacher (no gradient): pseudo-labels of the target and its projected keys, and the
       projected keys of the source batch;
    3. mix: DACS's ClassMix on the pseudo-labels, backward;
    4. pull: the translator turns the source batch into a pseudo-target batch (same content,
       target-like appearance); the student's projections of it are the queries, labelled by
       the source ground truth. For each class: ``num_queries`` queries, the positive is the
       class's source prototype (mean teacher source key), the negatives ``num_negatives``
       keys of other classes, half source, half confident target; InfoNCE with
       ``temperature``; classes weighted by :class:`ClassReweighting`; times ``loss_weight``;
       backward;
    5. masked (with ``mic``): MIC, backward.

    With ``domain_generalization=True`` there are no target images (the data has a source
    stream only): steps 3 and 5 and the target keys are dropped, the negatives all come from
    the source, and the translator must not need target images.

    Args:
        model (dict): the student, a ``ProjectedEncoderDecoder``.
        translator (dict): a ``TRANSLATORS`` entry (mmuda/models/utils/translators.py).
        train_cfg (dict): DACS's keys and :data:`PULL_DEFAULTS`'s.
        mic (dict, optional): MIC on top (UDA only).
    """

    def __init__(self, model: dict, translator: dict = dict(type='FourierAmplitudeSwap'),
                 train_cfg: Optional[dict] = None, mic: Optional[dict] = None, **kwargs):
        train_cfg = dict(train_cfg or {})
        unknown_rw = set(train_cfg.get('reweighting') or {}) - set(
            PULL_DEFAULTS['reweighting'])
        if unknown_rw:
            raise KeyError(f'unknown train_cfg.reweighting key(s) {sorted(unknown_rw)}; '
                           f'expected {sorted(PULL_DEFAULTS["reweighting"])}')
        pull = {k: train_cfg.pop(k, v) for k, v in PULL_DEFAULTS.items()}
        super().__init__(model, mic=mic, train_cfg=train_cfg, **kwargs)
        if not hasattr(self.student, 'project'):
            raise TypeError('T2SDA needs a student with a projection head: set '
                            "model.model.type='ProjectedEncoderDecoder' with "
                            'projection_head=dict(in_channels=...) (configs/t2sda)')
        self.pull_cfg = pull
        if pull['temperature'] <= 0:
            raise ValueError(f'train_cfg.temperature must be > 0, got {pull["temperature"]}')
        for key in ('num_queries', 'num_negatives'):
            if int(pull[key]) < 1:
                raise ValueError(f'train_cfg.{key} must be >= 1, got {pull[key]}')
        if not 0 <= pull['key_threshold'] <= 1:
            raise ValueError(f'train_cfg.key_threshold must be in [0, 1], got '
                             f'{pull["key_threshold"]}')
        self.translator = TRANSLATORS.build(translator)
        self.dg = bool(pull['domain_generalization'])
        if self.dg and self.translator.needs_target:
            raise ValueError(f'domain_generalization has no target images but the translator '
                             f'{type(self.translator).__name__} needs them')
        if self.dg and mic is not None:
            raise ValueError('MIC needs target images: no mic with domain_generalization')
        rw = pull['reweighting']
        if rw is not None:
            rw = dict(PULL_DEFAULTS['reweighting'], **rw)
            if rw['signal'] not in ('pseudo_target', 'target_confidence'):
                raise ValueError("train_cfg.reweighting.signal must be 'pseudo_target' or "
                                 f"'target_confidence', got {rw['signal']!r}")
            if rw['signal'] == 'target_confidence' and self.dg:
                raise ValueError("reweighting.signal='target_confidence' needs target images")
            self.rw_signal = rw.pop('signal')
            self.reweighting = ClassReweighting(self.num_classes, **rw)
        else:
            self.reweighting = None

    def trainable_modules(self) -> nn.ModuleDict:
        return nn.ModuleDict({name: module for name, module in super().trainable_modules().items()
                              if name not in ('translator', 'reweighting')})

    # ------------------------------------------------------------------ pieces
    def pixel_labels(self, label: torch.Tensor, size) -> torch.Tensor:
        """(B, H, W) labels -> (B, h, w) by nearest neighbour."""
        return F.interpolate(label[:, None].float(), size=size, mode='nearest')[:, 0].long()

    def translate(self, source_img: torch.Tensor, target_img: Optional[torch.Tensor],
                  generator: torch.Generator) -> torch.Tensor:
        """The pseudo-target batch, normalised as the inputs."""

        def to_rgb(img):
            img = denorm(img, self.mean, self.std).clamp(0, 1)
            return img.flip(1) if self.bgr_inputs else img

        out = self.translator(to_rgb(source_img),
                              None if target_img is None else to_rgb(target_img), generator)
        return renorm(out.flip(1) if self.bgr_inputs else out, self.mean, self.std)

    # ------------------------------------------------------------------ the passes
    def pass_teacher(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """Target pseudo-labels and keys, source keys (teacher, no gradient)."""
        wrapper = self.main_optim_wrapper(optim_wrapper)
        log = {}
        with wrapper.optim_context(self), torch.no_grad():
            _, src_keys = self.teacher.project(state['src_img'])
            state['src_keys'] = src_keys.detach()
            if not self.dg:
                logits, tgt_keys = self.teacher.project(state['tgt_img'])
                state['pseudo_label'], state['pseudo_weight'] = self.pseudo_label_from_logits(
                    logits, state['tgt_img'].shape[2:], state['tgt_samples'])
                prob, label = torch.softmax(logits.float(), dim=1).max(dim=1)
                if self.reweighting is not None and self.rw_signal == 'target_confidence':
                    self.reweighting.update(prob, label)
                label[prob < self.pull_cfg['key_threshold']] = -1
                state.update(tgt_keys=tgt_keys.detach(), tgt_key_label=label)
                log['pseudo_weight'] = state['pseudo_weight'].mean().detach()
        return log

    def pass_pull(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """Pseudo-target queries pulled to the source prototypes of their class, one
        backward."""
        cfg = self.pull_cfg
        wrapper = self.main_optim_wrapper(optim_wrapper)
        pseudo = self.translate(state['src_img'], state['tgt_img'], state['generator'])
        state['pseudo_target_img'] = pseudo
        with wrapper.optim_context(self):
            logits, queries = self.student.project(pseudo)
            size = queries.shape[2:]
            src_label = self.pixel_labels(state['src_label'], size)
            ignore = (src_label < 0) | (src_label >= self.num_classes)
            src_label = src_label.masked_fill(ignore, -1)
            q, q_label = flatten_pixels(queries, src_label)
            k_src, k_src_label = flatten_pixels(state['src_keys'], src_label)
            k_tgt = k_tgt_label = None
            if not self.dg:
                tgt_label = self.pixel_labels(state['tgt_key_label'], size) \
                    if state['tgt_key_label'].shape[1:] != size else state['tgt_key_label']
                k_tgt, k_tgt_label = flatten_pixels(state['tgt_keys'], tgt_label)
            terms = pulling_terms(q, q_label, k_src, k_src_label, k_tgt, k_tgt_label,
                                  self.num_classes, cfg['num_queries'], cfg['num_negatives'],
                                  cfg['temperature'], cfg['class_balanced'],
                                  cfg['equalise_domains'], state['generator'])
            if self.reweighting is not None:
                if self.rw_signal == 'pseudo_target':
                    with torch.no_grad():
                        prob = torch.softmax(logits.detach().float(), dim=1)
                        # the head's logits and the projections share one resolution
                        label = src_label if logits.shape[2:] == size else \
                            self.pixel_labels(state['src_label'], logits.shape[2:])
                        valid = (label >= 0) & (label < self.num_classes)
                        true_prob = prob.gather(1, label.clamp(0, self.num_classes - 1)[:, None])
                        self.reweighting.update(true_prob[:, 0][valid], label[valid])
                weights = self.reweighting.weights(terms.present)
            else:
                weights = terms.present.to(terms.losses.dtype)
            n = terms.present.sum()
            loss = (weights * terms.losses).sum() / n.clamp(min=1) * cfg['loss_weight']
            if not terms.present.any():  # one class in the batch: nothing to pull or push
                loss = loss + queries.sum() * 0
            losses = dict(loss_pull=loss)
            if cfg['translated_loss_weight']:
                ce = head_loss(self.student.decode_head, None, state['src_samples'],
                               seg_logits=logits)
                losses['loss_translated'] = cfg['translated_loss_weight'] * sum(
                    v for k, v in ce.items() if k.startswith('loss'))
        log = self.backward(losses, wrapper, prefix='pull.')
        # collapse / starvation are visible: the classes pulled, the largest class weight and
        # the share of target keys among the negatives (0 while no target pixel is confident)
        log.update({'pull.classes': n.float().detach(),
                    'pull.max_class_weight': weights.max().detach(),
                    'pull.target_negatives': queries.new_tensor(
                        terms.num_target_negatives / max(terms.num_negatives, 1))})
        return log

    def passes(self):
        if self.dg:
            names = ['source', 'teacher', 'pull']
        else:
            names = ['source', 'teacher', 'mix', 'pull'] + (
                ['masked'] if self.mic is not None else [])
        return [(name, getattr(self, f'pass_{name}')) for name in names]
