# DA-Faster R-CNN (Chen et al., CVPR 2018) on Faster R-CNN R-50-C4, the detector of
# krumo/Domain-Adaptive-Faster-RCNN-PyTorch (maskrcnn-benchmark):
# - caffe-style ResNet-50 from detectron2's ImageNet weights, stem + res2 frozen, BN frozen
#   (requires_grad=False, eval mode); C4 output (1024 channels, stride 16);
# - RPN on C4, anchors 32..512 px (scales 2..32 x stride 16), ratios 0.5/1/2;
# - RoIAlign 14x14, then res5 as the shared RoI head (initialised from the same checkpoint,
#   as mmdet's faster-rcnn_r50-caffe-c4.py does), avg-pooled to 2048;
# - smooth-L1 box losses as the reference (beta 1/9 for the RPN, 1.0 for the RoI head);
#   mmdet's own C4 config uses L1 instead;
# - RoI sampler 256 per image (25 % positives), RPN proposals 12000/2000 (train, also for
#   the target images' domain RoIs) and 6000/1000 (test) before/after NMS 0.7, detections NMS
#   0.3, score >= 0.05, 100 per image; RPN anchors crossing the border ignored, each object's
#   best anchor positive whatever its IoU.
# num_classes is 8 (Cityscapes -> Foggy Cityscapes); the car benchmarks set 1.
# Domain classifiers (both behind GRL 0.1): image level on the C4 map (1x1 conv 1024 -> 512,
# ReLU, 1x1 conv -> 1), instance level on the res5 RoI features of 256 boxes per image drawn
# from the RPN proposals (and the ground-truth boxes on source images): avg-pool -> FC 1024 ->
# FC 1024 -> 1, dropout 0.5. Loss weights image 1.0, instance 1.0, consistency 0.1, each a
# mean over the joint source + target batch as the reference.
norm_cfg = dict(type='BN', requires_grad=False)
pretrained = 'open-mmlab://detectron2/resnet50_caffe'
detector = dict(
    type='mmdet.FasterRCNN',
    data_preprocessor=dict(type='mmdet.DetDataPreprocessor', mean=[103.530, 116.280, 123.675],
                           std=[1.0, 1.0, 1.0], bgr_to_rgb=False, pad_size_divisor=32),
    backbone=dict(type='mmdet.ResNet', depth=50, num_stages=3, strides=(1, 2, 2),
                  dilations=(1, 1, 1), out_indices=(2, ), frozen_stages=1,
                  norm_cfg=norm_cfg, norm_eval=True, style='caffe',
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    rpn_head=dict(
        type='mmdet.RPNHead', in_channels=1024, feat_channels=1024,
        anchor_generator=dict(type='mmdet.AnchorGenerator', scales=[2, 4, 8, 16, 32],
                              ratios=[0.5, 1.0, 2.0], strides=[16]),
        bbox_coder=dict(type='mmdet.DeltaXYWHBBoxCoder', target_means=[.0] * 4,
                        target_stds=[1.0] * 4),
        loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='mmdet.SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
    roi_head=dict(
        type='mmdet.StandardRoIHead',
        shared_head=dict(type='mmdet.ResLayer', depth=50, stage=3, stride=2, dilation=1,
                         style='caffe', norm_cfg=norm_cfg, norm_eval=True,
                         init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
        bbox_roi_extractor=dict(type='mmdet.SingleRoIExtractor',
                                roi_layer=dict(type='RoIAlign', output_size=14,
                                               sampling_ratio=0),
                                out_channels=1024, featmap_strides=[16]),
        bbox_head=dict(
            type='mmdet.BBoxHead', with_avg_pool=True, roi_feat_size=7, in_channels=2048,
            num_classes=8,
            bbox_coder=dict(type='mmdet.DeltaXYWHBBoxCoder', target_means=[0.] * 4,
                            target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='mmdet.SmoothL1Loss', beta=1.0, loss_weight=1.0))),
    train_cfg=dict(
        # RPN targets as maskrcnn-benchmark's: anchors crossing the image border are ignored
        # (RPN.STRADDLE_THRESH 0 -> allowed_border 0) and each object's best anchor(s) are
        # positive whatever their IoU (Matcher allow_low_quality_matches, no minimum IoU ->
        # min_pos_iou 0; mmdet's C4 config uses -1 and 0.3)
        rpn=dict(assigner=dict(type='mmdet.MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3,
                               min_pos_iou=0.0, match_low_quality=True, ignore_iof_thr=-1),
                 sampler=dict(type='mmdet.RandomSampler', num=256, pos_fraction=0.5,
                              neg_pos_ub=-1, add_gt_as_proposals=False),
                 allowed_border=0, pos_weight=-1, debug=False),
        rpn_proposal=dict(nms_pre=12000, max_per_img=2000,
                          nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(assigner=dict(type='mmdet.MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                                min_pos_iou=0.5, match_low_quality=False, ignore_iof_thr=-1),
                  sampler=dict(type='mmdet.RandomSampler', num=256, pos_fraction=0.25,
                               neg_pos_ub=-1, add_gt_as_proposals=True),
                  pos_weight=-1, debug=False)),
    test_cfg=dict(
        rpn=dict(nms_pre=6000, max_per_img=1000, nms=dict(type='nms', iou_threshold=0.7),
                 min_bbox_size=0),
        rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.3), max_per_img=100)))
model = dict(
    type='DAFasterRCNN',
    model=detector,
    img_da_head=dict(type='ImageDomainClassifier', in_channels=1024, channels=512,
                     grl_weight=0.1, num_domains=2),
    ins_da_head=dict(type='InstanceDomainClassifier', in_channels=2048, channels=1024,
                     dropout=0.5, grl_weight=0.1, num_domains=2),
    train_cfg=dict(img_weight=1.0, ins_weight=1.0, cst_weight=0.1, num_da_rois=256, seed=0))
