# Source-only baseline of the video benchmarks: the ACCEL segmentor (DeepLab-v2 ResNet-101,
# ImageNet) trained on VIPER frame pairs alone (the source pass of DA-VSN: fused logits, main
# + 0.1 aux), SGD 2.5e-4 poly, 120k iterations; evaluated on Cityscapes-Seq val.
# Paper (DA-VSN's table): 37.1 mIoU.
_base_ = [
    '../_base_/models/accel_deeplabv2_r101.py',
    '../_base_/datasets/uda_viper_to_cityscapes_seq.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_adam_poly_120k_adversarial.py',
]
num_classes = 15
model = dict(decode_head=dict(num_classes=num_classes),
             auxiliary_head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(_delete_=True, **_base_.source_train))
optim_wrapper = dict(_delete_=True, **_base_.segmentor_optim_wrapper)
randomness = dict(seed=0)
