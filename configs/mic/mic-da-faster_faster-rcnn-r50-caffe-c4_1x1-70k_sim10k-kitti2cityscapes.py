# MIC (Hoyer et al., CVPR 2023; lhoyer/MIC det/) on top of DA-Faster R-CNN R-50-C4:
# Sim10k + KITTI -> Cityscapes (car, multi-source).
# An EMA teacher (constant alpha 0.9, no ramp; full state dict: parameters and BN buffers)
# pseudo-labels the unmasked target (boxes scoring >= 0.8); the student learns them on a
# colour-jittered, blurred and block-masked copy (32 px blocks, ratio 0.5): classification
# weighted by its detached max softmax, objectness by sigmoid(objectness), no box regression.
# The reference composes MIC with SADA on R-50-FPN (GRL image 0.025 / instance 0.1, SGD
# 0.0025, 60k iterations); here it sits on DA-Faster's detector and keeps DA-Faster's
# schedule (SGD 0.001, 70k iterations, x0.1 at 50k) and heads (GRL 0.1).
_base_ = ['../da_faster/da-faster_faster-rcnn-r50-caffe-c4_1x1-70k_sim10k-kitti2cityscapes.py']
model = dict(mic=dict(pseudo_threshold=0.8, mask_lambda=1.0, color_jitter_strength=0.2,
                      color_jitter_prob=0.8, blur=True))
custom_hooks = [
    dict(type='EMATeacherHook', alpha=0.9, update_buffers=True, ramp=False),
    dict(type='MaskingHook', mask_ratio=0.5, block_size=32),
]
