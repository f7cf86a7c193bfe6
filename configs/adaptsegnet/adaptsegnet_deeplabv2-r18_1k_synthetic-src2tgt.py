# AdaptSegNet (multi-level) on the embedded synthetic domains: the AdvEnt synthetic config
# with the discriminators on the soft-max maps.
_base_ = ['../advent/advent_deeplabv2-r18_1k_synthetic-src2tgt.py']
model = dict(type='AdaptSegNet')  # soft-max maps instead of self-information
