# Copyright (c) mmuda contributors. All rights reserved.
"""TPS' histogram matching (against hand-worked CDFs and numpy's unique/interp) and its strong
augmentation of frame pairs (shared draws, torchvision's ColorJitter semantics, blur, gray)."""
import dataclasses

import numpy as np
import pytest
import torch

from mmuda.models.utils.augmentation import JitterParams, denorm, gaussian_kernel_size, renorm
from mmuda.models.utils.video_augmentation import (VideoAugmentParams, draw_video_augment,
                                                   match_histograms, video_strong_augment)

MEAN, STD = torch.tensor([123.675, 116.28, 103.53]), torch.tensor([58.395, 57.12, 57.375])


def _img(values, h):
    """(1, 3, h, w) image with the given values (row-major) in every channel."""
    v = torch.as_tensor(values, dtype=torch.float32).view(1, 1, h, -1)
    return v.repeat(1, 3, 1, 1)


def test_match_histograms_hand_worked():
    # source [0, 0, 1, 2]: unique 0, 1, 2 with counts 2, 1, 1 -> CDF 2/4, 3/4, 4/4.
    # reference [10, 20, 30, 40]: CDF 1/4, 2/4, 3/4, 4/4, so 0 -> 20, 1 -> 30, 2 -> 40
    out = match_histograms(_img([0, 0, 1, 2], 2), _img([10, 20, 30, 40], 2))
    assert torch.equal(out, _img([20, 20, 30, 40], 2))
    # reference [10, 20, 30] (other size): CDF 1/3, 2/3, 1. CDF 1/2 lies half way between
    # 1/3 and 2/3 -> 15; 3/4 a quarter of the way from 2/3 to 1 -> 22.5; 1 -> 30
    out = match_histograms(_img([0, 0, 1, 2], 2), _img([30, 10, 20], 1))
    assert torch.allclose(out, _img([15, 15, 22.5, 30], 2))
    # source 0..5: CDF k/6. 1/6 is below the reference's first CDF 1/3 -> 10 (np.interp's
    # left end), 2/6 -> 10, 3/6 -> 15, 4/6 -> 20, 5/6 -> 25, 6/6 -> 30
    out = match_histograms(_img([5, 4, 3, 2, 1, 0], 2), _img([10, 20, 30], 1))
    assert torch.allclose(out, _img([30, 25, 20, 15, 10, 10], 2))
    # a single reference value takes everything
    assert torch.equal(match_histograms(_img([0, 1, 2, 3], 2), _img([7, 7], 1)),
                       _img([7] * 4, 2))


def _numpy_match(src, ref):
    """The definition, per channel, with numpy."""
    values, inverse, counts = np.unique(src.ravel(), return_inverse=True, return_counts=True)
    ref_values, ref_counts = np.unique(ref.ravel(), return_counts=True)
    mapped = np.interp(np.cumsum(counts) / src.size, np.cumsum(ref_counts) / ref.size,
                       ref_values)
    return mapped[inverse].reshape(src.shape)


def test_match_histograms_per_image_and_channel():
    g = torch.Generator().manual_seed(0)
    source = torch.randint(0, 20, (2, 3, 5, 6), generator=g).float() * 3.5
    reference = torch.rand(2, 3, 4, 7, generator=g) * 255
    reference[1, 2] = torch.randint(0, 4, (4, 7), generator=g).float()  # ties
    out = match_histograms(source, reference)
    assert out.shape == source.shape and out.dtype == source.dtype
    for b in range(2):
        for c in range(3):
            expected = _numpy_match(source[b, c].double().numpy(),
                                    reference[b, c].double().numpy())
            assert np.allclose(out[b, c].numpy(), expected, atol=1e-4)
    assert match_histograms(source.double(), reference).dtype == torch.float64


def test_match_histograms_invariants():
    g = torch.Generator().manual_seed(1)
    ref = torch.randint(0, 10, (2, 3, 6, 5), generator=g).float()  # with ties
    assert torch.equal(match_histograms(ref, ref), ref)
    # a monotone transform of the reference is undone
    assert torch.allclose(match_histograms(ref * 2 + 5, ref), ref)
    # equal sizes, distinct values: the output is a permutation of the reference
    src, ref = torch.randn(2, 3, 4, 5, generator=g), torch.randn(2, 3, 5, 4, generator=g)
    out = match_histograms(src, ref)
    assert torch.allclose(out.flatten(2).sort(-1).values, ref.flatten(2).sort(-1).values)
    # ... with the source's ranks
    assert torch.equal(out.flatten(2).argsort(-1), src.flatten(2).argsort(-1))
    with pytest.raises(ValueError, match='same B and C'):
        match_histograms(torch.zeros(2, 3, 4, 4), torch.zeros(1, 3, 4, 4))
    with pytest.raises(ValueError, match='same B and C'):
        match_histograms(torch.zeros(1, 3, 4, 4), torch.zeros(1, 1, 4, 4))


def _frames(g, b=2, h=16, w=24, n=2):
    """n normalised frames (b, 3, h, w) of random [0, 1] pixels."""
    return [renorm(torch.rand(b, 3, h, w, generator=g), MEAN, STD) for _ in range(n)]


def _params(batch=1, blur=False, sigma=5.0, gray=False, order=(0, 1, 2, 3), **factors):
    """Hand-built draws: jitter applied when any factor is given, neutral factors else."""
    values = {**dict(brightness=1.0, contrast=1.0, saturation=1.0, hue=0.0), **factors}
    jitter = JitterParams(order=torch.tensor([order] * batch),
                          **{k: torch.full((batch, ), float(v)) for k, v in values.items()})
    full = lambda v: torch.full((batch, ), v)  # noqa: E731
    return VideoAugmentParams(full(blur), full(sigma), full(bool(factors)), jitter, full(gray))


def _pixels(frames):
    return [denorm(f, MEAN, STD) for f in frames]


def test_draws():
    p = draw_video_augment(4000, torch.Generator().manual_seed(0))
    for flag, prob in ((p.blur, 0.6), (p.jitter, 0.8), (p.gray, 0.2)):
        assert flag.dtype == torch.bool and abs(flag.float().mean() - prob) < 0.03
    assert set(p.sigma.tolist()) == {5.0, 7.0, 9.0}
    j = p.jitter_params
    for f in (j.brightness, j.contrast, j.saturation):
        assert 0.2 <= f.min() < 0.25 and 1.75 < f.max() <= 1.8
    assert -0.2 <= j.hue.min() < -0.19 and 0.19 < j.hue.max() <= 0.2
    assert j.order.shape == (4000, 4) and (j.order.sort(1).values == torch.arange(4)).all()
    assert len({tuple(o) for o in j.order.tolist()}) == 24
    strong = draw_video_augment(100, torch.Generator(), jitter=(2.0, 0.0, 0.5, 0.5)).jitter_params
    assert strong.brightness.min() >= 0 and (strong.contrast == 1).all()
    with pytest.raises(ValueError, match='hue in'):
        draw_video_augment(1, torch.Generator(), jitter=(0.8, 0.8, 0.8, 0.6))


def test_determinism_and_per_sample_draws():
    frames = _frames(torch.Generator().manual_seed(0))
    outs = []
    for seed in (3, 3, 4):
        p = draw_video_augment(2, torch.Generator().manual_seed(seed), blur_prob=1.0,
                               jitter_prob=1.0)
        outs.append(video_strong_augment(frames, p, MEAN, STD))
    assert all(torch.equal(a, b) for a, b in zip(outs[0], outs[1]))
    assert not torch.allclose(outs[0][0], outs[2][0])
    # the batch is augmented sample by sample with its own draws
    p = draw_video_augment(2, torch.Generator().manual_seed(5), 1.0, jitter_prob=1.0)
    out = video_strong_augment(frames, p, MEAN, STD)
    for i in range(2):
        one = dataclasses.replace(
            p, blur=p.blur[i:i + 1], sigma=p.sigma[i:i + 1], jitter=p.jitter[i:i + 1],
            gray=p.gray[i:i + 1], jitter_params=JitterParams(
                **{k: v[i:i + 1] for k, v in vars(p.jitter_params).items()}))
        alone = video_strong_augment([f[i:i + 1] for f in frames], one, MEAN, STD)
        assert all(torch.allclose(a, o[i:i + 1], atol=1e-5) for a, o in zip(alone, out))


def test_same_draws_for_all_frames():
    g = torch.Generator().manual_seed(1)
    frame = _frames(g, n=1)[0]
    for seed in range(5):  # no blur: it mixes rows across the seam, as in the reference
        p = draw_video_augment(2, torch.Generator().manual_seed(seed), blur_prob=0.0,
                               jitter_prob=1.0, gray_prob=0.5)
        a, b = video_strong_augment([frame, frame.clone()], p, MEAN, STD)
        assert torch.equal(a, b) and not torch.allclose(a, frame)
    # a pair is the height-concatenated image augmented alone, split back
    frames = _frames(g, h=12) + _frames(g, h=20, n=1)
    p = draw_video_augment(2, torch.Generator().manual_seed(7), blur_prob=1.0, jitter_prob=1.0)
    out = video_strong_augment(frames, p, MEAN, STD)
    (whole, ) = video_strong_augment([torch.cat(frames, 2)], p, MEAN, STD)
    assert [o.shape[2] for o in out] == [12, 12, 20]
    assert torch.equal(torch.cat(out, 2), whole)


def test_identity_and_range():
    g = torch.Generator().manual_seed(2)
    frames = _frames(g)
    p = draw_video_augment(2, g, blur_prob=0.0, jitter_prob=0.0, gray_prob=0.0)
    out = video_strong_augment(frames, p, MEAN, STD)
    assert all(torch.allclose(o, f, atol=1e-5) for o, f in zip(out, frames))
    p = _params(2, brightness=1.0)  # neutral factors, all four operations
    out = video_strong_augment(frames, p, MEAN, STD)
    assert all(torch.allclose(o, f, atol=1e-4) for o, f in zip(out, frames))
    for seed in range(10):
        p = draw_video_augment(2, torch.Generator().manual_seed(seed), jitter_prob=1.0)
        for x in _pixels(video_strong_augment(frames, p, MEAN, STD)):
            assert x.min() >= -1e-5 and x.max() <= 1 + 1e-5


def test_grayscale():
    frames = _frames(torch.Generator().manual_seed(3))
    p = draw_video_augment(2, torch.Generator().manual_seed(0), gray_prob=1.0)
    for x in _pixels(video_strong_augment(frames, p, MEAN, STD)):
        assert torch.allclose(x[:, 0], x[:, 1], atol=1e-5)
        assert torch.allclose(x[:, 0], x[:, 2], atol=1e-5)
    (x, ) = _pixels(video_strong_augment(frames[:1], _params(2, gray=True), MEAN, STD))
    r, g, b = _pixels(frames[:1])[0].unbind(1)
    assert torch.allclose(x[:, 0], 0.299 * r + 0.587 * g + 0.114 * b, atol=1e-5)


def test_torchvision_jitter_semantics():
    # two frames of flat colours: (0.2, 0.4, 0.6) and (0.6, 0.4, 0.2)
    a = torch.tensor([0.2, 0.4, 0.6]).view(1, 3, 1, 1).expand(1, 3, 4, 6)
    b = torch.tensor([0.6, 0.4, 0.2]).view(1, 3, 1, 1).expand(1, 3, 4, 6)
    frames = [renorm(a, MEAN, STD), renorm(b, MEAN, STD)]

    def run(**kw):
        return _pixels(video_strong_augment(frames, _params(**kw), MEAN, STD))

    # brightness multiplies (and clamps)
    x, y = run(brightness=1.5)
    assert torch.allclose(x, (a * 1.5).clamp(0, 1), atol=1e-5)
    # contrast blends with the mean luma of BOTH frames ((0.363 + 0.437) / 2, not per frame)
    luma = [0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] for c in ((.2, .4, .6), (.6, .4, .2))]
    x, y = run(contrast=0.5)
    m = sum(luma) / 2
    assert torch.allclose(x, 0.5 * a + 0.5 * m, atol=1e-5)
    assert torch.allclose(y, 0.5 * b + 0.5 * m, atol=1e-5)
    # saturation blends with each pixel's luma
    x, _ = run(saturation=0.0)
    assert torch.allclose(x, torch.full_like(a, luma[0]), atol=1e-5)
    x, _ = run(saturation=2.0)
    assert torch.allclose(x, (2 * a - luma[0]).clamp(0, 1), atol=1e-5)
    # hue shifts in turns: a third of a turn takes red to green
    red = renorm(torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1).expand(1, 3, 2, 2), MEAN, STD)
    (x, ) = _pixels(video_strong_augment([red], _params(hue=1 / 3), MEAN, STD))
    assert torch.allclose(x, torch.tensor([0.0, 1.0, 0.0]).view(1, 3, 1, 1).expand_as(x),
                          atol=1e-5)
    # the order matters: brightness then contrast != contrast then brightness
    x, _ = run(brightness=1.5, contrast=0.5, order=(1, 0, 2, 3))
    assert torch.allclose(x, ((0.5 * a + 0.5 * m) * 1.5).clamp(0, 1), atol=1e-5)


def test_blur_of_an_impulse():
    size, sigma = 64, 2.0
    img = torch.zeros(1, 3, size, size)
    img[..., 32, 32] = 1.0
    (x, ) = _pixels(video_strong_augment([renorm(img, MEAN, STD)],
                                         _params(blur=True, sigma=sigma), MEAN, STD))
    k = gaussian_kernel_size(size)
    t = torch.arange(k, dtype=torch.float32) - (k - 1) / 2
    kernel = torch.exp(-t ** 2 / (2 * sigma ** 2))
    kernel = kernel / kernel.sum()
    expected = torch.zeros(size, size)
    window = slice(32 - k // 2, 32 + k // 2 + 1)
    expected[window, window] = torch.outer(kernel, kernel)
    for c in range(3):
        assert torch.allclose(x[0, c], expected, atol=1e-5)
    # the drawn radius is the sigma
    p = draw_video_augment(1, torch.Generator().manual_seed(0), blur_prob=1.0, blur_radii=(2, ),
                           jitter_prob=0.0, gray_prob=0.0)
    (y, ) = _pixels(video_strong_augment([renorm(img, MEAN, STD)], p, MEAN, STD))
    assert torch.allclose(x, y, atol=1e-6)


def test_bgr_frames_are_augmented_as_rgb():
    """A pre-processor without bgr_to_rgb (the DeepLab-v2 configs) feeds BGR: grayscale uses
    the RGB luma weights on the right channels and the frames come back in BGR order."""
    gen = torch.Generator().manual_seed(0)
    params = draw_video_augment(1, gen, blur_prob=0.0, jitter_prob=0.0, gray_prob=1.0)
    mean, std = torch.tensor([10., 20., 30.]), torch.tensor([50., 60., 70.])
    rgb = torch.rand(1, 3, 4, 4) * 255
    norm_rgb = (rgb - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)
    out_rgb = video_strong_augment([norm_rgb], params, mean, std)[0]
    bgr = rgb.flip(1)
    norm_bgr = (bgr - mean.flip(0).view(1, 3, 1, 1)) / std.flip(0).view(1, 3, 1, 1)
    out_bgr = video_strong_augment([norm_bgr], params, mean.flip(0), std.flip(0), bgr=True)[0]
    assert torch.allclose(out_bgr, out_rgb.flip(1), atol=1e-4)
