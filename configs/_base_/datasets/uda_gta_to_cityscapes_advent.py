# GTA5 (labelled source) -> Cityscapes (unlabelled target), the data settings of AdaptSegNet
# and ADVENT: whole images, GTA resized to 1280 x 720 and Cityscapes to 1024 x 512, no crop,
# no flip, batch 1 + 1; evaluation on Cityscapes val at 1024 x 512 (the prediction is
# up-sampled to the 2048 x 1024 label as the reference's evaluation does: mmseg's
# EncoderDecoder resizes the logits to the original image shape). Prepare the data with
# tools/dataset_converters/{gta,cityscapes}.py (docs/dataset_prepare.md).
gta_root = 'data/gta'
cityscapes_root = 'data/cityscapes'
source_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.Resize', scale=(1280, 720), keep_ratio=False),
    dict(type='mmseg.PackSegInputs'),
]
# the target stream loads no labels
target_train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=(1024, 512), keep_ratio=False),
    dict(type='mmseg.PackSegInputs'),
]
test_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.Resize', scale=(1024, 512), keep_ratio=False),
    dict(type='LoadSegAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
# `tools/test.py --tta`: flip x multi-scale around 1024 x 512 (mmseg's ratios), the views'
# softmax averaged (UDASegTTAModel). An extra, not the paper protocol (one scale, no flip).
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
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='UDADataset', source=source_train, target=target_train))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=target_val)
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
