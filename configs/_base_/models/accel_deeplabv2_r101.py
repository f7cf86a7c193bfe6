# The ACCEL-style video segmentor of DA-VSN / TPS (mmuda.AccelSegmentor) on the DeepLab-v2
# ResNet-101 of AdaptSegNet / ADVENT (deeplabv2_r101.py: frozen BN, ASPP classifiers on layer4
# and, with loss weight 0.1, layer3). Frame t-1 runs without gradient; its logits are warped
# to frame t by the flow and fused with frame t's by a 1x1 conv (2C -> C, no bias) initialised
# to identity / zero, shared by both heads (the reference's sf_layer).
_base_ = ['./deeplabv2_r101.py']
data_preprocessor = dict(type='mmuda.VideoSegDataPreProcessor')
model = dict(type='mmuda.AccelSegmentor', data_preprocessor=data_preprocessor)
