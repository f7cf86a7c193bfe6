# Copyright (c) mmuda contributors. All rights reserved.
"""Convert the authors' DAFormer / HRDA / MIC segmentation checkpoints to mmuda.

    python tools/model_converters/reference2mmuda.py SRC DST [--keep ema,imnet] [--plain]
        [--config CONFIG [--cfg-options KEY=VALUE ...]]

SRC is a checkpoint of github.com/lhoyer/DAFormer, lhoyer/HRDA or lhoyer/MIC (seg/): an mmcv
runner checkpoint ``{'meta', 'state_dict', 'optimizer'}`` of the reference UDA model
(``model.*``, ``ema_model.*``, ``imnet_model.*``) or of one segmentor (``backbone.*``,
``decode_head.*``). DST is an mmengine checkpoint ``{'meta', 'state_dict'}`` with mmuda's keys
(``student.*``, ``teacher.*``, ``imnet.*``, ``local_iter``) that ``tools/test.py CONFIG DST``
evaluates. The key mapping is in :mod:`mmuda.utils.reference_checkpoint`.

--keep     the copies besides the student to write: ``ema`` (the EMA teacher, from
           ``ema_model``) and/or ``imnet`` (the ImageNet model), comma separated; ``none``
           for the student alone. Default: every copy the checkpoint has.
--plain    write the student alone as a plain segmentor (``backbone.*``, ``decode_head.*``):
           for an mmseg EncoderDecoder config, or to start an mmuda UDA model's teacher and
           ImageNet model from the student.
--config   build that config's model and load the converted weights strictly; any missing,
           unexpected or mis-shaped key stops the conversion (one error listing them all)
           and nothing is written.

Any key the mapping does not know stops the conversion with an error naming it. DST is written
to a temporary file beside it and renamed, so a failure never leaves a partial DST.
"""
import argparse
import os
import os.path as osp
import sys
import tempfile
from collections import OrderedDict

import torch
from mmengine.config import Config, DictAction

from mmuda.utils.errors import RunError
from mmuda.utils.reference_checkpoint import (ReferenceCheckpointError, check_against_model,
                                              convert_reference_state_dict, parse_keep)

#: reference meta entries copied into DST's meta under ``reference_meta`` (plain values only:
#: DST must load under torch's weights_only loader)
META_KEYS = ('iter', 'epoch', 'mmcv_version', 'time', 'exp_name', 'seed', 'CLASSES')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='the reference checkpoint (e.g. latest.pth)')
    parser.add_argument('dst', help='the mmuda checkpoint to write')
    parser.add_argument('--keep', default=None,
                        help="copies to keep besides the student: 'ema', 'imnet', "
                        "'ema,imnet' or 'none' (default: every copy present)")
    parser.add_argument('--plain', action='store_true',
                        help='write the student alone as a plain segmentor (backbone.*, '
                        'decode_head.*)')
    parser.add_argument('--config', help='check the result against this config\'s model '
                        '(strict load) before writing it')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides of --config, key=value')
    return parser.parse_args(argv)


def load_reference(path: str):
    """The reference checkpoint's state dict and meta, loaded with mmuda's safe loader."""
    from mmuda.utils.checkpoint import allowlist_checkpoint_classes, load_from_local
    allowlist_checkpoint_classes()
    checkpoint = load_from_local(path, map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise ReferenceCheckpointError(
            f'{path} holds a {type(checkpoint).__name__}, not a checkpoint dict')
    meta = checkpoint.get('meta') if isinstance(checkpoint.get('meta'), dict) else {}
    for field in ('state_dict', 'model'):
        if isinstance(checkpoint.get(field), dict):
            return checkpoint[field], meta
    if checkpoint and all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
        return checkpoint, meta  # a bare state dict
    raise ReferenceCheckpointError(
        f'{path} has no state_dict (its top-level keys: {sorted(checkpoint)[:10]})')


def plain_meta(meta: dict) -> dict:
    """The reference meta entries worth keeping, as plain Python values."""
    out = {}
    for key in META_KEYS:
        value = meta.get(key)
        if isinstance(value, (str, int, float, bool)):
            out[key] = value
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            out[key] = list(value)
    return out


def build_model(config: str, cfg_options=None):
    """The model of ``config`` (not initialised: no pretrained weights are fetched)."""
    from mmuda.models.uda.base import build_in_own_scope
    from mmuda.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return build_in_own_scope(cfg.model)


def save_atomic(checkpoint: dict, dst: str) -> None:
    """``torch.save`` to a temporary file beside ``dst``, then rename it over ``dst``."""
    folder = osp.dirname(osp.abspath(dst))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(dst)}.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            torch.save(checkpoint, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dst)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def convert(src: str, dst: str, keep=None, plain: bool = False, config=None,
            cfg_options=None) -> OrderedDict:
    """Convert ``src`` to ``dst`` (see the module doc); returns the converted state dict."""
    state, meta = load_reference(src)
    converted = convert_reference_state_dict(state, keep=keep, plain=plain)
    if config is not None:
        check_against_model(converted, build_model(config, cfg_options))
    save_atomic(dict(meta=dict(converted_from=osp.abspath(src),
                               converter='tools/model_converters/reference2mmuda.py',
                               reference_meta=plain_meta(meta)),
                     state_dict=converted), dst)
    return converted


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        converted = convert(args.src, args.dst, keep=parse_keep(args.keep), plain=args.plain,
                            config=args.config, cfg_options=args.cfg_options)
    except RunError as exc:
        print(f'reference2mmuda: {exc}', file=sys.stderr)
        return 1
    groups = OrderedDict()
    for key in converted:
        head = key.split('.')[0]
        groups[head] = groups.get(head, 0) + 1
    summary = ', '.join(f'{name}: {n}' for name, n in groups.items())
    checked = f'; loads strictly into {args.config}' if args.config else ''
    print(f'wrote {args.dst} ({summary}){checked}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
