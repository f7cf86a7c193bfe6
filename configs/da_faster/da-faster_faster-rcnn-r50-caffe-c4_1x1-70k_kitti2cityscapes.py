# DA-Faster R-CNN on KITTI -> Cityscapes (car): the Cityscapes -> Foggy settings (R-50-C4,
# GRL 0.1, image 1.0 / instance 1.0 / consistency 0.1, SGD 0.001, 70k iterations) with a
# one-class detector. The paper's 38.5 AP50 is with VGG16, not this detector.
_base_ = [
    '../_base_/models/faster-rcnn_r50-caffe-c4_da-faster.py',
    '../_base_/datasets/uda_kitti_to_cityscapes_det.py',
    '../_base_/default_runtime_det.py',
    '../_base_/schedules/sgd_step_70k_det.py',
]
model = dict(model=dict(roi_head=dict(bbox_head=dict(num_classes=1))),
             train_cfg=dict(img_weight=1.0, ins_weight=1.0, cst_weight=0.1, num_da_rois=256))
randomness = dict(seed=0)
