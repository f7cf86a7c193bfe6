# MinEnt (Vu et al., CVPR 2019) on SYNTHIA -> Cityscapes: the GTA5 config on SYNTHIA
# RAND-CITYSCAPES (1280 x 760 whole images). Paper: 38.1 mIoU over 16 classes, 44.2 over 13.
_base_ = ['./advent_deeplabv2-r101_1x1-120k_synthia2cityscapes-1280x760.py']
model = dict(_delete_=True, model=_base_.model.model, **_base_.minent)
optim_wrapper = dict(_delete_=True, constructor='UDAOptimWrapperConstructor',
                     **_base_.segmentor_optim_wrapper)
