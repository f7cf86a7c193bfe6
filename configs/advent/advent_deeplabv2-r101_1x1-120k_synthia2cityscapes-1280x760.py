# ADVENT (Vu et al., CVPR 2019), AdvEnt on SYNTHIA -> Cityscapes: the GTA5 config's model,
# method and schedule on SYNTHIA RAND-CITYSCAPES (1280 x 760 whole images).
# Paper: 40.8 mIoU over 16 classes, 47.6 over 13 (AdvEnt + MinEnt ensemble: 41.2 / 48.0).
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/uda_synthia_to_cityscapes_advent.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_adam_poly_120k_adversarial.py',
    '../_base_/uda/adversarial.py',
]
model = dict(_delete_=True, model=_base_.model, **_base_.advent)
randomness = dict(seed=0)
