# SYNTHIA RAND-CITYSCAPES as the labelled source of the DAFormer-style 512 x 512 configs, under
# names of its own, so that a config can put it next to a GTA5 -> Cityscapes method config:
#   _base_ = ['../daformer/<the GTA5 config>.py', '../_base_/datasets/synthia_source_512x512.py']
#   train_dataloader = dict(dataset=dict(source=_base_.synthia_source_train))
#   val_evaluator = _base_.synthia_evaluator
#   test_evaluator = val_evaluator
# DAFormer's data settings: SYNTHIA resized to 1280 x 760 (its size), 512 x 512 random crops
# re-drawn while one class covers > 75 %, random flip. The model predicts the 19 Cityscapes
# classes (as the reference); SYNTHIA has no terrain, truck or train, so results are the mIoU
# over 16 classes (`mIoU16`) and over 13 (`mIoU13`, also without wall, fence and pole), next
# to mmseg's 19-class `mIoU`. Prepare the data with tools/dataset_converters/synthia.py.
_base_ = ['./synthia_subsets.py']
synthia_root = 'data/synthia'
synthia_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.Resize', scale=(1280, 760), keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=(512, 512), cat_max_ratio=0.75),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
synthia_source_train = dict(_delete_=True, type='SynthiaDataset', data_root=synthia_root,
                            data_prefix=dict(img_path='RGB', seg_map_path='GT/LABELS'),
                            pipeline=synthia_train_pipeline)
synthia_evaluator = dict(_delete_=True, type='SubsetIoUMetric', iou_metrics=['mIoU'],
                         subsets=dict(mIoU16=_base_.classes_16, mIoU13=_base_.classes_13))
