# The embedded synthetic domains at twice the resolution (256 x 512), where small objects
# (signs, distant persons) and thin structures get the pixels that HRDA's detail crops are
# for. The styles are those of synthetic_domains.py; the domains are generated on first use
# under data/synthetic, in folders of their own (the size is part of the folder hash).
# A config of a method on these domains inherits the method's 128 x 256 config and merges:
#   train_dataloader = dict(dataset=dict(source=dict(_base_.hr_domain, pipeline=...),
#                                        target=dict(_base_.hr_domain, pipeline=...)))
#   source_val = target_val = _base_.hr_domain (evaluation at 256 x 512), etc.
hr_img_size = (256, 512)
hr_domain = dict(img_size=hr_img_size)
# the unit of Rare Class Sampling: class_stats are counted on the 256 x 512 labels, 4x the
# pixels of the 128 x 256 ones (min_pixels 375 there)
hr_rcs_min_pixels = 1500
