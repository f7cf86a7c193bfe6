# The CPU-sized classifier of the embedded classification domains: a quarter-width ResNet-18
# (mmdet's, trained from scratch: no ImageNet weights can be downloaded here) -> average pool
# -> bottleneck 64 -> linear head (6 classes). The structure of the reference's classifier
# (uda-classifier_vit-b16.py) at CPU size.
num_classes = 6
classifier = dict(
    type='UDAImageClassifier',
    num_classes=num_classes,
    in_channels=128,
    pool='avg',
    bottleneck_dim=64,
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='mmdet.ResNet', depth=18, base_channels=16, stem_channels=16,
                  out_indices=(3, ), norm_eval=False, frozen_stages=-1))
model = classifier
