# Office-Home Product -> Real_World: sdat_vit-b16_30k_office-home-ar2cl.py on these domains.
_base_ = ['../sdat_vit-b16_30k_office-home-ar2cl.py']
train_dataloader = dict(dataset=dict(source=dict(ann_file='image_list/Product.txt'),
                                     target=dict(ann_file='image_list/Real_World.txt')))
val_dataloader = dict(dataset=dict(ann_file='image_list/Real_World.txt'))
test_dataloader = val_dataloader
