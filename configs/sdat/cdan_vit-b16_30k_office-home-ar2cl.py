# CDAN (one pass, plain SGD, no MCC) on Office-Home Art -> Clipart, ViT-B/16, the reference's
# settings (configs/_base_/uda/sdat.py), 30 "epochs" of 1000 iterations, batch 24 + 24. The other
# tasks: the office-home/ folder next to this config.
_base_ = [
    '../_base_/models/uda-classifier_vit-b16.py',
    '../_base_/datasets/cls_office_home_ar2cl.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/sgd_inv_cls.py',
    '../_base_/uda/sdat.py',
]
num_classes = 65
model = dict(_delete_=True, **_base_.cdan_model,
             model=dict(_base_.classifier, num_classes=num_classes))
optim_wrapper = dict(_delete_=True, **_base_.adversarial_optim_wrapper)
train_cfg = dict(max_iters=30 * _base_.iters_per_epoch)
randomness = dict(seed=0)
