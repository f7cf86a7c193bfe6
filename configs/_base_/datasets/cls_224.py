# What the 224 x 224 classification benchmarks (VisDA-2017, Office-Home) share: the
# reference's evaluation (a square 256 x 256 resize, aspect ratio not kept, and a 224 centre
# crop), its test-time augmentation, the loaders (datasets set by each benchmark) and the
# metric (accuracy and mean class accuracy).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256), keep_ratio=False),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackClsInputs'),
]
# `tools/test.py --tta` (ClsTTAModel, default_runtime_cls.py): the centre crop and its mirror
# image (an extra, not the papers' protocol)
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale=(256, 256), keep_ratio=False)],
        [dict(type='RandomFlip', prob=0.0, direction='horizontal'),
         dict(type='RandomFlip', prob=1.0, direction='horizontal')],
        [dict(type='CenterCrop', crop_size=224)],
        [dict(type='PackClsInputs')]]),
]
train_dataloader = dict(
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='ClsAccuracyMetric')
test_evaluator = val_evaluator
