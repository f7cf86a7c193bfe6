# MinEnt (Vu et al., CVPR 2019) on GTA5 -> Cityscapes: DeepLab-v2 ResNet-101 (ImageNet), the
# mean normalised entropy of the target predictions minimised with weights 1e-3 (main) and
# 2e-4 (auxiliary); one optimizer (no discriminator). Paper: 42.3 mIoU.
_base_ = ['./advent_deeplabv2-r101_1x1-120k_gta2cityscapes-1280x720.py']
model = dict(_delete_=True, model=_base_.model.model, **_base_.minent)
optim_wrapper = dict(_delete_=True, constructor='UDAOptimWrapperConstructor',
                     **_base_.segmentor_optim_wrapper)
