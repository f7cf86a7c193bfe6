# Copyright (c) mmuda contributors. All rights reserved.
"""Detection datasets of the car benchmarks (Sim10k, KITTI -> Cityscapes), with boxes
checked on loading: clipped to the image, dropped when empty, and counted in the log."""
import glob
import os.path as osp
from typing import Dict, List

from mmdet.datasets import BaseDetDataset, XMLDataset
from mmengine.logging import MMLogger

from mmuda.registry import DATASETS


def check_boxes(data_list: List[dict], where: str) -> Dict[str, int]:
    """Clip every instance box to its image and drop boxes with zero area, in place; log the
    counts (once per dataset) and return them."""
    clipped = dropped = 0
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
