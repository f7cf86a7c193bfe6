# The DA-Faster R-CNN input protocol shared by the real detection benchmarks
# (uda_*_det.py): images resized to a shorter side of 600 px (longer side at most 1200, keep
# ratio), random horizontal flip, 1 source + 1 target image per iteration; the target stream
# loads no boxes (mmdet's LoadEmptyAnnotations): they cannot leak.
img_scale = (1200, 600)  # (longer side max, shorter side)
train_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
unlabelled_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.LoadEmptyAnnotations'),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
test_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
# `tools/test.py --tta`: the image and its horizontal flip, boxes merged by NMS
# (mmdet's DetTTAModel, default_runtime_det.py). An extra: the DA-Faster protocol has no TTA.
tta_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True)],
             [dict(type='mmdet.RandomFlip', prob=0.0),
              dict(type='mmdet.RandomFlip', prob=1.0)],
             [dict(type='mmdet.LoadAnnotations', with_bbox=True)],
             [dict(type='mmdet.PackDetInputs',
                   meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                              'flip', 'flip_direction'))]]),
]
train_dataloader = dict(
    batch_size=1,  # one UDADataset item = 1 source + 1 target image
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
