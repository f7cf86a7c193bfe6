# Copyright (c) mmuda contributors. All rights reserved.
"""Classification UDA (SDAT, MIC on SDAT): CDAN's map and gradient reversal, MCC, SAM's two
steps and the passes of a step against hand-computed values."""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import mmuda  # noqa: F401
from mmuda.engine import SAMOptimWrapper, UDAOptimWrapperConstructor
from mmuda.models.domain_heads import ConditionalDomainDiscriminator
from mmuda.models.utils.cls_losses import mcc_loss, prediction_entropy
from mmuda.models.utils.grl import warm_start_coefficient
from mmuda.registry import MODELS
from mmuda.structures import ClsDataSample
from tests.helpers import before_iteration
from tests.test_uda.test_adversarial import tiny_segmentor

NUM_CLASSES = 3


def tiny_classifier(pool='avg'):
    if pool == 'avg':
        backbone = dict(type='mmdet.ResNet', depth=18, base_channels=8, stem_channels=8,
                        out_indices=(3, ), norm_eval=False)
        in_channels = 64
    else:
        backbone = dict(type='mmseg.VisionTransformer', img_size=32, patch_size=8,
                        embed_dims=16, num_layers=1, num_heads=2, out_indices=-1,
                        final_norm=True, output_cls_token=True, with_cls_token=True)
        in_channels = 16
    return dict(type='mmuda.UDAImageClassifier', num_classes=NUM_CLASSES,
                in_channels=in_channels, bottleneck_dim=16, pool=pool, backbone=backbone,
                data_preprocessor=dict(type='ImgDataPreprocessor', mean=[0.] * 3,
                                       std=[255.] * 3, bgr_to_rgb=True))


def batch(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)

    def sample():
        s = ClsDataSample(metainfo=dict(img_shape=(32, 32)))
        s.gt_label = int(torch.randint(0, NUM_CLASSES, (1, ), generator=g))
        return s
    return dict(inputs=dict(source=[torch.rand(3, 32, 32, generator=g) * 255
                                    for _ in range(n)],
                            target=[torch.rand(3, 32, 32, generator=g) * 255
                                    for _ in range(n)]),
                data_samples=dict(source=[sample() for _ in range(n)],
                                  target=[sample() for _ in range(n)]))


def optim(model, sam=True, lr=0.01):
    kind = 'mmuda.SAMOptimWrapper' if sam else 'OptimWrapper'
    extra = dict(rho=0.02) if sam else {}
    cfg = dict(classifier=dict(type=kind, optimizer=dict(type='SGD', lr=lr), **extra),
               discriminator=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=lr)))
    return UDAOptimWrapperConstructor(cfg)(model)


def build(method='SDAT', **kwargs):
    torch.manual_seed(0)
    kwargs.setdefault('discriminator', dict(type='ConditionalDomainDiscriminator',
                                            hidden_dim=32))
    model = MODELS.build(dict(type=method, model=tiny_classifier(), **kwargs))
    model.init_weights()
    return model.train()


# ---------------------------------------------------------------- losses and schedules
def test_warm_start_coefficient_by_hand():
    assert warm_start_coefficient(0) == 0.0
    # 2 / (1 + e^-1) - 1 at max_iters
    assert warm_start_coefficient(1000) == pytest.approx(2 / (1 + math.exp(-1)) - 1)
    assert warm_start_coefficient(10 ** 6) == pytest.approx(1.0)
    assert warm_start_coefficient(500, lo=0.2, hi=0.6, max_iters=500) == pytest.approx(
        0.8 / (1 + math.exp(-1)) - 0.4 + 0.2)


def test_mcc_by_hand():
    # two samples, two classes, temperature 1: p1 = (1, 0) (logits far apart), p2 = (.5, .5)
    logits = torch.tensor([[30., 0.], [0., 0.]])
    h2 = -2 * 0.5 * math.log(0.5 + 1e-5)
    w = torch.tensor([2.0, 1 + math.exp(-h2)])  # 1 + exp(-H): H(p1) ~ 0
    w = 2 * w / w.sum()
    p = torch.tensor([[1., 0.], [.5, .5]])
    conf = (p * w[:, None]).t() @ p
    conf = conf / conf.sum(dim=1)
    expected = (conf.sum() - conf.trace()) / 2
    assert mcc_loss(logits, temperature=1.0).item() == pytest.approx(expected.item(), abs=1e-5)
    # confident, diverse predictions: no confusion
    assert mcc_loss(torch.tensor([[50., 0.], [0., 50.]]), 1.0).item() == pytest.approx(0, abs=1e-6)
    # the temperature flattens: more confusion at T = 3 than at T = 1
    x = torch.tensor([[2., 0., 0.], [0., 2., 0.]])
    assert mcc_loss(x, 3.0) > mcc_loss(x, 1.0)
    with pytest.raises(ValueError, match='temperature'):
        mcc_loss(x, 0.0)


def test_cdan_multilinear_map_is_the_outer_product():
    d = ConditionalDomainDiscriminator(features_dim=2, num_classes=3, hidden_dim=4)
    f = torch.tensor([[1., 2.]])
    g = torch.tensor([[.2, .3, .5]])
    # g f^T flattened: (g1 f1, g1 f2, g2 f1, g2 f2, g3 f1, g3 f2)
    expected = torch.tensor([[.2, .4, .3, .6, .5, 1.0]])
    assert torch.allclose(d.multilinear_map(f, g), expected)
    r = ConditionalDomainDiscriminator(features_dim=2, num_classes=3, hidden_dim=4,
                                       randomized=True, randomized_dim=5)
    assert torch.allclose(r.multilinear_map(f, g),
                          (f @ r.rand_f) * (g @ r.rand_g) / math.sqrt(5))
    with pytest.raises(ValueError, match='features_dim'):
        d.multilinear_map(torch.zeros(1, 3), g)


def test_cdan_gradient_reversal_and_entropy_conditioning():
    torch.manual_seed(0)
    d = ConditionalDomainDiscriminator(features_dim=4, num_classes=3, hidden_dim=8,
                                       grl=dict(max_iters=10))
    fs = torch.randn(4, 4, requires_grad=True)
    ft = torch.randn(4, 4)
    ls, lt = torch.randn(4, 3, requires_grad=True), torch.randn(4, 3)
    loss, acc = d(fs, ls, ft, lt, iteration=10)
    loss.backward()
    assert 0 <= float(acc) <= 1
    assert ls.grad is None  # the soft-max condition is detached
    reversed_grad = fs.grad.clone()
    # the same loss without reversal: the feature gradient is -1/coeff times the reversed one
    fs.grad = None
    d.zero_grad()
    feats = torch.cat([fs, ft])
    prob = F.softmax(torch.cat([ls, lt]), dim=1).detach()
    logits = d.layers(d.multilinear_map(feats, prob)).squeeze(1)
    plain = F.binary_cross_entropy_with_logits(
        logits, torch.cat([torch.ones(4), torch.zeros(4)]))
    assert plain.item() == pytest.approx(loss.item(), rel=1e-5)
    plain.backward()
    coeff = warm_start_coefficient(10, max_iters=10)
    assert torch.allclose(reversed_grad, -coeff * fs.grad, atol=1e-6)
    # entropy conditioning: weights 1 + exp(-H), normalised to the batch size
    e = ConditionalDomainDiscriminator(features_dim=4, num_classes=3, hidden_dim=8,
                                       entropy_conditioning=True)
    e.load_state_dict(d.state_dict())
    loss_e, _ = e(fs, ls, ft, lt, iteration=10)
    w = 1 + torch.exp(-prediction_entropy(prob))
    w = w / w.sum() * 8
    expected = F.binary_cross_entropy_with_logits(
        logits.detach(), torch.cat([torch.ones(4), torch.zeros(4)]), weight=w)
    assert loss_e.item() == pytest.approx(expected.item(), rel=1e-5)


# ---------------------------------------------------------------- SAM
def test_sam_two_steps_by_hand():
    # loss(w) = (w . x - 1)^2 on one linear layer without bias, plain SGD
    layer = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.5, -1.0]]))
    x = torch.tensor([[1.0, 2.0]])
    rho, lr = 0.1, 0.05
    wrapper = SAMOptimWrapper(optimizer=torch.optim.SGD(layer.parameters(), lr=lr), rho=rho)

    def grad_at(w):
        return 2 * (w @ x[0] - 1) * x[0]
    w0 = torch.tensor([0.5, -1.0])
    g1 = grad_at(w0)
    w_adv = w0 + rho * g1 / g1.norm()
    expected = w0 - lr * grad_at(w_adv)

    wrapper.backward((layer(x) - 1).pow(2).sum())
    wrapper.first_step()
    assert torch.allclose(layer.weight[0], w_adv)  # ascended
    assert layer.weight.grad is None or not layer.weight.grad.any()  # cleared
    wrapper.backward((layer(x) - 1).pow(2).sum())
    wrapper.step()
    assert torch.allclose(layer.weight[0], expected)
    with pytest.raises(ValueError, match='rho'):
        SAMOptimWrapper(optimizer=torch.optim.SGD(layer.parameters(), lr=lr), rho=0)


def test_sam_ascent_unscales_amp_gradients():
    """Under AMP the first gradients carry the loss scale; the ascent divides it out."""
    def run(scale):
        layer = nn.Linear(2, 1, bias=False)
        with torch.no_grad():
            layer.weight.copy_(torch.tensor([[0.5, -1.0]]))
        wrapper = SAMOptimWrapper(optimizer=torch.optim.SGD(layer.parameters(), lr=0.1),
                                  rho=0.1, adaptive=True)

        class Scaler:
            def get_scale(self):
                return scale

            def is_enabled(self):
                return True
        wrapper.loss_scaler = Scaler()
        (scale * layer(torch.tensor([[1.0, 2.0]])).sum()).backward()
        wrapper.first_step()
        return layer.weight.detach().clone(), wrapper.ascended
    unscaled, _ = run(1.0)
    scaled, ascended = run(1024.0)
    assert ascended and torch.allclose(unscaled, scaled)
    overflow, ascended = run(1e-45)  # 1 / scale overflows: no ascent
    assert not ascended and torch.allclose(overflow, torch.tensor([[0.5, -1.0]]))


# ---------------------------------------------------------------- the step
def test_sdat_step_is_the_second_gradient_at_the_ascended_weights():
    """One SDAT step = SGD with the gradient of the second pass taken at w + e(w); the
    discriminator is not perturbed and learns in the second pass only."""
    model = build()
    wrappers = optim(model)
    data = model.data_preprocessor(batch(), True)
    before_iteration(model, 0)
    # by hand, on a copy: ascent gradient at w, then the second pass at w + e(w)
    import copy
    ref = copy.deepcopy(model)
    ref_wrappers = optim(ref)
    state = ref.make_state(data['inputs'], data['data_samples'])
    ref.pass_ascent(state, ref_wrappers)
    disc_grads = [p.grad for p in ref.discriminator.parameters()]
    assert all(g is None or not g.any() for g in disc_grads)
    perturbed = {n: p.detach().clone() for n, p in ref.student.named_parameters()}
    ref.pass_adapt(state, ref_wrappers)
    grads = {n: p.grad.detach().clone() for n, p in ref.student.named_parameters()
             if p.grad is not None}
    assert any(p.grad is not None and p.grad.any() for p in ref.discriminator.parameters())

    w0 = {n: p.detach().clone() for n, p in model.student.named_parameters()}
    assert any(not torch.equal(w0[n], perturbed[n]) for n in w0)
    model.train_step(batch(), wrappers)
    for name, p in model.student.named_parameters():
        if name in grads:
            assert torch.allclose(p, w0[name] - 0.01 * grads[name], atol=1e-6), name


def test_sdat_without_sam_is_one_pass_and_checks_its_wrapper():
    model = build(train_cfg=dict(sam=False))
    assert [n for n, _ in model.passes()] == ['adapt']
    before_iteration(model, 0)
    log = model.train_step(batch(), optim(model, sam=False))
    assert 'adapt.loss_cdan' in log and 'ascent.loss' not in log
    sam_model = build()
    with pytest.raises(TypeError, match="SAMOptimWrapper"):
        sam_model.train_step(batch(), optim(sam_model, sam=False))
    with pytest.raises(KeyError, match='unknown SDAT train_cfg'):
        build(train_cfg=dict(mcc_temp=2.0))


def test_cdan_alone_and_mcc_alone():
    cdan = build(train_cfg=dict(sam=False, mcc_weight=0))
    log = cdan.train_step(batch(), optim(cdan, sam=False))
    assert 'adapt.loss_mcc' not in log and 'adapt.loss_cdan' in log
    mcc = build(discriminator=None, train_cfg=dict(sam=False))
    assert set(mcc.optim_groups()) == {'classifier'}
    from mmengine.optim import OptimWrapper
    wrapper = OptimWrapper(torch.optim.SGD(mcc.trainable_modules().parameters(), lr=0.01))
    log = mcc.train_step(batch(), wrapper)
    assert 'adapt.loss_mcc' in log and 'adapt.loss_cdan' not in log


def test_mic_masked_loss_weighting_by_hand():
    model = build('MICCls')
    model.mask_source = lambda b, h, w, device: torch.ones(b, 1, h, w)
    img = torch.randn(4, 3, 32, 32)
    label = torch.tensor([0, 1, 2, 0])
    weight = torch.tensor([1.0, 0.5, 0.25, 0.0])
    state = dict(masked_img=img, pseudo_label=label, pseudo_weight=weight)
    torch.manual_seed(1)
    logits, _ = model.student.forward_features(img)
    ce = F.cross_entropy(logits, label, reduction='none')
    torch.manual_seed(1)
    first = model.extra_losses(state, 'ascent')['loss_masked']
    second = model.extra_losses(state, 'adapt')['loss_masked']
    assert first.item() == pytest.approx((weight * ce).mean().item(), rel=1e-4)
    assert second.item() == pytest.approx(ce.mean().item(), rel=1e-4)
    model.train_cfg['weight_second_pass'] = True
    assert model.extra_losses(state, 'adapt')['loss_masked'].item() == pytest.approx(
        first.item(), rel=1e-4)


def test_mic_pseudo_labels_are_the_teacher_argmax_and_max_prob():
    model = build('MICCls')
    before_iteration(model, 0, mask_ratio=0.7, block_size=8)
    data = model.data_preprocessor(batch(), True)
    state = model.make_state(data['inputs'], data['data_samples'])
    model.pass_teacher(state, optim(model))
    with torch.no_grad():
        prob = torch.softmax(model.teacher.forward_features(state['tgt_img'])[0], dim=1)
    assert torch.equal(state['pseudo_label'], prob.argmax(1))
    assert torch.allclose(state['pseudo_weight'], prob.max(1).values, atol=1e-6)
    # masked blocks are zero (the mean colour), about 70 % of them
    zero = (state['masked_img'] == 0).all(dim=1).float().mean()
    assert 0.3 < float(zero) < 1.0
    # the teacher predicts with batch statistics (train mode), the hooks are required
    assert model.teacher.training
    assert set(model.required_hooks()) == {'EMATeacherHook', 'MaskingHook'}
    with pytest.raises(ValueError, match='pseudo_label_weight'):
        build('MICCls', train_cfg=dict(pseudo_label_weight='entropy'))


def test_mic_trains_and_draws_its_augmentation_once_per_run():
    model = build('MICCls')
    wrappers = optim(model)
    for it in range(2):
        before_iteration(model, it, mask_ratio=0.7, block_size=8)
        log = model.train_step(batch(seed=it), wrappers)
    assert {'ascent.loss_masked', 'adapt.loss_masked', 'adapt.loss_cdan'} <= set(log)
    assert 'run_augment' in model.state_dict()  # saved: a resumed run keeps the draw


def test_classifier_pools_and_predicts():
    for pool in ('avg', 'cls_token'):
        clf = MODELS.build(tiny_classifier(pool))
        clf.init_weights()
        clf.eval()
        logits, feats = clf.forward_features(torch.rand(2, 3, 32, 32))
        assert logits.shape == (2, NUM_CLASSES) and feats.shape == (2, 16)
        samples = clf.predict(torch.rand(2, 3, 32, 32))
        assert torch.allclose(samples[0].pred_score.sum(), torch.tensor(1.0))
        assert samples[0].pred_label == samples[0].pred_score.argmax()
    bad = tiny_classifier('cls_token')
    bad['backbone']['output_cls_token'] = False
    clf = MODELS.build(bad)
    with pytest.raises(TypeError, match='output_cls_token'):
        clf.forward_features(torch.rand(2, 3, 32, 32))
    with pytest.raises(TypeError, match='forward_features'):
        MODELS.build(dict(type='SDAT', model=tiny_segmentor()))


def test_inverse_decay_schedule_by_hand_and_open_ended():
    from mmuda.engine import InverseDecayLR
    p1, p2 = nn.Parameter(torch.zeros(1)), nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([dict(params=[p1], lr=0.0002), dict(params=[p2], lr=0.002)])
    sched = InverseDecayLR(opt, end=3)  # the Runner passes max_iters as end: ignored
    for _ in range(10):
        opt.step()
        sched.step()
    factor = (1 + 0.001 * 10) ** -0.75
    assert [g['lr'] for g in opt.param_groups] == pytest.approx([0.0002 * factor,
                                                                  0.002 * factor])
    state = sched.state_dict()
    again = InverseDecayLR(torch.optim.SGD([p1], lr=0.002), end=3)
    again.load_state_dict(state)
    assert again.end > 10 ** 6  # a resumed, longer run keeps decaying
