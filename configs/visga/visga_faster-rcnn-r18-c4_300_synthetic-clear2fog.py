# ViSGA on the embedded synthetic domains, clear -> fog: DA-Faster's image level + groups of
# similar proposals (cosine complete linkage, radius tau) aligned by a group discriminator.
_base_ = ['../da_faster/da-faster_faster-rcnn-r18-c4_300_synthetic-clear2fog.py']
model = dict(
    type='ViSGA',
    train_cfg=dict(cst_weight=0.0, tau=0.5, num_groups=None, cluster_per='domain'))
