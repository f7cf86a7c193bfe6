# DA-VSN (Guan et al., ICCV 2021) on VIPER -> Cityscapes-Seq: the ACCEL segmentor on DeepLab-v2
# ResNet-101 (ImageNet), intra-domain TCR, spatio-temporal and spatial discriminators on both
# heads with the weight discrepancy between them; SGD 2.5e-4 (classifiers x10) and Adam 1e-4,
# poly 0.9 over 250k, stopped at 120k; gradient norms clipped to 1 (segmentor here, each
# discriminator in the model); batch 1 + 1. Paper: 47.8 mIoU (15 classes), the best of 120
# snapshots on val; mmuda reports the last checkpoint (configs/davsn/README.md).
_base_ = [
    '../_base_/models/accel_deeplabv2_r101.py',
    '../_base_/datasets/uda_viper_to_cityscapes_seq.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_adam_poly_120k_adversarial.py',
    '../_base_/uda/adversarial.py',
]
num_classes = 15
student = dict(_base_.model,
               decode_head=dict(_base_.model.decode_head, num_classes=num_classes),
               auxiliary_head=dict(_base_.model.auxiliary_head, num_classes=num_classes))
model = dict(_delete_=True, model=student, **_base_.davsn)
optim_wrapper = dict(segmentor=dict(clip_grad=dict(max_norm=1.0)))
randomness = dict(seed=0)
