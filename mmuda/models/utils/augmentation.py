# Copyright (c) mmuda contributors. All rights reserved.
"""Strong augmentation of DACS / MIC, applied to batches of normalised images.

As in the reference, colour jitter happens in de-normalised [0, 1] pixel space and Gaussian
blur on the (normalised) tensor, which is the same since blurring is linear.
"""
import math
from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F


def denorm(img: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """Normalised (B, 3, H, W) -> [0, 1] pixels. ``mean``/``std`` are 0-255, shape (3,)."""
    return (img * std.view(1, -1, 1, 1) + mean.view(1, -1, 1, 1)) / 255.0


def renorm(img: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    return (img * 255.0 - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)


def _rgb_to_hsv(img: torch.Tensor, eps: float = 1e-8):
    r, g, b = img.unbind(1)
    maxc, _ = img.max(1)
    minc, _ = img.min(1)
    delta = maxc - minc
    s = delta / (maxc + eps)
    deltac = torch.where(delta == 0, torch.ones_like(delta), delta)
    rc, gc, bc = (maxc - r) / deltac, (maxc - g) / deltac, (maxc - b) / deltac
    h = torch.where(maxc == r, bc - gc,
                    torch.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = torch.where(delta == 0, torch.zeros_like(h), h)
    h = (h / 6.0) % 1.0
    return h, s, maxc


def _hsv_to_rgb(h, s, v):
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.long() % 6
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = torch.zeros(h.shape + (3,), dtype=h.dtype, device=h.device)
    for k, (r, g, b) in enumerate(choices):
        sel = i == k
        out[sel] = torch.stack((r[sel], g[sel], b[sel]), -1)
    return out.permute(0, 3, 1, 2)


@dataclass
class JitterParams:
    """The draws of one colour-jitter application to a batch of B images.

    ``brightness``, ``contrast``, ``saturation`` and ``hue``: (B,) factors (hue: a shift in
    turns); ``order``: the order of the four operations (0 brightness, 1 contrast, 2 saturation,
    3 hue), one (4,) permutation shared by the batch or, ``per_image``, a (B, 4) permutation
    per image.
    """
    brightness: torch.Tensor
    contrast: torch.Tensor
    saturation: torch.Tensor
    hue: torch.Tensor
    order: torch.Tensor


def draw_jitter(batch: int, strength: float, per_image: bool = False,
                generator: Optional[torch.Generator] = None) -> JitterParams:
    """Factors per image from ``[1 - s, 1 + s]`` (hue: a shift of ``[-s, s]`` turns, s <= 0.5)
    and the order of the operations: one for the batch (a kornia ``ColorJitter`` call on the
    batch) or one per image (``per_image``: one call per image)."""

    def factor(low, high):
        return torch.rand(batch, generator=generator) * (high - low) + low

    s = strength
    params = dict(brightness=factor(max(0.0, 1 - s), 1 + s),
                  contrast=factor(max(0.0, 1 - s), 1 + s),
                  saturation=factor(max(0.0, 1 - s), 1 + s),
                  hue=factor(-min(s, 0.5), min(s, 0.5)))
    if per_image:
        order = torch.stack([torch.randperm(4, generator=generator) for _ in range(batch)])
    else:
        order = torch.randperm(4, generator=generator)
    return JitterParams(order=order, **params)


def _jitter_op(img: torch.Tensor, op: int, params: JitterParams,
               index: Optional[torch.Tensor] = None) -> torch.Tensor:
    """One colour operation on ``img`` (N, 3, H, W) in [0, 1]; ``index`` selects the images'
    factors (default: all B)."""

    def f(values):
        values = values if index is None else values[index]
        return values.to(img).view(-1, 1, 1, 1)

    if op == 0:
        return (img + (f(params.brightness) - 1)).clamp(0, 1)
    if op == 1:
        return (img * f(params.contrast)).clamp(0, 1)
    h, sat, v = _rgb_to_hsv(img)
    if op == 2:
        sat = (sat * f(params.saturation)[:, 0]).clamp(0, 1)
    else:
        h = (h + f(params.hue)[:, 0]) % 1.0  # kornia: a shift of hue * 2 pi radians
    return _hsv_to_rgb(h, sat, v).clamp(0, 1)


def apply_jitter(img: torch.Tensor, params: JitterParams) -> torch.Tensor:
    """Brightness (additive), contrast, saturation (multiplicative) and hue shift of a batch in
    [0, 1] with the drawn ``params`` (kornia's ColorJitter as used by the reference)."""
    if params.order.dim() == 1:
        for op in params.order.tolist():
            img = _jitter_op(img, op, params)
        return img
    out = []
    for i, order in enumerate(params.order.tolist()):
        one, index = img[i:i + 1], torch.tensor([i])
        for op in order:
            one = _jitter_op(one, op, params, index)
        out.append(one)
    return torch.cat(out)


def gaussian_kernel_size(size: int) -> int:
    """The reference's kernel size: about 10 % of the side, odd."""
    return int(math.floor(math.ceil(0.1 * size) - 0.5 + math.ceil(0.1 * size) % 2))


def gaussian_blur(img: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur with reflect padding and the reference's kernel sizes."""
    _, c, h, w = img.shape
    out = img
    for dim, size in ((2, h), (3, w)):
        k = max(1, gaussian_kernel_size(size))
        if k < 2:
            continue
        x = torch.arange(k, dtype=img.dtype, device=img.device) - (k - 1) / 2
        kernel = torch.exp(-x ** 2 / (2 * sigma ** 2))
        kernel = kernel / kernel.sum()
        if dim == 2:
            weight = kernel.view(1, 1, k, 1).repeat(c, 1, 1, 1)
            pad = (0, 0, k // 2, k // 2)
        else:
            weight = kernel.view(1, 1, 1, k).repeat(c, 1, 1, 1)
            pad = (k // 2, k // 2, 0, 0)
        out = F.conv2d(F.pad(out, pad, mode='reflect'), weight, groups=c)
    return out


def strong_augment(img: torch.Tensor, mean: torch.Tensor, std: torch.Tensor,
                   color_jitter_strength: float = 0.2, color_jitter_prob: float = 0.8,
                   blur: bool = True, blur_prob: float = 0.5,
                   sigma_range=(0.15, 1.15), per_image: bool = False,
                   generator: Optional[torch.Generator] = None,
                   bgr: bool = False) -> torch.Tensor:
    """DACS' strong augmentation of a normalised batch.

    As the reference, one draw per batch decides whether colour jitter (probability
    ``color_jitter_prob``; the reference's ``color_jitter_probability=0.2`` is the probability
    of *not* jittering) and blur (probability ``blur_prob``) apply; the jitter factors are drawn
    per image. The granularity of the rest follows the reference's call sites:

    - ``per_image=True`` (DACS' mixed images: the reference calls its transform once per
      image): the order of the four colour operations and the blur sigma ~ U(0.15, 1.15) are
      drawn per image;
    - ``per_image=False`` (MIC's masked batch: one call on the batch): one order and one sigma
      for the whole batch.

    ``bgr``: ``img`` (and ``mean``/``std``) are in BGR order (a pre-processor without
    ``bgr_to_rgb``, as the DeepLab-v2 configs); the jitter's luma and saturation weights are
    applied to the RGB view and the result is returned in BGR.
    """
    if torch.rand((), generator=generator) < color_jitter_prob:
        params = draw_jitter(img.shape[0], color_jitter_strength, per_image, generator)
        if bgr:
            img, mean, std = img.flip(1), mean.flip(0), std.flip(0)
        img = renorm(apply_jitter(denorm(img, mean, std), params), mean, std)
        if bgr:
            img = img.flip(1)
    if blur and torch.rand((), generator=generator) < blur_prob:
        low, high = sigma_range
        sigmas = torch.rand(img.shape[0] if per_image else 1, generator=generator) * (
            high - low) + low
        if per_image:
            img = torch.cat([gaussian_blur(img[i:i + 1], float(sig)) for i, sig in
                             enumerate(sigmas)])
        else:
            img = gaussian_blur(img, float(sigmas[0]))
    return img
