# DA-Faster R-CNN on the multi-source benchmark Sim10k + KITTI -> Cityscapes (car). The
# domain classifiers tell the three domains apart (num_domains=3: target, Sim10k, KITTI;
# softmax cross-entropy instead of one sigmoid logit); everything else as the single-source
# configs (R-50-C4, GRL 0.1, consistency 0.1, SGD 0.001, 70k iterations). The DA-Faster
# paper has no multi-source result.
_base_ = [
    '../_base_/models/faster-rcnn_r50-caffe-c4_da-faster.py',
    '../_base_/datasets/uda_sim10k_kitti_to_cityscapes_det.py',
    '../_base_/default_runtime_det.py',
    '../_base_/schedules/sgd_step_70k_det.py',
]
model = dict(model=dict(roi_head=dict(bbox_head=dict(num_classes=1))),
             img_da_head=dict(num_domains=3), ins_da_head=dict(num_domains=3),
             train_cfg=dict(img_weight=1.0, ins_weight=1.0, cst_weight=0.1, num_da_rois=256))
randomness = dict(seed=0)
