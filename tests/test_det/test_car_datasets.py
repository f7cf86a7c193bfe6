# Copyright (c) mmuda contributors. All rights reserved.
"""Sim10k and KITTI on small fakes in their real layouts; bad boxes clipped/dropped and
counted; missing files named."""
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmuda.datasets import KITTIDetDataset, Sim10kDataset

XML = """<annotation><filename>{name}.jpg</filename>
<size><width>64</width><height>32</height><depth>3</depth></size>
<object><name>car</name><difficult>0</difficult>
<bndbox><xmin>3</xmin><ymin>5</ymin><xmax>20</xmax><ymax>15</ymax></bndbox></object>
<object><name>car</name><difficult>0</difficult>
<bndbox><xmin>50</xmin><ymin>10</ymin><xmax>80</xmax><ymax>30</ymax></bndbox></object>
<object><name>car</name><difficult>0</difficult>
<bndbox><xmin>70</xmin><ymin>10</ymin><xmax>90</xmax><ymax>30</ymax></bndbox></object>
<object><name>person</name><difficult>0</difficult>
<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>4</xmax><ymax>9</ymax></bndbox></object>
</annotation>"""


def make_sim10k(root):
    os.makedirs(osp.join(root, 'Annotations'))
    os.makedirs(osp.join(root, 'JPEGImages'))
    for name in ('3384645', '3384646'):
        with open(osp.join(root, 'Annotations', name + '.xml'), 'w') as f:
            f.write(XML.format(name=name))
        Image.fromarray(np.zeros((32, 64, 3), np.uint8)).save(
            osp.join(root, 'JPEGImages', name + '.jpg'))


def test_sim10k_cars_clipped_and_dropped(tmp_path):
    root = str(tmp_path / 'sim10k')
    make_sim10k(root)
    ds = Sim10kDataset(data_root=root, pipeline=[], test_mode=True)
    assert len(ds) == 2 and ds.metainfo['classes'] == ('car', )
    boxes = [i['bbox'] for i in ds[0]['instances']]
    # VOC coordinates are 1-based (minus one); the second car is clipped to the 64 px width;
    # the third lies outside the image (dropped); the person is not a class here
    assert boxes == [[2, 4, 19, 14], [49, 9, 64, 29]]
    assert ds.box_fixes == dict(clipped=2, dropped=2)  # per image: one of each
    os.remove(osp.join(root, 'JPEGImages', '3384646.jpg'))
    with pytest.raises(FileNotFoundError, match=r"1 annotated image\(s\) do not exist"):
        Sim10kDataset(data_root=root, pipeline=[])


def test_sim10k_empty_folder_is_named(tmp_path):
    os.makedirs(tmp_path / 'Annotations')
    with pytest.raises(FileNotFoundError, match='found no .xml annotations'):
        Sim10kDataset(data_root=str(tmp_path), pipeline=[])


def test_kitti_car_boxes(tmp_path):
    root = tmp_path / 'kitti'
    os.makedirs(root / 'training' / 'image_2')
    os.makedirs(root / 'training' / 'label_2')
    Image.fromarray(np.zeros((30, 60, 3), np.uint8)).save(root / 'training/image_2/000000.png')
    (root / 'training/label_2/000000.txt').write_text(
        'Car 0.00 0 -1.58 5.5 6.0 20.25 18.0 1.5 1.6 3.7 -0.5 1.8 50.0 -1.6\n'
        'Pedestrian 0.00 0 0.2 30.0 2.0 35.0 20.0 1.7 0.5 0.8 1.0 1.8 10.0 0.3\n'
        'Car 0.50 1 -1.0 50.0 10.0 70.0 29.0 1.5 1.6 3.7 -0.5 1.8 50.0 -1.6\n'
        'DontCare -1 -1 -10 40.0 1.0 45.0 5.0 -1 -1 -1 -1000 -1000 -1000 -10\n')
    ds = KITTIDetDataset(data_root=str(root), pipeline=[], test_mode=True)
    info = ds[0]
    assert (info['height'], info['width']) == (30, 60)
    assert [i['bbox'] for i in info['instances']] == [[5.5, 6.0, 20.25, 18.0],
                                                      [50.0, 10.0, 60, 29.0]]
    assert all(i['bbox_label'] == 0 for i in info['instances'])
    assert ds.box_fixes == dict(clipped=1, dropped=0)
    with pytest.raises(ValueError, match='not among the classes'):
        KITTIDetDataset(data_root=str(root), pipeline=[], class_map={'Car': 'vehicle'})
    # an image without a car: kept for testing, dropped for training with filter_empty_gt
    Image.fromarray(np.zeros((30, 60, 3), np.uint8)).save(root / 'training/image_2/000001.png')
    (root / 'training/label_2/000001.txt').write_text(
        'Pedestrian 0.00 0 0.2 30.0 2.0 35.0 20.0 1.7 0.5 0.8 1.0 1.8 10.0 0.3\n')
    assert len(KITTIDetDataset(data_root=str(root), pipeline=[], test_mode=True)) == 2
    assert len(KITTIDetDataset(data_root=str(root), pipeline=[])) == 2
    assert len(KITTIDetDataset(data_root=str(root), pipeline=[],
                               filter_cfg=dict(filter_empty_gt=True))) == 1
    os.remove(root / 'training/image_2/000000.png')
    with pytest.raises(FileNotFoundError, match='000000.png'):
        KITTIDetDataset(data_root=str(root), pipeline=[])
