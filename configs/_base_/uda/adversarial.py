# The method settings of the AdaptSegNet / ADVENT family, as the references give them; a config
# wraps its segmentor with one of them:
#   model = dict(_delete_=True, model=_base_.model, **_base_.advent)
# One discriminator per output level (main `decode`, auxiliary `aux`), weights 1e-3 / 2e-4
# (ADVENT's LAMBDA_ADV_MAIN / _AUX, AdaptSegNet's lambda_adv_target2 / 1).
discriminator = dict(type='FCDiscriminator', ndf=64)
advent = dict(type='AdvEnt', discriminator=discriminator,
              train_cfg=dict(lambda_adv=dict(decode=1e-3, aux=2e-4)))
# ADVENT's LAMBDA_ENT_MAIN / _AUX; no discriminator, one optimizer
minent = dict(type='MinEnt', train_cfg=dict(lambda_ent=dict(decode=1e-3, aux=2e-4)))
# the cosine-similarity alignment (Chung et al.) as mmuda sets it for the synthetic domains'
# half-width ResNet-18 (layer4: 256 channels); every value is mmuda's choice, the paper's
# could not be read (configs/cossim/README.md)
cossim_r18_synthetic = dict(in_index=-1, feat_channels=256, loss_weight=0.01, threshold=0.5,
                            selection='max', dict_size=256, samples_per_class=32,
                            use_dictionary=True)
