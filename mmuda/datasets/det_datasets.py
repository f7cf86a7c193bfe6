# Copyright (c) mmuda contributors. All rights reserved.
"""Detection datasets of the benchmarks (Cityscapes / Foggy Cityscapes as COCO json, Sim10k,
KITTI), with boxes checked on loading: clipped to the image, dropped when empty, and counted in
the log."""
import glob
import os.path as osp
from typing import Dict, List

from mmdet.datasets import BaseDetDataset, CocoDataset, XMLDataset
from mmengine.logging import MMLogger

from mmuda.registry import DATASETS


def check_boxes(data_list: List[dict], where: str, dropped: int = 0) -> Dict[str, int]:
    """Clip every instance box to its image and drop boxes with zero area, in place; log the
    counts (once per dataset) and return them. ``dropped``: boxes the loader already dropped
    (e.g. mmdet's COCO parser skips empty boxes silently)."""
    clipped = 0
    for info in data_list:
        w, h = info['width'], info['height']
        kept = []
        for inst in info['instances']:
            x1, y1, x2, y2 = inst['bbox']
            box = [min(max(x1, 0), w), min(max(y1, 0), h), min(max(x2, 0), w),
                   min(max(y2, 0), h)]
            if box[2] <= box[0] or box[3] <= box[1]:
                dropped += 1
                continue
            if box != [x1, y1, x2, y2]:
                clipped += 1
                inst['bbox'] = box
            kept.append(inst)
        info['instances'] = kept
    if clipped or dropped:
        MMLogger.get_current_instance().warning(
            f'{where}: {clipped} box(es) reaching outside their image were clipped and '
            f'{dropped} box(es) with zero area (after clipping) were dropped')
    return dict(clipped=clipped, dropped=dropped)


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """mmdet's :class:`CocoDataset` with the checks a UDA benchmark needs.

    - every image the annotation file lists must exist (one error naming the first missing);
    - images in the image folder that the annotation file does not list (with the same
      suffix, ``img_suffix``, default: the extension of the listed files) are reported: they
      would silently never be trained on, which usually means the annotation file belongs to
      another split or another image set. ``unlisted_images``: 'error' (default), 'warn' or
      'ignore' (e.g. Foggy Cityscapes' folders hold three fog densities: give the density's
      suffix instead);
    - boxes reaching outside their image are clipped and boxes of zero area dropped, counted
      in the log and in ``box_fixes``.

    Cityscapes and Foggy Cityscapes (``tools/dataset_converters/cityscapes_to_coco.py``) and
    the embedded synthetic domains use it; the class list comes from ``metainfo``.
    """

    def __init__(self, *args, unlisted_images: str = 'error', img_suffix: str = None,
                 **kwargs):
        if unlisted_images not in ('error', 'warn', 'ignore'):
            raise ValueError(f"unlisted_images must be 'error', 'warn' or 'ignore', got "
                             f'{unlisted_images!r}')
        self.unlisted_images, self.img_suffix = unlisted_images, img_suffix
        self._empty_boxes = 0
        super().__init__(*args, **kwargs)

    def parse_data_info(self, raw_data_info: dict) -> dict:
        # mmdet skips boxes of zero area (or outside the image) without a word: count them
        img = raw_data_info['raw_img_info']
        for ann in raw_data_info['raw_ann_info']:
            if ann.get('ignore', False) or ann['category_id'] not in self.cat_ids:
                continue
            x1, y1, w, h = ann['bbox']
            inter_w = max(0, min(x1 + w, img['width']) - max(x1, 0))
            inter_h = max(0, min(y1 + h, img['height']) - max(y1, 0))
            if inter_w * inter_h == 0 or ann.get('area', w * h) <= 0 or w < 1 or h < 1:
                self._empty_boxes += 1
        return super().parse_data_info(raw_data_info)

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'{type(self).__name__}: no annotation file '
                                    f'{self.ann_file!r}; see docs/dataset_prepare.md')
        data_list = super().load_data_list()
        missing = [d['img_path'] for d in data_list if not osp.isfile(d['img_path'])]
        if missing:
            raise FileNotFoundError(
                f'{type(self).__name__}: {len(missing)} image(s) listed in {self.ann_file!r} '
                f'do not exist, e.g. {missing[0]!r} '
                f'(data_prefix.img={self.data_prefix.get("img")!r})')
        if self.unlisted_images != 'ignore' and data_list:
            self._check_unlisted(data_list)
        #: boxes clipped to / dropped outside their image on loading
        self.box_fixes = check_boxes(data_list, f'{type(self).__name__} ({self.ann_file})',
                                     dropped=self._empty_boxes)
        return data_list

    def _check_unlisted(self, data_list: List[dict]) -> None:
        img_dir = self.data_prefix.get('img', '')
        listed = {osp.normpath(d['img_path']) for d in data_list}
        suffix = self.img_suffix or osp.splitext(data_list[0]['img_path'])[1]
        on_disk = {osp.normpath(p) for p in glob.glob(osp.join(img_dir, '**', '*' + suffix),
                                                      recursive=True)}
        unlisted = sorted(on_disk - listed)
        if not unlisted:
            return
        msg = (f'{type(self).__name__}: {len(unlisted)} image(s) ending in {suffix!r} under '
               f'{img_dir!r} are not listed in {self.ann_file!r} (which lists {len(listed)}), '
               f'e.g. {unlisted[0]!r}: is the annotation file of another split or image set? '
               f'Set img_suffix to the files you mean, or unlisted_images=\'warn\' to train on '
               f'the listed images only')
        if self.unlisted_images == 'error':
            raise ValueError(msg)
        MMLogger.get_current_instance().warning(msg)


@DATASETS.register_module()
class Sim10kDataset(XMLDataset):
    """Sim10k (Johnson-Roberson et al., 2017): 10k GTA V frames with VOC xml boxes; the DA
    benchmarks use its ``car`` boxes.

    Layout (``data_root``): ``JPEGImages/*.jpg`` and ``Annotations/*.xml``. ``ann_file``, a
    list of image ids, is optional: without it every xml in ``Annotations`` is used.
    """
    METAINFO = dict(classes=('car', ), palette=[(0, 0, 142)])

    def __init__(self, ann_file: str = '', data_prefix: dict = None, **kwargs):
        # image and annotation folders are relative to the data root
        super().__init__(ann_file=ann_file,
                         data_prefix=data_prefix or dict(sub_data_root=''), **kwargs)

    def load_data_list(self) -> List[dict]:
        if self.ann_file:
            data_list = super().load_data_list()
        else:
            ann_dir = osp.join(self.sub_data_root, self.ann_subdir)
            xmls = sorted(glob.glob(osp.join(ann_dir, '*.xml')))
            if not xmls:
                raise FileNotFoundError(
                    f'{type(self).__name__}: found no .xml annotations in {ann_dir!r}; '
                    f'expected Sim10k as <data_root>/Annotations/*.xml and '
                    f'<data_root>/JPEGImages/*.jpg')
            self.cat2label = {c: i for i, c in enumerate(self._metainfo['classes'])}
            data_list = []
            for xml in xmls:
                img_id = osp.basename(xml)[:-4]
                data_list.append(self.parse_data_info(dict(
                    img_id=img_id, file_name=osp.join(self.img_subdir, f'{img_id}.jpg'),
                    xml_path=xml)))
        missing = [d['img_path'] for d in data_list if not osp.isfile(d['img_path'])]
        if missing:
            raise FileNotFoundError(f'{type(self).__name__}: {len(missing)} annotated '
                                    f'image(s) do not exist, e.g. {missing[0]!r}')
        #: boxes clipped to / dropped outside their image on loading
        self.box_fixes = check_boxes(data_list, type(self).__name__)
        return data_list


@DATASETS.register_module()
class KITTIDetDataset(BaseDetDataset):
    """KITTI object detection (training split) as a 2D detection dataset.

    Layout (``data_root``): ``training/image_2/*.png`` and ``training/label_2/*.txt`` (one
    object per line: type, truncation, occlusion, alpha, x1 y1 x2 y2, ...). ``class_map``
    maps KITTI types to this dataset's classes (default: ``Car`` -> ``car``, the
    KITTI -> Cityscapes protocol); other types are skipped, ``DontCare`` always.
    """
    METAINFO = dict(classes=('car', ), palette=[(0, 0, 142)])

    def __init__(self, class_map: dict = None, img_subdir: str = 'training/image_2',
                 label_subdir: str = 'training/label_2', **kwargs):
        self.class_map = dict(class_map or {'Car': 'car'})
        self.img_subdir, self.label_subdir = img_subdir, label_subdir
        super().__init__(ann_file='', **kwargs)

    def load_data_list(self) -> List[dict]:
        import cv2
        classes = list(self.metainfo['classes'])
        unknown = set(self.class_map.values()) - set(classes)
        if unknown:
            raise ValueError(f'class_map targets {sorted(unknown)} are not among the classes '
                             f'{classes}')
        label_dir = osp.join(self.data_root, self.label_subdir)
        labels = sorted(glob.glob(osp.join(label_dir, '*.txt')))
        if not labels:
            raise FileNotFoundError(
                f'{type(self).__name__}: found no label .txt files in {label_dir!r}; expected '
                f'KITTI as <data_root>/training/label_2/*.txt and training/image_2/*.png')
        data_list = []
        for path in labels:
            img_id = osp.basename(path)[:-4]
            img_path = osp.join(self.data_root, self.img_subdir, img_id + '.png')
            img = cv2.imread(img_path, cv2.IMREAD_UNCHANGED)
            if img is None:
                raise FileNotFoundError(f'{type(self).__name__}: the image {img_path!r} of '
                                        f'label {path!r} does not exist or cannot be read')
            instances = []
            with open(path) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) < 8 or parts[0] not in self.class_map:
                        continue
                    x1, y1, x2, y2 = (float(v) for v in parts[4:8])
                    instances.append(dict(bbox=[x1, y1, x2, y2], ignore_flag=0,
                                          bbox_label=classes.index(self.class_map[parts[0]])))
            data_list.append(dict(img_path=img_path, img_id=img_id, height=img.shape[0],
                                  width=img.shape[1], instances=instances))
        #: boxes clipped to / dropped outside their image on loading
        self.box_fixes = check_boxes(data_list, type(self).__name__)
        return data_list

    def filter_data(self) -> List[dict]:
        """``filter_cfg=dict(filter_empty_gt=True)`` drops images without a box of the
        classes (training only), as mmdet's COCO datasets do."""
        if self.test_mode or not (self.filter_cfg or {}).get('filter_empty_gt', False):
            return self.data_list
        return [info for info in self.data_list if info['instances']]
