# GTA5 (labelled source) -> Cityscapes (unlabelled target), DAFormer's data settings:
# GTA resized to 1280 x 720, Cityscapes to 1024 x 512, 512 x 512 random crops (source crops
# re-drawn while one class covers > 75 %), random flip; evaluation on Cityscapes val, whole
# image at 1024 x 512. Prepare the data with tools/dataset_converters/{gta,cityscapes}.py
# (docs/dataset_prepare.md).
crop_size = (512, 512)
gta_root = 'data/gta'
cityscapes_root = 'data/cityscapes'
source_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.Resize', scale=(1280, 720), keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
# the target stream loads no labels
target_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=crop_size),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
test_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
# `tools/test.py --tta`: flip x multi-scale around 1024 x 512 (mmseg's ratios), the views'
# softmax averaged (UDASegTTAModel, default_runtime.py). An extra, not the paper protocol:
# DAFormer and MIC evaluate the whole image at one scale (test_pipeline).
tta_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='mmseg.Resize', scale=(int(1024 * r), int(512 * r)), keep_ratio=True)
              for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)],
             [dict(type='mmseg.RandomFlip', prob=0.0, direction='horizontal'),
              dict(type='mmseg.RandomFlip', prob=1.0, direction='horizontal')],
             [dict(type='LoadSegAnnotations')],
             [dict(type='mmseg.PackSegInputs')]]),
]
source_train = dict(type='GTA5Dataset', data_root=gta_root,
                    data_prefix=dict(img_path='images', seg_map_path='labels'),
                    pipeline=source_train_pipeline)
target_train = dict(type='CityscapesDataset', data_root=cityscapes_root,
                    data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                    pipeline=target_train_pipeline)
target_val = dict(type='CityscapesDataset', data_root=cityscapes_root,
                  data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
                  pipeline=test_pipeline)
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='UDADataset',
        source=source_train,
        target=target_train,
        rare_class_sampling=dict(class_temp=0.01, min_pixels=3000, min_crop_ratio=0.5)))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=target_val)
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
