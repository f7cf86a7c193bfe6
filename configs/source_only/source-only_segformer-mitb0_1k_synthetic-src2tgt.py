# Source-only baseline on the embedded synthetic domains: train on labelled source, evaluate on
# target val (mmseg IoUMetric). A few minutes on 2 CPU cores.
_base_ = [
    '../_base_/models/segformer_mit-b0.py',
    '../_base_/datasets/synthetic_domains.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_synthetic.py',
]
randomness = dict(seed=0)
