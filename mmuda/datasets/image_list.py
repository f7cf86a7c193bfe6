# Copyright (c) mmuda contributors. All rights reserved.
"""Image classification datasets read from image lists, as thuml's Transfer-Learning-Library
(tllib) reads VisDA-2017, Office-Home and Office-31.

An image list is a text file with one image a line, ``<relative path> <label>``: the path is
relative to the data root (joined as mmengine joins ``data_prefix['img_path']``; it may hold
spaces, the label is the last field) and the label is the index of the class in ``classes``.
``tools/dataset_converters/image_list.py`` writes the lists of the three benchmarks from their
extracted class folders (:data:`LAYOUTS`), with the label ids of tllib's class orders, so that
tllib's own ``image_list/*.txt`` files can be used as well.
"""
import os.path as osp
from typing import Dict, List, NamedTuple, Tuple

import numpy as np
from mmengine.dataset import BaseDataset

from mmuda.registry import DATASETS

VISDA2017_CLASSES = ('aeroplane', 'bicycle', 'bus', 'car', 'horse', 'knife', 'motorcycle',
                     'person', 'plant', 'skateboard', 'train', 'truck')
OFFICE_HOME_CLASSES = (
    'Drill', 'Exit_Sign', 'Bottle', 'Glasses', 'Computer', 'File_Cabinet', 'Shelf', 'Toys',
    'Sink', 'Laptop', 'Kettle', 'Folder', 'Keyboard', 'Flipflops', 'Pencil', 'Bed', 'Hammer',
    'ToothBrush', 'Couch', 'Bike', 'Postit_Notes', 'Mug', 'Webcam', 'Desk_Lamp', 'Telephone',
    'Helmet', 'Mouse', 'Pen', 'Monitor', 'Mop', 'Sneakers', 'Notebook', 'Backpack',
    'Alarm_Clock', 'Push_Pin', 'Paper_Clip', 'Batteries', 'Radio', 'Fan', 'Ruler', 'Pan',
    'Screwdriver', 'Trash_Can', 'Printer', 'Speaker', 'Eraser', 'Bucket', 'Chair', 'Calendar',
    'Calculator', 'Flowers', 'Lamp_Shade', 'Spoon', 'Candles', 'Clipboards', 'Scissors', 'TV',
    'Curtains', 'Fork', 'Soda', 'Table', 'Knives', 'Oven', 'Refrigerator', 'Marker')
OFFICE31_CLASSES = (
    'back_pack', 'bike', 'bike_helmet', 'bookcase', 'bottle', 'calculator', 'desk_chair',
    'desk_lamp', 'desktop_computer', 'file_cabinet', 'headphones', 'keyboard',
    'laptop_computer', 'letter_tray', 'mobile_phone', 'monitor', 'mouse', 'mug',
    'paper_notebook', 'pen', 'phone', 'printer', 'projector', 'punchers', 'ring_binder',
    'ruler', 'scissors', 'speaker', 'stapler', 'tape_dispenser', 'trash_can')


class ListSpec(NamedTuple):
    """One image list of a benchmark: ``image_list/<name>.txt`` lists the images
    ``<class_root>/<class>/*<suffix>`` (relative to the data root)."""
    name: str
    class_root: str
    suffixes: Tuple[str, ...] = ('.jpg', )


class Layout(NamedTuple):
    """A benchmark's classes (label order) and its image lists (one per domain / split)."""
    classes: Tuple[str, ...]
    lists: Tuple[ListSpec, ...]


#: The converter's benchmarks, by its command-line name.
LAYOUTS: Dict[str, Layout] = {
    'visda2017': Layout(VISDA2017_CLASSES, (ListSpec('train', 'train', ('.png', )),
                                            ListSpec('validation', 'validation'))),
    'office_home': Layout(OFFICE_HOME_CLASSES,
                          tuple(ListSpec(d, d) for d in ('Art', 'Clipart', 'Product',
                                                         'Real_World'))),
    'office31': Layout(OFFICE31_CLASSES,
                       tuple(ListSpec(d, f'{d}/images') for d in ('amazon', 'dslr', 'webcam'))),
}


def parse_image_list(path: str, num_classes: int) -> List[Tuple[str, int]]:
    """(relative path, label) of each non-empty line of the image list ``path``;
    ``ValueError`` naming the file and line for a line without a label or a label outside
    ``[0, num_classes)``."""
    items = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            fields = line.rsplit(None, 1)
            try:
                if len(fields) != 2:
                    raise ValueError
                label = int(fields[1])
            except ValueError:
                raise ValueError(f'{path}, line {lineno}: expected "<relative image path> '
                                 f'<integer label>", got {line!r}') from None
            if not 0 <= label < num_classes:
                raise ValueError(f'{path}, line {lineno}: label {label} of {fields[0]!r} is '
                                 f'outside [0, {num_classes}) (the dataset has {num_classes} '
                                 f'classes); is the list of another dataset?')
            items.append((fields[0], label))
    return items


@DATASETS.register_module()
class ImageListDataset(BaseDataset):
    """An image classification dataset read from an image list (see the module docstring).

    Each sample is ``dict(img_path=..., gt_label=<int>)``; the classes come from ``METAINFO``
    (the subclasses) or ``metainfo=dict(classes=[...])``. Errors name the file and line: a
    missing list file (``FileNotFoundError``), a malformed line or a label out of range
    (``ValueError``). Only the first image is checked to exist (when local).

    Args:
        ann_file (str): the image list, relative to ``data_root`` unless absolute.
        check_first_image (bool): check that the first image exists. Defaults to True.
        **kwargs: passed to ``mmengine.dataset.BaseDataset`` (``data_root``,
            ``data_prefix=dict(img_path=...)``, ``metainfo``, ``pipeline``, ...).
    """
    METAINFO: dict = dict(classes=())

    def __init__(self, ann_file: str = '', check_first_image: bool = True, **kwargs):
        self.check_first_image = check_first_image
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        name = type(self).__name__
        classes = self.metainfo.get('classes') or ()
        if not classes:
            raise ValueError(f'{name}: no classes; give metainfo=dict(classes=[...]) (their '
                             f'order defines the label ids)')
        if not self.ann_file:
            raise ValueError(f'{name}: ann_file (the image list) is required')
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'{name}: the image list {self.ann_file!r} does not exist (ann_file, relative '
                f'to data_root {self.data_root!r}); write it with '
                f'tools/dataset_converters/image_list.py, see docs/dataset_prepare.md')
        items = parse_image_list(self.ann_file, len(classes))
        if not items:
            raise ValueError(f'{name}: the image list {self.ann_file!r} lists no images')
        img_root = self.data_prefix.get('img_path', '')
        data_list = [dict(img_path=osp.join(img_root, rel), gt_label=label)
                     for rel, label in items]
        first = data_list[0]['img_path']
        if self.check_first_image and '://' not in first and not osp.isfile(first):
            raise FileNotFoundError(
                f'{name}: {first!r}, the first image of {self.ann_file!r} (line '
                f'{items[0][0]!r} joined to data_prefix img_path {img_root!r}), does not '
                f'exist; are data_root and data_prefix those of the extracted dataset?')
        return data_list

    def get_cat_ids(self, idx: int) -> List[int]:
        """The label of sample ``idx``, as a one-element list (for class-balanced
        samplers)."""
        return [int(self.get_data_info(idx)['gt_label'])]

    def get_gt_labels(self) -> np.ndarray:
        """The labels of all samples, as a numpy int64 array."""
        return np.array([self.get_data_info(i)['gt_label'] for i in range(len(self))],
                        dtype=np.int64)


@DATASETS.register_module()
class VisDA2017Dataset(ImageListDataset):
    """VisDA-2017 classification (Peng et al., 2017): 12 classes, synthetic -> real.

    Domains (tllib's lists): Synthetic, ``image_list/train.txt`` (152,397 renderings,
    ``train/<class>/*.png``) and Real, ``image_list/validation.txt`` (55,388 COCO crops,
    ``validation/<class>/*.jpg``); the data root holds ``train/``, ``validation/`` and
    ``image_list/``.
    """
    METAINFO = dict(classes=VISDA2017_CLASSES)


@DATASETS.register_module()
class OfficeHomeDataset(ImageListDataset):
    """Office-Home (Venkateswara et al., CVPR 2017): 65 classes (tllib's order), 4 domains.

    Domains: Art, Clipart, Product and Real_World, each ``<Domain>/<Class>/*.jpg`` under the
    data root and listed in ``image_list/<Domain>.txt``.
    """
    METAINFO = dict(classes=OFFICE_HOME_CLASSES)


@DATASETS.register_module()
class Office31Dataset(ImageListDataset):
    """Office-31 (Saenko et al., ECCV 2010): 31 classes (tllib's order), 3 domains.

    Domains: amazon, dslr and webcam, each ``<domain>/images/<class>/*.jpg`` under the data
    root and listed in ``image_list/<domain>.txt``.
    """
    METAINFO = dict(classes=OFFICE31_CLASSES)
