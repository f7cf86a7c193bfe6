# Office-Home Clipart -> Real_World: source-only_vit-b16_30k_office-home-ar2cl.py on these domains.
_base_ = ['../source-only_vit-b16_30k_office-home-ar2cl.py']
train_dataloader = dict(dataset=dict(ann_file='image_list/Clipart.txt'))
val_dataloader = dict(dataset=dict(ann_file='image_list/Real_World.txt'))
test_dataloader = val_dataloader
