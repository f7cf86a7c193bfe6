# Maximising cosine similarity between spatial features (Chung et al., WACV 2022) on the
# source-only base, embedded synthetic domains: layer4 features of the DeepLab-v2 (ResNet-18)
# pulled towards their most similar entry of a class-wise source dictionary. The paper's
# settings could not be read: every value is mmuda's choice (configs/cossim/README.md).
_base_ = ['../advent/minent_deeplabv2-r18_1k_synthetic-src2tgt.py']
model = dict(_delete_=True, type='CosSim', model=_base_.model.model,
             cossim=_base_.cossim_r18_synthetic)
