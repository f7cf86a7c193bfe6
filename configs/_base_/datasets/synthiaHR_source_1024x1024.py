# SYNTHIA RAND-CITYSCAPES at full resolution (2560 x 1520, the reference's
# uda_synthiaHR_to_cityscapesHR_1024x1024.py) as the labelled source of the HRDA configs, with
# the 16- and 13-class mIoU (synthia_source_512x512.py explains both):
#   _base_ = ['../hrda/<the GTA5 HR config>.py',
#             '../_base_/datasets/synthiaHR_source_1024x1024.py']
#   train_dataloader = dict(dataset=dict(source=_base_.hr_synthia_train))
#   val_evaluator = _base_.synthia_evaluator
#   test_evaluator = val_evaluator
_base_ = ['./synthia_source_512x512.py']
hr_synthia_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.Resize', scale=(2560, 1520), keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=(1024, 1024), cat_max_ratio=0.75),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
hr_synthia_train = dict(_base_.synthia_source_train, pipeline=hr_synthia_train_pipeline)
