# AdvEnt on the embedded synthetic domains: the source-only DeepLab-v2 (ResNet-18) with
# ADVENT's discriminators on the self-information maps of both heads (weights 1e-3 / 2e-4 as
# the reference), batch 2 source + 2 target, 1000 iterations.
_base_ = [
    '../_base_/models/deeplabv2_r18_synthetic.py',
    '../_base_/datasets/synthetic_domains.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_synthetic_adversarial.py',
    '../_base_/uda/adversarial.py',
]
model = dict(_delete_=True, model=_base_.model, **_base_.advent)
train_dataloader = dict(
    batch_size=2,
    dataset=dict(_delete_=True, type='UDADataset', source=_base_.source_train,
                 target=_base_.target_train_unlabelled))
randomness = dict(seed=0)
