# Copyright (c) mmuda contributors. All rights reserved.
"""Whole-dataset label checks, made before training instead of when a bad file is loaded.

A segmentation label map is read exactly as mmseg's ``LoadAnnotations`` reads it (the dataset's
``reduce_zero_label`` and ``label_map`` applied) and every pixel must be a train id in
``[0, num_classes)`` or the ignore index. A detection annotation must name a known category and
hold a box of four finite numbers with a positive width and height. Each check returns the list
of :class:`LabelProblem` (empty: all good), one per bad file (segmentation) or per bad
annotation (detection), naming the bad ids and what was expected.

Used by ``tools/analysis_tools/check_labels.py`` (every dataset of a config, in parallel), by
:class:`~mmuda.datasets.CheckedSegDataset` when ``check_labels=True`` (the default of the
synthetic datasets) and, for the message of a single file, by
:class:`~mmuda.datasets.transforms.LoadSegAnnotations`.
"""
import json
import math
from functools import partial
from multiprocessing import Pool
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmengine import fileio

#: the problems listed in full in an error message; the rest are counted
MAX_LISTED = 10


class LabelProblem(NamedTuple):
    """One bad label file (segmentation) or annotation (detection).

    Args:
        path (str): the label file, or the annotation file holding the annotation.
        message (str): what is wrong and what was expected.
        ids (tuple): the offending label / category ids (empty when the file could not be
            read or the problem is not an id).
    """
    path: str
    message: str
    ids: Tuple[int, ...] = ()

    def __str__(self) -> str:
        return f'{self.path}: {self.message}'


def expected_label_ids(num_classes: int, ignore_index: int = 255) -> str:
    return f'train ids 0..{num_classes - 1} or {ignore_index} (ignore)'


def bad_label_ids(label: np.ndarray, num_classes: int,
                  ignore_index: int = 255) -> Tuple[List[int], int]:
    """The ids of ``label`` outside ``[0, num_classes)`` and ``ignore_index``, and the number
    of pixels holding them."""
    bad = ((label < 0) | (label >= num_classes)) & (label != ignore_index)
    if not bad.any():
        return [], 0
    return np.unique(label[bad]).tolist(), int(bad.sum())


def label_id_message(ids: Sequence[int], pixels: int, num_classes: int,
                     ignore_index: int = 255) -> str:
    return (f'holds id(s) {list(ids)} in {pixels} pixel(s); expected '
            f'{expected_label_ids(num_classes, ignore_index)}')


def map_label(label: np.ndarray, reduce_zero_label: bool = False,
              label_map: Optional[Dict[int, int]] = None) -> np.ndarray:
    """Apply a dataset's ``reduce_zero_label`` and ``label_map`` to a uint8 label map, as
    mmseg's ``LoadAnnotations`` does."""
    if reduce_zero_label:
        label = label.copy()
        label[label == 0] = 255
        label = label - 1
        label[label == 254] = 255
    if label_map:
        mapped = label.copy()
        for old_id, new_id in label_map.items():
            mapped[label == old_id] = new_id
        label = mapped
    return label


def decode_label(path: str, backend_args: Optional[dict] = None,
                 imdecode_backend: str = 'pillow') -> np.ndarray:
    """A label file's array as stored (before mmseg's cast to uint8), squeezed as mmseg's
    ``LoadAnnotations`` squeezes it; IOError if it cannot be read or decoded."""
    try:
        raw = mmcv.imfrombytes(fileio.get(path, backend_args=backend_args), flag='unchanged',
                               backend=imdecode_backend)
    except Exception as error:  # missing, truncated, not an image
        raise IOError(f'cannot be read ({type(error).__name__}: {error})') from error
    if raw is None:
        raise IOError('cannot be decoded as an image')
    return raw.squeeze()


def check_label_file(path: str, num_classes: int, ignore_index: int = 255,
                     reduce_zero_label: bool = False, label_map: Optional[Dict] = None,
                     backend_args: Optional[dict] = None,
                     imdecode_backend: str = 'pillow') -> Optional[LabelProblem]:
    """Check one segmentation label map; returns its problem or None."""
    try:
        raw = decode_label(path, backend_args, imdecode_backend)
    except IOError as error:
        return LabelProblem(path, str(error))
    if raw.ndim != 2:
        return LabelProblem(path, f'has shape {raw.shape}; expected a single-channel label map '
                            f'(H, W) of {expected_label_ids(num_classes, ignore_index)}')
    if raw.dtype != np.uint8:  # e.g. 16-bit PNGs: the loader casts to uint8, ids > 255 wrap
        outside = (raw < 0) | (raw > 255)
        if outside.any():
            ids = np.unique(raw[outside]).tolist()
            return LabelProblem(path, label_id_message(ids, int(outside.sum()), num_classes,
                                                       ignore_index), tuple(ids))
    label = map_label(raw.astype(np.uint8), reduce_zero_label, label_map)
    ids, pixels = bad_label_ids(label, num_classes, ignore_index)
    if ids:
        return LabelProblem(path, label_id_message(ids, pixels, num_classes, ignore_index),
                            tuple(ids))
    return None


def check_label_files(paths: Sequence[str], num_classes: int, ignore_index: int = 255,
                      workers: int = 1, **kwargs) -> List[LabelProblem]:
    """Check label maps, in ``workers`` processes when more than one; the problems are in the
    order of ``paths``. ``kwargs`` go to :func:`check_label_file`."""
    check = partial(check_label_file, num_classes=num_classes, ignore_index=ignore_index,
                    **kwargs)
    if workers > 1 and len(paths) > 1:
        with Pool(min(workers, len(paths))) as pool:
            results = pool.map(check, paths, chunksize=max(1, len(paths) // (4 * workers)))
    else:
        results = [check(p) for p in paths]
    return [r for r in results if r is not None]


def seg_label_args(dataset) -> dict:
    """The arguments of :func:`check_label_file` for a segmentation dataset: its classes,
    ignore index, ``reduce_zero_label`` and ``label_map``, and the label-loading transform's
    own arguments where its pipeline has one (``LoadSegAnnotations``' ``num_classes``)."""
    args = dict(num_classes=len(dataset.metainfo['classes']),
                ignore_index=getattr(dataset, 'ignore_index', 255),
                reduce_zero_label=bool(getattr(dataset, 'reduce_zero_label', False)),
                label_map=getattr(dataset, 'label_map', None))
    for transform in getattr(getattr(dataset, 'pipeline', None), 'transforms', ()):
        if getattr(transform, 'with_seg', False):
            args['num_classes'] = getattr(transform, 'num_classes', None) or args['num_classes']
            args['ignore_index'] = getattr(transform, 'ignore_index', args['ignore_index'])
            args['backend_args'] = getattr(transform, 'backend_args', None)
            args['imdecode_backend'] = getattr(transform, 'imdecode_backend', 'pillow')
            break
    return args


def pipeline_loads_labels(dataset) -> bool:
    """Whether a dataset's pipeline loads segmentation labels (the UDA target stream's does
    not)."""
    return any(getattr(t, 'with_seg', False)
               for t in getattr(getattr(dataset, 'pipeline', None), 'transforms', ()))


def check_seg_data_list(data_list: Sequence[dict], dataset,
                        workers: int = 1) -> List[LabelProblem]:
    """Check the label map (``seg_map_path``) of every entry of a segmentation dataset's data
    list."""
    paths = [info['seg_map_path'] for info in data_list if info.get('seg_map_path')]
    return check_label_files(paths, workers=workers, **seg_label_args(dataset))


def check_seg_dataset(dataset, workers: int = 1) -> List[LabelProblem]:
    """Check every label map of an mmseg dataset (initialised here if built lazily)."""
    dataset.full_init()
    return check_seg_data_list(
        [dataset.get_data_info(i) for i in range(len(dataset))], dataset, workers)


def format_problems(problems: Sequence[LabelProblem], limit: int = MAX_LISTED) -> str:
    lines = [f'  {p}' for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f'  ... and {len(problems) - limit} more')
    return '\n'.join(lines)


# ------------------------------------------------------------------------------------------
# detection
# ------------------------------------------------------------------------------------------
def _box_problem(box, width=None, height=None, xywh: bool = False) -> Optional[str]:
    """Why a box (``[x1, y1, x2, y2]``, or COCO's ``[x, y, w, h]`` with ``xywh``) is bad;
    None if it is good. A box partly outside its image is good (the datasets clip it)."""
    form = '[x, y, w, h]' if xywh else '[x1, y1, x2, y2]'
    try:
        x1, y1, a, b = (float(v) for v in box)
    except (TypeError, ValueError):
        return f'has the box {box!r}; expected 4 numbers {form}'
    x2, y2 = (x1 + a, y1 + b) if xywh else (a, b)
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        return f'has the box {list(box)} with a non-finite coordinate'
    if x2 <= x1 or y2 <= y1:
        return (f'has the box {list(box)} {form} of zero or negative size; expected a '
                f'positive width and height')
    if width is not None and height is not None and (
            x2 <= 0 or y2 <= 0 or x1 >= width or y1 >= height):
        return f'has the box {list(box)} {form} entirely outside its {width}x{height} image'
    return None


def check_coco_file(ann_file: str, classes: Sequence[str],
                    backend_args: Optional[dict] = None) -> List[LabelProblem]:
    """Check a COCO annotation file read for ``classes``: every class must be a listed
    category, and each annotation must refer to a listed image and a listed category and
    hold a box ``[x, y, w, h]`` of finite numbers with a positive size that overlaps its
    image. (mmdet's parser skips annotations of unknown categories silently.)"""
    try:
        with fileio.get_local_path(ann_file, backend_args=backend_args) as local:
            with open(local) as f:
                coco = json.load(f)
    except Exception as error:
        return [LabelProblem(ann_file, f'cannot be read ({type(error).__name__}: {error})')]
    categories = {c['id']: c['name'] for c in coco.get('categories', [])}
    known = ', '.join(f'{i} ({n})' for i, n in sorted(categories.items()))
    problems = []
    missing = [c for c in classes if c not in categories.values()]
    if missing:
        problems.append(LabelProblem(ann_file, f'lists no category named {missing}; its '
                                     f'categories are {known or "none"}'))
    images = {img['id']: img for img in coco.get('images', [])}
    for ann in coco.get('annotations', []):
        img = images.get(ann.get('image_id'))
        if img is None:
            problems.append(LabelProblem(
                ann_file, f'annotation {ann.get("id")!r} refers to the image id '
                f'{ann.get("image_id")!r}, which the file does not list'))
            continue
        where = f'annotation {ann.get("id")!r} of image {img.get("file_name")!r}'
        cat = ann.get('category_id')
        if cat not in categories:
            problems.append(LabelProblem(
                ann_file, f'{where} has the category id {cat!r}; expected one of the listed '
                f'categories {known}', (cat, ) if isinstance(cat, int) else ()))
            continue
        why = _box_problem(ann.get('bbox'), img.get('width'), img.get('height'), xywh=True)
        if why:
            problems.append(LabelProblem(ann_file, f'{where} {why}'))
    return problems


def check_det_data_list(data_list: Sequence[dict], num_classes: int,
                        where: str) -> List[LabelProblem]:
    """Check the parsed instances of a detection dataset (any format): ``bbox_label`` in
    ``[0, num_classes)`` and a valid ``bbox`` (xyxy) overlapping the image."""
    problems = []
    for info in data_list:
        # the annotation file where the format has one per image (VOC xml), else the image
        path = info.get('xml_path') or info.get('img_path', where)
        for k, inst in enumerate(info.get('instances', [])):
            label = inst.get('bbox_label')
            is_int = isinstance(label, (int, np.integer))
            if not is_int or not 0 <= label < num_classes:
                problems.append(LabelProblem(
                    path, f'instance {k} has the class id {label!r}; expected 0..'
                    f'{num_classes - 1}', (int(label), ) if is_int else ()))
                continue
            why = _box_problem(inst.get('bbox'), info.get('width'), info.get('height'))
            if why:
                problems.append(LabelProblem(path, f'instance {k} {why}'))
    return problems


def check_det_dataset(dataset) -> List[LabelProblem]:
    """Check every annotation of an mmdet dataset: the raw file of a COCO dataset (before
    mmdet's parser drops what it does not understand), the parsed instances otherwise."""
    from mmdet.datasets import CocoDataset
    classes = dataset.metainfo['classes']
    if isinstance(dataset, CocoDataset) and dataset.ann_file:
        return check_coco_file(dataset.ann_file, classes, getattr(dataset, 'backend_args', None))
    dataset.full_init()
    return check_det_data_list([dataset.get_data_info(i) for i in range(len(dataset))],
                               len(classes), type(dataset).__name__)
