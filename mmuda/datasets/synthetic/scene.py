# Copyright (c) mmuda contributors. All rights reserved.
"""Procedural street scenes with pixel labels, rendered in configurable styles.

A scene is drawn in two stages:

1. *Layout* (:func:`sample_layout`): the geometry of the scene (horizon, road, sidewalks,
   buildings, trees, cars, persons, signs, unlabelled clutter), drawn from a random generator.
   Object counts and sizes come from the style, so a domain can shift class frequency and
   object scale.
2. *Rendering* (:func:`render`): a label map in train ids (255 = ignore) and an RGB image whose
   appearance (palette, texture, illumination, fog, blur, noise) comes from the style.

Everything is numpy/OpenCV and deterministic given the random generator. The module has no
dependency on mmengine so that it can be reused by other tasks (boxes for detection, image
labels for classification, clips for video) later.
"""
import copy
import math
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

#: Train-id classes of the embedded domains, in order.
CLASSES = ('road', 'sidewalk', 'building', 'vegetation', 'sky', 'car', 'person',
           'sign')
#: Cityscapes colours of the same classes, used to visualise labels.
PALETTE = [[128, 64, 128], [244, 35, 232], [70, 70, 70], [107, 142, 35],
           [70, 130, 180], [0, 0, 142], [220, 20, 60], [220, 220, 0]]
IGNORE_INDEX = 255
#: Object classes with boxes (detection), and the fewest visible pixels an annotated box has.
DET_CLASSES = ('car', 'person')
DET_MIN_AREA = 12
FOG_MAX_DEPTH = 20.0
ROAD, SIDEWALK, BUILDING, VEGETATION, SKY, CAR, PERSON, SIGN = range(8)

#: Every key a style may set, with its neutral default. A style given in a config is merged
#: over these defaults; an unknown key is an error (it is almost always a typo).
DEFAULT_STYLE: Dict = dict(
    # ---------------- appearance ----------------
    # base RGB colour of each class (0-255)
    palette=dict(
        road=(110, 110, 110),
        sidewalk=(170, 160, 150),
        building=(150, 110, 90),
        vegetation=(60, 140, 50),
        sky=(120, 170, 230),
        car=(40, 60, 160),
        person=(200, 60, 60),
        sign=(230, 200, 30)),
    # per-instance colour variation: std of a random RGB offset (0-255 scale)
    color_jitter=10.0,
    # multiplicative value-noise texture per class: amplitude and feature size (pixels)
    texture_amp=dict(road=0.0, sidewalk=0.0, building=0.0, vegetation=0.0,
                     sky=0.0, car=0.0, person=0.0, sign=0.0),
    texture_size=8.0,
    # drawn details (they change the image, never the label)
    windows=True,          # window grid on buildings
    lane_marks=True,       # dashed centre line on the road
    car_windows=True,      # darker glass band and wheels on cars
    # global photometry, applied in this order
    saturation=1.0,        # 0 = grey, 1 = unchanged
    hue_shift=0.0,         # degrees, rotates all hues
    brightness=1.0,        # multiplicative gain
    gamma=1.0,             # I = 255 * (I / 255) ** gamma
    tint=(1.0, 1.0, 1.0),  # per-channel RGB gain
    lights=0,              # number of glowing light sources (night scenes)
    fog=0.0,               # fog density beta; transmission t = exp(-beta * depth), depth 1 at
    #                        the bottom row, up to FOG_MAX_DEPTH at the horizon and in the sky
    fog_color=(200, 200, 200),
    blur=0.0,              # Gaussian blur sigma in pixels
    noise=0.0,             # std of additive Gaussian pixel noise (0-255 scale)
    # ---------------- layout ----------------
    horizon=(0.38, 0.50),  # horizon row as a fraction of the height
    road_width=(0.75, 1.05),  # road width at the bottom row, fraction of the width
    sidewalk_width=(0.10, 0.18),
    building_height=(0.12, 0.40),  # building tops above the horizon, fraction of height
    vegetation_prob=0.35,  # chance that a roadside block is trees instead of a building
    num_cars=(1, 4),       # inclusive range of cars per image
    car_scale=1.0,         # object size multipliers
    num_persons=(0, 3),
    person_scale=1.0,
    num_signs=(0, 2),
    sign_scale=1.0,
    num_clutter=(0, 2),    # unlabelled blobs (label 255)
)


def merge_style(style: Optional[Dict]) -> Dict:
    """Merge ``style`` over :data:`DEFAULT_STYLE`, checking every key.

    Nested dicts (``palette``, ``texture_amp``) are merged key by key.
    """
    merged = copy.deepcopy(DEFAULT_STYLE)
    for key, value in (style or {}).items():
        if key not in DEFAULT_STYLE:
            raise KeyError(
                f'Unknown synthetic style key {key!r}; expected one of '
                f'{sorted(DEFAULT_STYLE)}')
        if isinstance(DEFAULT_STYLE[key], dict):
            unknown = set(value) - set(DEFAULT_STYLE[key])
            if unknown:
                raise KeyError(
                    f'Unknown class name(s) {sorted(unknown)} in style key '
                    f'{key!r}; expected class names {list(CLASSES)}')
            merged[key].update(value)
        else:
            merged[key] = value
    return merged


# --------------------------------------------------------------------------------------------
# layout
# --------------------------------------------------------------------------------------------
def _uniform(rng: np.random.Generator, bounds) -> float:
    low, high = bounds
    return float(rng.uniform(low, high))


def _count(rng: np.random.Generator, bounds) -> int:
    low, high = bounds
    return int(rng.integers(low, high + 1))


def sample_layout(rng: np.random.Generator, height: int, width: int,
                  style: Dict) -> Dict:
    """Sample the geometry of one scene.

    Returns a dict of plain numbers and lists (JSON-serialisable), with image coordinates in
    pixels. Objects are listed back to front.
    """
    h, w = height, width
    horizon = _uniform(rng, style['horizon']) * h
    vanish_x = rng.uniform(0.4, 0.6) * w
    road_half = _uniform(rng, style['road_width']) * w / 2
    walk = _uniform(rng, style['sidewalk_width']) * w
    bottom_center = vanish_x + rng.uniform(-0.08, 0.08) * w
    layout = dict(
        height=h, width=w, horizon=horizon, vanish_x=vanish_x,
        road=(bottom_center - road_half, bottom_center + road_half),
        walk=walk, blocks=[], objects=[])

    # roadside blocks above the horizon: buildings or trees, left to right
    x = -rng.uniform(0, 0.1) * w
    while x < w:
        block_w = rng.uniform(0.10, 0.28) * w
        top = horizon - _uniform(rng, style['building_height']) * h
        kind = 'vegetation' if rng.random() < style['vegetation_prob'] else 'building'
        layout['blocks'].append(dict(kind=kind, x0=x, x1=x + block_w, top=top))
        x += block_w

    def depth_scale(y_bottom: float) -> float:
        # apparent size of an object standing on the ground plane at row y_bottom
        return max((y_bottom - horizon) / (h - horizon), 0.05)

    objects = []
    for _ in range(_count(rng, style['num_cars'])):
        yb = rng.uniform(horizon + 0.08 * (h - horizon), h + 0.1 * h)
        s = depth_scale(yb)
        left, right = road_edges(layout, yb)
        cw = 0.30 * w * s * style['car_scale'] * rng.uniform(0.8, 1.2)
        cx = rng.uniform(left + 0.3 * cw, right - 0.3 * cw) if right - left > cw \
            else (left + right) / 2
        objects.append(dict(kind='car', x=cx, y=yb, w=cw, h=cw * rng.uniform(0.45, 0.6)))
    for _ in range(_count(rng, style['num_persons'])):
        yb = rng.uniform(horizon + 0.15 * (h - horizon), h)
        s = depth_scale(yb)
        left, right = road_edges(layout, yb)
        side = rng.random() < 0.5
        walk_w = walk * s
        px = rng.uniform(left - walk_w, left) if side else rng.uniform(right, right + walk_w)
        ph = 0.45 * h * s * style['person_scale'] * rng.uniform(0.85, 1.15)
        objects.append(dict(kind='person', x=px, y=yb, w=ph * 0.32, h=ph))
    for _ in range(_count(rng, style['num_signs'])):
        yb = rng.uniform(horizon + 0.1 * (h - horizon), h)
        s = depth_scale(yb)
        left, right = road_edges(layout, yb)
        walk_w = walk * s
        side = rng.random() < 0.5
        px = left - 0.7 * walk_w if side else right + 0.7 * walk_w
        sh = 0.7 * h * s * style['sign_scale'] * rng.uniform(0.85, 1.15)
        objects.append(dict(kind='sign', x=px, y=yb, w=sh * 0.28, h=sh,
                            round=bool(rng.random() < 0.5)))
    for _ in range(_count(rng, style['num_clutter'])):
        yb = rng.uniform(horizon + 0.1 * (h - horizon), h)
        s = depth_scale(yb)
        r = 0.12 * h * s * rng.uniform(0.7, 1.3)
        objects.append(dict(kind='clutter', x=rng.uniform(0, w), y=yb, w=2 * r, h=r))
    objects.sort(key=lambda o: o['y'])  # far (small y) first
    layout['objects'] = objects
    return layout


def road_edges(layout: Dict, y: float) -> Tuple[float, float]:
    """Road borders at row ``y`` (perspective lines through the vanishing point)."""
    h, horizon, vx = layout['height'], layout['horizon'], layout['vanish_x']
    t = (y - horizon) / (h - horizon)
    left, right = layout['road']
    return vx + t * (left - vx), vx + t * (right - vx)


# --------------------------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------------------------
def _value_noise(rng: np.random.Generator, h: int, w: int, size: float) -> np.ndarray:
    """Smooth noise in [-1, 1] with features of about ``size`` pixels."""
    gh, gw = max(2, int(math.ceil(h / size)) + 1), max(2, int(math.ceil(w / size)) + 1)
    grid = rng.uniform(-1, 1, (gh, gw)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC).clip(-1, 1)


def _jittered(rng: np.random.Generator, style: Dict, name: str) -> np.ndarray:
    base = np.asarray(style['palette'][name], np.float32)
    return np.clip(base + rng.normal(0, style['color_jitter'], 3), 0, 255)


def _poly(label, image, pts, cls_id, color):
    pts = np.round(np.asarray(pts)).astype(np.int32)
    cv2.fillPoly(label, [pts], int(cls_id))
    cv2.fillPoly(image, [pts], tuple(float(c) for c in color))


def _rect(label, image, x0, y0, x1, y1, cls_id, color):
    _poly(label, image, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)], cls_id, color)


def _ellipse(label, image, cx, cy, rx, ry, cls_id, color):
    center = (int(round(cx)), int(round(cy)))
    axes = (max(1, int(round(rx))), max(1, int(round(ry))))
    if label is not None:
        cv2.ellipse(label, center, axes, 0, 0, 360, int(cls_id), -1)
    cv2.ellipse(image, center, axes, 0, 0, 360, tuple(float(c) for c in color), -1)


def _draw_object(rng, obj, label, image, style):
    kind, x, y, ow, oh = obj['kind'], obj['x'], obj['y'], obj['w'], obj['h']
    if kind == 'car':
        color = _jittered(rng, style, 'car')
        x0, x1 = x - ow / 2, x + ow / 2
        y_top = y - oh
        _rect(label, image, x0, y - 0.55 * oh, x1, y - 0.1 * oh, CAR, color)  # body
        _rect(label, image, x0 + 0.18 * ow, y_top, x1 - 0.18 * ow, y - 0.5 * oh, CAR,
              color)  # cabin
        if style['car_windows']:
            glass = color * 0.35 + 40
            cv2.rectangle(image, (int(x0 + 0.24 * ow), int(y_top + 0.12 * oh)),
                          (int(x1 - 0.24 * ow), int(y - 0.6 * oh)),
                          tuple(float(c) for c in glass), -1)
        wheel = np.array([25.0, 25.0, 25.0])
        for wx in (x0 + 0.22 * ow, x1 - 0.22 * ow):
            _ellipse(label, image, wx, y - 0.1 * oh, 0.11 * ow, 0.11 * ow, CAR,
                     wheel if style['car_windows'] else color)
    elif kind == 'person':
        color = _jittered(rng, style, 'person')
        _ellipse(label, image, x, y - 0.4 * oh, ow / 2, 0.4 * oh, PERSON, color)
        skin = np.clip(color * 0.6 + 90, 0, 255)
        _ellipse(label, image, x, y - 0.87 * oh, 0.3 * ow, 0.13 * oh, PERSON, skin)
    elif kind == 'sign':
        color = _jittered(rng, style, 'sign')
        pole_w = max(1.0, 0.12 * ow)
        _rect(label, image, x - pole_w / 2, y - oh, x + pole_w / 2, y, SIGN,
              color * 0.5)
        if obj['round']:
            _ellipse(label, image, x, y - oh, ow / 2, ow / 2, SIGN, color)
        else:
            _rect(label, image, x - ow / 2, y - oh - ow / 2, x + ow / 2, y - oh + ow / 2,
                  SIGN, color)
    elif kind == 'clutter':
        color = rng.uniform(40, 220, 3)
        _ellipse(label, image, x, y - oh / 2, ow / 2, oh / 2, IGNORE_INDEX, color)


def _hue_saturation(image: np.ndarray, hue_shift: float, saturation: float) -> np.ndarray:
    if hue_shift == 0 and saturation == 1:
        return image
    hsv = cv2.cvtColor(image.clip(0, 255).astype(np.uint8), cv2.COLOR_RGB2HSV_FULL)
    hsv = hsv.astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + hue_shift * 256.0 / 360.0) % 256
    hsv[..., 1] = (hsv[..., 1] * saturation).clip(0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB_FULL).astype(np.float32)


def render(rng: np.random.Generator, layout: Dict,
           style: Dict) -> Tuple[np.ndarray, np.ndarray]:
    """Render a layout in a style.

    Returns:
        (image, label): an RGB uint8 image (H, W, 3) and a uint8 label map (H, W) in train ids
        with 255 for pixels that belong to no class.
    """
    h, w, horizon = layout['height'], layout['width'], layout['horizon']
    label = np.full((h, w), SKY, np.uint8)
    image = np.empty((h, w, 3), np.float32)
    image[:] = _jittered(rng, style, 'sky')
    # sky gradient, lighter towards the horizon
    rows = np.linspace(-0.15, 0.15, h, dtype=np.float32)[:, None, None]
    image *= 1 + rows

    # roadside blocks
    for block in layout['blocks']:
        cls_id = BUILDING if block['kind'] == 'building' else VEGETATION
        color = _jittered(rng, style, block['kind'])
        x0, x1, top = block['x0'], block['x1'], block['top']
        if cls_id == BUILDING:
            _rect(label, image, x0, top, x1, h, cls_id, color)
            if style['windows']:
                win = color * 0.55
                step_x = max(4.0, (x1 - x0) / rng.integers(3, 6))
                step_y = max(4.0, rng.uniform(0.05, 0.08) * h)
                yy = top + 0.4 * step_y
                while yy + 0.5 * step_y < horizon:
                    xx = x0 + 0.3 * step_x
                    while xx + 0.5 * step_x < x1:
                        cv2.rectangle(image, (int(xx), int(yy)),
                                      (int(xx + 0.45 * step_x), int(yy + 0.5 * step_y)),
                                      tuple(float(c) for c in win), -1)
                        xx += step_x
                    yy += step_y
        else:
            # a row of tree crowns on trunks, over a hedge down to the ground
            _rect(label, image, x0, horizon - 0.05 * h, x1, h, cls_id, color)
            n = max(1, int((x1 - x0) / (0.08 * w)))
            for i in range(n):
                cx = x0 + (i + 0.5) * (x1 - x0) / n
                r = (horizon - top) * rng.uniform(0.35, 0.55)
                _ellipse(label, image, cx, top + r, (x1 - x0) / n * 0.6, r, cls_id,
                         color * rng.uniform(0.85, 1.15))

    # ground: sidewalks, then the road on top
    left_b, right_b = layout['road']
    walk = layout['walk']
    vx = layout['vanish_x']
    _poly(label, image, [(vx - 1, horizon), (vx + 1, horizon), (right_b + walk, h),
                         (left_b - walk, h)], SIDEWALK, _jittered(rng, style, 'sidewalk'))
    road_color = _jittered(rng, style, 'road')
    _poly(label, image, [(vx - 0.5, horizon), (vx + 0.5, horizon), (right_b, h),
                         (left_b, h)], ROAD, road_color)
    if style['lane_marks']:
        mark = np.clip(road_color * 0.3 + 170, 0, 255)
        mid = (left_b + right_b) / 2
        n_dash = 6
        for i in range(n_dash):
            t0, t1 = (i + 0.2) / n_dash, (i + 0.6) / n_dash
            t0, t1 = t0 ** 1.6, t1 ** 1.6  # dashes get longer towards the camera
            y0, y1 = horizon + t0 * (h - horizon), horizon + t1 * (h - horizon)
            x0, x1 = vx + t0 * (mid - vx), vx + t1 * (mid - vx)
            width0, width1 = 0.5 + 2.5 * t0, 0.5 + 2.5 * t1
            pts = np.round(np.array([(x0 - width0, y0), (x0 + width0, y0),
                                     (x1 + width1, y1), (x1 - width1, y1)])).astype(np.int32)
            cv2.fillPoly(image, [pts], tuple(float(c) for c in mark))

    for obj in layout['objects']:
        _draw_object(rng, obj, label, image, style)

    # per-class multiplicative texture
    amps = style['texture_amp']
    if any(amps.values()):
        noise = _value_noise(rng, h, w, style['texture_size'])
        fine = _value_noise(rng, h, w, max(2.0, style['texture_size'] / 4))
        tex = 0.6 * noise + 0.4 * fine
        gain = np.zeros((h, w), np.float32)
        for cls_id, name in enumerate(CLASSES):
            if amps[name]:
                gain[label == cls_id] = amps[name]
        image *= (1 + gain * tex)[..., None]

    # photometry
    image = _hue_saturation(image, style['hue_shift'], style['saturation'])
    image = image * style['brightness']
    if style['gamma'] != 1.0:
        image = 255.0 * (image.clip(0, 255) / 255.0) ** style['gamma']
    image = image * np.asarray(style['tint'], np.float32)
    for _ in range(int(style['lights'])):
        cx, cy = rng.uniform(0, w), rng.uniform(0.2 * h, horizon + 0.2 * h)
        radius = rng.uniform(0.03, 0.08) * h
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        glow = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius ** 2))
        image += (glow * 200.0)[..., None] * np.array([1.0, 0.9, 0.6], np.float32)
    if style['fog'] > 0:
        # distance along the ground plane, in units of the distance of the bottom row:
        # 1 at the bottom, growing towards the horizon, capped at FOG_MAX_DEPTH (also the sky)
        rows = np.arange(h, dtype=np.float32)
        depth = (h - horizon) / np.maximum(rows - horizon, 1e-3)
        depth = np.where(rows > horizon, np.minimum(depth, FOG_MAX_DEPTH), FOG_MAX_DEPTH)
        trans = np.exp(-style['fog'] * depth)[:, None, None]
        image = image * trans + np.asarray(style['fog_color'], np.float32) * (1 - trans)
    if style['blur'] > 0:
        image = cv2.GaussianBlur(image, (0, 0), style['blur'])
    if style['noise'] > 0:
        image = image + rng.normal(0, style['noise'], image.shape).astype(np.float32)
    return image.clip(0, 255).round().astype(np.uint8), label


def instance_boxes(layout: Dict, classes: Tuple[str, ...] = DET_CLASSES,
                   min_area: int = DET_MIN_AREA) -> List[Tuple[str, List[int], int]]:
    """Tight boxes of the *visible* pixels of each object of ``classes``.

    Objects are drawn back to front, so a nearer object (or an unlabelled clutter blob)
    hides parts of the ones behind it; each object's silhouette is drawn again (same geometry,
    no colour) and only the pixels no later object covers count. Objects with fewer than
    ``min_area`` visible pixels are left out (they are not annotated, like Cityscapes'
    fully hidden instances).

    Returns:
        list of (class name, [x, y, w, h] in COCO convention, visible pixel count).
    """
    h, w = layout['height'], layout['width']
    owner = np.full((h, w), -1, np.int32)
    silhouette = np.zeros((h, w), np.uint8)
    scratch = np.zeros((h, w, 3), np.float32)
    colour_rng = np.random.default_rng(0)  # colours are drawn but unused: geometry only
    for index, obj in enumerate(layout['objects']):
        silhouette[:] = 0
        _draw_object(colour_rng, obj, silhouette, scratch, DEFAULT_STYLE)
        owner[silhouette != 0] = index
    boxes = []
    for index, obj in enumerate(layout['objects']):
        if obj['kind'] not in classes:
            continue
        ys, xs = np.nonzero(owner == index)
        if xs.size < min_area:
            continue
        x0, y0 = int(xs.min()), int(ys.min())
        boxes.append((obj['kind'], [x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1],
                      int(xs.size)))
    return boxes


def generate_scene(seed_seq: List[int], height: int, width: int,
                   style: Dict) -> Tuple[np.ndarray, np.ndarray, Dict]:
    """Generate one scene from an integer seed sequence (deterministic)."""
    rng = np.random.default_rng(seed_seq)
    layout = sample_layout(rng, height, width, style)
    image, label = render(rng, layout, style)
    return image, label, layout
