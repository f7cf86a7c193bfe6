# Office-Home Product -> Clipart: cdan_vit-b16_30k_office-home-ar2cl.py on these domains.
_base_ = ['../cdan_vit-b16_30k_office-home-ar2cl.py']
train_dataloader = dict(dataset=dict(source=dict(ann_file='image_list/Product.txt'),
                                     target=dict(ann_file='image_list/Clipart.txt')))
val_dataloader = dict(dataset=dict(ann_file='image_list/Clipart.txt'))
test_dataloader = val_dataloader
