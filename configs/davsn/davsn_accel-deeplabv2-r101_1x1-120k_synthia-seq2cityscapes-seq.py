# DA-VSN on SYNTHIA-Seq -> Cityscapes-Seq: the settings of the VIPER config with the 12 classes
# of the SYNTHIA-Seq benchmark, reported on 11 (mIoU11). Paper: 49.5 mIoU (11 classes, best of
# 120 snapshots on val).
_base_ = [
    '../_base_/models/accel_deeplabv2_r101.py',
    '../_base_/datasets/uda_synthia_seq_to_cityscapes_seq.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_adam_poly_120k_adversarial.py',
    '../_base_/uda/adversarial.py',
]
num_classes = 12
student = dict(_base_.model,
               decode_head=dict(_base_.model.decode_head, num_classes=num_classes),
               auxiliary_head=dict(_base_.model.auxiliary_head, num_classes=num_classes))
model = dict(_delete_=True, model=student, **_base_.davsn)
optim_wrapper = dict(segmentor=dict(clip_grad=dict(max_norm=1.0)))
randomness = dict(seed=0)
