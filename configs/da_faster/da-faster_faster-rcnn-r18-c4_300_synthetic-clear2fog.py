# DA-Faster R-CNN (image + instance + consistency) on the embedded synthetic domains, clear ->
# fog. Domain classifiers as the paper (GRL 0.1, image 1x1 convs, instance FC 1024-1024-1)
# with their hidden sizes scaled to the tiny detector's 128-channel features.
_base_ = ['../source_only/source-only_faster-rcnn-r18-c4_300_synthetic-clear2fog.py']
model = dict(
    img_da_head=dict(type='ImageDomainClassifier', in_channels=128, channels=128,
                     grl_weight=0.1),
    ins_da_head=dict(type='InstanceDomainClassifier', in_channels=128, channels=256,
                     grl_weight=0.1),
    train_cfg=dict(img_weight=1.0, ins_weight=1.0, cst_weight=0.1, num_da_rois=16))
