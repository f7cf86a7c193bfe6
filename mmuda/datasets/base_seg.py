# Copyright (c) mmuda contributors. All rights reserved.
"""A segmentation dataset that checks its files before training starts."""
import os.path as osp
from typing import List

from mmseg.datasets import BaseSegDataset

from mmuda.registry import DATASETS
from .label_check import check_seg_data_list, format_problems, pipeline_loads_labels


@DATASETS.register_module()
class CheckedSegDataset(BaseSegDataset):
    """mmseg's :class:`BaseSegDataset` with clear errors for missing or empty data.

    On top of the parent it checks, when the file list is built, that the data root and the
    image folder exist, that at least one image was found and that each image has its label
    file, and it passes the number of classes to the pipeline so that
    :class:`mmuda.datasets.transforms.LoadSegAnnotations` can reject label ids outside the
    classes. Every mmuda segmentation dataset derives from it.

    Args:
        check_labels (bool): also read every label map when the file list is built and stop
            with one error listing each file holding ids outside the classes, before any
            training step (:mod:`mmuda.datasets.label_check`, the check of
            ``tools/analysis_tools/check_labels.py``). Skipped when the pipeline loads no
            labels (the UDA target stream). Defaults to False (on for the synthetic datasets).
        **kwargs: passed to mmseg's ``BaseSegDataset``.
    """

    def __init__(self, *args, check_labels: bool = False, **kwargs):
        self.check_labels = check_labels
        super().__init__(*args, **kwargs)

    def _where(self) -> str:
        return f'{type(self).__name__} (data_root={self.data_root!r})'

    def load_data_list(self) -> List[dict]:
        if self.data_root and '://' not in self.data_root \
                and not osp.isdir(self.data_root):
            raise FileNotFoundError(
                f'{self._where()}: the data root {self.data_root!r} does not exist. '
                f'Expected a folder holding the dataset; see docs/dataset_prepare.md for the '
                f'layout, or set data_root in the config.')
        img_dir = self.data_prefix.get('img_path', '')
        if not self.ann_file and not osp.isdir(img_dir):
            raise FileNotFoundError(
                f'{self._where()}: the image folder {img_dir!r} does not exist. Expected '
                f'images ending in {self.img_suffix!r} there (data_prefix.img_path).')
        data_list = super().load_data_list()
        if not data_list:
            raise ValueError(
                f'{self._where()}: found no images ending in {self.img_suffix!r} under '
                f'{img_dir!r}. Expected at least one.')
        num_classes = len(self.metainfo['classes'])
        for info in data_list:
            seg = info.get('seg_map_path')
            if seg is not None and '://' not in seg and not osp.isfile(seg):
                raise FileNotFoundError(
                    f'{self._where()}: the label file {seg!r} of image {info["img_path"]!r} '
                    f'does not exist. Expected one label PNG ending in '
                    f'{self.seg_map_suffix!r} per image.')
            info['num_classes'] = num_classes
        if self.check_labels and pipeline_loads_labels(self):
            problems = check_seg_data_list(data_list, self)
            if problems:
                raise ValueError(
                    f'{self._where()}: {len(problems)} of {len(data_list)} label file(s) are '
                    f'bad (check_labels=True):\n{format_problems(problems)}')
        return data_list
