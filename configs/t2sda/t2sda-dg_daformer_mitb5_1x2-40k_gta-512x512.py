# T2S-DA for domain generalisation from GTA5 (no target images in training) on DAFormer
# (MiT-B5): pseudo-target images from a random style (RandomStyle: no target needed; the
# authors' style-transfer network plugs in as a ScriptedTranslator), keys and negatives from
# the source. Validation on Cityscapes val; BDD100K and Mapillary with tools/test.py, e.g.
#   python tools/test.py CONFIG CKPT --cfg-options test_dataloader.dataset.type=BDD100KDataset \
#       test_dataloader.dataset.data_root=data/bdd100k \
#       test_dataloader.dataset.data_prefix.img_path=images/10k/val \
#       test_dataloader.dataset.data_prefix.seg_map_path=labels/sem_seg/masks/val
# (configs/_base_/datasets/dg_gta_to_cityscapes_bdd_mapillary.py defines bdd_val and
# mapillary_val and shows both ways). DAFormer's DG numbers for comparison (HRDA paper):
# 52.7 / 47.9 / 54.7 mIoU on Cityscapes / BDD100K / Mapillary.
_base_ = ['./t2sda_daformer_mitb5_1x2-40k_gta2cityscapes-512x512.py',
          '../_base_/datasets/dg_gta_to_cityscapes_bdd_mapillary.py']
model = dict(translator=dict(type='RandomStyle'), train_cfg=dict(domain_generalization=True))
train_dataloader = dict(dataset=dict(target=None))
