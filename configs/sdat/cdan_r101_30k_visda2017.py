# CDAN (one pass, plain SGD, no MCC) on VisDA-2017 (Synthetic -> Real) with ResNet-101: the
# reference's ResNet-101 settings (lhoyer/MIC cls/experiments.py: 30 epochs, lr 0.002, seed 2;
# configs/_base_/uda/sdat.py).
_base_ = [
    '../_base_/models/uda-classifier_r101.py',
    '../_base_/datasets/cls_visda2017.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/sgd_inv_cls.py',
    '../_base_/uda/sdat.py',
]
model = dict(_delete_=True, **_base_.cdan_model, model=_base_.classifier)
optim_wrapper = dict(_delete_=True, **_base_.adversarial_optim_wrapper)
train_cfg = dict(max_iters=30 * _base_.iters_per_epoch)
randomness = dict(seed=2)
