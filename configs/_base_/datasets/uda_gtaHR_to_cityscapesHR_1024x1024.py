# GTA5 (labelled source) -> Cityscapes (unlabelled target) at full resolution, HRDA's data
# settings (the reference's uda_gtaHR_to_cityscapesHR_1024x1024.py): GTA5 resized to
# 2560 x 1440, Cityscapes to 2048 x 1024 (their full sizes), 1024 x 1024 random crops (source
# crops re-drawn while one class covers > 75 %), random flip, Rare Class Sampling with
# min_crop_ratio 2.0 (4x the pixels of DAFormer's crops: a sampled class must cover 4x as
# many); evaluation on Cityscapes val at 2048 x 1024 (the model slides 1024 windows, stride
# 512: its test_cfg). Prepare the data with tools/dataset_converters/{gta,cityscapes}.py.
_base_ = ['./uda_gta_to_cityscapes_512x512.py']
crop_size = (1024, 1024)
source_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.Resize', scale=(2560, 1440), keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
# HRDA's "pseudo-label cropping v2": the margins where the teacher's pseudo-labels get no
# weight (rectification border, ego-car hood: top 30, bottom 240, left and right 30 px of the
# 2048 x 1024 image) are marked before the crop and travel with it, so only crops at the image
# border lose them (methods without pseudo-labels ignore the map)
target_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='MarkPseudoMargins', top=30, bottom=240, left=30, right=30),
    dict(type='mmseg.Resize', scale=(2048, 1024), keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=crop_size),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='PackUDASegInputs'),
]
test_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=(2048, 1024), keep_ratio=True),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
tta_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='mmseg.Resize', scale=(int(2048 * r), int(1024 * r)), keep_ratio=True)
              for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)],
             [dict(type='mmseg.RandomFlip', prob=0.0, direction='horizontal'),
              dict(type='mmseg.RandomFlip', prob=1.0, direction='horizontal')],
             [dict(type='LoadSegAnnotations')],
             [dict(type='mmseg.PackSegInputs')]]),
]
source_train = dict(pipeline=source_train_pipeline)
target_train = dict(pipeline=target_train_pipeline)
target_val = dict(pipeline=test_pipeline)
train_dataloader = dict(dataset=dict(
    source=dict(pipeline=source_train_pipeline), target=dict(pipeline=target_train_pipeline),
    rare_class_sampling=dict(min_crop_ratio=2.0)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
