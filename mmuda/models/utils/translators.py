# Copyright (c) mmuda contributors. All rights reserved.
"""Image translation engines: a source batch -> a "pseudo-target" batch with the same content
(labels still valid) and another appearance, for T2S-DA's queries.

Every translator maps (B, 3, H, W) RGB images in [0, 1] (and, when ``needs_target``, a
target batch in the same space) to (B, 3, H, W) RGB in [0, 1], without gradient. Build them
from the ``TRANSLATORS`` registry: ``dict(type='FourierAmplitudeSwap', beta=0.01)``.
"""
import os.path as osp
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from mmuda.registry import TRANSLATORS
from .augmentation import apply_jitter, draw_jitter, gaussian_blur
from .video_augmentation import match_histograms


class Translator(nn.Module):
    """Base: ``forward(source, target=None, generator=None)``; ``needs_target`` says whether
    target images are required (not available in domain generalisation)."""
    needs_target = False

    def translate(self, source: torch.Tensor, target: Optional[torch.Tensor],
                  generator: Optional[torch.Generator]) -> torch.Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def forward(self, source: torch.Tensor, target: Optional[torch.Tensor] = None,
                generator: Optional[torch.Generator] = None) -> torch.Tensor:
        if source.dim() != 4 or source.shape[1] != 3:
            raise ValueError(f'{type(self).__name__} expects (B, 3, H, W) RGB images in [0, 1], '
                             f'got shape {tuple(source.shape)}')
        if self.needs_target and target is None:
            raise ValueError(f'{type(self).__name__} needs target images; in domain '
                             'generalisation (no target) use a translator that does not, e.g. '
                             "dict(type='RandomStyle') or dict(type='ScriptedTranslator', ...)")
        out = self.translate(source.float(), None if target is None else target.float(),
                             generator)
        if out.shape != source.shape:
            raise ValueError(f'{type(self).__name__} returned shape {tuple(out.shape)} for input '
                             f'{tuple(source.shape)}: a translator must keep the geometry')
        return out.clamp(0, 1).to(source.dtype)

    @staticmethod
    def partners(target: torch.Tensor, batch: int,
                 generator: Optional[torch.Generator]) -> torch.Tensor:
        """A random target image for each source image."""
        idx = torch.randint(target.shape[0], (batch, ), generator=generator)
        return target[idx.to(target.device)]


@TRANSLATORS.register_module()
class IdentityTranslator(Translator):
    """No translation: the queries come from the source image itself (ablation)."""

    def translate(self, source, target, generator):
        return source


@TRANSLATORS.register_module()
class FourierAmplitudeSwap(Translator):
    """FDA (Yang & Soatto, CVPR 2020): the low-frequency amplitude of each source image (a
    centred square of side ``2 * floor(beta * min(H, W)) + 1`` of the shifted spectrum) is
    replaced by that of a random target image; the phase (the content) is kept."""
    needs_target = True

    def __init__(self, beta: float = 0.01):
        super().__init__()
        if not 0 <= beta <= 0.5:
            raise ValueError(f'FourierAmplitudeSwap beta must be in [0, 0.5], got {beta}')
        self.beta = beta

    def translate(self, source, target, generator):
        ref = self.partners(target, source.shape[0], generator)
        if ref.shape[2:] != source.shape[2:]:
            ref = F.interpolate(ref, size=source.shape[2:], mode='bilinear',
                                align_corners=False)
        fs = torch.fft.fftshift(torch.fft.fft2(source), dim=(-2, -1))
        ft = torch.fft.fftshift(torch.fft.fft2(ref), dim=(-2, -1))
        amp, phase = fs.abs(), fs.angle()
        h, w = source.shape[2:]
        b = int(self.beta * min(h, w))
        ch, cw = h // 2, w // 2
        amp[..., ch - b:ch + b + 1, cw - b:cw + b + 1] = \
            ft.abs()[..., ch - b:ch + b + 1, cw - b:cw + b + 1]
        out = torch.fft.ifft2(torch.fft.ifftshift(torch.polar(amp, phase), dim=(-2, -1)))
        return out.real


@TRANSLATORS.register_module()
class HistogramTranslator(Translator):
    """Each channel of each source image mapped onto the value distribution of a random
    target image (skimage's ``match_histograms``, as TPS's source frames)."""
    needs_target = True

    def translate(self, source, target, generator):
        return match_histograms(source, self.partners(target, source.shape[0], generator))


@TRANSLATORS.register_module()
class RandomStyle(Translator):
    """A random appearance per image that needs no target (usable for domain
    generalisation): a random colour mixing matrix ``I + U(-mix, mix)``, a per-channel gamma
    from ``gamma_range``, colour jitter of ``jitter_strength`` (brightness, contrast,
    saturation, hue in random order), a Gaussian blur with probability ``blur_prob`` and
    Gaussian noise of std ``noise`` (in [0, 1] units)."""

    def __init__(self, mix: float = 0.2, gamma_range=(0.7, 1.4), jitter_strength: float = 0.4,
                 blur_prob: float = 0.5, sigma_range=(0.3, 1.5), noise: float = 0.02):
        super().__init__()
        self.mix, self.gamma_range, self.jitter_strength = mix, tuple(gamma_range), \
            jitter_strength
        self.blur_prob, self.sigma_range, self.noise = blur_prob, tuple(sigma_range), noise

    def translate(self, source, target, generator):
        b = source.shape[0]
        dev = source.device
        mix = torch.eye(3) + (torch.rand(b, 3, 3, generator=generator) * 2 - 1) * self.mix
        mix = mix / mix.sum(dim=2, keepdim=True).clamp(min=0.5)  # keep grey levels near grey
        img = torch.einsum('bij,bjhw->bihw', mix.to(dev), source).clamp(0, 1)
        lo, hi = self.gamma_range
        gamma = torch.rand(b, 3, 1, 1, generator=generator) * (hi - lo) + lo
        img = img.clamp(min=1e-6) ** gamma.to(dev)
        img = apply_jitter(img, draw_jitter(b, self.jitter_strength, True, generator))
        blur = torch.rand(b, generator=generator) < self.blur_prob
        lo, hi = self.sigma_range
        sigma = torch.rand(b, generator=generator) * (hi - lo) + lo
        img = torch.cat([gaussian_blur(img[i:i + 1], float(sigma[i])) if blur[i] else
                         img[i:i + 1] for i in range(b)])
        if self.noise:
            img = img + torch.randn(img.shape, generator=generator).to(dev) * self.noise
        return img


@TRANSLATORS.register_module()
class ScriptedTranslator(Translator):
    """A learned translation network supplied by the user as a TorchScript file (e.g. the
    random style transfer of Jackson et al.'s style augmentation, which the T2S-DA authors
    released, exported with ``torch.jit.trace``): called as ``net(source)`` or, with
    ``needs_target=True``, ``net(source, target_partner)``, on RGB in [0, 1]. Load only files
    you trust: a TorchScript archive carries code."""

    def __init__(self, checkpoint: str, needs_target: bool = False):
        super().__init__()
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'ScriptedTranslator: no TorchScript file at {checkpoint!r} '
                                    '(translator.checkpoint); export your network with '
                                    'torch.jit.trace/script and torch.jit.save')
        self.net = torch.jit.load(checkpoint, map_location='cpu')
        self.net.eval()
        for p in self.net.parameters():
            p.requires_grad_(False)
        self.needs_target = needs_target

    def train(self, mode: bool = True):
        super().train(mode)
        self.net.eval()  # a fixed network: never in training mode
        return self

    def translate(self, source, target, generator):
        if self.needs_target:
            return self.net(source, self.partners(target, source.shape[0], generator))
        return self.net(source)
