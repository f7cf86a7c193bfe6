# Copyright (c) mmuda contributors. All rights reserved.
"""Gradient reversal, DA-Faster's domain classifiers and the consistency regulariser."""
import pytest
import torch

from mmuda.models.domain_heads import (ImageDomainClassifier, InstanceDomainClassifier,
                                       domain_consistency_loss)
from mmuda.models.domain_heads.da_faster_heads import domain_bce
from mmuda.models.utils import GradientReversal, GradientScale


def test_gradient_reversal_scales_and_flips_the_gradient():
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = GradientReversal(0.1)(x)
    assert torch.equal(y, x)  # identity forward
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert torch.allclose(x.grad, torch.tensor([-0.1, -0.2, -0.3]))
    x.grad = None
    (GradientScale(0.1)(x) * 2).sum().backward()  # the non-reversing layer
    assert torch.allclose(x.grad, torch.full((3,), 0.2))
    with pytest.raises(ValueError, match='must be > 0'):
        GradientReversal(-1.0)


def test_domain_classifier_game():
    """The classifier descends its loss; the features behind the GRL ascend it (x 0.1)."""
    torch.manual_seed(0)
    head = ImageDomainClassifier(in_channels=8, channels=4)
    feat = torch.randn(2, 8, 5, 6, requires_grad=True)
    logits = head(feat)
    assert logits.shape == (2, 1, 5, 6)
    loss = domain_bce(logits, torch.tensor([True, False]))
    loss.backward()
    grad_rev = feat.grad.clone()
    feat.grad = None
    domain_bce(head(feat, consistency=True), torch.tensor([True, False])).backward()
    assert torch.allclose(grad_rev, -feat.grad, atol=1e-9)  # +-0.1 x the same gradient
    with pytest.raises(ValueError, match='grl_weight must be > 0'):
        ImageDomainClassifier(grl_weight=0)
    # BCE against 1 for source pixels and 0 for target pixels, by hand
    with torch.no_grad():
        p = torch.sigmoid(logits)
        by_hand = -(torch.log(p[0]).mean() + torch.log(1 - p[1]).mean()) / 2
    assert torch.allclose(loss, by_hand, atol=1e-6)


def test_instance_classifier_shapes():
    head = InstanceDomainClassifier(in_channels=16, channels=8)
    assert head(torch.randn(5, 16)).shape == (5, 1)
    assert head(torch.randn(5, 16, 3, 3)).shape == (5, 1)  # RoI maps are averaged


def test_consistency_loss_matches_hand_computation_for_three_images():
    # image-level probabilities: mean over pixels of sigmoid(logits)
    image_logits = torch.zeros(3, 1, 2, 2)
    image_logits[1] = 100.0  # image 0: p = 0.5; image 1: p = 1
    image_logits[2, 0, 0, 0] = 100.0
    image_logits[2, 0, 0, 1] = -100.0  # image 2: p = (1 + 0 + 0.5 + 0.5) / 4 = 0.5
    instance_logits = torch.tensor([0.0, 100.0, -100.0, 0.0, 0.0]).view(-1, 1)
    index = torch.tensor([0, 0, 1, 2, 1])
    # |0.5 - 0.5| + |0.5 - 1| + |1 - 0| + |0.5 - 0.5| + |1 - 0.5|, averaged over 5 RoIs
    loss = domain_consistency_loss(image_logits, instance_logits, index)
    assert loss.item() == pytest.approx((0 + 0.5 + 1 + 0 + 0.5) / 5, abs=1e-6)
    with pytest.raises(ValueError, match=r'RoI image indices must be in \[0, 3\)'):
        domain_consistency_loss(image_logits, instance_logits, torch.tensor([0, 0, 3, 1, 1]))
    empty = domain_consistency_loss(image_logits, torch.zeros(0, 1), torch.zeros(0))
    assert empty.item() == 0
