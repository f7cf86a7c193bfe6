# DeepLab-v2 sized for CPU runs on the embedded synthetic domains: the layout of
# deeplabv2_r101.py (dilated ResNet, output stride 8, DeepLabV2Head on layer4 + an auxiliary
# one on layer3 with loss weight 0.1) on ResNet-18 (BasicBlock; style is irrelevant
# for BasicBlock) at half width: stem and stages 32/32/64/128/256 channels instead of
# 64/64/128/256/512. Dilated layer3/layer4 at output stride 8 make the full-width ResNet-18
# 1.7x slower than SegFormer MiT-B0 per training step on 4 x 128 x 256 crops (CPU, 2 threads:
# 3.8 s vs 2.2 s); at half width it takes 1.5 s with 2.9 M parameters (MiT-B0: 3.5 M).
# Differences from deeplabv2_r101.py, because no pretrained weights exist here (the model
# trains from scratch):
# - trainable BN in train mode (requires_grad=True, norm_eval=False): frozen BN only makes
#   sense with statistics and affine parameters learnt elsewhere; from scratch, frozen BN
#   would be a fixed identity (weight 1, bias 0, running mean 0 / var 1) and the net would
#   train without normalisation;
# - mmseg's default initialisation (Kaiming convs, zero-initialised last BN of each residual
#   branch) instead of a checkpoint;
# - the synthetic domains' input normalisation and 8 classes (segformer_mit-b0.py).
# Plain BN instead of SyncBN: SyncBN has no CPU kernel.
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(128, 256))  # training batches are padded to the crop size
model = dict(
    type='mmseg.EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='mmuda.DeepLabV2ResNet',
        depth=18,
        in_channels=3,
        stem_channels=32,
        base_channels=32,  # stage widths 32, 64, 128, 256
        num_stages=4,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        out_indices=(0, 1, 2, 3),
        style='pytorch',
        deep_stem=False,
        contract_dilation=False,
        norm_cfg=norm_cfg,
        norm_eval=False),
    decode_head=dict(
        type='mmuda.DeepLabV2Head',
        in_channels=256,
        in_index=3,
        dilations=(6, 12, 18, 24),
        num_classes=8,
        align_corners=True,
        ignore_index=255,
        loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='mmuda.DeepLabV2Head',
        in_channels=128,
        in_index=2,
        dilations=(6, 12, 18, 24),
        num_classes=8,
        align_corners=True,
        ignore_index=255,
        loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=0.1)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
