# DeepLab-v2 (ResNet-101) as used by AdaptSegNet, ADVENT and DA-VSN (valeoai/ADVENT
# advent/model/deeplabv2.py, wasidennis/AdaptSegNet model/deeplab_multi.py): mmseg's ResNet,
# configured as the reference's ResNetMulti, and two DeepLabV2Head classifiers (the
# reference's ClassifierModule: dilated 3x3 convs 6/12/18/24 straight to the logits, summed):
# the main one on layer4 (reference layer6) and an auxiliary one on layer3 (reference layer5,
# loss weight 0.1 = ADVENT's LAMBDA_SEG_AUX = AdaptSegNet's lambda_seg).
#
# Backbone, as the reference:
# - one 7x7 stem conv (no deep stem), caffe style (the stride of a bottleneck is on its first
#   1x1 conv), a 1x1 strided conv as the projection shortcut (no avg-down);
# - strides (1, 2, 1, 1), dilations (1, 1, 2, 4) applied to EVERY block of layer3/layer4
#   (contract_dilation=False): output stride 8;
# - BN: affine parameters frozen (requires_grad=False on every BN, stem included); the convs,
#   stem conv1 included, are trained (the reference freezes nothing else). As the reference
#   (it calls model.train() and never puts its BN in eval mode), the BN layers stay in train
#   mode (norm_eval=False): during training they normalise with the statistics of the batch
#   (one image) and update their running statistics (momentum 0.1) from the source and target
#   images. norm_eval=True would keep the ImageNet statistics instead (a deviation).
# - the stem max-pool with ceil_mode=True (mmuda's DeepLabV2ResNet; mmseg's ResNet has
#   ceil_mode=False): 65 x 129 logits for a 512 x 1024 input (mmseg's pool: 64 x 128; with the
#   reference's weights mmseg's pool changes 6.5 % of the argmax at 512 x 1024, measured on
#   random weights against a re-implementation of the reference).
#
# Input: the reference feeds BGR images minus the caffe mean, not divided by a std
# (advent/dataset/base_dataset.py). mmseg loads BGR images: no channel swap here.
# The logits are up-sampled with align_corners=True, as the reference's nn.Upsample; the
# cross-entropy is the mean over the labelled pixels (avg_non_ignore=True), as the
# reference's loss_calc (mmseg's default divides by all pixels, ignored ones included).
#
# Weights: the reference starts from DeepLab_resnet_pretrained_imagenet.pth (ADVENT) /
# DeepLab_resnet_pretrained_init-f81d91e8.pth (AdaptSegNet), keys 'Scale.*'. Convert it with
#   python tools/model_converters/deeplabv2_advent.py \
#       DeepLab_resnet_pretrained_imagenet.pth checkpoints/deeplabv2_r101_imagenet.pth
# (its classifier 'Scale.layer5' is dropped, as the reference does; the heads start from
# N(0, 0.01)). ADVENT's released trained models (gta2cityscapes_advent.pth, ...) convert with
# the same tool into a whole-model checkpoint (backbone + both heads) for `load_from`.
checkpoint = 'checkpoints/deeplabv2_r101_imagenet.pth'  # converted, see above
norm_cfg = dict(type='BN', requires_grad=False)
data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[104.00698793, 116.66876762, 122.67891434],  # BGR caffe mean of the reference
    std=[1.0, 1.0, 1.0],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255,
    # GTA5 (1280 x 720) and Cityscapes (1024 x 512) batches have their own sizes in the
    # reference: pad each batch to a multiple of the output stride only
    size_divisor=8)
model = dict(
    type='mmseg.EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='mmuda.DeepLabV2ResNet',  # inside an mmseg model: named with its scope
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.'),
        depth=101,
        in_channels=3,
        stem_channels=64,
        base_channels=64,
        num_stages=4,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        out_indices=(0, 1, 2, 3),
        style='caffe',
        deep_stem=False,
        avg_down=False,
        contract_dilation=False,
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        zero_init_residual=False),
    decode_head=dict(  # reference layer6, on layer4
        type='mmuda.DeepLabV2Head',  # inside an mmseg model: named with its scope
        in_channels=2048,
        in_index=3,
        dilations=(6, 12, 18, 24),
        num_classes=19,
        align_corners=True,
        ignore_index=255,
        loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                         avg_non_ignore=True)),
    auxiliary_head=dict(  # reference layer5, on layer3
        type='mmuda.DeepLabV2Head',
        in_channels=1024,
        in_index=2,
        dilations=(6, 12, 18, 24),
        num_classes=19,
        align_corners=True,
        ignore_index=255,
        loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=0.1,
                         avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

# The reference's optimizer (ADVENT config.py / AdaptSegNet train_gta2cityscapes_multi.py):
# SGD lr 2.5e-4, momentum 0.9, weight decay 5e-4, poly decay (power 0.9); the classifiers
# (layer5 + layer6, weights and biases) at 10x the lr. A config using this model writes e.g.
#   optim_wrapper = dict(
#       type='OptimWrapper',
#       optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
#       constructor='UDAOptimWrapperConstructor',  # UDA models only
#       paramwise_cfg=_base_.deeplabv2_paramwise_cfg)
# custom_keys match by substring: 'decode_head' matches both a plain segmentor's
# 'decode_head.convs.0.weight' and a UDA model's 'student.decode_head.convs.0.weight'.
# (A variable of its own, not an optim_wrapper: mmengine forbids a key in two _base_ files,
# and the schedule bases define optim_wrapper.)
deeplabv2_paramwise_cfg = dict(custom_keys={
    'decode_head': dict(lr_mult=10.0),
    'auxiliary_head': dict(lr_mult=10.0)})
