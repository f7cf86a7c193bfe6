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
# DA-VSN (video): a spatio-temporal and a spatial discriminator per level on 2C channels;
# the reference's weights (lamda_u 1e-3 x lamda_sa 1 / lamda_wd 1, x 0.2 for aux adversarial
# losses), each discriminator's gradient clipped to norm 1 (the segmentor's clip is its
# optimizer wrapper's clip_grad)
davsn = dict(type='DAVSN', discriminator=discriminator,
             train_cfg=dict(lambda_itcr=dict(decode=1e-3, aux=1e-3),
                            lambda_sta=dict(decode=1e-3, aux=2e-4),
                            lambda_sa=dict(decode=1e-3, aux=2e-4),
                            lambda_wd=dict(decode=1e-3, aux=1e-3),
                            disc_max_grad_norm=1.0))
# MIC on a host without its own teacher (AdaptSegNet, AdvEnt, MinEnt): the reference's
# configs/_base_/uda/{advseg,minent}.py with mask_mode 'separatetrgaug' as its Table 1 runs
# (lhoyer/MIC seg/experiments.py, id 81): masked target images with colour jitter (p 0.2 on
# these hosts) and blur, MIC's own EMA teacher (custom_hooks: EMATeacherHook alpha 0.999,
# MaskingHook ratio 0.7); add to a host with `model = dict(mic=_base_.mic_on_host)`
mic_on_host = dict(mask_mode='separatetrgaug', mask_lambda=1.0, color_jitter_strength=0.2,
                   color_jitter_prob=0.2, blur=True)
