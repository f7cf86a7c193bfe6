# Copyright (c) mmuda contributors. All rights reserved.
"""Convert the DeepLab-v2 checkpoints of ADVENT / AdaptSegNet / DA-VSN to mmuda's layout.

    python tools/model_converters/deeplabv2_advent.py IN.pth OUT.pth [--depth 101]
        [--adaptsegnet]

OUT.pth is an mmengine checkpoint (``{'state_dict': ..., 'meta': ...}``) of the mmseg
``EncoderDecoder`` of ``configs/_base_/models/deeplabv2_r101.py``: ``backbone.*`` (mmseg
``ResNet``), ``decode_head.convs.{i}.*`` and ``auxiliary_head.convs.{i}.*``
(:class:`mmuda.models.decode_heads.DeepLabV2Head`). The file is written atomically.

Two kinds of input are recognised:

1. The initialisation of the reference's training, ``DeepLab_resnet_pretrained_imagenet.pth``
   (ADVENT) or ``DeepLab_resnet_pretrained_init-f81d91e8.pth`` (AdaptSegNet): a state dict of
   Pytorch-Deeplab's ``MS_Deeplab``, every key under ``Scale.`` (``Scale.conv1.weight``,
   ``Scale.bn1.running_mean``, ``Scale.layer1.0.downsample.1.weight``, ...) and its classifier
   ``Scale.layer5.conv2d_list.{0-3}.{weight,bias}`` (on 2048 channels, for another label
   set). The reference drops that classifier (ADVENT ``advent/scripts/train.py``: keys whose
   second part is ``layer5`` are skipped and ``Scale.`` is cut off; AdaptSegNet
   ``train_gta2cityscapes_multi.py`` does the same for 19 classes): so does this tool, and
   OUT.pth holds the backbone only, for the config's
   ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``.
2. A trained model of ADVENT (``torch.save(model.state_dict())`` of ``ResNetMulti``, e.g. the
   released ``gta2cityscapes_advent.pth``): no prefix, ``layer5`` = the classifier on layer3
   (1024 channels, auxiliary) and ``layer6`` = the classifier on layer4 (2048 channels, main).
   OUT.pth holds the whole model (for ``load_from``); ``layer5`` may be absent (a model
   trained with MULTI_LEVEL False): then OUT.pth has no ``auxiliary_head``. AdaptSegNet's
   trained models have the same keys, but its ``Classifier_Module.forward`` returns inside
   the summation loop (AdaptSegNet issues #4, #20): only the branches of dilation 6 and 12
   count. ``--adaptsegnet`` zeroes the other branches, so that DeepLabV2Head's sum of all
   four computes the same logits.

The backbone names are the same on both sides (mmseg's ResNet names its stem ``conv1``/``bn1``
and its bottlenecks ``conv1-3``/``bn1-3``/``downsample.0-1``, as the reference). Every
backbone weight and BN statistic of a ResNet of ``--depth`` is required: a missing one stops
the conversion with an error naming it. ``num_batches_tracked`` (absent from checkpoints of
PyTorch < 0.4) is taken when present, else set to 0. A leading ``module.`` is removed. Keys
that are none of these are listed and not converted.
"""
import argparse
import os
import os.path as osp
import tempfile
from collections import OrderedDict
from typing import Dict, List, Tuple

import torch

BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}
BN_REQUIRED = ('weight', 'bias', 'running_mean', 'running_var')
BN_OPTIONAL = 'num_batches_tracked'
INIT_PREFIX = 'Scale.'
INIT_CLASSIFIER = 'layer5'  # of the initialisation: the reference drops it
# trained models: reference name -> (mmseg head, input channels)
HEADS = {'layer6': ('decode_head', 2048), 'layer5': ('auxiliary_head', 1024)}


class ConversionError(ValueError):
    """The input is not a checkpoint this tool can convert; the message says why."""


def backbone_layout(depth: int = 101) -> Tuple[List[str], List[str]]:
    """The reference's backbone keys for a ResNet of ``depth``: (required, optional)."""
    if depth not in BLOCKS:
        raise ConversionError(f'unsupported depth {depth}; one of {sorted(BLOCKS)}')
    required, optional = [], []

    def conv(name):
        required.append(f'{name}.weight')

    def bn(name):
        required.extend(f'{name}.{p}' for p in BN_REQUIRED)
        optional.append(f'{name}.{BN_OPTIONAL}')

    conv('conv1')
    bn('bn1')
    for stage, num_blocks in enumerate(BLOCKS[depth], start=1):
        for block in range(num_blocks):
            prefix = f'layer{stage}.{block}'
            for i in (1, 2, 3):
                conv(f'{prefix}.conv{i}')
                bn(f'{prefix}.bn{i}')
            if block == 0:  # every stage's first block has a projection shortcut
                conv(f'{prefix}.downsample.0')
                bn(f'{prefix}.downsample.1')
    return required, optional


def _missing(keys: List[str], state_dict: Dict, prefix: str) -> None:
    absent = [prefix + k for k in keys if prefix + k not in state_dict]
    if absent:
        more = f' (and {len(absent) - 1} more)' if len(absent) > 1 else ''
        raise ConversionError(f'missing required key {absent[0]!r} in the input '
                              f'checkpoint{more}')


def _classifier(state_dict: Dict, name: str, in_channels: int, used: set) -> Dict:
    """The branches ``{name}.conv2d_list.{i}.{weight,bias}`` as ``convs.{i}.*``."""
    prefix = f'{name}.conv2d_list.'
    branches = {k[len(prefix):].split('.')[0] for k in state_dict if k.startswith(prefix)}
    num_branches = 1 + max((int(b) for b in branches if b.isdigit()), default=0)
    _missing([f'{i}.{p}' for i in range(num_branches) for p in ('weight', 'bias')],
             state_dict, prefix)
    out = {}
    num_classes = None
    for i in range(num_branches):
        weight = state_dict[f'{prefix}{i}.weight']
        if weight.dim() != 4 or weight.shape[1] != in_channels:
            raise ConversionError(f'{prefix}{i}.weight has shape {tuple(weight.shape)}: '
                                  f'expected (num_classes, {in_channels}, 3, 3) for {name}')
        if num_classes not in (None, weight.shape[0]):
            raise ConversionError(f'{name}: branches with different numbers of classes')
        num_classes = weight.shape[0]
        for p in ('weight', 'bias'):
            out[f'convs.{i}.{p}'] = state_dict[f'{prefix}{i}.{p}']
            used.add(f'{prefix}{i}.{p}')
    return out


def convert(state_dict: Dict, depth: int = 101,
            adaptsegnet: bool = False) -> Tuple['OrderedDict', Dict]:
    """The mmuda state dict of a reference state dict, and a report:
    ``{'format', 'dropped', 'unknown', 'heads', 'num_classes'}``. ``adaptsegnet``: zero the
    classifier branches after the second (see the module docstring)."""
    if all(k.startswith('module.') for k in state_dict):
        state_dict = OrderedDict((k[len('module.'):], v) for k, v in state_dict.items())
    is_init = any(k.startswith(INIT_PREFIX) for k in state_dict)
    prefix = INIT_PREFIX if is_init else ''
    required, optional = backbone_layout(depth)
    _missing(required, state_dict, prefix)

    out = OrderedDict()
    used = set()
    for key in required + optional:
        if prefix + key in state_dict:
            out[f'backbone.{key}'] = state_dict[prefix + key]
            used.add(prefix + key)
        else:  # num_batches_tracked of a PyTorch < 0.4 checkpoint
            out[f'backbone.{key}'] = torch.tensor(0, dtype=torch.long)

    report = dict(format='initialisation' if is_init else 'trained', dropped=[], heads=[],
                  num_classes=None)
    if is_init:
        report['dropped'] = sorted(k for k in state_dict
                                   if k.startswith(f'{INIT_PREFIX}{INIT_CLASSIFIER}.'))
        used.update(report['dropped'])
    else:
        classes = {}
        for name, (head, in_channels) in HEADS.items():
            if name == 'layer5' and not any(k.startswith('layer5.') for k in state_dict):
                continue  # single-level model: no auxiliary classifier
            convs = _classifier(state_dict, name, in_channels, used)
            if adaptsegnet:
                # AdaptSegNet's Classifier_Module returns inside its loop: only branches 0
                # and 1 are summed; zero the others so that the sum is the same
                for key in convs:
                    if int(key.split('.')[1]) >= 2:
                        convs[key] = torch.zeros_like(convs[key])
            out.update((f'{head}.{k}', v) for k, v in convs.items())
            report['heads'].append(head)
            classes[name] = convs['convs.0.weight'].shape[0]
        if len(set(classes.values())) > 1:
            raise ConversionError(f'the classifiers predict different numbers of classes: '
                                  f'{classes}')
        report['num_classes'] = classes['layer6']
    report['unknown'] = sorted(k for k in state_dict if k not in used)
    return out, report


def load_state_dict(path: str) -> Dict:
    checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    if isinstance(checkpoint, dict) and isinstance(checkpoint.get('state_dict'), dict):
        checkpoint = checkpoint['state_dict']
    if not isinstance(checkpoint, dict) or not checkpoint:
        raise ConversionError(f'{path} holds no state dict')
    return checkpoint


def save_atomic(obj, path: str) -> None:
    """``torch.save`` to a temporary file beside ``path``, then rename it to ``path``."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='the reference checkpoint (.pth)')
    parser.add_argument('dst', help='where to write the mmuda checkpoint')
    parser.add_argument('--depth', type=int, default=101, choices=sorted(BLOCKS),
                        help='ResNet depth of the reference model (default: 101)')
    parser.add_argument('--adaptsegnet', action='store_true',
                        help="a trained model of AdaptSegNet: zero the classifier branches "
                             "that its forward ignores (all but dilations 6 and 12)")
    args = parser.parse_args(argv)
    try:
        state_dict, report = convert(load_state_dict(args.src), args.depth,
                                    args.adaptsegnet)
    except ConversionError as e:
        raise SystemExit(f'error: {e}')
    meta = dict(converted_from=osp.basename(args.src), format=report['format'],
                converter='tools/model_converters/deeplabv2_advent.py')
    save_atomic(dict(state_dict=state_dict, meta=meta), args.dst)
    print(f'{report["format"]} checkpoint: {len(state_dict)} tensors written to {args.dst}')
    if report['format'] == 'initialisation':
        print(f'backbone only; dropped the classifier {INIT_PREFIX}{INIT_CLASSIFIER} '
              f'({len(report["dropped"])} tensors), as the reference does')
    else:
        print(f'heads: {", ".join(report["heads"])}; {report["num_classes"]} classes')
    if report['unknown']:
        print(f'{len(report["unknown"])} unknown key(s) not converted:')
        for key in report['unknown']:
            print(f'  {key}')


if __name__ == '__main__':
    main()
