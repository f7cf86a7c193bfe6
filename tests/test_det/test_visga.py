# Copyright (c) mmuda contributors. All rights reserved.
"""ViSGA: complete-linkage cosine grouping against hand-worked cases, group means that carry
gradients, and the model step."""
import pytest
import torch

from mmuda.models.utils.grouping import (complete_linkage_groups, cosine_distances,
                                         group_means)

from ..helpers import counting_optim_wrapper
from .test_da_faster import da_faster, uda_batch


def unit(deg):
    rad = torch.deg2rad(torch.tensor(float(deg)))
    return torch.stack([torch.cos(rad), torch.sin(rad)])


def test_cosine_distances_by_hand():
    x = torch.stack([unit(0), unit(90), unit(180), torch.zeros(2)])
    d = cosine_distances(x)
    assert d[0, 1].item() == pytest.approx(1.0, abs=1e-6)
    assert d[0, 2].item() == pytest.approx(2.0, abs=1e-6)
    assert d[0, 3].item() == pytest.approx(1.0)  # a zero vector: distance 1, not nan
    assert torch.all(d.diagonal() == 0)


def test_complete_linkage_stops_at_the_radius():
    """Angles 0, 10, 20 and 60 degrees. 1 - cos: 0-10: 0.0152, 0-20: 0.0603, 10-20: 0.0152,
    20-60: 0.234, 0-60: 0.5. Complete linkage with tau = 0.1 merges {0, 10, 20} (widest
    pair 0.0603) but not 60 (its farthest member of that group is at 0.5). Single linkage
    would chain 60 in at tau = 0.25 (0.234 to 20 degrees); complete linkage must not."""
    x = torch.stack([unit(a) for a in (0, 10, 20, 60)]) * torch.tensor([[1.], [3.], [0.5],
                                                                        [2.]])
    assert complete_linkage_groups(x, tau=0.1).tolist() == [0, 0, 0, 1]
    assert complete_linkage_groups(x, tau=0.25).tolist() == [0, 0, 0, 1]
    assert complete_linkage_groups(x, tau=0.6).tolist() == [0, 0, 0, 0]
    assert complete_linkage_groups(x, tau=0.01).tolist() == [0, 1, 2, 3]
    # fixed number of groups (the ablation)
    assert complete_linkage_groups(x, num_groups=2).tolist() == [0, 0, 0, 1]
    assert complete_linkage_groups(x, num_groups=10).tolist() == [0, 1, 2, 3]
    assert complete_linkage_groups(x[:1], tau=0.1).tolist() == [0]


def test_grouping_arguments_are_checked():
    x = torch.rand(3, 4)
    with pytest.raises(ValueError, match='exactly one'):
        complete_linkage_groups(x)
    with pytest.raises(ValueError, match='exactly one'):
        complete_linkage_groups(x, tau=0.5, num_groups=2)
    with pytest.raises(ValueError, match=r'\[0, 2\]'):
        complete_linkage_groups(x, tau=3.0)


def test_group_means_and_their_gradient():
    x = torch.tensor([[1., 2.], [3., 4.], [10., 0.]], requires_grad=True)
    means = group_means(x, torch.tensor([0, 0, 1]))
    assert means.tolist() == [[2., 3.], [10., 0.]]
    means.sum().backward()
    assert x.grad.tolist() == [[0.5, 0.5], [0.5, 0.5], [1., 1.]]


def visga(**train_cfg):
    return da_faster('ViSGA', **train_cfg)


def test_visga_step_groups_each_domain():
    model = visga(tau=0.3)
    model.train()
    wrapper = counting_optim_wrapper(model)
    model.pass_times = {}
    log_vars = model.train_step(uda_batch(), wrapper)
    assert wrapper.backwards == 2 and wrapper.steps == 1
    for prefix in ('src.', 'tgt.'):
        assert torch.isfinite(log_vars[prefix + 'loss_da_ins'])
        # the groups of a domain's RoIs (16 per image): 1 <= G <= N
        assert 1 <= log_vars[prefix + 'da_groups'].item() <= 32
    assert 'src.loss_da_cst' not in log_vars  # the paper's loss has no consistency term
    assert len(model.pass_times['grouping']) == 2  # timed once per domain pass
    # fixed number of groups: exactly k group representatives per domain
    model = visga(tau=None, num_groups=3)
    model.train()
    log_vars = model.train_step(uda_batch(), counting_optim_wrapper(model))
    assert log_vars['src.da_groups'].item() == 3 and log_vars['tgt.da_groups'].item() == 3


def test_visga_group_discriminator_sees_member_gradients():
    """The grouping is on detached features, but each group's mean carries the gradient back
    to every member's RoI feature (and through the GRL, reversed, to the backbone)."""
    model = visga(tau=0.3)
    model.train()
    data = model.data_preprocessor(uda_batch(), True)
    img = data['inputs']['source']
    feats = model.student.extract_feat(img)
    rois = torch.tensor([[0, 0, 0, 40, 40], [0, 10, 10, 60, 50], [1, 5, 5, 90, 70]],
                        dtype=torch.float)
    roi_feats = model.roi_features(feats, rois)
    roi_feats.retain_grad()
    losses = model.instance_losses(feats, roi_feats, rois, torch.tensor([1, 1]))
    losses['loss_da_ins'].backward()
    assert roi_feats.grad is not None
    assert torch.all(roi_feats.grad.flatten(1).abs().sum(dim=1) > 0)  # every member


def test_visga_bad_config():
    with pytest.raises(ValueError, match='exactly one'):
        visga(tau=0.5, num_groups=4)
    with pytest.raises(ValueError, match='cluster_per'):
        visga(cluster_per='batch')
    with pytest.raises(KeyError, match='unknown ViSGA train_cfg'):
        visga(radius=0.5)
