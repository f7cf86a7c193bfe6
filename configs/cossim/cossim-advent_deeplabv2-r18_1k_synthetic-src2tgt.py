# The cosine-similarity loss on the AdvEnt base, embedded synthetic domains: the AdvEnt
# synthetic config plus the cosine settings of cossim_deeplabv2-r18_1k_synthetic-src2tgt.py.
_base_ = ['../advent/advent_deeplabv2-r18_1k_synthetic-src2tgt.py']
model = dict(cossim=_base_.cossim_r18_synthetic)
