# The runtime of detection configs: default_runtime.py with mmdet's visualiser.
_base_ = ['./default_runtime.py']
visualizer = dict(_delete_=True, type='mmdet.DetLocalVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
