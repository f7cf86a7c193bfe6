# Copyright (c) mmuda contributors. All rights reserved.
"""ACDC (Sakaridis et al., ICCV 2021), the adverse-condition target of Cityscapes -> ACDC, with
the 19 Cityscapes classes; and what it shares with Dark Zurich (:mod:`.dark_zurich`).

ACDC as released (``rgb_anon_trainvaltest.zip``, ``gt_trainval.zip`` from
acdc.vision.ee.ethz.ch) holds 1920 x 1080 images of four conditions, one folder per condition,
split and recording::

    rgb_anon/<condition>/<split>/<sequence>/<sequence>_frame_<n>_rgb_anon.png
    gt/<condition>/<split>/<sequence>/<sequence>_frame_<n>_gt_labelIds.png

with condition fog / night / rain / snow and split train / val / test (the test labels are
withheld: predictions go to the benchmark's server, :mod:`mmuda.evaluation.test_server`). The
label ids are those of Cityscapes (cityscapesScripts' ``labels.py``);
``tools/dataset_converters/acdc.py`` writes the train-id maps ``*_gt_labelTrainIds.png``
beside them with :func:`convert_id_labels`.

The MIC / HRDA / DAFormer reference (lhoyer/MIC, seg/mmseg/datasets/acdc.py and
seg/configs/_base_/datasets/uda_cityscapes*_to_acdc*.py) trains on the train split of all four
conditions together and validates on the val split of all four: its README copies every
condition's ``<split>/<sequence>/`` files into one ``rgb_anon/<split>/`` folder with rsync.
:class:`ACDCDataset` reads the released layout instead (``conditions`` picks the conditions),
and the reference's copied layout with ``conditions=None`` and ``data_prefix`` naming the
folders.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmseg.datasets import CityscapesDataset as _MMSegCityscapes

from mmuda.registry import DATASETS
from .base_seg import CheckedSegDataset
from .cityscapes import label_ids_to_train_ids
from .label_conversion import convert_all_or_nothing, temp_path

IMG_SUFFIX = '_rgb_anon.png'
#: the released labels (Cityscapes label ids) and the converted ones (train ids 0..18, 255)
LABEL_ID_SUFFIX = '_gt_labelIds.png'
TRAIN_ID_SUFFIX = '_gt_labelTrainIds.png'
ACDC_CONDITIONS = ('fog', 'night', 'rain', 'snow')
ACDC_SPLITS = ('train', 'val', 'test')
#: the image size of ACDC and Dark Zurich (height, width)
IMAGE_SIZE = (1080, 1920)


# --- label conversion (ACDC and Dark Zurich) -------------------------------------------------
def find_id_labels(gt_dir: str) -> Tuple[List[str], List[str]]:
    """The released label-id PNGs under ``gt_dir`` (any depth, sorted) and the train-id PNG
    each is converted to (beside it)."""
    sources = []
    for folder, _, files in os.walk(gt_dir):
        sources += [osp.join(folder, f) for f in files
                    if f.endswith(LABEL_ID_SUFFIX) and '.tmp-' not in f]
    sources.sort()
    return sources, [p[:-len(LABEL_ID_SUFFIX)] + TRAIN_ID_SUFFIX for p in sources]


def convert_id_label(src: str, dst: str, tmp_tag: str) -> Optional[str]:
    """Write the train-id map of the Cityscapes label-id PNG ``src`` to
    ``temp_path(dst, tmp_tag)`` (moved into place by the caller). Label ids outside the 19
    evaluated classes become 255. Returns None, or what is wrong with ``src`` (nothing is
    written then)."""
    from PIL import Image
    try:
        with Image.open(src) as img:
            img.load()
            mode, ids = img.mode, np.asarray(img)
    except Exception as error:  # missing, truncated, not an image
        return (f'{src!r}: cannot be read as an image ({type(error).__name__}: {error})')
    if mode not in ('L', 'P', 'I', 'I;16') or ids.ndim != 2:
        return (f'{src!r}: is an image of mode {mode!r}; expected a one-channel PNG of '
                f'Cityscapes label ids ({LABEL_ID_SUFFIX!r}, not the colour or instance maps)')
    try:
        train_ids = label_ids_to_train_ids(ids)
    except ValueError as error:
        return f'{src!r}: {error}'
    Image.fromarray(train_ids, mode='L').save(temp_path(dst, tmp_tag))
    return None


def convert_id_labels(sources: Sequence[str], targets: Sequence[str], nproc: int = 4,
                      progress: bool = True) -> None:
    """Convert label-id PNGs to train-id PNGs in ``nproc`` processes, all or nothing: a bad
    label (or an interruption) leaves no output and no temporary file, and ``ValueError``
    names the bad labels."""
    tag = str(os.getpid())
    convert_all_or_nothing(convert_id_label, [(s, t, tag) for s, t in zip(sources, targets)],
                           targets, tag, 'are not Cityscapes label-id PNGs', nproc=nproc,
                           progress=progress)


def _holds_suffix(folder: str, suffix: str) -> bool:
    for _, _, files in os.walk(folder):
        if any(f.endswith(suffix) for f in files):
            return True
    return False


# --- datasets -----------------------------------------------------------------------------
class ConditionSplitSegDataset(CheckedSegDataset, _MMSegCityscapes):
    """A dataset of the 19 Cityscapes classes whose images lie in one folder per condition and
    split (recordings in sub-folders), read from several conditions at once.

    Subclasses set the names below and :meth:`condition_folder`. The folders of condition
    ``c`` are ``<data_prefix.img_path>/<condition_folder(c)>`` and
    ``<data_prefix.seg_map_path>/<condition_folder(c)>``, scanned recursively; each sample
    notes its ``condition``.

    Args:
        split (str): one of ``SPLITS``.
        conditions (sequence[str] | None): the conditions to read, of ``CONDITIONS``
            (default: ``DEFAULT_CONDITIONS``). None: ``data_prefix`` names the image (and
            label) folder itself, e.g. the reference's copied ``rgb_anon/train`` layout.
        with_labels (bool, optional): list a label file per image (each must exist). Defaults
            to whether ``split`` has labels (``LABELLED_SPLITS``); False for an unlabelled
            target stream or the test split.
        img_suffix, seg_map_suffix (str): the image and (converted) label file endings.
        data_prefix (dict, optional): ``img_path`` and ``seg_map_path``, relative to
            ``data_root``. Defaults to ``rgb_anon`` and ``gt``.
        **kwargs: passed to mmseg's ``BaseSegDataset`` (``data_root``, ``pipeline``, ...).
    """
    NAME = ''
    CONDITIONS: Tuple[str, ...] = ()
    DEFAULT_CONDITIONS: Tuple[str, ...] = ()
    SPLITS: Tuple[str, ...] = ()
    LABELLED_SPLITS: Tuple[str, ...] = ()
    LAYOUT = ''  # how the released dataset lies under the data root
    CONVERTER = ''  # the command that writes the train-id labels

    def __init__(self, split: str = 'val', conditions: Optional[Sequence[str]] = (),
                 with_labels: Optional[bool] = None, img_suffix: str = IMG_SUFFIX,
                 seg_map_suffix: str = TRAIN_ID_SUFFIX, data_prefix: Optional[dict] = None,
                 **kwargs):
        cls = type(self).__name__
        if split not in self.SPLITS:
            raise ValueError(f'{cls}: split {split!r} is not one of {self.SPLITS}')
        if conditions is not None:
            if isinstance(conditions, str):
                conditions = (conditions, )
            conditions = tuple(conditions) or self.DEFAULT_CONDITIONS
            unknown = [c for c in conditions if c not in self.CONDITIONS]
            if unknown or len(set(conditions)) != len(conditions):
                raise ValueError(f'{cls}: conditions {conditions} must be distinct names of '
                                 f'{self.CONDITIONS}')
        if with_labels is None:
            with_labels = split in self.LABELLED_SPLITS
        elif with_labels and split not in self.LABELLED_SPLITS:
            raise ValueError(f'{cls}: the {split!r} split of {self.NAME} has no labels; '
                             f'labelled splits: {self.LABELLED_SPLITS}')
        self.split = split
        self.conditions = conditions
        self.with_labels = bool(with_labels)
        if data_prefix is None:
            data_prefix = dict(img_path='rgb_anon', seg_map_path='gt')
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         data_prefix=data_prefix, **kwargs)

    def condition_folder(self, condition: str) -> str:
        """The folder of ``condition`` and ``self.split`` below the image / label roots."""
        raise NotImplementedError

    def folders(self) -> List[Tuple[Optional[str], str, Optional[str]]]:
        """(condition, image folder, label folder or None) of each condition read."""
        img_root = self.data_prefix.get('img_path', '')
        seg_root = self.data_prefix.get('seg_map_path', '') if self.with_labels else None
        if self.conditions is None:
            return [(None, img_root, seg_root)]
        return [(c, osp.join(img_root, self.condition_folder(c)),
                 osp.join(seg_root, self.condition_folder(c)) if seg_root is not None
                 else None) for c in self.conditions]

    def _what(self, condition: Optional[str]) -> str:
        if condition is None:
            return 'data_prefix'
        return f'condition {condition!r}, split {self.split!r}'

    def _check_folders(self, folders) -> None:
        root = self.data_root
        if root and '://' not in root and not osp.isdir(root):
            raise FileNotFoundError(
                f'{self._where()}: the data root {root!r} does not exist. Expected {self.LAYOUT}'
                f' there; see docs/dataset_prepare.md, or set data_root in the config.')
        missing = [(c, d) for c, d, _ in folders if '://' not in d and not osp.isdir(d)]
        if missing:
            names = ', '.join(f'{d!r} ({self._what(c)})' for c, d in missing)
            raise FileNotFoundError(
                f'{self._where()}: the image folder(s) {names} do not exist. Expected '
                f'{self.LAYOUT}.')
        missing = [(c, d) for c, _, d in folders
                   if d is not None and '://' not in d and not osp.isdir(d)]
        if missing:
            names = ', '.join(f'{d!r} ({self._what(c)})' for c, d in missing)
            raise FileNotFoundError(
                f'{self._where()}: the label folder(s) {names} do not exist. Expected the '
                f'train-id labels ending in {self.seg_map_suffix!r} there (written by '
                f'{self.CONVERTER}); with_labels=False reads the images only.')
        for condition, _, seg_dir in folders:
            if seg_dir is not None and '://' not in seg_dir \
                    and not _holds_suffix(seg_dir, self.seg_map_suffix):
                raise FileNotFoundError(
                    f'{self._where()}: the label folder {seg_dir!r} ({self._what(condition)}) '
                    f'holds no labels ending in {self.seg_map_suffix!r}. Convert the released '
                    f'labels first: {self.CONVERTER} (docs/dataset_prepare.md).')

    def load_data_list(self) -> List[dict]:
        folders = self.folders()
        self._check_folders(folders)
        prefix = self.data_prefix
        data_list: List[dict] = []
        try:
            for condition, img_dir, seg_dir in folders:
                self.data_prefix = dict(img_path=img_dir)
                if seg_dir is not None:
                    self.data_prefix['seg_map_path'] = seg_dir
                items = super().load_data_list()
                for info in items:
                    info['condition'] = condition
                data_list += items
        finally:
            self.data_prefix = prefix
        return data_list

    def condition_counts(self) -> Dict[Optional[str], int]:
        """Images per condition."""
        counts: Dict[Optional[str], int] = {}
        for i in range(len(self)):
            condition = self.get_data_info(i)['condition']
            counts[condition] = counts.get(condition, 0) + 1
        return counts


@DATASETS.register_module()
class ACDCDataset(ConditionSplitSegDataset):
    """ACDC with the 19 Cityscapes classes (1920 x 1080 images).

    Layout (``data_root``, e.g. ``data/acdc``), as released:
    ``rgb_anon/<condition>/<split>/<sequence>/*_rgb_anon.png`` and
    ``gt/<condition>/<split>/<sequence>/*_gt_labelTrainIds.png`` (written by
    ``tools/dataset_converters/acdc.py`` beside the released ``*_gt_labelIds.png``).

    Args:
        split (str): 'train', 'val' or 'test' (no labels). Defaults to 'val'.
        conditions (sequence[str] | None): of 'fog', 'night', 'rain', 'snow'; default all
            four, as the reference trains and validates. None: ``data_prefix`` names the
            folders themselves (the reference's copied layout,
            ``data_prefix=dict(img_path='rgb_anon/train', seg_map_path='gt/train')``).
        with_labels (bool, optional): defaults to True for train and val, False for test.
        **kwargs: see :class:`ConditionSplitSegDataset`.
    """
    NAME = 'ACDC'
    CONDITIONS = ACDC_CONDITIONS
    DEFAULT_CONDITIONS = ACDC_CONDITIONS
    SPLITS = ACDC_SPLITS
    LABELLED_SPLITS = ('train', 'val')
    LAYOUT = ('ACDC extracted as <data_root>/rgb_anon/<condition>/<split>/<sequence>/'
              '*_rgb_anon.png and <data_root>/gt/<condition>/<split>/<sequence>/'
              '*_gt_labelIds.png (rgb_anon_trainvaltest.zip, gt_trainval.zip)')
    CONVERTER = 'python tools/dataset_converters/acdc.py <data_root>'

    def condition_folder(self, condition: str) -> str:
        return osp.join(condition, self.split)
