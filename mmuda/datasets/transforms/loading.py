# Copyright (c) mmuda contributors. All rights reserved.
from mmseg.datasets.transforms import LoadAnnotations

from mmuda.registry import TRANSFORMS
from ..label_check import bad_label_ids, label_id_message


@TRANSFORMS.register_module()
class LoadSegAnnotations(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` that rejects label ids outside the classes.

    After loading (and after the dataset's ``label_map`` / ``reduce_zero_label``), every pixel
    must be a train id in ``[0, num_classes)`` or ``ignore_index``. ``num_classes`` is taken
    from the argument, else from the dataset (mmuda datasets put it in each sample's info);
    without either, no check is made.

    Args:
        num_classes (int, optional): number of classes; overrides the dataset's.
        ignore_index (int): the id of unlabelled pixels. Defaults to 255.
        **kwargs: passed to mmseg's ``LoadAnnotations``.
    """

    def __init__(self, num_classes: int = None, ignore_index: int = 255, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def _load_seg_map(self, results: dict) -> None:
        super()._load_seg_map(results)
        num_classes = self.num_classes or results.get('num_classes')
        if num_classes is None:
            return
        ids, pixels = bad_label_ids(results['gt_seg_map'], num_classes, self.ignore_index)
        if ids:
            raise ValueError(
                f'Label file {results.get("seg_map_path")!r} '
                f'{label_id_message(ids, pixels, num_classes, self.ignore_index)}. Is it a '
                f'raw-id label that needs converting to train ids (tools/dataset_converters/)? '
                f'tools/analysis_tools/check_labels.py CONFIG checks every label of a config '
                f'at once.')

    def __repr__(self) -> str:
        return (super().__repr__()[:-1] + f', num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index})')
