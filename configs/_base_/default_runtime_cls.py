# The runtime of the classification configs: default_runtime.py with mmengine's visualiser and
# the classification test-time augmentation (`tools/test.py --tta`: the views' soft-max
# averaged; the views are the dataset base's tta_pipeline).
_base_ = ['./default_runtime.py']
visualizer = dict(_delete_=True, type='Visualizer', vis_backends=_base_.vis_backends,
                  name='visualizer')
tta_model = dict(_delete_=True, type='ClsTTAModel')
