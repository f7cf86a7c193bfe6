# Cityscapes (labelled source) -> Dark Zurich (unlabelled target), the HRDA / MIC setting of
# the reference (lhoyer/MIC,
# seg/configs/_base_/datasets/uda_cityscapesHR_to_darkzurichHR_1024x1024.py): both at full
# resolution (Cityscapes 2048 x 1024, Dark Zurich 1920 x 1080), 1024 x 1024 random crops
# (source crops re-drawn while one class covers > 75 %), random flip; the target is the night
# images of the train split (rgb_anon/train/night); evaluation on the val split (50 night
# images) at 1920 x 1080 (the reference's model infers in 1024 x 1024 sliding windows with
# stride 512: the model's test_cfg, not this file). Rare Class Sampling of the Cityscapes
# source as the reference's MIC(HRDA) runs (seg/experiments.py, exp. 80: T = 0.01,
# min_pixels 3000, min_crop_ratio 0.5 * 2 ** 2 = 2 for the 4x larger crops); its statistics
# are data/cityscapes/class_stats.json of the train split (tools/dataset_converters/
# cityscapes.py or compute_class_stats.py). The papers report the Dark Zurich test split (151
# images), scored by its CodaLab server: see darkzurich_test_server_dataloader /
# darkzurich_test_server_evaluator below and docs/dataset_prepare.md. Prepare the data with
# tools/dataset_converters/{cityscapes,dark_zurich}.py.
crop_size = (1024, 1024)
cityscapes_root = 'data/cityscapes'
dark_zurich_root = 'data/dark_zurich'
dark_zurich_scale = (1920, 1080)  # full resolution
source_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.Resize', scale=(2048, 1024), keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
# the target stream loads no labels
target_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=dark_zurich_scale, keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=crop_size),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
test_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=dark_zurich_scale, keep_ratio=True),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
# the test split has no labels
test_server_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=dark_zurich_scale, keep_ratio=True),
    dict(type='mmseg.PackSegInputs'),
]
# `tools/test.py --tta`: flip x multi-scale around the test scale (an extra, not the paper
# protocol)
tta_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='mmseg.Resize', scale=(int(1920 * r), int(1080 * r)), keep_ratio=True)
              for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)],
             [dict(type='mmseg.RandomFlip', prob=0.0, direction='horizontal'),
              dict(type='mmseg.RandomFlip', prob=1.0, direction='horizontal')],
             [dict(type='LoadSegAnnotations')],
             [dict(type='mmseg.PackSegInputs')]]),
]
source_train = dict(type='CityscapesDataset', data_root=cityscapes_root,
                    data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                    pipeline=source_train_pipeline)
# the night images of the train split only, as the reference
target_train = dict(type='DarkZurichDataset', data_root=dark_zurich_root, split='train',
                    conditions=('night', ), pipeline=target_train_pipeline)
target_val = dict(type='DarkZurichDataset', data_root=dark_zurich_root, split='val',
                  conditions=('night', ), pipeline=test_pipeline)
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='UDADataset',
        source=source_train,
        target=target_train,
        rare_class_sampling=dict(class_temp=0.01, min_pixels=3000, min_crop_ratio=2.0)))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=target_val)
# as the reference, `tools/test.py` evaluates the val split; for the test server, a config
# inheriting from the method config sets
#   test_dataloader = dict(_base_.darkzurich_test_server_dataloader, _delete_=True)
#   test_evaluator = dict(_base_.darkzurich_test_server_evaluator, _delete_=True)
# (docs/dataset_prepare.md, "ACDC and Dark Zurich")
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
dark_zurich_test = dict(type='DarkZurichDataset', data_root=dark_zurich_root, split='test',
                        conditions=('night', ), pipeline=test_server_pipeline)
darkzurich_test_server_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dark_zurich_test)
darkzurich_test_server_evaluator = dict(type='ServerSubmissionMetric', benchmark='dark_zurich',
                                        output_dir='work_dirs/test_server/dark_zurich')
