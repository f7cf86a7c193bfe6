# Detection on the embedded synthetic domains, Cityscapes -> Foggy Cityscapes in miniature:
# the clear "real-looking" scenes (domain 'target' of synthetic_domains.py, labelled) are the
# source, the same kind of scenes in fog (domain 'target_fog', beta 0.08) the target. Boxes:
# the visible cars and persons, written as COCO json beside each generated domain
# (annotations/instances_<split>.json). Metric: COCO AP50 (mmdet CocoMetric bbox_mAP_50).
_base_ = ['./synthetic_domains.py']
det_dataset_type = 'SyntheticDetDataset'
# (Resize keeps the generated size; it records the scale factor mmdet's heads need)
det_train_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.Resize', scale=(256, 128), keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
# the target stream loads no boxes (mmdet's LoadEmptyAnnotations): they cannot leak
det_unlabelled_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.LoadEmptyAnnotations'),
    dict(type='mmdet.Resize', scale=(256, 128), keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
det_test_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=(256, 128), keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    # 'instances': CocoMetric builds its ground truth from them (the generated domain's json
    # path carries a hash, so the metric gets no ann_file)
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                    'instances')),
]
# `tools/test.py --tta`: the image and its horizontal flip, boxes merged by NMS
# (mmdet's DetTTAModel, default_runtime_det.py); replaces the segmentation one inherited
tta_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='mmdet.Resize', scale=(256, 128), keep_ratio=True)],
             [dict(type='mmdet.RandomFlip', prob=0.0),
              dict(type='mmdet.RandomFlip', prob=1.0)],
             [dict(type='mmdet.LoadAnnotations', with_bbox=True)],
             [dict(type='mmdet.PackDetInputs',
                   meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                              'instances', 'flip', 'flip_direction'))]]),
]
_det_domain = dict(type=det_dataset_type, data_root='data/synthetic',
               num_images=dict(train=400, val=100), img_size=(128, 256))
det_source_train = dict(_det_domain, domain='target', style={{_base_.target_style}},
                        split='train', pipeline=det_train_pipeline,
                        filter_cfg=dict(filter_empty_gt=True))
det_source_val = dict(_det_domain, domain='target', style={{_base_.target_style}}, split='val',
                      pipeline=det_test_pipeline, test_mode=True)
det_target_train = dict(_det_domain, domain='target_fog', style={{_base_.target_fog_style}},
                        split='train', pipeline=det_train_pipeline,
                        filter_cfg=dict(filter_empty_gt=True))
det_target_train_unlabelled = dict(det_target_train, pipeline=det_unlabelled_pipeline,
                                   filter_cfg=None)
det_target_val = dict(_det_domain, domain='target_fog', style={{_base_.target_fog_style}},
                      split='val', pipeline=det_test_pipeline, test_mode=True)

train_dataloader = dict(
    _delete_=True, batch_size=2, num_workers=1, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='UDADataset', source=det_source_train,
                 target=det_target_train_unlabelled))
val_dataloader = dict(
    _delete_=True, batch_size=4, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False), dataset=det_target_val)
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='mmdet.CocoMetric', metric='bbox',
                     format_only=False)
test_evaluator = val_evaluator
# the demo evaluates these (target_val is the default above)
source_val = det_source_val
target_val = det_target_val
