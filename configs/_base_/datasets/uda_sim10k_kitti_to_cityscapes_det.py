# Multi-source: Sim10k + KITTI (both labelled, car) -> Cityscapes (unlabelled target), as in
# ViSGA. The source stream runs over the concatenation of the two sources (one image per
# iteration, drawn uniformly from the 10k + 7.5k images) and each source image carries its
# source's index (`source_domain`, 0 = Sim10k, 1 = KITTI) for the domain classifiers, which
# then have num_domains=3 (set in the method configs). Evaluation: Cityscapes val car AP50.
_base_ = ['./uda_kitti_to_cityscapes_det.py']
train_dataloader = dict(dataset=dict(source=[{{_base_.sim10k_train}}, {{_base_.kitti_train}}]))
