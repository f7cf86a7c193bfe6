# DA-Faster R-CNN (Chen et al., CVPR 2018) on Cityscapes -> Foggy Cityscapes (beta 0.02), as
# krumo/Domain-Adaptive-Faster-RCNN-PyTorch: Faster R-CNN R-50-C4, image-level (C4 map) and
# instance-level (res5 RoI features) domain classifiers behind GRL 0.1, consistency 0.1;
# 1 source + 1 target image per iteration, SGD 0.001, 70k iterations (x0.1 at 50k).
# Paper (R-50-C4 reimplementation): 41.0 AP50 (image + instance + consistency).
_base_ = [
    '../_base_/models/faster-rcnn_r50-caffe-c4_da-faster.py',
    '../_base_/datasets/uda_cityscapes_to_foggy_det.py',
    '../_base_/default_runtime_det.py',
    '../_base_/schedules/sgd_step_70k_det.py',
]
model = dict(train_cfg=dict(img_weight=1.0, ins_weight=1.0, cst_weight=0.1, num_da_rois=256))
randomness = dict(seed=0)
