# T2S-DA for domain generalisation on the embedded synthetic domains: no target images in
# training (the source stream only), pseudo-target images from a random style (RandomStyle,
# no target needed), keys and negatives from the source. Evaluated on the target style and
# its fog and night versions (configs/t2sda/README.md, "Domain generalisation").
_base_ = ['./t2sda_segformer-mitb0_1k_synthetic-src2tgt.py']

model = dict(
    translator=dict(type='RandomStyle'),
    # the pull loss weight its table was measured with (the UDA default became 1.0 after
    # the 3-seed comparison of configs/t2sda/README.md; 1.0 is not measured here)
    train_cfg=dict(domain_generalization=True, loss_weight=0.1))
train_dataloader = dict(dataset=dict(target=None))
