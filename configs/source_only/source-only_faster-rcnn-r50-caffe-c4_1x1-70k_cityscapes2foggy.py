# Source-only baseline of Cityscapes -> Foggy Cityscapes (beta 0.02): DA-Faster's detector
# (Faster R-CNN R-50-C4, caffe ImageNet weights) and schedule (SGD 0.001, 70k iterations,
# x0.1 at 50k) trained on Cityscapes only; AP50 on Foggy Cityscapes val. The target images
# are still loaded each iteration (UDADataset) but not used.
# Paper (DA-Faster reimplementation, R-50-C4): 24.9 AP50.
_base_ = [
    '../_base_/models/faster-rcnn_r50-caffe-c4_da-faster.py',
    '../_base_/datasets/uda_cityscapes_to_foggy_det.py',
    '../_base_/default_runtime_det.py',
    '../_base_/schedules/sgd_step_70k_det.py',
]
model = dict(img_da_head=None, ins_da_head=None, train_cfg=dict(cst_weight=0.0))
randomness = dict(seed=0)
