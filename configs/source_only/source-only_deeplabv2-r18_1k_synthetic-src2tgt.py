# Source-only baseline of the DeepLab-v2 family (AdaptSegNet, ADVENT, MinEnt, cosine
# similarity) on the embedded synthetic domains: the CPU-sized DeepLab-v2 (ResNet-18, output
# stride 8, main + auxiliary DeepLabV2Head) trained on the labelled source, 2 images per
# iteration (the source images the adaptation methods see), AdamW synthetic schedule.
_base_ = [
    '../_base_/models/deeplabv2_r18_synthetic.py',
    '../_base_/datasets/synthetic_domains.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_synthetic.py',
]
train_dataloader = dict(batch_size=2)
optim_wrapper = dict(paramwise_cfg=dict(_delete_=True,
                                        custom_keys=dict(norm=dict(decay_mult=0.0))))
randomness = dict(seed=0)
