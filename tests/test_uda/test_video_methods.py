# Copyright (c) mmuda contributors. All rights reserved.
"""The video methods' mechanisms against hand-computed values: warping by a known flow, the
ACCEL fusion, DA-VSN's temporal consistency and weight discrepancy, which parameters each
pass trains, per-discriminator clipping, TPS's flips and pseudo-labels, and the video data
path (resize, pack, pre-process)."""
import copy
import math

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmuda.datasets.transforms import PackVideoSegInputs, VideoRandomFlip, VideoResize
from mmuda.engine import UDAOptimWrapperConstructor
from mmuda.models import VideoSegDataPreProcessor
from mmuda.models.uda.davsn import temporal_consistency_loss
from mmuda.models.uda.tps import flip_flow, flip_where
from mmuda.models.utils.adversarial import weight_discrepancy
from mmuda.models.utils.flow_warp import resize_flow, warp_by_flow
from mmuda.registry import MODELS
from mmuda.utils import register_all_modules

from ..helpers import ROOT

register_all_modules()
H, W = 32, 64


def _flow(dx, dy, b=1, h=H, w=W):
    flow = torch.zeros(b, 2, h, w)
    flow[:, 0], flow[:, 1] = dx, dy
    return flow


# ------------------------------------------------------------------------------ warping
def test_warp_by_integer_flow_is_a_shift_and_nan_is_invalid():
    x = torch.arange(H * W, dtype=torch.float32).view(1, 1, H, W)
    # backward flow (+3, -2): pixel p of frame t was at p + (3, -2) in frame t-1
    warped, valid = warp_by_flow(x, _flow(3.0, -2.0))
    assert torch.allclose(warped[0, 0, 2:, :W - 3], x[0, 0, :H - 2, 3:], atol=1e-3)
    assert valid.all()
    # out of the frame: the border value (TPS's Resample2d clamps)
    assert torch.allclose(warped[0, 0, 0, :W - 3], x[0, 0, 0, 3:], atol=1e-3)
    flow = _flow(1.0, 0.0)
    flow[0, :, 5, 7] = float('nan')
    warped, valid = warp_by_flow(x, flow)
    assert valid[0, 0, 5, 7] == 0 and warped[0, 0, 5, 7] == 0
    assert valid.sum() == H * W - 1
    assert warped[0, 0, 5, 8].item() == pytest.approx(x[0, 0, 5, 9].item(), abs=1e-3)


def test_warp_resizes_the_flow_to_the_map_and_scales_its_vectors():
    # a flow at 4x the map's resolution: a shift of 8 pixels there is 2 at the map's size
    x = torch.rand(2, 3, H // 4, W // 4)
    warped, valid = warp_by_flow(x, _flow(8.0, 4.0, b=2))
    assert torch.allclose(warped[:, :, :-1, :-2], x[:, :, 1:, 2:], atol=1e-5)
    flow, valid = resize_flow(_flow(8.0, 4.0), (H // 2, W // 4))
    assert torch.allclose(flow[0, 0], torch.full((H // 2, W // 4), 2.0))
    assert torch.allclose(flow[0, 1], torch.full((H // 2, W // 4), 2.0))
    # a NaN region large enough survives the resize as invalid, the rest stays valid
    nan_flow = _flow(0.0, 0.0)
    nan_flow[:, :, :8, :8] = float('nan')
    _, valid = resize_flow(nan_flow, (H // 4, W // 4))
    assert valid[0, 0, :2, :2].sum() == 0 and valid[0, 0, 2:, :].all()


def test_flip_flow_commutes_with_warping():
    """Warping a flipped map with the flipped flow is the flipped warp (TPS's jointly flipped
    pseudo-label pair; the released code mirrors the flow without negating x)."""
    x = torch.rand(1, 2, H, W)
    flow = torch.randn(1, 2, H, W) * 3
    a, _ = warp_by_flow(x.flip(3), flip_flow(flow))
    b, _ = warp_by_flow(x, flow)
    assert torch.allclose(a, b.flip(3), atol=1e-5)
    mirrored_only = flow.flip(3)
    c, _ = warp_by_flow(x.flip(3), mirrored_only)
    assert not torch.allclose(c, b.flip(3), atol=1e-3)
    flip = torch.tensor([True, False])
    y = torch.rand(2, 1, 2, 3)
    out = flip_where(y, flip)
    assert torch.equal(out[0], y[0].flip(2)) and torch.equal(out[1], y[1])


# ------------------------------------------------------------------------------ DA-VSN losses
def test_temporal_consistency_loss_by_hand():
    # 2 classes, 1 x 2 pixels, zero flow. Pixel 0: frame t-1 confident (lower entropy) ->
    # pulled; pixel 1: frame t-1 less confident -> weight 0.
    current = torch.tensor([[[[0.0, 3.0]], [[0.0, 0.0]]]], requires_grad=True)  # p=.5,.95
    previous = torch.tensor([[[[2.0, 0.0]], [[0.0, 0.0]]]])  # p=.88, .5
    loss = temporal_consistency_loss(current, previous, torch.zeros(1, 2, 1, 2))
    p_prev = 1 / (1 + math.exp(-2.0))
    # |0.5 - p_prev| on both classes of pixel 0, over 2 classes x 2 pixels
    expected = 2 * abs(0.5 - p_prev) / 4
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    loss.backward()
    assert current.grad[0, :, 0, 1].abs().sum() == 0  # pixel 1 untouched
    assert current.grad[0, :, 0, 0].abs().sum() > 0
    # no correspondence: no loss
    nan = torch.full((1, 2, 1, 2), float('nan'))
    assert temporal_consistency_loss(current, previous, nan).item() == 0


def test_weight_discrepancy_by_hand():
    a = torch.nn.Sequential(torch.nn.Linear(3, 2))
    b = copy.deepcopy(a)
    assert weight_discrepancy(a, b).item() == pytest.approx(2.0)
    for p in b.parameters():
        p.data.neg_()
    assert weight_discrepancy(a, b).item() == pytest.approx(0.0, abs=1e-6)
    with torch.no_grad():
        a[0].weight.copy_(torch.tensor([[1., 0, 0], [0, 0, 0]]))
        b[0].weight.copy_(torch.tensor([[0., 1, 0], [0, 0, 0]]))
        a[0].bias.copy_(torch.tensor([1., 1]))
        b[0].bias.copy_(torch.tensor([1., 1]))
    # weights orthogonal (cos 0), biases equal (cos 1): ((0 + 1) + (1 + 1)) / 2
    assert weight_discrepancy(a, b).item() == pytest.approx(1.5)


# ------------------------------------------------------------------------------ the models
def _model_cfg():
    cfg = Config.fromfile(f'{ROOT}/configs/_base_/models/accel_deeplabv2_r18_synthetic.py')
    model = cfg.model.to_dict()
    model['data_preprocessor']['size'] = (H, W)
    return model


def _samples(b=2, labels=True, tps=False, flow=0.0):
    samples = []
    for i in range(b):
        s = SegDataSample(metainfo=dict(img_shape=(H, W), ori_shape=(H, W), pad_shape=(H, W),
                                        tps_offset=1 if tps else 0))
        if labels:
            s.gt_sem_seg = PixelData(data=torch.randint(0, 8, (1, H, W)))
        frames = dict(img_prev=torch.randn(3, H, W), flow=_flow(flow, 0.0)[0])
        if tps:
            frames.update(img_ref=torch.randn(3, H, W), img_ref_prev=torch.randn(3, H, W),
                          flow_ref=_flow(flow, 0.0)[0])
        s.frames = PixelData(**frames)
        samples.append(s)
    return samples


def test_accel_fusion_starts_as_identity_and_frame_t_minus_1_takes_no_gradient():
    torch.manual_seed(0)
    seg = MODELS.build(_model_cfg())
    seg.init_weights()
    img, prev = torch.randn(2, 3, H, W), torch.randn(2, 3, H, W)
    logits = seg.pair_logits(img, prev, _flow(0.0, 0.0, b=2))
    for pair in logits.values():
        assert torch.allclose(pair.fused, pair.current, atol=1e-6)
        assert not pair.previous.requires_grad and pair.current.requires_grad
    losses = seg.loss(img, _samples())
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert seg.fusion.weight.grad is not None
    # the warped half of the fusion learns (its input is frame t-1's logits)
    assert seg.fusion.weight.grad[:, 8:].abs().sum() > 0
    seg.eval()
    with torch.no_grad():
        preds = seg.predict(img, _samples(labels=False))
    assert preds[0].pred_sem_seg.data.shape == (1, H, W)
    with pytest.raises(NotImplementedError, match='frame t-1'):
        seg.encode_decode(img, [dict()])
    with pytest.raises(KeyError, match="no 'img_ref'"):
        seg.sample_logits(img, _samples(), prev_key='img_ref')


def _davsn(**train_cfg):
    torch.manual_seed(0)
    cfg = Config.fromfile(f'{ROOT}/configs/_base_/uda/adversarial.py')
    model = dict(cfg.davsn.to_dict(), model=_model_cfg())
    model['discriminator'] = dict(type='FCDiscriminator', ndf=8)
    model['train_cfg'] = dict(model['train_cfg'], **train_cfg)
    model = MODELS.build(model)
    model.init_weights()
    ow = UDAOptimWrapperConstructor(dict(
        segmentor=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01)),
        discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))))(model)
    return model, ow


def _batch(tps=False):
    return dict(inputs=dict(source=[torch.randint(0, 255, (3, H, W), dtype=torch.uint8)
                                    for _ in range(2)],
                            target=[torch.randint(0, 255, (3, H, W), dtype=torch.uint8)
                                    for _ in range(2)]),
                data_samples=dict(source=_raw_samples(), target=_raw_samples(tps=tps)))


def _raw_samples(tps=False):
    samples = _samples(labels=True, tps=tps, flow=1.0)
    for s in samples:
        s.frames = PixelData(**{k: (torch.randint(0, 255, (3, H, W), dtype=torch.uint8)
                                    if k.startswith('img') else s.frames.get(k))
                                for k in s.frames.keys()})
    return samples


def _grads(module):
    return {n for n, p in module.named_parameters() if p.grad is not None and p.grad.abs().sum()}


def test_davsn_passes_train_only_their_modules_and_clip_each_discriminator():
    model, ow = _davsn()
    data = model.data_preprocessor(_batch(), True)
    state = model.make_state(data['inputs'], data['data_samples'])
    model.pass_source(state, ow)
    assert not _grads(model.discriminators)
    assert set(state['src_d_input']) == {'decode', 'aux'}
    sta = state['src_d_input']['decode']['sta']
    assert sta.shape == (2, 16, H, W)
    assert torch.allclose(sta.sum(1), torch.ones(2, H, W))  # soft-max over 2C channels
    seg_before = {n: p.grad.clone() for n, p in model.student.named_parameters()
                  if p.grad is not None}
    log = model.pass_target(state, ow)
    assert not _grads(model.discriminators)  # frozen in the generator pass
    assert all(p.requires_grad for p in model.discriminators.parameters())  # restored
    assert {'tgt.loss_itcr_decode', 'tgt.loss_sta_aux', 'tgt.loss_sa_decode'} <= set(log)
    model.pass_discriminator(state, ow)
    seg_after = {n: p.grad for n, p in model.student.named_parameters() if p.grad is not None}
    changed = [n for n in seg_before if not torch.equal(seg_before[n], seg_after[n])]
    assert changed  # the target pass reached the segmentor
    grads = _grads(model.discriminators)
    assert any(n.startswith('sta.decode') for n in grads) and \
        any(n.startswith('sa.aux') for n in grads)
    # inflate, then clip: each discriminator's norm <= 1 on its own
    for p in model.discriminators.parameters():
        p.grad.mul_(1e3)
    model.before_optimizer_step(ow)
    for kind in ('sta', 'sa'):
        for disc in model.discriminators[kind].values():
            norm = torch.norm(torch.stack([p.grad.norm() for p in disc.parameters()]))
            assert norm <= 1.0 + 1e-4
    ow['discriminator'].zero_grad()
    ow['segmentor'].zero_grad()
    log = model.train_step(_batch(), ow)
    assert {'src.loss', 'tgt.loss', 'disc.loss', 'disc.loss_wd_decode'} <= set(log)


def test_davsn_config_errors():
    with pytest.raises(KeyError, match="unknown DAVSN train_cfg key"):
        _davsn(lambda_adv=dict(decode=1.0))
    with pytest.raises(KeyError, match='same levels'):
        _davsn(lambda_sa=dict(decode=1e-3))
    cfg = Config.fromfile(f'{ROOT}/configs/_base_/uda/adversarial.py')
    with pytest.raises(ValueError, match='in_channels is 8'):
        MODELS.build(dict(cfg.davsn.to_dict(), model=_model_cfg(),
                          discriminator=dict(type='FCDiscriminator', in_channels=8)))
    still = Config.fromfile(f'{ROOT}/configs/_base_/models/deeplabv2_r18_synthetic.py')
    with pytest.raises(TypeError, match='AccelSegmentor'):
        MODELS.build(dict(cfg.davsn.to_dict(), model=still.model.to_dict()))


def _tps(**train_cfg):
    torch.manual_seed(0)
    model = MODELS.build(dict(type='TPS', model=_model_cfg(), train_cfg=train_cfg))
    model.init_weights()
    return model, OptimWrapper(torch.optim.SGD(model.trainable_modules().parameters(), lr=0.01))


def test_tps_pseudo_labels_follow_the_flow_and_ignore_what_it_cannot_see():
    model, ow = _tps(flip_prob=0.0)
    data = model.data_preprocessor(_batch(tps=True), True)
    state = model.make_state(data['inputs'], data['data_samples'])
    labels = model.pseudo_labels(state)
    assert labels['decode'].shape == labels['aux'].shape
    # the same prediction of (t-1, t-2) without warping, shifted by the flow (1 px at the
    # input, 1/8 px at the logits: bilinear), arg-maxed
    samples = state['tgt_samples']
    from mmuda.models import stack_frames
    with torch.no_grad():
        logits = model.student.pair_logits(stack_frames(samples, 'img_ref'),
                                           stack_frames(samples, 'img_ref_prev'),
                                           stack_frames(samples, 'flow_ref'))
        prob = torch.softmax(logits['decode'].fused, 1)
        expected = warp_by_flow(prob, stack_frames(samples, 'flow'))[0].argmax(1)
    assert torch.equal(labels['decode'], expected)
    # no correspondence anywhere: everything ignored
    for s in samples:
        s.frames.flow[:] = float('nan')
    assert (model.pseudo_labels(state)['decode'] == 255).all()
    # flipped pair: the flip is undone before the warp
    model2, _ = _tps(flip_prob=1.0)
    model2.load_state_dict(model.state_dict())
    for s in samples:
        s.frames.flow[:] = 0.0
    flipped = model2.pseudo_labels(state)['decode']
    with torch.no_grad():
        f = model.student.pair_logits(stack_frames(samples, 'img_ref').flip(3),
                                      stack_frames(samples, 'img_ref_prev').flip(3),
                                      flip_flow(stack_frames(samples, 'flow_ref')))
    assert torch.equal(flipped, f['decode'].fused.flip(3).argmax(1))


def test_tps_step_trains_the_student_and_needs_tps_offset_1():
    model, ow = _tps()
    before = copy.deepcopy(model.student.state_dict())
    log = model.train_step(_batch(tps=True), ow)
    assert {'src.loss', 'tgt.loss', 'tgt.decode.loss_ce', 'tgt.aux.loss_ce'} <= set(log)
    after = model.student.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert 'fusion.weight' in changed and any(k.startswith('backbone.') for k in changed)
    batch = _batch(tps=True)
    for s in batch['data_samples']['target']:
        s.set_metainfo(dict(tps_offset=2))
    with pytest.raises(ValueError, match='tps_offset=1'):
        model.train_step(batch, ow)
    with pytest.raises(KeyError, match='unknown TPS train_cfg key'):
        _tps(lambda_u=1.0)


# ------------------------------------------------------------------------------ data path
def test_video_resize_pack_and_preprocess():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (40, 80, 3), dtype=np.uint8)
    flow = np.zeros((40, 80, 2), np.float32)
    flow[..., 0], flow[..., 1] = 4.0, 2.0
    flow[:10, :10] = np.nan
    results = dict(img=img, img_prev=img.copy(), flow=flow, frame_fields=['img_prev'],
                   flow_fields=['flow'], img_shape=(40, 80), ori_shape=(40, 80),
                   gt_seg_map=np.zeros((40, 80), np.uint8), seg_fields=['gt_seg_map'],
                   img_path='x.png', tps_offset=0, frame_index=3)
    results = VideoResize(scale=(40, 20), keep_ratio=False)(results)
    assert results['img'].shape == (20, 40, 3) and results['img_prev'].shape == (20, 40, 3)
    assert np.allclose(results['flow'][10:, 10:], [2.0, 1.0])  # vectors halved
    assert np.isnan(results['flow'][:4, :4]).all()
    packed = PackVideoSegInputs()(results)
    sample = packed['data_samples']
    assert sample.frames.img_prev.shape == (3, 20, 40)
    assert sample.metainfo['frame_index'] == 3
    pre = VideoSegDataPreProcessor(mean=[10., 20., 30.], std=[2., 4., 8.], bgr_to_rgb=True,
                                   size=(24, 48))
    out = pre(dict(inputs=[packed['inputs']], data_samples=[sample]), True)
    frames = out['data_samples'][0].frames
    # frame t-1 equal to frame t: normalised, channel-swapped and padded the same way
    assert torch.allclose(frames.img_prev, out['inputs'][0])
    assert frames.flow.shape == (2, 24, 48) and torch.isnan(frames.flow[:, 20:]).all()
    bad = PackVideoSegInputs()
    results['img_prev'] = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(ValueError, match='VideoResize'):
        bad(results)


def test_video_flip_mirrors_frames_and_negates_the_flow():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)
    prev = rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)
    flow = rng.normal(size=(6, 8, 2)).astype(np.float32)
    results = dict(img=img, img_prev=prev, flow=flow, frame_fields=['img_prev'],
                   flow_fields=['flow'], img_shape=(6, 8))
    out = VideoRandomFlip(prob=1.0, direction='horizontal')(copy.deepcopy(results))
    assert out['flip'] and np.array_equal(out['img_prev'], prev[:, ::-1])
    assert np.array_equal(out['flow'][..., 0], -flow[:, ::-1, 0])
    assert np.array_equal(out['flow'][..., 1], flow[:, ::-1, 1])
    # the flipped flow warps the flipped frame as the flow warps the frame (tensors)
    t = torch.from_numpy
    a, _ = warp_by_flow(t(prev[:, ::-1].copy()).permute(2, 0, 1)[None].float(),
                        t(out['flow']).permute(2, 0, 1)[None])
    b, _ = warp_by_flow(t(prev).permute(2, 0, 1)[None].float(),
                        t(flow).permute(2, 0, 1)[None])
    assert torch.allclose(a, b.flip(3), atol=1e-3)
    out = VideoRandomFlip(prob=1.0, direction='vertical')(copy.deepcopy(results))
    assert np.array_equal(out['flow'][..., 1], -flow[::-1, :, 1])
    assert np.array_equal(out['flow'][..., 0], flow[::-1, :, 0])
