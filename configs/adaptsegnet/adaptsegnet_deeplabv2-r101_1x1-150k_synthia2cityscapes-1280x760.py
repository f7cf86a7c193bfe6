# AdaptSegNet (Tsai et al., CVPR 2018), multi-level, on SYNTHIA -> Cityscapes: the GTA5
# config on SYNTHIA RAND-CITYSCAPES (1280 x 760 whole images).
# Paper (multi-level): 46.7 mIoU over 13 classes (16-class mIoU not reported).
_base_ = ['../advent/advent_deeplabv2-r101_1x1-120k_synthia2cityscapes-1280x760.py']
model = dict(type='AdaptSegNet')  # soft-max maps instead of self-information
train_cfg = dict(max_iters=150000)
