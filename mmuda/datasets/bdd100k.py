# Copyright (c) mmuda contributors. All rights reserved.
"""BDD100K (Yu et al., CVPR 2020), a real target of the domain-generalisation setting
GTA5 -> {Cityscapes, BDD100K, Mapillary}, with the 19 Cityscapes classes.

The semantic-segmentation labels are released as train ids already: one-channel 8-bit PNGs,
0..18 in the Cityscapes order and 255 = ignore (bdd100k/bdd100k, doc/source/format.rst,
"Semantic Segmentation"), so nothing is converted. ``tools/dataset_converters/bdd100k.py``
checks a download (every image has its label, every label holds only those ids) with
:func:`find_bdd_split` and :func:`check_bdd_labels`.

Two layouts are in use:

* the current release (``10k_images_{train,val}.zip`` + ``bdd100k_sem_seg_labels_trainval.zip``),
  read by DAFormer / HRDA (lhoyer/HRDA, branch dg: ``images/10k/val`` and
  ``labels/sem_seg/masks/val``): ``images/10k/<split>/<name>.jpg`` and
  ``labels/sem_seg/masks/<split>/<name>.png``;
* the former ``bdd100k_seg.zip``, read by RobustNet and the DG works built on it
  (shachoi/RobustNet, datasets/bdd100k.py: ``seg/images/<split>`` and
  ``seg/labels/<split>/<name>_train_id.png``).

The DG papers evaluate on the 1000 validation images (1280 x 720).
"""
import os
import os.path as osp
from functools import partial
from typing import List, NamedTuple, Optional, Sequence

from mmseg.datasets import BDD100KDataset as _MMSegBDD100K

from mmuda.registry import DATASETS
from .base_seg import CheckedSegDataset
from .label_check import LabelProblem, check_label_file, check_label_files

NUM_CLASSES = 19


class BDDLayout(NamedTuple):
    """Where one split of BDD100K lies under its data root (relative paths)."""
    name: str
    img_dir: str
    seg_dir: str
    img_suffix: str = '.jpg'
    seg_map_suffix: str = '.png'


def bdd_layouts(split: str) -> List[BDDLayout]:
    """The layouts of ``split`` ('train' / 'val'), the current release first."""
    return [
        BDDLayout('10k', f'images/10k/{split}', f'labels/sem_seg/masks/{split}'),
        BDDLayout('seg', f'seg/images/{split}', f'seg/labels/{split}',
                  seg_map_suffix='_train_id.png'),
    ]


def _expected(split: str) -> str:
    new, old = bdd_layouts(split)
    return (f'expected BDD100K extracted as <data_root>/{new.img_dir}/*.jpg and '
            f'<data_root>/{new.seg_dir}/*.png (10K Images + Semantic Segmentation), or the '
            f'former release as <data_root>/{old.img_dir}/*.jpg and '
            f'<data_root>/{old.seg_dir}/*_train_id.png')


def find_bdd_split(data_root: str, split: str = 'val') -> BDDLayout:
    """The layout ``split`` of BDD100K has under ``data_root``; ``FileNotFoundError`` naming
    the folders looked for when there is none, or the missing label folder."""
    layouts = bdd_layouts(split)
    for layout in layouts:
        if osp.isdir(osp.join(data_root, layout.img_dir)):
            seg_dir = osp.join(data_root, layout.seg_dir)
            if not osp.isdir(seg_dir):
                raise FileNotFoundError(f'no folder {seg_dir!r} (the labels of '
                                        f'{osp.join(data_root, layout.img_dir)!r}): '
                                        f'{_expected(split)}')
            return layout
    tried = ' nor '.join(repr(osp.join(data_root, lay.img_dir)) for lay in layouts)
    raise FileNotFoundError(f'no folder {tried}: {_expected(split)}')


class BDDPairs(NamedTuple):
    labels: List[str]  # the label of each image (absolute paths)
    images_without_label: List[str]
    labels_without_image: List[str]


def pair_bdd_files(data_root: str, layout: BDDLayout) -> BDDPairs:
    """Match the images and labels of one split by name."""
    img_dir = osp.join(data_root, layout.img_dir)
    seg_dir = osp.join(data_root, layout.seg_dir)
    images = sorted(f[:-len(layout.img_suffix)] for f in _listdir(img_dir)
                    if f.endswith(layout.img_suffix))
    labels = sorted(f[:-len(layout.seg_map_suffix)] for f in _listdir(seg_dir)
                    if f.endswith(layout.seg_map_suffix))
    have_label, have_image = set(labels), set(images)
    return BDDPairs(
        labels=[osp.join(seg_dir, n + layout.seg_map_suffix) for n in images if n in have_label],
        images_without_label=[osp.join(img_dir, n + layout.img_suffix)
                              for n in images if n not in have_label],
        labels_without_image=[osp.join(seg_dir, n + layout.seg_map_suffix)
                              for n in labels if n not in have_image])


def _listdir(folder: str) -> List[str]:
    return [f for f in os.listdir(folder) if osp.isfile(osp.join(folder, f))]


def check_bdd_labels(paths: Sequence[str], nproc: int = 1,
                     progress: bool = False) -> List[LabelProblem]:
    """Check that every label map is one-channel with Cityscapes train ids 0..18 or 255 (read
    as mmseg's ``LoadAnnotations`` reads it); one :class:`LabelProblem` per bad file (naming
    it, its bad ids and what was expected), in the order of ``paths``. ``progress`` shows
    mmengine's progress bar."""
    paths = list(paths)
    if not progress or not paths:
        return check_label_files(paths, NUM_CLASSES, workers=nproc)
    from mmengine.utils import track_parallel_progress, track_progress
    check = partial(check_label_file, num_classes=NUM_CLASSES)
    if nproc > 1:
        results = track_parallel_progress(check, paths, min(nproc, len(paths)), chunksize=8)
    else:
        results = track_progress(check, paths)
    return [r for r in results if r is not None]


def check_label_folder(dataset: CheckedSegDataset, how_to_make: str) -> None:
    """``FileNotFoundError`` naming the label folder of ``dataset`` (``data_prefix``'s
    ``seg_map_path``) when the data root and image folder exist but it does not."""
    seg_dir = dataset.data_prefix.get('seg_map_path', '')
    img_dir = dataset.data_prefix.get('img_path', '')
    if seg_dir and '://' not in seg_dir and osp.isdir(img_dir) and not osp.isdir(seg_dir):
        raise FileNotFoundError(
            f'{dataset._where()}: the label folder {seg_dir!r} does not exist. Expected '
            f'{how_to_make} there (data_prefix.seg_map_path); see docs/dataset_prepare.md.')


@DATASETS.register_module()
class BDD100KDataset(CheckedSegDataset, _MMSegBDD100K):
    """mmseg's ``BDD100KDataset`` (the 19 Cityscapes classes and palette, ``.jpg`` images,
    ``.png`` train-id labels) with mmuda's file checks.

    Layout (``data_root``, e.g. ``data/bdd100k``): ``images/10k/val/<name>.jpg`` and
    ``labels/sem_seg/masks/val/<name>.png`` (the default ``data_prefix``, the validation split
    used as DG target). The former release is read with
    ``data_prefix=dict(img_path='seg/images/val', seg_map_path='seg/labels/val')`` and
    ``seg_map_suffix='_train_id.png'`` (``bdd_val_seg_release`` of
    ``configs/_base_/datasets/dg_gta_to_cityscapes_bdd_mapillary.py``).
    """

    def __init__(self, data_prefix: Optional[dict] = None, **kwargs):
        if data_prefix is None:
            layout = bdd_layouts('val')[0]
            data_prefix = dict(img_path=layout.img_dir, seg_map_path=layout.seg_dir)
        super().__init__(data_prefix=data_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        check_label_folder(self, f'the train-id label PNGs ending in {self.seg_map_suffix!r}')
        return super().load_data_list()
