# TPS (Xing et al., ECCV 2022) on VIPER -> Cityscapes-Seq: the ACCEL segmentor on DeepLab-v2
# ResNet-101 (ImageNet); cross-frame pseudo-labels from frames (t-1, t-2) warped to t supervise
# the strongly augmented, rescaled pair (t, t-1), lambda_T 0.1; source frames histogram-matched
# to the target frame; SGD lr 1e-4 (classifiers x10), poly 0.9 over 250k, stopped at 40k;
# batch 1 + 1. Paper: 48.9 mIoU (15 classes), the best of the snapshots taken every 100
# iterations on val; mmuda reports the last checkpoint (configs/tps/README.md).
_base_ = [
    '../_base_/models/accel_deeplabv2_r101.py',
    '../_base_/datasets/uda_viper_to_cityscapes_seq.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_adam_poly_120k_adversarial.py',
]
num_classes = 15
student = dict(_base_.model,
               decode_head=dict(_base_.model.decode_head, num_classes=num_classes),
               auxiliary_head=dict(_base_.model.auxiliary_head, num_classes=num_classes))
model = dict(_delete_=True, type='TPS', model=student,
             train_cfg=dict(lambda_t=0.1, scale_range=(0.8, 1.2), flip_prob=0.5,
                            hist_match=True))
train_dataloader = dict(dataset=dict(target=_base_.target_train_tps))
# one optimizer (no discriminator)
optim_wrapper = dict(_delete_=True, constructor='UDAOptimWrapperConstructor',
                     **dict(_base_.segmentor_optim_wrapper,
                            optimizer=dict(type='SGD', lr=1e-4, momentum=0.9,
                                           weight_decay=5e-4)))
max_iters = 40000
train_cfg = dict(max_iters=max_iters, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))
randomness = dict(seed=0)
