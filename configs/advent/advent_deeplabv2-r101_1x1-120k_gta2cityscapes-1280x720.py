# ADVENT (Vu et al., CVPR 2019), AdvEnt on GTA5 -> Cityscapes: DeepLab-v2 ResNet-101
# (ImageNet), fully-convolutional discriminators on the weighted self-information maps of the
# main (layer4) and auxiliary (layer3) outputs; batch 1 + 1 whole images, 120k iterations.
# Paper: 43.8 mIoU (AdvEnt alone; 45.5 is the AdvEnt + MinEnt output ensemble).
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/uda_gta_to_cityscapes_advent.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_adam_poly_120k_adversarial.py',
    '../_base_/uda/adversarial.py',
]
model = dict(_delete_=True, model=_base_.model, **_base_.advent)
randomness = dict(seed=0)
