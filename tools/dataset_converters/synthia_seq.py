# Copyright (c) mmuda contributors. All rights reserved.
"""Prepare SYNTHIA-Seq (SYNTHIA-SEQS-04-DAWN) for video UDA (SYNTHIA-Seq -> Cityscapes-Seq):
train-id labels of the 12 classes.

    python tools/dataset_converters/synthia_seq.py data/SYNTHIA-SEQS-04-DAWN [--nproc 8]

Expects the extracted ``SYNTHIA-SEQS-04-DAWN.rar``: ``RGB/Stereo_Left/Omni_F/000000.png ...``
and ``GT/LABELS/Stereo_Left/Omni_F/000000.png ...`` (16-bit, 3-channel PNGs, the class id
0..15 in the first channel; the left front camera, as DA-VSN and TPS) and writes
``GT/LABELS/Stereo_Left/Omni_F/*_labelTrainIds.png`` beside them: the 12 train ids of the
reference (``SYNTHIA_SEQ_TO_TRAIN_ID`` in mmuda/datasets/video.py), 255 = ignore.

The labels keep their full 1280 x 760 size: the reference cuts the bottom 120 rows of frames
and labels when it loads them (davsn/dataset/SynthiaSeq.py), and so does mmuda, in the
pipeline (``CutBottomRows``, required by ``SynthiaSeqDataset``); the frames are not
rewritten and the flows are computed on the full frames. All or nothing: a label holding an
id above 15, or that is not a 16-bit 3-channel PNG, stops the conversion before any file is
written. Safe to re-run.
"""
import argparse
import glob
import os.path as osp
import sys

from mmuda.datasets.video import LABEL_SUFFIX, convert_video_labels

LAYOUT = ('expected SYNTHIA-SEQS-04-DAWN extracted as <data_root>/RGB/<camera>/*.png and '
          '<data_root>/GT/LABELS/<camera>/*.png')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_root')
    parser.add_argument('--camera', default='Stereo_Left/Omni_F',
                        help='the camera folder (default: Stereo_Left/Omni_F, as the reference)')
    parser.add_argument('--nproc', type=int, default=4)
    args = parser.parse_args(argv)
    img_dir = osp.join(args.data_root, 'RGB', args.camera)
    label_dir = osp.join(args.data_root, 'GT', 'LABELS', args.camera)
    missing = [d for d in (img_dir, label_dir) if not osp.isdir(d)]
    if missing:
        raise SystemExit(f'no folder {" or ".join(repr(d) for d in missing)}: {LAYOUT}')
    sources = sorted(p for p in glob.glob(osp.join(label_dir, '*.png'))
                     if not p.endswith(LABEL_SUFFIX) and '.tmp-' not in p)
    if not sources:
        raise SystemExit(f'found no label PNGs in {label_dir!r}: {LAYOUT}')
    no_frame = [p for p in sources if not osp.isfile(osp.join(img_dir, osp.basename(p)))]
    if no_frame:
        raise SystemExit(f'{len(no_frame)} label(s) have no frame in {img_dir!r}, e.g. '
                         f'{no_frame[0]!r}')
    outputs = [[(p[:-4] + LABEL_SUFFIX, 'synthia_seq')] for p in sources]
    try:
        n = convert_video_labels('synthia_seq', sources, outputs, args.nproc)
    except ValueError as e:
        raise SystemExit(str(e))
    print(f'converted {n} labels to the 12 SYNTHIA-Seq train ids (*{LABEL_SUFFIX}) in '
          f'{label_dir}')


if __name__ == '__main__':
    sys.exit(main())
