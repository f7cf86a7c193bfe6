# Copyright (c) mmuda contributors. All rights reserved.
"""Embedded synthetic VIDEO domains: short clips of the procedural street scenes with a label
for every frame and the exact backward optical flow between consecutive frames.

Motion model (layers with known motion)
---------------------------------------
A clip is one scene of :func:`~.scene.sample_layout` (the same layout distribution, classes
and style keys as the still domains) split into *layers*, each rendered once by
:func:`~.scene.render` with everything that is attached to the scene (palette, texture,
photometry, lights) and moved per frame by an affine map whose parameters are known:

* the **background** (sky, buildings, trees, sidewalks, road, lane marks), rendered once on a
  canvas wider than the frame, moved by the **camera**: a horizontal pan of ``pan`` pixels per
  frame (a small camera rotation; a whole number of pixels, so a pan alone copies the
  background exactly) and a zoom by ``zoom`` per frame about the vanishing point (driving
  forward; the horizon row stays fixed);
* one **sprite** per object (car, person, sign, unlabelled clutter), rendered once with its
  mask and label, moved by the camera and by its own motion: cars drive along the road (a
  zoom about the vanishing point by ``car_zoom`` per frame: > 0 comes closer, < 0 drives
  away) and sideways, persons walk sideways; signs and clutter stand still in the world.
  Sprites are drawn back to front by the current row of their ground point (nearer = lower).

Frame ``t`` is composited by inverse-mapping each output pixel into each layer: which layer a
pixel shows, and its label, are taken from the layer pixel nearest to the mapped point (no
mixing of labels); its colour is the layer's colour sampled bilinearly there. Then the
per-frame effects of :func:`~.scene.render` that belong to the *camera* rather than to the
scene are applied to the whole frame, in render's order: fog (by frame row, the horizon row is
fixed), Gaussian blur, and sensor noise, which is **redrawn every frame** (it does not move
with the scene, like real sensor noise).

Flow and occlusions (what is exact)
-----------------------------------
For a pixel ``p`` of frame ``t`` showing layer ``L`` (affine maps ``M_t``, layer -> frame),
``p`` shows the layer point ``M_t^-1 p``, which is at ``q = M_{t-1} M_t^-1 p`` in frame
``t-1``: the flow ``q - p`` is exact (float64 affine algebra, no estimation). It is NaN
(no correspondence) where

* ``q`` lies outside frame ``t-1`` (its nearest pixel is not a pixel of the frame), or
* the pixel of frame ``t-1`` nearest to ``q`` shows another layer (an object in front of it,
  or at the rim of a layer, because of pixel rounding, the layer behind it).

So every non-NaN flow vector lands on a pixel of frame ``t-1`` that shows the same layer
(objects have one label: their labels always agree). Background labels agree except at class
boundaries under a sub-pixel motion (the zoom): ``q`` is not a pixel centre, and the pixel
nearest to it may lie across the boundary from the point itself (inherent to nearest sampling;
0.6% of the valid pixels on average at 128 x 256, at most about 2.5% in a frame with many
boundaries; none without zoom). Colours agree up to bilinear resampling (at sharp edges), the
per-frame blur, the fog of a row (a point moving down in a zooming frame gets a little less
fog, as it would) and the noise. Objects are separate rigid layers: one does not deform or
rotate, and parts of the scene never hide each other inside the background layer.

Layout on disk (Cityscapes-Seq; ``<city>`` is the domain name)::

    <data_root>/<domain>-video-<hash>/
        leftImg8bit_sequence/{train,val}/<city>/<city>_<seq:06d>_<frame:06d>_leftImg8bit.png
        gtFine/{train,val}/<city>/<city>_<seq:06d>_<frame:06d>_gtFine_labelTrainIds.png
        flow/{train,val}/<city>/<city>_<seq:06d>_<frame:06d>_flow.npy   (frames 1..n-1)
        meta.json    generation parameters, per-split list of clips, statistics

The flow files follow :mod:`mmuda.datasets.flow_io` (backward flow to the previous frame,
float16, NaN = no correspondence); the first frame of a clip has none. Generation writes into a
temporary folder renamed into place, under the data root's lock, as for the still domains.
"""
import copy
import hashlib
import json
import os
import os.path as osp
import time
import zlib
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log

from ..flow_io import flow_path, write_flow
from .scene import CLASSES, FOG_MAX_DEPTH, SKY, merge_style, render, sample_layout
from .writer import fill_atomically

VIDEO_GENERATOR_VERSION = 1
SPLITS = ('train', 'val')
FRAME_SUFFIX = '_leftImg8bit.png'
LABEL_SUFFIX = '_gtFine_labelTrainIds.png'
FRAME_DIR, LABEL_DIR, FLOW_DIR = 'leftImg8bit_sequence', 'gtFine', 'flow'

#: Every key of ``motion``, with its default. Ranges are (low, high) of a uniform draw per clip
#: (camera) or per object; speeds are fractions of the frame width per frame, with a random sign.
DEFAULT_MOTION: Dict = dict(
    pan=(0.0, 0.012),          # camera pan speed (fraction of the width per frame; rounded to
    #                            whole pixels per frame)
    zoom=(0.0, 0.015),         # camera forward motion: zoom factor - 1 per frame (>= 0)
    moving_prob=0.75,          # chance that a car or a person moves (else parked / standing)
    car_zoom=(-0.04, 0.04),    # driving along the road: zoom about the vanishing point - 1
    car_speed=(0.0, 0.008),    # sideways speed of a car, at the bottom row (perspective-scaled)
    person_speed=(0.002, 0.008),  # walking speed of a person, at the bottom row
)
_RANGE_KEYS = ('pan', 'zoom', 'car_zoom', 'car_speed', 'person_speed')
_SPRITE_MARGIN = 3  # pixels around a sprite (a rim for bilinear sampling)


def merge_motion(motion: Optional[Dict]) -> Dict:
    """Merge ``motion`` over :data:`DEFAULT_MOTION`, checking every key and value."""
    merged = copy.deepcopy(DEFAULT_MOTION)
    for key, value in (motion or {}).items():
        if key not in DEFAULT_MOTION:
            raise KeyError(f'Unknown synthetic video motion key {key!r}; expected one of '
                           f'{sorted(DEFAULT_MOTION)}')
        merged[key] = value
    for key in _RANGE_KEYS:
        value = merged[key]
        try:
            low, high = (float(v) for v in value)
        except (TypeError, ValueError):
            low = high = None
        if low is None or not low <= high:
            raise ValueError(f'motion[{key!r}] must be a (low, high) range with low <= high; '
                             f'got {value!r}')
        merged[key] = (low, high)
    if merged['zoom'][0] < 0:
        raise ValueError(f"motion['zoom'] must be >= 0 (the camera moves forward); got "
                         f"{merged['zoom']!r}")
    if merged['car_zoom'][0] <= -0.5:
        raise ValueError(f"motion['car_zoom'] must be > -0.5 per frame; got "
                         f"{merged['car_zoom']!r}")
    if not 0 <= float(merged['moving_prob']) <= 1:
        raise ValueError(f"motion['moving_prob'] must be a probability in [0, 1]; got "
                         f"{merged['moving_prob']!r}")
    merged['moving_prob'] = float(merged['moving_prob'])
    return merged


def _check_frames(num_frames) -> int:
    if isinstance(num_frames, bool) or not isinstance(num_frames, (int, np.integer)) \
            or num_frames < 2:
        raise ValueError(f'frames_per_clip must be an integer >= 2 (a clip needs a previous '
                         f'frame for the flow); got {num_frames!r}')
    return int(num_frames)


def _check_size(img_size) -> Tuple[int, int]:
    try:
        height, width = (int(v) for v in img_size)
        ok = height >= 16 and width >= 16 and all(float(v) == int(v) for v in img_size)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f'img_size must be (height, width), two integers >= 16; got '
                         f'{img_size!r}')
    return height, width


# --------------------------------------------------------------------------------------------
# layers and compositing
# --------------------------------------------------------------------------------------------
class Layer(NamedTuple):
    """A rigid layer of a clip.

    Attributes:
        image: (h, w, 3) colours (uint8 or float), sampled bilinearly.
        label: (h, w) uint8 train ids, sampled nearest.
        mask: (h, w) bool, where the layer is opaque, sampled nearest.
        matrices: (T, 3, 3) affine maps from layer pixel coordinates (x = column, y = row,
            pixel centres at integers) to frame pixel coordinates, one per frame.
        depth: (T,) drawing order per frame: larger is nearer (drawn later); ties keep the
            order of the layer list.
    """
    image: np.ndarray
    label: np.ndarray
    mask: np.ndarray
    matrices: np.ndarray
    depth: np.ndarray


def _round(values: np.ndarray) -> np.ndarray:
    """Nearest pixel index (halves round up; the one rounding rule of this module)."""
    return np.floor(values + 0.5).astype(np.int64)


def _inv_affine(mat: np.ndarray) -> np.ndarray:
    """Inverse of a 3x3 affine matrix (closed form: np.linalg.inv is slow on tiny arrays)."""
    (a, b, tx), (c, d, ty) = mat[0], mat[1]
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    return np.array([[ia, ib, -(ia * tx + ib * ty)], [ic, id_, -(ic * tx + id_ * ty)],
                     [0.0, 0.0, 1.0]])


def _fill_rim(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Give the pixels around a mask the mean colour of their masked neighbours, so that
    bilinear sampling at the mask's edge does not mix in colours from outside the layer."""
    image = image.astype(np.float32)
    m = mask.astype(np.float32)
    num = cv2.blur(image * m[..., None], (3, 3), borderType=cv2.BORDER_CONSTANT)
    den = cv2.blur(m, (3, 3), borderType=cv2.BORDER_CONSTANT)
    rim = ~mask & (den > 0)
    image[rim] = num[rim] / den[rim][:, None]
    return image


def compose_layers(layers: Sequence[Layer], height: int, width: int):
    """Composite layers into frames, with labels, the layer shown at each pixel and the exact
    backward flow (see the module docstring for the rules).

    Returns:
        (images, labels, owners, flows, occlusions): float32 (T, H, W, 3) colours (0 where no
        layer), uint8 (T, H, W) labels (255 where no layer), int16 (T, H, W) index of the layer
        shown (-1 none), float32 (T-1, H, W, 2) flows (``flows[t-1]`` is the flow of frame
        ``t`` to ``t-1``) and bool (T-1, H, W) occlusions (True where the flow is NaN).
    """
    num_frames = len(layers[0].matrices)
    h, w = height, width
    images = np.zeros((num_frames, h, w, 3), np.float32)
    labels = np.full((num_frames, h, w), 255, np.uint8)
    owners = np.full((num_frames, h, w), -1, np.int16)
    fills = [_fill_rim(layer.image, layer.mask) if not layer.mask.all()
             else layer.image.astype(np.float32) for layer in layers]
    for t in range(num_frames):
        order = sorted(range(len(layers)), key=lambda i: (float(layers[i].depth[t]), i))
        for index in order:
            layer = layers[index]
            lh, lw = layer.mask.shape
            mat = layer.matrices[t]
            inv = _inv_affine(mat)
            # the frame box the layer can cover
            corners = mat @ np.array([[-1, lw, -1, lw], [-1, -1, lh, lh], [1, 1, 1, 1]], float)
            x0, y0 = np.floor(corners[:2].min(1)).astype(int)
            x1, y1 = np.ceil(corners[:2].max(1)).astype(int)
            x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w - 1), min(y1, h - 1)
            if x0 > x1 or y0 > y1:
                continue
            ys, xs = np.mgrid[y0:y1 + 1, x0:x1 + 1].astype(np.float64)
            sx = inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]
            sy = inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]
            ix, iy = _round(sx), _round(sy)
            inside = (ix >= 0) & (ix < lw) & (iy >= 0) & (iy < lh)
            ixc, iyc = ix.clip(0, lw - 1), iy.clip(0, lh - 1)
            shown = inside & layer.mask[iyc, ixc]
            if not shown.any():
                continue
            colour = cv2.remap(fills[index], sx.astype(np.float32), sy.astype(np.float32),
                               cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            box = (slice(y0, y1 + 1), slice(x0, x1 + 1))
            images[t][box][shown] = colour[shown]
            labels[t][box][shown] = layer.label[iyc, ixc][shown]
            owners[t][box][shown] = index

    flows = np.full((num_frames - 1, h, w, 2), np.nan, np.float32)
    for t in range(1, num_frames):
        # per layer, the map frame t -> frame t-1; applied to every pixel by its layer
        to_prev = np.stack([(layer.matrices[t - 1] @ _inv_affine(layer.matrices[t]))[:2]
                            for layer in layers])
        ys, xs = np.nonzero(owners[t] >= 0)
        index = owners[t][ys, xs]
        a = to_prev[index]  # (N, 2, 3)
        qx = a[:, 0, 0] * xs + a[:, 0, 1] * ys + a[:, 0, 2]
        qy = a[:, 1, 0] * xs + a[:, 1, 1] * ys + a[:, 1, 2]
        rx, ry = _round(qx), _round(qy)
        ok = (rx >= 0) & (rx < w) & (ry >= 0) & (ry < h)
        ok[ok] = owners[t - 1][ry[ok], rx[ok]] == index[ok]
        flows[t - 1, ys[ok], xs[ok], 0] = qx[ok] - xs[ok]
        flows[t - 1, ys[ok], xs[ok], 1] = qy[ok] - ys[ok]
    occlusions = np.isnan(flows[..., 0])
    return images, labels, owners, flows, occlusions


# --------------------------------------------------------------------------------------------
# scene -> layers
# --------------------------------------------------------------------------------------------
def _affine(scale: float, tx: float, ty: float) -> np.ndarray:
    return np.array([[scale, 0.0, tx], [0.0, scale, ty], [0.0, 0.0, 1.0]])


def _zoom_about(scale: float, cx: float, cy: float) -> np.ndarray:
    """x -> c + scale * (x - c)."""
    return _affine(scale, cx * (1 - scale), cy * (1 - scale))


def _sprite_box(obj: Dict) -> Tuple[int, int, int, int]:
    """A box (x0, y0, x1, y1) holding everything _draw_object draws for ``obj``, plus a rim."""
    x, y, ow, oh = obj['x'], obj['y'], obj['w'], obj['h']
    m = _SPRITE_MARGIN
    return (int(np.floor(x - 0.6 * ow)) - m, int(np.floor(y - oh - 0.6 * ow)) - m,
            int(np.ceil(x + 0.6 * ow)) + m, int(np.ceil(y + 0.2 * ow)) + m)


def _render_sprite(rng: np.random.Generator, obj: Dict, style: Dict):
    """Render one object with scene.render on its own small canvas (nothing else in view:
    no blocks, the ground below the canvas); returns (image, label, mask, (x0, y0))."""
    x0, y0, x1, y1 = _sprite_box(obj)
    sh, sw = y1 - y0 + 1, x1 - x0 + 1
    local = dict(obj, x=obj['x'] - x0, y=obj['y'] - y0)
    layout = dict(height=sh, width=sw, horizon=sh + 1000.0, vanish_x=sw / 2,
                  road=(0.0, float(sw)), walk=0.0, blocks=[], objects=[local])
    image, label = render(rng, layout, style)
    return image, label, label != SKY, (x0, y0)


def _extend_blocks(rng: np.random.Generator, layout: Dict, style: Dict, x_min: float,
                   x_max: float) -> List[Dict]:
    """The roadside blocks of ``layout``, continued to the left and the right with the rule of
    sample_layout until they cover [x_min, x_max] (the camera pans over them)."""
    h, w, horizon = layout['height'], layout['width'], layout['horizon']
    blocks = [dict(b) for b in layout['blocks']]

    def block(x0, block_w):
        low, high = style['building_height']
        top = horizon - float(rng.uniform(low, high)) * h
        kind = 'vegetation' if rng.random() < style['vegetation_prob'] else 'building'
        return dict(kind=kind, x0=x0, x1=x0 + block_w, top=top)

    while blocks[-1]['x1'] < x_max:
        blocks.append(block(blocks[-1]['x1'], rng.uniform(0.10, 0.28) * w))
    while blocks[0]['x0'] > x_min:
        block_w = rng.uniform(0.10, 0.28) * w
        blocks.insert(0, block(blocks[0]['x0'] - block_w, block_w))
    return blocks


def _fog(image: np.ndarray, horizon: float, style: Dict) -> np.ndarray:
    """scene.render's fog (the same formula), by frame row."""
    h = image.shape[0]
    rows = np.arange(h, dtype=np.float32)
    depth = (h - horizon) / np.maximum(rows - horizon, 1e-3)
    depth = np.where(rows > horizon, np.minimum(depth, FOG_MAX_DEPTH), FOG_MAX_DEPTH)
    trans = np.exp(-style['fog'] * depth)[:, None, None]
    return image * trans + np.asarray(style['fog_color'], np.float32) * (1 - trans)


def _sample_motion(rng: np.random.Generator, layout: Dict, motion: Dict) -> Dict:
    """Per-clip camera motion and per-object motion (JSON-serialisable)."""
    w, h, horizon = layout['width'], layout['height'], layout['horizon']

    def signed(bounds):
        return float(rng.uniform(*bounds)) * (1.0 if rng.random() < 0.5 else -1.0)

    # a whole number of pixels: a pan alone shifts the background exactly (labels are copied)
    camera = dict(pan=float(np.round(signed(motion['pan']) * w)),
                  zoom=1.0 + float(rng.uniform(*motion['zoom'])))
    objects = []
    for obj in layout['objects']:
        depth_scale = max((obj['y'] - horizon) / (h - horizon), 0.05)
        speed, zoom = 0.0, 1.0
        if obj['kind'] in ('car', 'person') and rng.random() < motion['moving_prob']:
            if obj['kind'] == 'car':
                zoom = 1.0 + float(rng.uniform(*motion['car_zoom']))
                speed = signed(motion['car_speed']) * w * depth_scale
            else:
                speed = signed(motion['person_speed']) * w * depth_scale
        objects.append(dict(kind=obj['kind'], speed=speed, zoom=zoom))
    return dict(camera=camera, objects=objects)


class Clip(NamedTuple):
    """One generated clip (``T`` frames of ``H`` x ``W``).

    Attributes:
        frames: (T, H, W, 3) uint8 RGB.
        labels: (T, H, W) uint8 train ids, 255 = ignore.
        flows: (T-1, H, W, 2) float32, ``flows[t-1]`` = backward flow of frame t to t-1
            ((dx, dy), NaN = no correspondence), the convention of mmuda.datasets.flow_io.
        occlusions: (T-1, H, W) bool, True where ``flows`` is NaN.
        owners: (T, H, W) int16 layer shown: 0 background, i + 1 object i of the layout.
        layout: the scene layout (sample_layout, objects at their frame-0 positions).
        motion: the sampled motion: camera pan (pixels per frame) and zoom (factor per frame),
            per object its sideways speed (pixels per frame) and along-road zoom.
    """
    frames: np.ndarray
    labels: np.ndarray
    flows: np.ndarray
    occlusions: np.ndarray
    owners: np.ndarray
    layout: Dict
    motion: Dict


def generate_clip(seed_seq: List[int], num_frames: int, height: int, width: int,
                  style: Optional[Dict], motion: Optional[Dict] = None) -> Clip:
    """Generate one clip from an integer seed sequence (deterministic).

    ``style`` takes the keys of :data:`~.scene.DEFAULT_STYLE` (merged over it), ``motion``
    those of :data:`DEFAULT_MOTION`. Frame 0 is the scene as laid out by sample_layout; the
    camera and the objects then move with constant velocities.
    """
    num_frames = _check_frames(num_frames)
    height, width = _check_size((height, width))
    style, motion = merge_style(style), merge_motion(motion)
    rng = np.random.default_rng(seed_seq)
    layout = sample_layout(rng, height, width, style)
    moves = _sample_motion(rng, layout, motion)
    vx, vy = layout['vanish_x'], layout['horizon']
    pan, zoom = moves['camera']['pan'], moves['camera']['zoom']
    times = np.arange(num_frames)
    # world = frame-0 pixel coordinates; camera_t: world -> frame t (pan, then a zoom about the
    # vanishing point). With zoom >= 1 frame t sees world x in [pan * t, pan * t + W].
    cameras = [_zoom_about(zoom ** t, vx, vy) @ _affine(1.0, -pan * t, 0.0) for t in times]

    layer_style = dict(style, fog=0.0, blur=0.0, noise=0.0)
    # background canvas: world x in [-ox, width_c - ox)
    ox = int(np.ceil(max(0.0, -pan * (num_frames - 1)))) + _SPRITE_MARGIN
    width_c = width + int(np.ceil(abs(pan) * (num_frames - 1))) + 2 * _SPRITE_MARGIN
    blocks = _extend_blocks(rng, layout, style, -ox, width_c - ox)
    left, right = layout['road']
    bg_layout = dict(layout, width=width_c, vanish_x=vx + ox, road=(left + ox, right + ox),
                     objects=[], blocks=[dict(b, x0=b['x0'] + ox, x1=b['x1'] + ox)
                                         for b in blocks])
    bg_image, bg_label = render(rng, bg_layout, layer_style)
    to_canvas = _affine(1.0, -ox, 0.0)  # canvas -> world
    layers = [Layer(bg_image, bg_label, np.ones(bg_label.shape, bool),
                    np.stack([cam @ to_canvas for cam in cameras]),
                    np.full(num_frames, -np.inf))]

    sprite_style = dict(layer_style, lights=0)
    for obj, move in zip(layout['objects'], moves['objects']):
        image, label, mask, (x0, y0) = _render_sprite(rng, obj, sprite_style)
        own = [_affine(1.0, move['speed'] * t, 0.0) @ _zoom_about(move['zoom'] ** t, vx, vy)
               for t in times]
        depth = np.array([vy + move['zoom'] ** t * (obj['y'] - vy) for t in times])
        layers.append(Layer(image, label, mask,
                            np.stack([cam @ o @ _affine(1.0, x0, y0)
                                      for cam, o in zip(cameras, own)]), depth))

    images, labels, owners, flows, occlusions = compose_layers(layers, height, width)
    frames = np.empty(images.shape, np.uint8)
    for t in times:
        image = images[t]
        if style['fog'] > 0:
            image = _fog(image, vy, style)
        if style['blur'] > 0:
            image = cv2.GaussianBlur(image, (0, 0), style['blur'])
        if style['noise'] > 0:  # sensor noise: redrawn every frame
            image = image + rng.normal(0, style['noise'], image.shape).astype(np.float32)
        frames[t] = image.clip(0, 255).round().astype(np.uint8)
    return Clip(frames, labels, flows, occlusions, owners, layout, moves)


# --------------------------------------------------------------------------------------------
# writing a domain
# --------------------------------------------------------------------------------------------
def video_domain_params(domain: str, style: Optional[Dict], num_clips: Dict[str, int],
                        frames_per_clip: int, img_size: Sequence[int], seed: int,
                        motion: Optional[Dict] = None) -> Dict:
    """All parameters that determine a video domain's files, checked and normalised."""
    if not isinstance(domain, str) or not domain or '/' in domain or domain != domain.strip():
        raise ValueError(f'domain must be a non-empty name without "/" (it is a folder and '
                         f'the city of the file names); got {domain!r}')
    if not isinstance(num_clips, dict) or set(num_clips) != set(SPLITS) or any(
            int(num_clips[s]) < 1 for s in SPLITS):
        raise ValueError(f'num_clips must be a dict with a positive count for each of '
                         f'{SPLITS}; got {num_clips!r}')
    height, width = _check_size(img_size)
    params = dict(version=VIDEO_GENERATOR_VERSION, domain=domain, style=merge_style(style),
                  motion=merge_motion(motion), num_clips={s: int(num_clips[s]) for s in SPLITS},
                  frames_per_clip=_check_frames(frames_per_clip), img_size=[height, width],
                  seed=int(seed))
    return json.loads(json.dumps(params))  # tuples -> lists, so the hash is stable


def video_domain_dir(data_root: str, params: Dict) -> str:
    digest = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]
    return osp.join(data_root, f'{params["domain"]}-video-{digest}')


def clip_file_names(city: str, seq: int, frame: int) -> Tuple[str, str]:
    """(frame, label) file names of one frame."""
    stem = f'{city}_{seq:06d}_{frame:06d}'
    return stem + FRAME_SUFFIX, stem + LABEL_SUFFIX


def clip_seed_seq(seed: int, domain: str, split: str, seq: int) -> List[int]:
    """The seed sequence of clip ``seq`` of a split (``generate_clip(clip_seed_seq(...), ...)``
    gives the clip written to disk). The domain name is hashed with a video tag: a video domain
    never repeats the layouts of the still domain of the same name."""
    return [int(seed), zlib.crc32(f'{domain}-video'.encode()), SPLITS.index(split), int(seq)]


def _write_split(out_dir: str, params: Dict, split: str) -> Tuple[list, np.ndarray, list]:
    city = params['domain']
    height, width = params['img_size']
    frame_dir = osp.join(out_dir, FRAME_DIR, split, city)
    label_dir = osp.join(out_dir, LABEL_DIR, split, city)
    os.makedirs(frame_dir)
    os.makedirs(label_dir)
    counts = np.zeros(len(CLASSES) + 1, np.int64)
    nan = [0, 0]
    clips = []
    for seq in range(params['num_clips'][split]):
        clip = generate_clip(clip_seed_seq(params['seed'], city, split, seq),
                             params['frames_per_clip'], height, width, params['style'],
                             params['motion'])
        entry = dict(seq=seq, frames=[], labels=[], flows=[None], motion=clip.motion)
        for t in range(params['frames_per_clip']):
            frame_name, label_name = clip_file_names(city, seq, t)
            frame_file = osp.join(frame_dir, frame_name)
            cv2.imwrite(frame_file, cv2.cvtColor(clip.frames[t], cv2.COLOR_RGB2BGR))
            cv2.imwrite(osp.join(label_dir, label_name), clip.labels[t])
            entry['frames'].append(osp.join(FRAME_DIR, split, city, frame_name))
            entry['labels'].append(osp.join(LABEL_DIR, split, city, label_name))
            if t > 0:
                flow_file = flow_path(frame_file, osp.join(out_dir, FRAME_DIR),
                                      osp.join(out_dir, FLOW_DIR), FRAME_SUFFIX)
                write_flow(flow_file, clip.flows[t - 1])
                entry['flows'].append(osp.relpath(flow_file, out_dir))
            hist = np.bincount(clip.labels[t].ravel(), minlength=256)
            counts[:len(CLASSES)] += hist[:len(CLASSES)]
            counts[-1] += hist[255]
        nan[0] += int(clip.occlusions.sum())
        nan[1] += clip.occlusions.size
        clips.append(entry)
    return clips, counts, nan


def ensure_video_domain(data_root: str, domain: str, style: Optional[Dict],
                        num_clips: Dict[str, int], frames_per_clip: int,
                        img_size: Sequence[int] = (128, 256), seed: int = 0,
                        motion: Optional[Dict] = None) -> str:
    """Make sure the video domain exists under ``data_root`` (generate it on first use);
    returns its folder ``<data_root>/<domain>-video-<hash>``.

    Args:
        data_root: folder holding the generated domains (shared with the still domains).
        domain: domain name, also the ``<city>`` of the file names (it may contain ``_``:
            parse the sequence and frame numbers of a file name from the right).
        style: style keys (:data:`~.scene.DEFAULT_STYLE`), e.g. the source or target style of
            configs/_base_/datasets/synthetic_domains.py.
        num_clips: clips per split, e.g. ``dict(train=100, val=20)``.
        frames_per_clip: frames of each clip (>= 2).
        img_size: (height, width) of the frames.
        seed: generation seed: the same parameters give the same files.
        motion: motion keys (:data:`DEFAULT_MOTION`).
    """
    params = video_domain_params(domain, style, num_clips, frames_per_clip, img_size, seed,
                                 motion)
    out_dir = video_domain_dir(data_root, params)
    with fill_atomically(data_root, out_dir) as tmp:
        if tmp is None:
            return out_dir
        start = time.time()
        clips, stats = {}, {}
        for split in SPLITS:
            clips[split], counts, nan = _write_split(tmp, params, split)
            total = counts.sum()
            stats[split] = dict(
                class_pixel_fraction={c: round(float(n / total), 5)
                                      for c, n in zip(CLASSES, counts[:-1])},
                ignore_fraction=round(float(counts[-1] / total), 5),
                flow_nan_fraction=round(nan[0] / max(nan[1], 1), 5))
        meta = dict(params=params, classes=list(CLASSES), layout=dict(
            frames=FRAME_DIR, labels=LABEL_DIR, flow=FLOW_DIR,
            frame_suffix=FRAME_SUFFIX, label_suffix=LABEL_SUFFIX),
            statistics=stats, clips=clips, seconds=round(time.time() - start, 2))
        with open(osp.join(tmp, 'meta.json'), 'w') as f:
            json.dump(meta, f, indent=1)
    print_log(f'Generated the synthetic video domain {domain!r} '
              f'({sum(params["num_clips"].values())} clips x '
              f'{params["frames_per_clip"]} frames, {meta["seconds"]} s) in '
              f'{osp.abspath(out_dir)}', logger='current')
    return out_dir
