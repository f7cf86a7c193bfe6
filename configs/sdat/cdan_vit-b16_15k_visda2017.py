# CDAN (one pass, plain SGD, no MCC) on VisDA-2017
# (Synthetic -> Real), ViT-B/16, the reference's settings (configs/_base_/uda/sdat.py).
_base_ = [
    '../_base_/models/uda-classifier_vit-b16.py',
    '../_base_/datasets/cls_visda2017.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/sgd_inv_cls.py',
    '../_base_/uda/sdat.py',
]
model = dict(_delete_=True, **_base_.cdan_model, model=_base_.classifier)
optim_wrapper = dict(_delete_=True, **_base_.adversarial_optim_wrapper)
randomness = dict(seed=0)
