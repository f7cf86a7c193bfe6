# Source only on VisDA-2017 (Synthetic -> Real): ViT-B/16 (ImageNet) with the reference's
# bottleneck and head, trained on the labelled synthetic images only; SGD with the reference's
# schedule (sgd_inv_cls.py), 15 "epochs" of 1000 iterations, batch 32.
_base_ = [
    '../_base_/models/uda-classifier_vit-b16.py',
    '../_base_/datasets/cls_visda2017.py',
    '../_base_/default_runtime_cls.py',
    '../_base_/schedules/sgd_inv_cls.py',
]
train_dataloader = dict(dataset=dict(_delete_=True, **_base_.source_train))
randomness = dict(seed=0)
