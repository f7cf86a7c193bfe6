# Source only on VisDA-2017 (Synthetic -> Real) with ResNet-101 (ImageNet), the reference's
# bottleneck and head, trained on the labelled synthetic images only; the reference's ResNet-101
# schedule (30 "epochs" of 1000 iterations, batch 32, SGD, sgd_inv_cls.py) and seed (2).
_base_ = [
    '../_base_/models/uda-classifier_r101.py',
    '../_base_/datasets/cls_visda2017.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/sgd_inv_cls.py',
]
train_dataloader = dict(dataset=dict(_delete_=True, **_base_.source_train))
train_cfg = dict(max_iters=30 * _base_.iters_per_epoch)
randomness = dict(seed=2)
