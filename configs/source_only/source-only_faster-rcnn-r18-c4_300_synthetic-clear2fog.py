# Source-only detection baseline on the embedded synthetic domains: train on the labelled clear
# scenes, evaluate on the foggy ones (COCO AP50). About a minute on 2 CPU cores.
_base_ = [
    '../_base_/models/faster-rcnn_r18-c4_synthetic.py',
    '../_base_/datasets/synthetic_det_fog.py',
    '../_base_/default_runtime_det.py',
    '../_base_/schedules/schedule_det_synthetic.py',
]
randomness = dict(seed=0)
