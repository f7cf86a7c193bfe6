# Source-only baseline of KITTI -> Cityscapes (car): DA-Faster's detector (Faster R-CNN
# R-50-C4, 1 class) and schedule trained on KITTI only; car AP50 on Cityscapes val.
_base_ = [
    '../_base_/models/faster-rcnn_r50-caffe-c4_da-faster.py',
    '../_base_/datasets/uda_kitti_to_cityscapes_det.py',
    '../_base_/default_runtime_det.py',
    '../_base_/schedules/sgd_step_70k_det.py',
]
model = dict(model=dict(roi_head=dict(bbox_head=dict(num_classes=1))), img_da_head=None,
             ins_da_head=None, train_cfg=dict(cst_weight=0.0))
randomness = dict(seed=0)
