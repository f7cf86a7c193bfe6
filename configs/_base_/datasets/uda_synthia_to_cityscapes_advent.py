# SYNTHIA RAND-CITYSCAPES (labelled source) -> Cityscapes (unlabelled target), the data
# settings of AdaptSegNet / ADVENT: whole images (SYNTHIA at its 1280 x 760, Cityscapes
# resized to 1024 x 512), no crop, no flip, batch 1 + 1. Results: the mIoU over 16 classes
# (`mIoU16`) and 13 classes (`mIoU13`) next to mmseg's 19-class `mIoU` (the model predicts the
# 19 Cityscapes classes; see uda_synthia_to_cityscapes_512x512.py).
_base_ = ['./uda_gta_to_cityscapes_advent.py', './synthia_subsets.py']
synthia_root = 'data/synthia'
source_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.Resize', scale=(1280, 760), keep_ratio=False),
    dict(type='mmseg.PackSegInputs'),
]
source_train = dict(_delete_=True, type='SynthiaDataset', data_root=synthia_root,
                    data_prefix=dict(img_path='RGB', seg_map_path='GT/LABELS'),
                    pipeline=source_train_pipeline)
train_dataloader = dict(dataset=dict(source=source_train))
val_evaluator = dict(_delete_=True, type='SubsetIoUMetric', iou_metrics=['mIoU'],
                     subsets=dict(mIoU16=_base_.classes_16,
                                  mIoU13=_base_.classes_13))
test_evaluator = val_evaluator
