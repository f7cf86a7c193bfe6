# A CPU-sized single-level Faster R-CNN for the embedded synthetic domains: ResNet-18 stages
# 1-3 at half width as the backbone (C4, 128 channels, stride 16), RPN, RoIAlign 7x7 and two
# shared FC layers (256) as the box head, 2 classes (car, person). The paper's R-50-C4 runs res5 on every RoI
# as its box head: on 2 CPU cores that alone took 3 s per step here, so the demo uses an FC
# box head; the domain classifiers see the (avg-pooled) RoIAlign features. Trained from
# scratch (no download), so BN is trained and no stage is frozen. Anchors from 16 to 128 px:
# the objects are small.
norm_cfg = dict(type='BN', requires_grad=True)
detector = dict(
    type='mmdet.FasterRCNN',
    data_preprocessor=dict(type='mmdet.DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32),
    backbone=dict(type='mmdet.ResNet', depth=18, base_channels=32, num_stages=3,
                  strides=(1, 2, 2),
                  dilations=(1, 1, 1), out_indices=(2, ), frozen_stages=-1,
                  norm_cfg=norm_cfg, norm_eval=False, style='pytorch'),
    rpn_head=dict(
        type='mmdet.RPNHead', in_channels=128, feat_channels=128,
        anchor_generator=dict(type='mmdet.AnchorGenerator', scales=[1, 2, 4, 8],
                              ratios=[0.5, 1.0, 2.0], strides=[16]),
        bbox_coder=dict(type='mmdet.DeltaXYWHBBoxCoder', target_means=[.0] * 4,
                        target_stds=[1.0] * 4),
        loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='mmdet.StandardRoIHead',
        bbox_roi_extractor=dict(type='mmdet.SingleRoIExtractor',
                                roi_layer=dict(type='RoIAlign', output_size=7,
                                               sampling_ratio=2),
                                out_channels=128, featmap_strides=[16]),
        bbox_head=dict(
            type='mmdet.Shared2FCBBoxHead', in_channels=128, fc_out_channels=256,
            roi_feat_size=7, num_classes=2,
            bbox_coder=dict(type='mmdet.DeltaXYWHBBoxCoder', target_means=[0.] * 4,
                            target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(assigner=dict(type='mmdet.MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3,
                               min_pos_iou=0.3, match_low_quality=True, ignore_iof_thr=-1),
                 sampler=dict(type='mmdet.RandomSampler', num=128, pos_fraction=0.5,
                              neg_pos_ub=-1, add_gt_as_proposals=False),
                 allowed_border=-1, pos_weight=-1, debug=False),
        rpn_proposal=dict(nms_pre=300, max_per_img=100, nms=dict(type='nms',
                                                                  iou_threshold=0.7),
                          min_bbox_size=0),
        rcnn=dict(assigner=dict(type='mmdet.MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                                min_pos_iou=0.5, match_low_quality=False, ignore_iof_thr=-1),
                  sampler=dict(type='mmdet.RandomSampler', num=32, pos_fraction=0.25,
                               neg_pos_ub=-1, add_gt_as_proposals=True),
                  pos_weight=-1, debug=False)),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=100,
                           nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
                  rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5),
                            max_per_img=50)))
# the source-only baseline inside the UDA framework (DAFasterRCNN without domain heads)
model = dict(type='DAFasterRCNN', model=detector, train_cfg=dict(cst_weight=0.0))
