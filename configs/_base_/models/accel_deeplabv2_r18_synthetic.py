# The ACCEL-style video segmentor of DA-VSN / TPS (mmuda.AccelSegmentor) on the CPU-sized
# DeepLab-v2 of deeplabv2_r18_synthetic.py (dilated half-width ResNet-18, DeepLabV2Head on
# layer4 + auxiliary on layer3): both frames of a pair through the network (frame t-1 without
# gradient), the logits of t-1 warped to t by the flow and fused by a 1x1 conv initialised to
# pass frame t's logits through. Video samples need the video pre-processor (it normalises
# the neighbour frames as frame t).
_base_ = ['./deeplabv2_r18_synthetic.py']
data_preprocessor = dict(type='mmuda.VideoSegDataPreProcessor')
model = dict(type='mmuda.AccelSegmentor', data_preprocessor=data_preprocessor)
