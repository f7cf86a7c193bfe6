# Copyright (c) mmuda contributors. All rights reserved.
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmuda.datasets.flow_io import flow_path, read_flow
from mmuda.datasets.synthetic import CLASSES, ensure_video_domain, generate_clip
from mmuda.datasets.synthetic.video import (Layer, clip_seed_seq, compose_layers,
                                            video_domain_dir, video_domain_params)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE = Config.fromfile(osp.join(ROOT, 'configs/_base_/datasets/synthetic_domains.py'))
# enough motion everywhere for the checks to bite: a 3-pixel pan, every car and person moving
BUSY = dict(pan=(0.012, 0.012), moving_prob=1.0)


def _warp_check(clip, t):
    """For the valid pixels of frame t: (label agreement with frame t-1 sampled nearest at
    p + flow, |frame t - frame t-1 sampled bilinearly at p + flow| per pixel)."""
    flow = clip.flows[t - 1]
    ys, xs = np.nonzero(~np.isnan(flow[..., 0]))
    qx, qy = xs + flow[ys, xs, 0], ys + flow[ys, xs, 1]
    h, w = flow.shape[:2]
    rx = np.floor(qx + 0.5).astype(int).clip(0, w - 1)  # (clipping: for wrong flows only)
    ry = np.floor(qy + 0.5).astype(int).clip(0, h - 1)
    agree = clip.labels[t - 1][ry, rx] == clip.labels[t][ys, xs]
    map_x = np.full(flow.shape[:2], -10, np.float32)
    map_y = map_x.copy()
    map_x[ys, xs], map_y[ys, xs] = qx, qy
    warped = cv2.remap(clip.frames[t - 1].astype(np.float32), map_x, map_y, cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    diff = np.abs(warped[ys, xs] - clip.frames[t][ys, xs]).max(-1)
    return agree, diff


def test_clip_is_deterministic_and_seed_dependent():
    a = generate_clip([0, 1], 4, 64, 128, BASE.target_style)
    b = generate_clip([0, 1], 4, 64, 128, BASE.target_style)
    c = generate_clip([0, 2], 4, 64, 128, BASE.target_style)
    for x, y in ((a.frames, b.frames), (a.labels, b.labels), (a.owners, b.owners)):
        assert np.array_equal(x, y)
    assert np.array_equal(a.flows, b.flows, equal_nan=True)
    assert not np.array_equal(a.labels, c.labels)
    assert not np.array_equal(a.flows, c.flows, equal_nan=True)
    assert a.frames.shape == (4, 64, 128, 3) and a.frames.dtype == np.uint8
    assert a.labels.shape == (4, 64, 128) and a.labels.dtype == np.uint8
    assert a.flows.shape == (3, 64, 128, 2) and a.flows.dtype == np.float32
    assert np.array_equal(a.occlusions, np.isnan(a.flows[..., 0]))
    assert np.array_equal(np.isnan(a.flows[..., 0]), np.isnan(a.flows[..., 1]))
    assert set(np.unique(a.labels)) <= set(range(len(CLASSES))) | {255}
    # the clip moves, and the sensor noise is redrawn per frame
    assert not np.array_equal(a.frames[0], a.frames[1])


@pytest.mark.parametrize('style', ['source_style', 'target_style'])
def test_flow_maps_every_valid_pixel_onto_the_previous_frame(style):
    style = dict(BASE[style], noise=0.0)
    agree, diffs, nan, agree_flipped = [], [], [], []
    for seed in range(4):
        clip = generate_clip([seed], 4, 128, 256, style, BUSY)
        for t in range(1, 4):
            a, d = _warp_check(clip, t)
            assert a.mean() >= 0.97  # every frame (misses: class boundaries, rounding of p+flow)
            agree.append(a)
            diffs.append(d)
            nan.append(clip.occlusions[t - 1].mean())
            flipped = clip._replace(flows=-clip.flows)
            agree_flipped.append(_warp_check(flipped, t)[0])
    agree, diffs = np.concatenate(agree), np.concatenate(diffs)
    assert agree.mean() >= 0.99
    # the clips move enough for a wrong flow to fail the same check
    assert np.concatenate(agree_flipped).mean() < 0.97
    # colours: bilinear resampling and the blur differ a little at edges only
    assert np.median(diffs) <= 1.0 and (diffs < 8).mean() >= 0.93
    # the pan brings 3 new columns in per frame; objects uncover a little background
    assert 0.005 < np.mean(nan) < 0.1


def test_integer_pan_without_zoom_copies_labels_exactly():
    clip = generate_clip([7], 4, 64, 128, dict(BASE.target_style, noise=0.0, blur=0.0),
                         dict(BUSY, zoom=(0, 0)))
    for t in range(1, 4):
        agree, diff = _warp_check(clip, t)
        assert agree.all()


def _flat_layer(image, label, matrices, depth):
    h, w = label.shape
    return Layer(image, label, np.ones((h, w), bool), np.stack(matrices),
                 np.full(len(matrices), float(depth)))


def _shift(dx, dy=0.0):
    return np.array([[1.0, 0, dx], [0, 1.0, dy], [0, 0, 1]])


def test_uncovered_background_is_occluded_by_hand():
    h, w, n = 20, 40, 3
    bg_label = np.zeros((h, w), np.uint8)
    bg_label[:, 20:] = 2
    bg_image = np.dstack([np.tile(np.arange(w, dtype=np.float32) * 5, (h, 1))] * 3)
    bg = _flat_layer(bg_image, bg_label, [_shift(0)] * n, -np.inf)
    # a 6 x 6 car moving right by 3 pixels per frame, top-left corner at (10 + 3t, 7)
    car = _flat_layer(np.full((6, 6, 3), 200, np.float32), np.full((6, 6), 5, np.uint8),
                      [_shift(10 + 3 * t, 7) for t in range(n)], 0)
    images, labels, owners, flows, occ = compose_layers([bg, car], h, w)
    for t in range(1, n):
        on_car = np.zeros((h, w), bool)
        on_car[7:13, 10 + 3 * t:16 + 3 * t] = True
        assert np.array_equal(owners[t] == 1, on_car)
        assert (labels[t][on_car] == 5).all() and (labels[t][~on_car] == bg_label[~on_car]).all()
        # by hand: the background the car uncovered (columns 10+3(t-1) .. 12+3(t-1)) was
        # hidden at t-1; everything else is seen in both frames
        expected = np.zeros((h, w), bool)
        expected[7:13, 10 + 3 * (t - 1):13 + 3 * (t - 1)] = True
        assert np.array_equal(occ[t - 1], expected)
        assert (flows[t - 1][on_car] == [-3, 0]).all()
        assert (flows[t - 1][~on_car & ~expected] == [0, 0]).all()
    assert (images[1][owners[1] == 1] == 200).all()


def test_subpixel_layer_covers_the_nearest_pixels_in_its_colour():
    h, w = 20, 40
    bg = _flat_layer(np.zeros((h, w, 3), np.float32), np.zeros((h, w), np.uint8),
                     [_shift(0)] * 2, -np.inf)
    # an 8 x 8 sprite whose opaque part is the inner 6 x 6 (colour 200, around it 0)
    image = np.zeros((8, 8, 3), np.float32)
    image[1:7, 1:7] = 200
    mask = np.zeros((8, 8), bool)
    mask[1:7, 1:7] = True
    sprite = Layer(image, np.full((8, 8), 5, np.uint8), mask,
                   np.stack([_shift(9.4, 6.0), _shift(9.6, 6.0)]), np.zeros(2))
    images, labels, owners, flows, _ = compose_layers([bg, sprite], h, w)
    # opaque part at x = 10.4 .. 15.4 (frame 0), 10.6 .. 15.6 (frame 1): nearest pixel centres
    for t, cols in ((0, slice(10, 16)), (1, slice(11, 17))):
        expected = np.zeros((h, w), bool)
        expected[7:13, cols] = True
        assert np.array_equal(owners[t] == 1, expected)
        assert np.array_equal(labels[t] == 5, expected)
        # bilinear colours do not mix in what lies outside the mask
        assert (images[t][expected] == 200).all()
    # flow -0.2; the right column's previous position (x = 15.8) rounds to pixel 16, which
    # showed the background in frame 0: no correspondence (the rim rule)
    np.testing.assert_allclose(flows[0][7:13, 11:16], np.broadcast_to([-0.2, 0], (6, 5, 2)),
                               atol=1e-6)
    assert np.isnan(flows[0][7:13, 16]).all()


def test_camera_pan_and_object_motion_by_hand():
    h, w, n = 20, 40, 3
    # the camera pans right by 2 pixels per frame: the background canvas (50 wide) and the
    # car (moving right by 3 pixels per frame in the world) shift left by 2 per frame
    bg_label = (np.arange(50)[None, :] // 10 % 2 * 2 + np.zeros((h, 1))).astype(np.uint8)
    bg = _flat_layer(np.zeros((h, 50, 3), np.float32), bg_label,
                     [_shift(-2 * t) for t in range(n)], -np.inf)
    car = _flat_layer(np.full((6, 6, 3), 99, np.float32), np.full((6, 6), 5, np.uint8),
                      [_shift(10 + 3 * t - 2 * t, 7) for t in range(n)], 0)
    _, labels, owners, flows, occ = compose_layers([bg, car], h, w)
    t = 1
    on_car = owners[t] == 1
    assert on_car[7:13, 11:17].all() and on_car.sum() == 36
    expected = np.zeros((h, w), bool)
    expected[:, 38:] = True             # entered from the right: outside frame 0
    expected[7:13, 8:11] = True         # background the car uncovered (by hand)
    assert np.array_equal(occ[0], expected)
    assert (flows[0][on_car] == [-1, 0]).all()          # the car moves 3 - 2 = 1 px right
    assert (flows[0][~on_car & ~expected] == [2, 0]).all()  # the pan's shift
    assert np.array_equal(labels[t][~on_car], bg_label[:, 2:42][~on_car])


def test_known_motion_has_exactly_its_flow():
    # no camera zoom: the background moves by the pan, a sideways-moving object by pan -
    # speed, a car driving along the road (zoom about the vanishing point) by its affine map
    motion = dict(BUSY, zoom=(0, 0), car_zoom=(0.03, 0.03), car_speed=(0.004, 0.004))
    checked = dict(background=0, sideways=0, along_road=0)
    for seed in range(6):
        clip = generate_clip([seed], 3, 64, 128, dict(BASE.source_style), motion)
        pan = clip.motion['camera']['pan']
        assert abs(pan) == 2  # round(0.012 * 128)
        vx, vy = clip.layout['vanish_x'], clip.layout['horizon']
        for t in range(1, 3):
            flow, owner = clip.flows[t - 1], clip.owners[t]
            valid = ~clip.occlusions[t - 1]
            bg = valid & (owner == 0)
            assert np.array_equal(flow[bg], np.tile([pan, 0], (bg.sum(), 1)))
            checked['background'] += bg.sum()
            for i, move in enumerate(clip.motion['objects']):
                interior = cv2.erode((owner == i + 1).astype(np.uint8), np.ones((3, 3))) > 0
                interior &= valid
                if not interior.any():
                    continue
                ys, xs = np.nonzero(interior)
                g, u = move['zoom'], move['speed']
                # frame t -> world at t -> rest -> world at t-1 -> frame t-1 (by hand)
                wx, wy = xs + pan * t, ys
                rx, ry = vx + (wx - u * t - vx) / g ** t, vy + (wy - vy) / g ** t
                px = vx + g ** (t - 1) * (rx - vx) + u * (t - 1) - pan * (t - 1)
                py = vy + g ** (t - 1) * (ry - vy)
                np.testing.assert_allclose(flow[ys, xs, 0], px - xs, atol=1e-4)
                np.testing.assert_allclose(flow[ys, xs, 1], py - ys, atol=1e-4)
                kind = 'along_road' if g != 1 else 'sideways'
                if g == 1:  # pure translation: the same vector on the whole object
                    assert (flow[ys, xs] == np.float32([pan - u, 0])).all()
                checked[kind] += len(xs)
    assert min(checked.values()) > 100, checked


def test_video_domain_on_disk(tmp_path):
    kwargs = dict(domain='target', style=BASE.target_style, num_clips=dict(train=2, val=1),
                  frames_per_clip=4, img_size=(64, 128), seed=3)
    folder = ensure_video_domain(str(tmp_path), **kwargs)
    params = video_domain_params(**kwargs)
    assert folder == video_domain_dir(str(tmp_path), params)
    assert osp.basename(folder).startswith('target-video-')
    # nothing else left in the data root (no temporary folder)
    assert sorted(os.listdir(tmp_path)) == ['.generate.lock', osp.basename(folder)]
    meta = json.load(open(osp.join(folder, 'meta.json')))
    assert meta['params'] == params and meta['classes'] == list(CLASSES)
    for split, n in (('train', 2), ('val', 1)):
        frame_dir = osp.join(folder, 'leftImg8bit_sequence', split, 'target')
        label_dir = osp.join(folder, 'gtFine', split, 'target')
        flow_dir = osp.join(folder, 'flow', split, 'target')
        stems = [f'target_{s:06d}_{t:06d}' for s in range(n) for t in range(4)]
        assert sorted(os.listdir(frame_dir)) == [s + '_leftImg8bit.png' for s in stems]
        assert sorted(os.listdir(label_dir)) == [s + '_gtFine_labelTrainIds.png' for s in stems]
        assert sorted(os.listdir(flow_dir)) == [s + '_flow.npy' for s in stems
                                                if not s.endswith('_000000')]
        assert len(meta['clips'][split]) == n
        for seq in range(n):
            entry = meta['clips'][split][seq]
            clip = generate_clip(clip_seed_seq(3, 'target', split, seq), 4, 64, 128,
                                 BASE.target_style)
            assert entry['motion'] == json.loads(json.dumps(clip.motion))
            assert entry['flows'][0] is None and len(entry['frames']) == 4
            for t in range(4):
                frame_file = osp.join(folder, entry['frames'][t])
                frame = cv2.cvtColor(cv2.imread(frame_file), cv2.COLOR_BGR2RGB)
                label = cv2.imread(osp.join(folder, entry['labels'][t]), cv2.IMREAD_UNCHANGED)
                assert np.array_equal(frame, clip.frames[t])
                assert label.dtype == np.uint8 and np.array_equal(label, clip.labels[t])
                path = flow_path(frame_file, osp.join(folder, 'leftImg8bit_sequence'),
                                 osp.join(folder, 'flow'), '_leftImg8bit.png')
                if t == 0:
                    assert not osp.exists(path)
                    continue
                assert path == osp.join(folder, entry['flows'][t])
                assert np.load(path).dtype == np.float16
                flow = read_flow(path, shape=(64, 128))
                expected = clip.flows[t - 1]
                assert np.array_equal(np.isnan(flow), np.isnan(expected))
                np.testing.assert_allclose(flow, expected, atol=4e-3, rtol=1e-3)
    assert 0 < meta['statistics']['train']['flow_nan_fraction'] < 0.2
    # a second call reuses the folder; other motion makes another folder
    mtime = osp.getmtime(osp.join(folder, 'meta.json'))
    assert ensure_video_domain(str(tmp_path), **kwargs) == folder
    assert osp.getmtime(osp.join(folder, 'meta.json')) == mtime
    other = video_domain_params(**kwargs, motion=dict(pan=(0, 0)))
    assert video_domain_dir(str(tmp_path), other) != folder


def test_bad_parameters_are_clear_errors(tmp_path):
    good = dict(domain='source', style=BASE.source_style, num_clips=dict(train=1, val=1),
                frames_per_clip=4, img_size=(64, 128), seed=0)
    with pytest.raises(ValueError, match=r'frames_per_clip must be an integer >= 2.*got 1'):
        ensure_video_domain(str(tmp_path), **dict(good, frames_per_clip=1))
    with pytest.raises(ValueError, match='frames_per_clip'):
        generate_clip([0], 1, 64, 128, None)
    with pytest.raises(KeyError, match=r"'fogg'.*expected one of"):
        ensure_video_domain(str(tmp_path), **dict(good, style=dict(fogg=0.1)))
    with pytest.raises(KeyError, match=r"'panning'.*expected one of.*'pan'"):
        generate_clip([0], 4, 64, 128, None, dict(panning=(0, 1)))
    with pytest.raises(ValueError, match=r"motion\['zoom'\] must be >= 0"):
        generate_clip([0], 4, 64, 128, None, dict(zoom=(-0.1, 0)))
    with pytest.raises(ValueError, match=r"motion\['pan'\] must be a \(low, high\) range"):
        generate_clip([0], 4, 64, 128, None, dict(pan=0.01))
    with pytest.raises(ValueError, match=r'num_clips must be a dict.*train.*val'):
        ensure_video_domain(str(tmp_path), **dict(good, num_clips=dict(train=3)))
    with pytest.raises(ValueError, match='img_size'):
        ensure_video_domain(str(tmp_path), **dict(good, img_size=(64,)))
    assert os.listdir(tmp_path) == []  # nothing written
