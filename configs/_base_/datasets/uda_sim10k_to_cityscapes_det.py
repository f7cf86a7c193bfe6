# Sim10k (labelled source, GTA V frames) -> Cityscapes (unlabelled target), detection of the
# class car. The DA-Faster protocol: shorter side 600 px (longer side at most 1200, keep
# ratio), random horizontal flip, 1 source + 1 target image per iteration; evaluation on
# Cityscapes val (car boxes only), COCO AP at IoU 0.5 (mmdet CocoMetric `coco/bbox_mAP_50`).
# Data: data/sim10k (JPEGImages/, Annotations/ VOC xml; all 10k images, no split file) and
# the car-only Cityscapes json of tools/dataset_converters/cityscapes_to_coco.py --classes car
# (docs/dataset_prepare.md).
_base_ = ['./det_inputs_600x1200.py']
cityscapes_root = 'data/cityscapes'
sim10k_root = 'data/sim10k'
det_classes = ('car', )
# source images without a car are not trained on (mmdet's filter_empty_gt)
sim10k_train = dict(type='Sim10kDataset', data_root=sim10k_root,
                    filter_cfg=dict(filter_empty_gt=True), pipeline={{_base_.train_pipeline}})
# every Cityscapes train image (no filtering: that would read target labels)
target_train = dict(
    type='CheckedCocoDataset', data_root=cityscapes_root, metainfo=dict(classes=det_classes),
    ann_file='annotations/instances_car_train.json', data_prefix=dict(img='leftImg8bit/train/'),
    img_suffix='_leftImg8bit.png', pipeline={{_base_.unlabelled_pipeline}})
target_val = dict(
    type='CheckedCocoDataset', data_root=cityscapes_root, metainfo=dict(classes=det_classes),
    ann_file='annotations/instances_car_val.json', data_prefix=dict(img='leftImg8bit/val/'),
    img_suffix='_leftImg8bit.png', test_mode=True, pipeline={{_base_.test_pipeline}})

train_dataloader = dict(
    dataset=dict(type='UDADataset', source=sim10k_train, target=target_train))
val_dataloader = dict(dataset=target_val)
test_dataloader = val_dataloader
val_evaluator = dict(type='mmdet.CocoMetric',
                     ann_file=cityscapes_root + '/annotations/instances_car_val.json',
                     metric='bbox', format_only=False)
test_evaluator = val_evaluator
