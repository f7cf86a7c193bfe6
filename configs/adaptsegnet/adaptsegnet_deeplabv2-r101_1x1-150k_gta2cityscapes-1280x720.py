# AdaptSegNet (Tsai et al., CVPR 2018), multi-level output-space adaptation on GTA5 ->
# Cityscapes: DeepLab-v2 ResNet-101 (ImageNet), fully-convolutional discriminators on the
# soft-max maps of the main (layer4, weight 1e-3) and auxiliary (layer3, weight 2e-4)
# outputs; batch 1 + 1 whole images. Paper (multi-level): 42.4 mIoU.
# The reference stops at 150k iterations of its 250k poly schedule (ADVENT: 120k).
_base_ = ['../advent/advent_deeplabv2-r101_1x1-120k_gta2cityscapes-1280x720.py']
model = dict(type='AdaptSegNet')  # soft-max maps instead of self-information
train_cfg = dict(max_iters=150000)
