# Cityscapes (labelled source) -> Foggy Cityscapes (unlabelled target), detection, 8 classes
# (person, rider, car, truck, bus, train, motorcycle, bicycle). The DA-Faster protocol:
# images resized to a shorter side of 600 px (longer side at most 1200, keep ratio), random
# horizontal flip, 1 source + 1 target image per iteration; evaluation on Foggy Cityscapes
# val, COCO AP at IoU 0.5 (mmdet CocoMetric `coco/bbox_mAP_50`).
# Fog density: beta = 0.02 only (the `_leftImg8bit_foggy_beta_0.02.png` images; the foggy
# folders also hold 0.01 and 0.005). Results on "all densities" are not comparable.
# Annotations: tools/dataset_converters/cityscapes_to_coco.py (docs/dataset_prepare.md).
_base_ = ['./det_inputs_600x1200.py']
cityscapes_root = 'data/cityscapes'
foggy_root = 'data/foggy_cityscapes'
foggy_suffix = '_leftImg8bit_foggy_beta_0.02.png'
det_classes = ('person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle', 'bicycle')
source_train = dict(
    type='CheckedCocoDataset', data_root=cityscapes_root, metainfo=dict(classes=det_classes),
    ann_file='annotations/instances_train.json', data_prefix=dict(img='leftImg8bit/train/'),
    img_suffix='_leftImg8bit.png', filter_cfg=dict(filter_empty_gt=True),
    pipeline={{_base_.train_pipeline}})
# every foggy train image of the density (no filtering: that would read target labels)
target_train = dict(
    type='CheckedCocoDataset', data_root=foggy_root, metainfo=dict(classes=det_classes),
    ann_file='annotations/instances_train.json', data_prefix=dict(img='leftImg8bit/train/'),
    img_suffix=foggy_suffix, pipeline={{_base_.unlabelled_pipeline}})
target_val = dict(
    type='CheckedCocoDataset', data_root=foggy_root, metainfo=dict(classes=det_classes),
    ann_file='annotations/instances_val.json', data_prefix=dict(img='leftImg8bit/val/'),
    img_suffix=foggy_suffix, test_mode=True, pipeline={{_base_.test_pipeline}})
# the source domain's val split (clear weather), for reference evaluations
source_val = dict(target_val, data_root=cityscapes_root, img_suffix='_leftImg8bit.png')

train_dataloader = dict(
    dataset=dict(type='UDADataset', source=source_train, target=target_train))
val_dataloader = dict(dataset=target_val)
test_dataloader = val_dataloader
val_evaluator = dict(type='mmdet.CocoMetric',
                     ann_file=foggy_root + '/annotations/instances_val.json', metric='bbox',
                     format_only=False)
test_evaluator = val_evaluator
