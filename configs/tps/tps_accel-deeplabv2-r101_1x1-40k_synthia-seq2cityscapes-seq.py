# TPS on SYNTHIA-Seq -> Cityscapes-Seq: the settings of the VIPER config with the 12 classes
# (reported on 11, mIoU11), lr 2.5e-4 and lambda_T 1.0 (the reference's tps_syn2city.yml).
# Paper: 53.8 mIoU.
_base_ = [
    '../_base_/models/accel_deeplabv2_r101.py',
    '../_base_/datasets/uda_synthia_seq_to_cityscapes_seq.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_adam_poly_120k_adversarial.py',
]
num_classes = 12
student = dict(_base_.model,
               decode_head=dict(_base_.model.decode_head, num_classes=num_classes),
               auxiliary_head=dict(_base_.model.auxiliary_head, num_classes=num_classes))
model = dict(_delete_=True, type='TPS', model=student,
             train_cfg=dict(lambda_t=1.0, scale_range=(0.8, 1.2), flip_prob=0.5,
                            hist_match=True))
train_dataloader = dict(dataset=dict(target=_base_.target_train_tps))
optim_wrapper = dict(_delete_=True, constructor='UDAOptimWrapperConstructor',
                     **dict(_base_.segmentor_optim_wrapper,
                            optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9,
                                           weight_decay=5e-4)))
max_iters = 40000
train_cfg = dict(max_iters=max_iters, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))
randomness = dict(seed=0)
