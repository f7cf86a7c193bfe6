# Cityscapes (labelled source) -> ACDC (unlabelled target), the DAFormer setting of the
# reference (lhoyer/MIC, seg/configs/_base_/datasets/uda_cityscapes_to_acdc_512x512.py):
# Cityscapes resized to 1024 x 512, ACDC (1920 x 1080) to 960 x 540, 512 x 512 random crops
# (source crops re-drawn while one class covers > 75 %), random flip; the target is the train
# split of all four conditions (fog, night, rain, snow) together; evaluation on the val split
# of all four, whole image at 960 x 540 (predictions scored at full resolution). Rare Class
# Sampling of the Cityscapes source as the reference's DAFormer runs on ACDC / Dark Zurich
# (lhoyer/DAFormer, experiments.py, exp. 8: T = 0.01, min_pixels 3000, min_crop_ratio 0.5);
# its statistics are data/cityscapes/class_stats.json of the train split
# (tools/dataset_converters/cityscapes.py or compute_class_stats.py).
# The papers report the ACDC test split, scored by the ACDC server: see
# acdc_test_server_dataloader / acdc_test_server_evaluator below and docs/dataset_prepare.md.
# Prepare the data with tools/dataset_converters/{cityscapes,acdc}.py.
crop_size = (512, 512)
cityscapes_root = 'data/cityscapes'
acdc_root = 'data/acdc'
acdc_conditions = ('fog', 'night', 'rain', 'snow')
acdc_scale = (960, 540)  # half of 1920 x 1080
source_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
# the target stream loads no labels
target_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=acdc_scale, keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=crop_size),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
test_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=acdc_scale, keep_ratio=True),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
# the test split has no labels
test_server_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=acdc_scale, keep_ratio=True),
    dict(type='mmseg.PackSegInputs'),
]
# `tools/test.py --tta`: flip x multi-scale around the test scale (an extra, not the paper
# protocol)
tta_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='mmseg.Resize', scale=(int(960 * r), int(540 * r)), keep_ratio=True)
              for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)],
             [dict(type='mmseg.RandomFlip', prob=0.0, direction='horizontal'),
              dict(type='mmseg.RandomFlip', prob=1.0, direction='horizontal')],
             [dict(type='LoadSegAnnotations')],
             [dict(type='mmseg.PackSegInputs')]]),
]
source_train = dict(type='CityscapesDataset', data_root=cityscapes_root,
                    data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                    pipeline=source_train_pipeline)
target_train = dict(type='ACDCDataset', data_root=acdc_root, split='train',
                    conditions=acdc_conditions, with_labels=False,
                    pipeline=target_train_pipeline)
target_val = dict(type='ACDCDataset', data_root=acdc_root, split='val',
                  conditions=acdc_conditions, pipeline=test_pipeline)
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
# as the reference, `tools/test.py` evaluates the val split; for the test server, a config
# inheriting from the method config sets
#   test_dataloader = dict(_base_.acdc_test_server_dataloader, _delete_=True)
#   test_evaluator = dict(_base_.acdc_test_server_evaluator, _delete_=True)
# (docs/dataset_prepare.md, "ACDC and Dark Zurich")
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
acdc_test = dict(type='ACDCDataset', data_root=acdc_root, split='test',
                 conditions=acdc_conditions, pipeline=test_server_pipeline)
acdc_test_server_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=acdc_test)
acdc_test_server_evaluator = dict(type='ServerSubmissionMetric', benchmark='acdc',
                                  output_dir='work_dirs/test_server/acdc')
