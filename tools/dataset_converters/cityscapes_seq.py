# Copyright (c) mmuda contributors. All rights reserved.
"""Prepare Cityscapes-Seq for video UDA: the labels of the annotated frames in the classes of
VIPER -> Cityscapes-Seq (15) and SYNTHIA-Seq -> Cityscapes-Seq (12).

    python tools/dataset_converters/cityscapes_seq.py data/cityscapes [--class-set viper]

Expects ``gtFine/{train,val}/<city>/*_gtFine_labelIds.png`` (``gtFine_trainvaltest.zip``;
the frames are read by the dataset from ``leftImg8bit_sequence/``) and writes beside them
``*_gtFine_labelTrainIds15.png`` (``--class-set viper``) and/or
``*_gtFine_labelTrainIds12.png`` (``--class-set synthia_seq``; both by default): train ids of
the subset, 255 = ignore, mapped from the label ids with the reference's tables
(``CITYSCAPES_TO_VIPER15`` / ``CITYSCAPES_TO_SYNTHIA_SEQ12`` in mmuda/datasets/video.py, from
DA-VSN's info_Viper.json / info_SynthiaSeq.json; rider is person in the 15-class set). All or
nothing: a label holding an id above 33 stops the conversion before any file is written.
Safe to re-run.
"""
import argparse
import glob
import os.path as osp
import sys

from mmuda.datasets.video import CITYSCAPES_SEQ_CLASS_SETS, convert_video_labels

SOURCE_SUFFIX = '_gtFine_labelIds.png'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_root')
    parser.add_argument('--class-set', choices=sorted(CITYSCAPES_SEQ_CLASS_SETS),
                        action='append', help='repeatable; default: all')
    parser.add_argument('--nproc', type=int, default=4)
    args = parser.parse_args(argv)
    class_sets = args.class_set or sorted(CITYSCAPES_SEQ_CLASS_SETS)
    gt_dir = osp.join(args.data_root, 'gtFine')
    if not osp.isdir(gt_dir):
        raise SystemExit(f'no folder {gt_dir!r}: expected Cityscapes extracted as '
                         f'<data_root>/gtFine/<split>/<city>/*{SOURCE_SUFFIX} (and the frames '
                         f'as <data_root>/leftImg8bit_sequence/<split>/<city>/)')
    sources = sorted(glob.glob(osp.join(gt_dir, '*', '*', '*' + SOURCE_SUFFIX)))
    if not sources:
        raise SystemExit(f'found no *{SOURCE_SUFFIX} under {gt_dir!r}/<split>/<city>/')
    outputs = [[(p[:-len(SOURCE_SUFFIX)] + CITYSCAPES_SEQ_CLASS_SETS[s][2], f'cityscapes_{s}')
                for s in class_sets] for p in sources]
    try:
        n = convert_video_labels('cityscapes', sources, outputs, args.nproc)
    except ValueError as e:
        raise SystemExit(str(e))
    print(f'converted {len(sources)} labels ({n} files, class sets: {", ".join(class_sets)}) '
          f'under {gt_dir}')


if __name__ == '__main__':
    sys.exit(main())
