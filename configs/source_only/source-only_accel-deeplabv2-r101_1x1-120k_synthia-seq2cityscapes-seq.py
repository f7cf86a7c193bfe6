# Source-only baseline on SYNTHIA-Seq -> Cityscapes-Seq (12 classes, reported on 11): the
# settings of the VIPER config. Paper (DA-VSN's table): 38.3 mIoU.
_base_ = [
    '../_base_/models/accel_deeplabv2_r101.py',
    '../_base_/datasets/uda_synthia_seq_to_cityscapes_seq.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_adam_poly_120k_adversarial.py',
]
num_classes = 12
model = dict(decode_head=dict(num_classes=num_classes),
             auxiliary_head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(_delete_=True, **_base_.source_train))
optim_wrapper = dict(_delete_=True, **_base_.segmentor_optim_wrapper)
randomness = dict(seed=0)
