# Source-only baseline of the embedded classification domains: the CPU-sized classifier
# trained on labelled source crops, evaluated on the target crops (mean class accuracy).
_base_ = [
    '../_base_/models/uda-classifier_r18-synthetic.py',
    '../_base_/datasets/synthetic_cls.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/sgd_inv_cls_synthetic.py',
]
randomness = dict(seed=0)
