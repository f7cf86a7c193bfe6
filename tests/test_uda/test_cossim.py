# Copyright (c) mmuda contributors. All rights reserved.
"""The class-wise source dictionary (FIFO per class) and the thresholded cosine-similarity loss
against hand-worked cases; CosSim on a tiny segmentor."""
import pytest
import torch

from mmuda.models.utils import CosineSimilarityAlignment

from .test_adversarial import batch, build, optim


def _feats(vectors, h=1):
    """(1, D, h, w) feature map whose pixels are the given (N, D) vectors (row-major)."""
    v = torch.as_tensor(vectors, dtype=torch.float32)
    return v.t().reshape(1, v.shape[1], h, -1)


def test_dictionary_is_a_fifo_per_class():
    align = CosineSimilarityAlignment(num_classes=3, feat_channels=2, dict_size=3,
                                      samples_per_class=2)
    # four pixels: class 0, 0, 2, ignore
    feats = _feats([[1, 0], [2, 0], [0, 3], [5, 5]])
    labels = torch.tensor([[[0, 0, 2, 255]]])
    align.update(feats, labels)
    assert align.filled.tolist() == [2, 0, 1]
    assert torch.allclose(align.entries[2, 0], torch.tensor([0., 1.]))  # normalised
    # class 0 again with two new vectors: the queue of 3 wraps, the oldest is overwritten
    align.update(_feats([[0, 1], [0, 2]]), torch.tensor([[[0, 0]]]))
    assert align.filled.tolist() == [3, 0, 1] and align.next_slot.tolist() == [1, 0, 1]
    e = align.entries[0]
    assert torch.allclose(e[0], torch.tensor([0., 1.]))  # slot 0 rewritten
    assert torch.allclose(e[1], torch.tensor([1., 0.])) and torch.allclose(e[2], e[0])
    assert align.keys().shape == (4, 2)  # classes never seen give no entry
    # the labels are down-sampled (nearest) to the feature map
    align.update(torch.ones(1, 2, 1, 2), torch.tensor([[[1, 1, 1, 1], [1, 1, 1, 1]]]))
    assert align.filled[1] == 2
    with pytest.raises(ValueError, match='source label 7 is outside the 3 classes'):
        align.update(feats, torch.tensor([[[0, 7, 2, 255]]]))
    with pytest.raises(ValueError, match='feat_channels is 2'):
        align.update(torch.ones(1, 4, 1, 2), torch.zeros(1, 1, 2, dtype=torch.long))


def test_no_dictionary_keeps_the_current_batch_only():
    align = CosineSimilarityAlignment(num_classes=2, feat_channels=2, dict_size=4,
                                      samples_per_class=4, use_dictionary=False)
    align.update(_feats([[1, 0]]), torch.tensor([[[0]]]))
    align.update(_feats([[0, 1]]), torch.tensor([[[1]]]))
    assert align.keys().tolist() == [[0., 1.]]


def test_thresholded_loss_by_hand_and_gradient_into_target_only():
    align = CosineSimilarityAlignment(num_classes=2, feat_channels=2, dict_size=2,
                                      samples_per_class=2, threshold=0.5, loss_weight=2.0,
                                      chunk_size=1)
    align.update(_feats([[1, 0], [0, 1]]), torch.tensor([[[0, 1]]]))
    # targets: at 0 deg (max cos 1), at 60 deg from [1, 0] (cos 0.5 with it, 0.866 with [0, 1])
    # and [-1, -1] (max cos -0.707, below)
    c, s = 0.5, 3 ** 0.5 / 2
    tgt = _feats([[1, 0], [c, s], [-1, -1]]).requires_grad_(True)
    loss, selected, candidates = align.loss(tgt)
    assert (selected, candidates) == (2, 3)
    assert loss.item() == pytest.approx(-2.0 * (1 + s) / 2, rel=1e-5)
    loss.backward()
    # the unselected pixel gets no gradient; a selected one at its key's direction neither
    # (the cosine is at its maximum there); the 60-degree one is pulled towards [0, 1]
    g = tgt.grad[0, :, 0]
    assert torch.allclose(g[:, 2], torch.zeros(2)) and torch.allclose(g[:, 0], torch.zeros(2),
                                                                      atol=1e-6)
    assert g[0, 1] > 0 and g[1, 1] < 0  # descent moves it to larger y, smaller x
    assert not align.entries.requires_grad
    # 'all': every entry above the threshold: (1) for [1,0]; (0.866) for the second
    align.selection = 'all'
    loss, selected, candidates = align.loss(tgt.detach())
    assert (selected, candidates) == (2, 6)
    # nothing above the threshold: a zero loss, not NaN
    align.threshold = 0.99
    loss, selected, _ = align.loss(_feats([[1, 1]]).requires_grad_(True))
    assert selected == 0 and loss.item() == 0.0
    empty = CosineSimilarityAlignment(num_classes=2, feat_channels=2)
    loss, selected, _ = empty.loss(_feats([[1, 1]]).requires_grad_(True))
    assert selected == 0 and loss.item() == 0.0


def test_cossim_method_on_source_only_and_adversarial_bases():
    torch.manual_seed(0)
    cossim = dict(feat_channels=64, dict_size=16, samples_per_class=4, threshold=0.0)
    model = build('CosSim', cossim=cossim)
    assert not model.discriminators and list(model.optim_groups()) == ['segmentor']
    from mmuda.engine import UDAOptimWrapperConstructor
    ow = UDAOptimWrapperConstructor(dict(type='OptimWrapper',
                                         optimizer=dict(type='SGD', lr=0.01)))(model)
    log = model.train_step(batch(), ow)
    assert log['tgt.loss_cos'] < 0 and 0 < float(log['tgt.cos_selected']) <= 1
    assert int(model.cossim.filled.sum()) > 0
    with pytest.raises(KeyError, match='source-only base'):
        build('CosSim', cossim=cossim, train_cfg=dict(lambda_adv=dict(decode=1.0)))
    adv = build('AdvEnt', discriminator=dict(type='FCDiscriminator', ndf=4), cossim=cossim)
    log = adv.train_step(batch(), optim(adv))
    assert {'tgt.loss_cos', 'tgt.loss_adv_decode', 'disc.loss'} <= set(log)
