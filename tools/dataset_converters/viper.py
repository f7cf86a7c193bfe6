# Copyright (c) mmuda contributors. All rights reserved.
"""Prepare VIPER for video UDA (VIPER -> Cityscapes-Seq): train-id labels of the 15 classes.

    python tools/dataset_converters/viper.py data/viper [--split train] [--nproc 8]

Expects the released layout ``<data_root>/train/img/<seq>/<seq>_<frame>.jpg`` (every frame;
the PNG release works too) and ``<data_root>/train/cls/<seq>/<seq>_<frame>.png`` (every 10th
frame; single-channel 8-bit PNGs of VIPER class ids 0..31, classes.csv of the VIPER toolkit)
and writes ``train/cls/<seq>/<seq>_<frame>_labelTrainIds.png`` beside them: the 15 train ids
of DA-VSN / TPS (``VIPER_TO_TRAIN_ID`` in mmuda/datasets/video.py), 255 = ignore, the ego
vehicle (the car component at the middle of the bottom row) ignored as in the reference.
Labels are written at their full size (1920 x 1080); the reference trains at 1280 x 720, a
resize of the pipeline. All or nothing: a label holding an id above 31, or that is not a
single-channel PNG, stops the conversion before any file is written. Safe to re-run.
"""
import argparse
import glob
import os.path as osp
import sys

from mmuda.datasets.video import LABEL_SUFFIX, convert_video_labels

LAYOUT = ('expected VIPER extracted as <data_root>/<split>/img/<seq>/<seq>_<frame>.jpg and '
          '<data_root>/<split>/cls/<seq>/<seq>_<frame>.png')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_root')
    parser.add_argument('--split', default='train', help='the split folder (default: train)')
    parser.add_argument('--nproc', type=int, default=4)
    args = parser.parse_args(argv)
    img_dir = osp.join(args.data_root, args.split, 'img')
    cls_dir = osp.join(args.data_root, args.split, 'cls')
    missing = [d for d in (img_dir, cls_dir) if not osp.isdir(d)]
    if missing:
        raise SystemExit(f'no folder {" or ".join(repr(d) for d in missing)}: {LAYOUT}')
    sources = sorted(p for p in glob.glob(osp.join(cls_dir, '*', '*.png'))
                     if not p.endswith(LABEL_SUFFIX) and '.tmp-' not in p)
    if not sources:
        raise SystemExit(f'found no label PNGs in {cls_dir!r}/<seq>/: {LAYOUT}')
    no_frame = [p for p in sources if not any(
        osp.isfile(osp.join(img_dir, osp.relpath(p, cls_dir))[:-4] + ext)
        for ext in ('.jpg', '.png'))]
    if no_frame:
        raise SystemExit(f'{len(no_frame)} label(s) have no frame (.jpg or .png) in '
                         f'{img_dir!r}, e.g. {no_frame[0]!r}: {LAYOUT}')
    outputs = [[(p[:-4] + LABEL_SUFFIX, 'viper')] for p in sources]
    try:
        n = convert_video_labels('viper', sources, outputs, args.nproc)
    except ValueError as e:
        raise SystemExit(str(e))
    print(f'converted {n} labels to the 15 VIPER train ids (*{LABEL_SUFFIX}) in {cls_dir}')


if __name__ == '__main__':
    sys.exit(main())
