# Cityscapes (labelled source) -> ACDC (unlabelled target), the HRDA / MIC setting of the
# reference (lhoyer/MIC, seg/configs/_base_/datasets/uda_cityscapesHR_to_acdcHR_1024x1024.py):
# both at full resolution (Cityscapes 2048 x 1024, ACDC 1920 x 1080), 1024 x 1024 random crops
# (source crops re-drawn while one class covers > 75 %), random flip; the target is the train
# split of all four conditions (fog, night, rain, snow) together; evaluation on the val split
# of all four at 1920 x 1080 (the reference's model infers in 1024 x 1024 sliding windows with
# stride 512: the model's test_cfg, not this file). Rare Class Sampling of the Cityscapes
# source as the reference's MIC(HRDA) runs (seg/experiments.py, exp. 80: T = 0.01,
# min_pixels 3000, min_crop_ratio 0.5 * 2 ** 2 = 2 for the 4x larger crops); its statistics
# are data/cityscapes/class_stats.json of the train split (tools/dataset_converters/
# cityscapes.py or compute_class_stats.py). The papers report the ACDC test split, scored by
# the ACDC server: see acdc_test_server_dataloader / acdc_test_server_evaluator (the 512 file) and
# docs/dataset_prepare.md. Prepare the data with tools/dataset_converters/{cityscapes,acdc}.py.
# The ACDC 512 x 512 setting with every scale doubled: the datasets, loaders, evaluators
# and test-server variables are that file's.
_base_ = ['./uda_cityscapes_to_acdc_512x512.py']
crop_size = (1024, 1024)
acdc_scale = (1920, 1080)  # full resolution
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
             [dict(type='mmseg.Resize', scale=(int(1920 * r), int(1080 * r)), keep_ratio=True)
              for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)],
             [dict(type='mmseg.RandomFlip', prob=0.0, direction='horizontal'),
              dict(type='mmseg.RandomFlip', prob=1.0, direction='horizontal')],
             [dict(type='LoadSegAnnotations')],
             [dict(type='mmseg.PackSegInputs')]]),
]
source_train = dict(pipeline=source_train_pipeline)
target_train = dict(pipeline=target_train_pipeline)
target_val = dict(pipeline=test_pipeline)
train_dataloader = dict(
    dataset=dict(source=source_train, target=target_train,
                 rare_class_sampling=dict(min_crop_ratio=2.0)))
val_dataloader = dict(dataset=target_val)
test_dataloader = val_dataloader
acdc_test = dict(pipeline=test_server_pipeline)
acdc_test_server_dataloader = dict(dataset=acdc_test)
