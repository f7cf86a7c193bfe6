# Source only on Office-Home Art -> Clipart: ViT-B/16 (ImageNet) with the reference's
# bottleneck and head, trained on the labelled Art images only; 30 "epochs" of 1000
# iterations, batch 24. The other tasks: configs/source_only/office-home/.
_base_ = [
    '../_base_/models/uda-classifier_vit-b16.py',
    '../_base_/datasets/cls_office_home_ar2cl.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/sgd_inv_cls.py',
]
num_classes = 65
model = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(_delete_=True, **_base_.source_train))
train_cfg = dict(max_iters=30 * _base_.iters_per_epoch)
randomness = dict(seed=0)
