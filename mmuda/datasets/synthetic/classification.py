# Copyright (c) mmuda contributors. All rights reserved.
"""Embedded synthetic CLASSIFICATION domains: object-centred crops of the street scenes.

Every scene of a domain (:func:`~.scene.generate_scene`, the same seeds as the segmentation
writer, so with the same ``seed`` and ``img_size`` scene ``i`` of a split is the very scene
``i`` of the segmentation domain of that name) gives at most ``max_per_scene`` crops of each of
six classes (:data:`CLS_CLASSES`):

* object classes ``car``, ``person``, ``sign``: a visible instance
  (:func:`~.scene.instance_boxes`) whose box has a longer side of at least
  ``min_object_size`` pixels, chosen at random among the eligible ones. The crop is a square
  centred on the pixel of the object's class nearest to the box centre (the box centre itself
  for convex objects; the pole for signs), large enough to hold the whole box plus ``margin``
  (a fraction of the box's half size) on every side; parts outside the scene are padded by
  mirroring (reflection).
* stuff classes ``building``, ``vegetation``, ``road``: a square of side ``stuff_size`` (a
  fraction of the scene height, drawn per crop) lying inside the scene, centred on a pixel of
  that class, of which at least ``stuff_min_fraction`` of the pixels are that class (chosen at
  random among all such centres); no crop when the scene has none.

Crops are resized to ``crop_size`` x ``crop_size`` and written with thuml's ImageList lists::

    <data_root>/<domain>-<hash>/
        {train,val}/<class>/<domain>_<scene>_<k>.png   RGB crops
        {train,val}.txt                                 "<split>/<class>/<name>.png <label>"
        meta.json                                       parameters, class counts, mean colour

``<hash>`` digests every generation parameter. A domain (both splits) is generated as one
unit, under the lock and temporary-folder rename of :func:`~.writer.fill_atomically`, so it is
never half-written and concurrent processes generate it once.
"""
import hashlib
import json
import math
import os
import os.path as osp
import time
import zlib
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log

from mmuda.registry import DATASETS
from ..image_list import ImageListDataset
from .scene import CLASSES, generate_scene, instance_boxes, merge_style
from .writer import fill_atomically

CLS_GENERATOR_VERSION = 1
SPLITS = ('train', 'val')
#: object classes (crops around instance boxes) and stuff classes (crops inside a region)
OBJECT_CLASSES = ('car', 'person', 'sign')
STUFF_CLASSES = ('building', 'vegetation', 'road')
#: the classes of the classification domains; a crop's label is its index here
CLS_CLASSES = OBJECT_CLASSES + STUFF_CLASSES
#: generation options and their defaults (all part of the domain hash)
CLS_DEFAULTS = dict(num_scenes=dict(train=600, val=150), img_size=(128, 256), crop_size=64,
                    seed=0, max_per_scene=1, margin=0.25, min_object_size=12,
                    stuff_size=(0.18, 0.3), stuff_min_fraction=0.75)


class Crop(NamedTuple):
    """One crop of a scene: label (index in :data:`CLS_CLASSES`), the square window in scene
    pixels (x0, y0, side; its centre pixel is (x0 + side // 2, y0 + side // 2)) and the
    resized RGB crop."""
    label: int
    window: Tuple[int, int, int]
    image: np.ndarray


def cls_domain_params(domain: str, style: Optional[Dict] = None, **options) -> Dict:
    """All parameters that determine a classification domain's files, checked and
    normalised (JSON types). ``options`` are keys of :data:`CLS_DEFAULTS`."""
    unknown = set(options) - set(CLS_DEFAULTS)
    if unknown:
        raise TypeError(f'unknown option(s) {sorted(unknown)}; expected {sorted(CLS_DEFAULTS)}')
    if not isinstance(domain, str) or not domain or '/' in domain or domain != domain.strip():
        raise ValueError(f'domain must be a non-empty name without "/"; got {domain!r}')
    opts = dict(CLS_DEFAULTS, **{k: v for k, v in options.items() if v is not None})
    num = opts['num_scenes']
    if not isinstance(num, dict) or set(num) != set(SPLITS) or any(
            int(num[s]) < 1 for s in SPLITS):
        raise ValueError(f'num_scenes must be a dict with a positive count for each of '
                         f'{SPLITS}; got {num!r}')
    height, width = (int(v) for v in opts['img_size'])
    low, high = (float(v) for v in opts['stuff_size'])
    if min(height, width) < 16 or int(opts['crop_size']) < 8 or not 0 < low <= high <= 1:
        raise ValueError(f'bad sizes: img_size={opts["img_size"]!r}, crop_size='
                         f'{opts["crop_size"]!r}, stuff_size={opts["stuff_size"]!r}')
    params = dict(opts, version=CLS_GENERATOR_VERSION, domain=domain,
                  style=merge_style(style), num_scenes={s: int(num[s]) for s in SPLITS},
                  img_size=[height, width], crop_size=int(opts['crop_size']),
                  seed=int(opts['seed']), max_per_scene=int(opts['max_per_scene']),
                  min_object_size=int(opts['min_object_size']), stuff_size=[low, high])
    return json.loads(json.dumps(params))  # tuples -> lists, so the hash is stable


def cls_domain_dir(data_root: str, params: Dict) -> str:
    digest = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]
    return osp.join(data_root, f'{params["domain"]}-{digest}')


def scene_seed_seq(seed: int, domain: str, split: str, index: int) -> List[int]:
    """Seed sequence of scene ``index`` of a split (the segmentation writer's)."""
    return [int(seed), zlib.crc32(domain.encode()), SPLITS.index(split), int(index)]


def _cut(image: np.ndarray, cx: int, cy: int, half: int) -> np.ndarray:
    """The square [cx - half, cx + half] x [cy - half, cy + half], padded by reflection."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = cx - half, cy - half, cx + half + 1, cy + half + 1
    patch = image[max(y0, 0):min(y1, h), max(x0, 0):min(x1, w)]
    pads = (max(-y0, 0), max(y1 - h, 0), max(-x0, 0), max(x1 - w, 0))
    if any(pads):
        patch = cv2.copyMakeBorder(patch, *pads, cv2.BORDER_REFLECT_101)
    return patch


def _resize(patch: np.ndarray, size: int) -> np.ndarray:
    inter = cv2.INTER_AREA if patch.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(patch, (size, size), interpolation=inter)


def extract_crops(image: np.ndarray, label: np.ndarray, layout: Dict,
                  rng: np.random.Generator, params: Dict) -> List[Crop]:
    """The crops of one scene (see the module docstring for the rule), in class order."""
    h, w = label.shape
    size, per_scene = params['crop_size'], params['max_per_scene']
    crops = []
    boxes = instance_boxes(layout, OBJECT_CLASSES)
    for cls in OBJECT_CLASSES:
        cls_id = CLASSES.index(cls)
        eligible = [box for name, box, _ in boxes
                    if name == cls and max(box[2], box[3]) >= params['min_object_size']]
        for i in rng.permutation(len(eligible))[:per_scene]:
            x, y, bw, bh = eligible[i]
            ys, xs = np.nonzero(label[y:y + bh, x:x + bw] == cls_id)
            near = np.argmin((xs - (bw - 1) / 2) ** 2 + (ys - (bh - 1) / 2) ** 2)
            cx, cy = x + int(xs[near]), y + int(ys[near])
            reach = max(cx - x, x + bw - 1 - cx, cy - y, y + bh - 1 - cy)
            half = int(math.ceil(reach + params['margin'] * max(bw, bh) / 2))
            crops.append(Crop(CLS_CLASSES.index(cls), (cx - half, cy - half, 2 * half + 1),
                              _resize(_cut(image, cx, cy, half), size)))
    low, high = params['stuff_size']
    for cls in STUFF_CLASSES:
        mask = (label == CLASSES.index(cls)).astype(np.float32)
        for _ in range(per_scene):
            half = int(round(rng.uniform(low, high) * h / 2))
            side = 2 * half + 1
            if side > min(h, w):
                break
            frac = cv2.boxFilter(mask, -1, (side, side), normalize=True,
                                 borderType=cv2.BORDER_CONSTANT)
            ok = (frac >= params['stuff_min_fraction']) & (mask > 0)
            ok[:half], ok[h - half:], ok[:, :half], ok[:, w - half:] = False, False, False, False
            ys, xs = np.nonzero(ok)
            if not len(xs):
                break
            j = int(rng.integers(len(xs)))
            cx, cy = int(xs[j]), int(ys[j])
            # no second crop of the class centred inside this one
            mask[cy - half:cy + half + 1, cx - half:cx + half + 1] = 0
            crops.append(Crop(CLS_CLASSES.index(cls), (cx - half, cy - half, side),
                              _resize(_cut(image, cx, cy, half), size)))
    return crops


def scene_crops(params: Dict, split: str, index: int) -> Tuple[np.ndarray, np.ndarray,
                                                                List[Crop]]:
    """Regenerate scene ``index`` of a split; returns (image, label map, crops) exactly as
    they were written."""
    height, width = params['img_size']
    seed_seq = scene_seed_seq(params['seed'], params['domain'], split, index)
    image, label, layout = generate_scene(seed_seq, height, width, params['style'])
    rng = np.random.default_rng(seed_seq + [0x63726f70])  # 'crop'
    return image, label, extract_crops(image, label, layout, rng, params)


def _write_split(out_dir: str, params: Dict, split: str) -> Dict:
    for cls in CLS_CLASSES:
        os.makedirs(osp.join(out_dir, split, cls))
    lines, counts = [], np.zeros(len(CLS_CLASSES), np.int64)
    colour = np.zeros(3, np.float64)
    for index in range(params['num_scenes'][split]):
        for k, crop in enumerate(scene_crops(params, split, index)[2]):
            rel = f'{split}/{CLS_CLASSES[crop.label]}/{params["domain"]}_{index:05d}_{k}.png'
            cv2.imwrite(osp.join(out_dir, rel), cv2.cvtColor(crop.image, cv2.COLOR_RGB2BGR))
            lines.append(f'{rel} {crop.label}\n')
            counts[crop.label] += 1
            colour += crop.image.reshape(-1, 3).mean(0)
    with open(osp.join(out_dir, f'{split}.txt'), 'w') as f:
        f.writelines(lines)
    return dict(num_crops=len(lines), class_counts=dict(zip(CLS_CLASSES, counts.tolist())),
                mean_rgb=[round(float(c), 3) for c in colour / max(len(lines), 1)])


def generate_cls_domain(data_root: str = 'data/synthetic_cls', domain: str = 'source',
                        style: Optional[Dict] = None, **options) -> str:
    """Make sure a classification domain (both splits) exists under ``data_root``, generating
    it on first use; returns its folder ``<data_root>/<domain>-<hash>``.

    Args:
        data_root: folder holding the generated classification domains.
        domain: domain name ('source', 'target', 'target_fog', ...): part of the folder, the
            file names and the scene seeds.
        style: style keys (:data:`~.scene.DEFAULT_STYLE`), e.g. ``source_style`` of
            configs/_base_/datasets/synthetic_domains.py.
        **options: keys of :data:`CLS_DEFAULTS`: ``num_scenes`` (dict per split),
            ``img_size`` (scene (h, w)), ``crop_size``, ``seed``, ``max_per_scene``,
            ``margin``, ``min_object_size``, ``stuff_size``, ``stuff_min_fraction``.
    """
    params = cls_domain_params(domain, style, **options)
    out_dir = cls_domain_dir(data_root, params)
    with fill_atomically(data_root, out_dir) as tmp:
        if tmp is None:
            return out_dir
        start = time.time()
        stats = {split: _write_split(tmp, params, split) for split in SPLITS}
        meta = dict(params=params, classes=list(CLS_CLASSES), statistics=stats,
                    seconds=round(time.time() - start, 2))
        with open(osp.join(tmp, 'meta.json'), 'w') as f:
            json.dump(meta, f, indent=2)
    print_log(f'Generated the synthetic classification domain {domain!r} '
              f'({sum(s["num_crops"] for s in stats.values())} crops, {meta["seconds"]} s) '
              f'in {osp.abspath(out_dir)}', logger='current')
    return out_dir


def prepare_cls_domain(dataset_name: str, domain: str, style: Optional[Dict], split: str,
                       generate: bool, data_root: str, kwargs: dict, own_keys: Sequence[str],
                       **options) -> Tuple[Dict, str]:
    """Check the arguments of a synthetic classification dataset and generate its domain if
    asked (mirrors :func:`~.dataset.prepare_domain`); returns (parameters, domain folder)."""
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    for key in own_keys:
        if key in kwargs:
            raise TypeError(f'{dataset_name} sets {key} itself; remove it from the config')
    params = cls_domain_params(domain, style, **options)
    if generate:
        return params, generate_cls_domain(data_root, domain, style, **options)
    folder = cls_domain_dir(data_root, params)
    if not osp.isfile(osp.join(folder, 'meta.json')):
        raise FileNotFoundError(f'{dataset_name}: the domain {domain!r} is not generated '
                                f'({folder}) and generate=False')
    return params, folder


@DATASETS.register_module()
class SyntheticClsDataset(ImageListDataset):
    """One split of an embedded synthetic classification domain (object-centred crops of the
    street scenes, see :mod:`.classification`), generated on first use and read from its
    ImageList file (``<split>.txt``: ``<path relative to the domain folder> <label>``).

    Data samples: ``dict(img_path=..., gt_label=int)`` (:class:`mmuda.datasets.ImageListDataset`
    reads the list).

    Args:
        domain (str): 'source', 'target', 'target_fog', ...
        style (dict): style keys, e.g. the styles of synthetic_domains.py.
        split (str): 'train' or 'val'.
        num_scenes (dict): scenes per split. Defaults to ``dict(train=600, val=150)``.
        img_size (tuple): (h, w) of the scenes. Defaults to (128, 256).
        crop_size (int): side of the crops. Defaults to 64.
        seed (int): generation seed. Defaults to 0.
        generate (bool): generate a missing domain; if False a missing domain is an error.
        data_root (str): folder of the generated domains. Defaults to 'data/synthetic_cls'.
        **kwargs: ``max_per_scene``, ``margin``, ``min_object_size``, ``stuff_size``,
            ``stuff_min_fraction`` (generation), the rest to ``ImageListDataset``
            (pipeline, test_mode, ...).
    """
    METAINFO = dict(classes=CLS_CLASSES)

    def __init__(self, domain: str, style: Optional[Dict] = None, split: str = 'train',
                 num_scenes: Optional[Dict[str, int]] = None,
                 img_size: Sequence[int] = (128, 256), crop_size: int = 64, seed: int = 0,
                 generate: bool = True, data_root: str = 'data/synthetic_cls', **kwargs):
        options = {k: kwargs.pop(k) for k in list(kwargs) if k in CLS_DEFAULTS}
        self.params, folder = prepare_cls_domain(
            type(self).__name__, domain, style, split, generate, data_root, kwargs,
            ('ann_file', 'data_prefix'), num_scenes=num_scenes, img_size=img_size,
            crop_size=crop_size, seed=seed, **options)
        self.domain, self.split = domain, split
        super().__init__(ann_file=f'{split}.txt', data_root=folder,
                         data_prefix=dict(img_path=''), **kwargs)
