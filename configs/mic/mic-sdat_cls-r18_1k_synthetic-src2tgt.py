# MIC on SDAT on the embedded classification domains: EMA teacher (alpha 0.9), masked target
# crops (ratio 0.7; block 16 on the 64 x 64 crops: the reference's 4 x 4 blocks of a 224 x 224
# image at block 64).
_base_ = ['../sdat/sdat_cls-r18_1k_synthetic-src2tgt.py']
model = dict(_delete_=True, **_base_.mic_sdat_model, model=_base_.classifier)
model['discriminator'] = dict(_base_.discriminator, hidden_dim=256)
custom_hooks = [_base_.mic_hooks[0], dict(_base_.mic_hooks[1], block_size=16)]
