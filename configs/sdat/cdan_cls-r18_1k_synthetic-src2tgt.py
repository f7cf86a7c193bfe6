# CDAN on the embedded classification domains (one pass, plain SGD, no MCC).
_base_ = [
    '../_base_/models/uda-classifier_r18-synthetic.py',
    '../_base_/datasets/synthetic_cls.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/sgd_inv_cls_synthetic.py',
    '../_base_/uda/sdat.py',
]
# CPU size: discriminator hidden 256 (the reference: 1024 for 256-d features)
model = dict(_delete_=True, **_base_.cdan_model, model=_base_.classifier)
model['discriminator'] = dict(_base_.discriminator, hidden_dim=256)
optim_wrapper = dict(_delete_=True, **_base_.adversarial_optim_wrapper)
train_dataloader = dict(dataset=dict(_delete_=True, **_base_.uda_train))
randomness = dict(seed=0)
