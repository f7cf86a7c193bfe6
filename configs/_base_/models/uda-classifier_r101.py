# The ResNet-101 image classifier of SDAT / MIC classification on VisDA-2017: ResNet-101
# (ImageNet) -> global average pool -> bottleneck 256 (Linear, BN, ReLU) -> linear head, as
# the reference's (TLlib's resnet101 with torchvision's ImageNet-1k weights, BN layers
# training). Here the backbone is mmdet's ResNet, whose parameter names are torchvision's,
# loading the same torchvision file by URL (its `fc` is left out, with a warning).
num_classes = 12
classifier = dict(
    type='UDAImageClassifier',
    num_classes=num_classes,
    in_channels=2048,
    pool='avg',
    bottleneck_dim=256,
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        type='mmdet.ResNet',
        depth=101,
        out_indices=(3, ),
        norm_eval=False,
        frozen_stages=-1,
        style='pytorch',
        init_cfg=dict(type='Pretrained',
                      checkpoint='https://download.pytorch.org/models/resnet101-63fe2227.pth')))
model = classifier
