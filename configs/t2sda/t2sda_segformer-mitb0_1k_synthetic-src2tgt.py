# T2S-DA on DACS on the embedded synthetic domains: the source batch is translated into a
# pseudo-target batch (Fourier amplitude swap with a random target image), whose student
# projections are pulled to the teacher's source prototype of their class. Same model, data
# and schedule as DACS (configs/daformer/dacs_segformer-mitb0_1k_synthetic-src2tgt.py) and
# T2S-DA's settings of configs/_base_/uda/t2sda.py (every one a choice the paper leaves open:
# configs/t2sda/README.md), with a narrower projection head to keep the CPU step cheap.
# Ablations switch e.g. the translator:
#   --cfg-options model.translator.type=HistogramTranslator | RandomStyle | IdentityTranslator
_base_ = ['../daformer/dacs_segformer-mitb0_1k_synthetic-src2tgt.py', '../_base_/uda/t2sda.py']

model = dict(_base_.t2sda_model)
# on the decode head's fused features (SegformerHead channels=128)
model['model']['projection_head'] = dict(in_channels=128, channels=64, out_channels=64,
                                         feature='head')
