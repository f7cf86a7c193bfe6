# SYNTHIA RAND-CITYSCAPES (labelled source) -> Cityscapes (unlabelled target), DAFormer's data
# settings: SYNTHIA resized to 1280 x 760 (its size), everything else as GTA5 -> Cityscapes
# (Cityscapes at 1024 x 512, 512 x 512 random crops, source crops re-drawn while one class
# covers > 75 %, random flip, Rare Class Sampling; evaluation on Cityscapes val, whole image
# at 1024 x 512). The model predicts the 19 Cityscapes classes (as the reference); SYNTHIA has
# no terrain, truck or train, so results are the mIoU over 16 classes (`mIoU16`) and over 13
# (`mIoU13`, also without wall, fence and pole), next to mmseg's 19-class `mIoU`. Prepare the
# data with tools/dataset_converters/{synthia,cityscapes}.py (docs/dataset_prepare.md).
_base_ = ['./uda_gta_to_cityscapes_512x512.py', './synthia_subsets.py']
crop_size = (512, 512)
synthia_root = 'data/synthia'
source_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.Resize', scale=(1280, 760), keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='mmseg.RandomFlip', prob=0.5),
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
