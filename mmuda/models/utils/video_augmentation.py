# Copyright (c) mmuda contributors. All rights reserved.
"""Augmentations of TPS (Xing et al., ECCV 2022) for video UDA.

- :func:`match_histograms`: per image and channel histogram matching of source frames to a
  target frame (``skimage.exposure.match_histograms``), used by TPS on the source clips;
- :func:`draw_video_augment` / :func:`video_strong_augment`: the student's strong augmentation
  of a target frame pair, torchvision's ``Compose([RandomApply([GaussianBlur(r)], 0.6),
  RandomApply([ColorJitter(0.8, 0.8, 0.8, 0.2)], 0.8), RandomGrayscale(0.2)])`` on PIL images,
  with the same draws for every frame of a sample (the frames are concatenated along the height,
  augmented once and split back, so that e.g. contrast's mean covers all frames).

Differences to the reference: no uint8 quantisation between the operations, and the blur uses
:func:`gaussian_blur` (reflect padding, kernel of about 10 % of the side: it covers +-3 sigma
for sides of at least 60 sigma, e.g. 540 pixels for the largest radius 9) instead of PIL's box
approximation of a Gaussian with sigma = radius.
"""
from dataclasses import dataclass
from typing import List, Sequence

import torch

from .augmentation import JitterParams, _hsv_to_rgb, _rgb_to_hsv, denorm, gaussian_blur, renorm


def _interp(x: torch.Tensor, xp: torch.Tensor, fp: torch.Tensor) -> torch.Tensor:
    """``np.interp(x, xp, fp)`` for increasing ``xp``: constant ``fp`` ends outside ``xp``."""
    if xp.numel() == 1:
        return fp.expand_as(x).clone()
    i = torch.searchsorted(xp, x, right=True).clamp(1, xp.numel() - 1)
    x0, x1, y0, y1 = xp[i - 1], xp[i], fp[i - 1], fp[i]
    out = y0 + (x - x0) / (x1 - x0) * (y1 - y0)
    out = torch.where(x < xp[0], fp[0], out)
    return torch.where(x >= xp[-1], fp[-1], out)


@torch.no_grad()
def match_histograms(source: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Map each channel of each image of ``source`` (B, C, H, W) onto the value distribution of
    the same channel of ``reference`` (B, C, H', W'), as skimage's ``match_histograms``: every
    unique source value goes to the reference value at its empirical CDF (cumulative count / N),
    linearly interpolated between the reference's unique values and their CDF."""
    if source.dim() != 4 or reference.dim() != 4 or source.shape[:2] != reference.shape[:2]:
        raise ValueError('match_histograms expects (B, C, H, W) source and reference with the '
                         f'same B and C, got {tuple(source.shape)} and {tuple(reference.shape)}')
    out = torch.empty_like(source)
    for b in range(source.shape[0]):
        for c in range(source.shape[1]):
            src, ref = source[b, c].reshape(-1).double(), reference[b, c].reshape(-1).double()
            src_values, inverse, src_counts = torch.unique(
                src, return_inverse=True, return_counts=True)
            ref_values, ref_counts = torch.unique(ref, return_counts=True)
            src_cdf = src_counts.cumsum(0).double() / src.numel()
            ref_cdf = ref_counts.cumsum(0).double() / ref.numel()
            mapped = _interp(src_cdf, ref_cdf, ref_values)
            out[b, c] = mapped[inverse].view_as(source[b, c]).to(source.dtype)
    return out


@dataclass
class VideoAugmentParams:
    """The draws of one strong augmentation of a batch of B frame sequences: per sample,
    whether to blur (``blur``, (B,) bool) with which sigma (``sigma``, (B,) the PIL radius),
    whether to jitter the colours (``jitter``) with which factors and order (``jitter_params``,
    torchvision semantics, (B, 4) orders) and whether to convert to grayscale (``gray``)."""
    blur: torch.Tensor
    sigma: torch.Tensor
    jitter: torch.Tensor
    jitter_params: JitterParams
    gray: torch.Tensor


def draw_video_augment(batch: int, generator: torch.Generator, blur_prob: float = 0.6,
                       blur_radii: Sequence[float] = (5, 7, 9), jitter_prob: float = 0.8,
                       jitter: Sequence[float] = (0.8, 0.8, 0.8, 0.2),
                       gray_prob: float = 0.2) -> VideoAugmentParams:
    """Independent draws per sample of TPS' strong augmentation. ``jitter`` holds torchvision's
    ``ColorJitter(brightness, contrast, saturation, hue)``: factors uniform in
    ``[max(0, 1 - x), 1 + x]``, a hue shift uniform in ``[-hue, hue]`` turns, a random order."""
    brightness, contrast, saturation, hue = jitter
    if min(brightness, contrast, saturation) < 0 or not 0 <= hue <= 0.5:
        raise ValueError(f'jitter strengths must be >= 0 and hue in [0, 0.5], got {jitter}')

    def uniform(low, high):
        return torch.rand(batch, generator=generator) * (high - low) + low

    def factor(strength):
        return uniform(max(0.0, 1 - strength), 1 + strength)

    blur = torch.rand(batch, generator=generator) < blur_prob
    index = torch.randint(len(blur_radii), (batch, ), generator=generator)
    sigma = torch.tensor([float(r) for r in blur_radii])[index]
    apply_jitter = torch.rand(batch, generator=generator) < jitter_prob
    params = JitterParams(
        brightness=factor(brightness), contrast=factor(contrast),
        saturation=factor(saturation), hue=uniform(-hue, hue),
        order=torch.stack([torch.randperm(4, generator=generator) for _ in range(batch)]))
    gray = torch.rand(batch, generator=generator) < gray_prob
    return VideoAugmentParams(blur, sigma, apply_jitter, params, gray)


def _gray(img: torch.Tensor) -> torch.Tensor:
    """ITU-R 601-2 luma of (N, 3, H, W) -> (N, 1, H, W)."""
    r, g, b = img.unbind(1)
    return (0.299 * r + 0.587 * g + 0.114 * b).unsqueeze(1)


def _color_jitter(img: torch.Tensor, params: JitterParams, i: int) -> torch.Tensor:
    """torchvision's ColorJitter with sample ``i``'s draws on ``img`` (1, 3, H, W) in [0, 1]:
    brightness scales, contrast blends with the mean luma, saturation with the luma image, hue
    shifts in HSV."""
    for op in params.order[i].tolist():
        if op == 0:
            img = (img * float(params.brightness[i])).clamp(0, 1)
        elif op in (1, 2):
            f = float(params.contrast[i] if op == 1 else params.saturation[i])
            other = _gray(img).mean() if op == 1 else _gray(img)
            img = (f * img + (1 - f) * other).clamp(0, 1)
        else:
            h, s, v = _rgb_to_hsv(img)
            img = _hsv_to_rgb((h + float(params.hue[i])) % 1.0, s, v).clamp(0, 1)
    return img


def video_strong_augment(frames: Sequence[torch.Tensor], params: VideoAugmentParams,
                         mean: torch.Tensor, std: torch.Tensor,
                         bgr: bool = False) -> List[torch.Tensor]:
    """Strong augmentation of normalised frames (each (B, 3, H_k, W)) with the same draws for
    all frames of a sample: blur, colour jitter and grayscale in [0, 1] RGB pixel space on the
    frames concatenated along the height; returns the normalised frames, split back.
    ``bgr``: the frames (and ``mean``/``std``) are in BGR order (a pre-processor without
    ``bgr_to_rgb``, as the DeepLab-v2 configs): they are augmented as RGB and returned as
    BGR."""
    heights = [frame.shape[2] for frame in frames]
    img = torch.cat(list(frames), 2)
    if bgr:
        img, mean, std = img.flip(1), mean.flip(0), std.flip(0)
    img = denorm(img, mean, std).clamp(0, 1)
    out = []
    for i in range(img.shape[0]):
        one = img[i:i + 1]
        if params.blur[i]:
            one = gaussian_blur(one, float(params.sigma[i]))
        if params.jitter[i]:
            one = _color_jitter(one, params.jitter_params, i)
        if params.gray[i]:
            one = _gray(one).expand_as(one)
        out.append(one)
    img = renorm(torch.cat(out).clamp(0, 1), mean, std)
    if bgr:
        img = img.flip(1)
    return list(img.split(heights, 2))
