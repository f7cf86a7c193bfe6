# KITTI (labelled source, training split, `Car` boxes) -> Cityscapes (unlabelled target),
# detection of the class car; everything else as Sim10k -> Cityscapes (shorter side 600,
# longer at most 1200, flip, 1 source + 1 target image per iteration, Cityscapes val car
# AP50). Data: data/kitti (training/image_2, training/label_2; docs/dataset_prepare.md).
_base_ = ['./uda_sim10k_to_cityscapes_det.py']
kitti_root = 'data/kitti'
# KITTI type `Car` -> class car (KITTIDetDataset's default class_map; Van, Truck, ... and
# DontCare are not boxes). Images without a car are not trained on (as Sim10k).
kitti_train = dict(type='KITTIDetDataset', data_root=kitti_root, class_map=dict(Car='car'),
                   filter_cfg=dict(filter_empty_gt=True), pipeline={{_base_.train_pipeline}})
train_dataloader = dict(dataset=dict(source=dict(kitti_train, _delete_=True)))
