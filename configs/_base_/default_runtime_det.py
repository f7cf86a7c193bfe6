# The runtime of detection configs: default_runtime.py with mmdet's visualiser.
_base_ = ['./default_runtime.py']
visualizer = dict(_delete_=True, type='mmdet.DetLocalVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
# `tools/test.py --tta`: the views' boxes merged by class-wise NMS
tta_model = dict(_delete_=True, type='mmdet.DetTTAModel',
                 tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))
