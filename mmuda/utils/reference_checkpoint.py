# Copyright (c) mmuda contributors. All rights reserved.
"""Key mapping from the authors' DAFormer / HRDA / MIC segmentation checkpoints to mmuda.

The reference code (github.com/lhoyer/DAFormer, lhoyer/HRDA, lhoyer/MIC ``seg/``) runs on
mmseg 0.16 / mmcv 1.x and saves mmcv runner checkpoints ``{'meta', 'state_dict',
'optimizer'}`` of its UDA wrapper (``mmseg/models/uda/uda_decorator.py`` and ``dacs.py``):
``model.*`` (the trained network), ``ema_model.*`` (its EMA teacher) and ``imnet_model.*`` (the
frozen ImageNet copy of the feature distance), each an mmseg segmentor with ``backbone.*`` (the
SegFormer MiT of ``mmseg/models/backbones/mix_transformer.py``) and ``decode_head.*`` (the
``DAFormerHead`` of ``mmseg/models/decode_heads/daformer_head.py`` or, for HRDA, the
``HRDAHead`` of ``hrda_head.py`` holding two of them as ``head`` and ``scale_attention``).

mmuda's UDA models (:class:`mmuda.models.uda.base.UDABase`) hold the same networks as
``student``, ``teacher`` and ``imnet``; their backbone is mmseg 1.x's ``MixVisionTransformer``
(other key names, fused attention input projection, 1x1 convolutions for the MLP) and their
head mmuda's :class:`~mmuda.models.decode_heads.DAFormerHead` / ``HRDAHead``.

Every function here is pure (state dicts in, state dicts out) and refuses any key it does not
know, with one :class:`ReferenceCheckpointError` naming all of them: a checkpoint of another
architecture (a DeepLab-v2 ResNet, a separate MIC teacher, a context layer in the ASPP) must
not be converted half-way.
"""
import re
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch

from .errors import RunError

StateDict = Dict[str, torch.Tensor]

#: the reference UDA wrapper's sub-modules -> mmuda's (``UDADecorator.model``,
#: ``DACS.ema_model``, ``DACS.imnet_model`` -> ``UDABase.student``, ``.teacher``, ``.imnet``)
UDA_PREFIXES = OrderedDict([('model.', 'student.'), ('ema_model.', 'teacher.'),
                            ('imnet_model.', 'imnet.')])
#: the names ``--keep`` accepts for the optional copies, and the reference prefix each keeps
KEEP_NAMES = {'ema': 'ema_model.', 'teacher': 'ema_model.', 'imnet': 'imnet_model.'}

# parameters and buffers of an mmcv ConvModule (conv + BN), the same names in mmcv 1.x and 2.x
_CONV_MODULE = r'(conv\.(weight|bias)|bn\.(weight|bias|running_mean|running_var|' \
               r'num_batches_tracked))'
_WB = r'(weight|bias)'


class ReferenceCheckpointError(RunError):
    """A reference checkpoint that cannot be converted (unknown or missing keys, wrong
    shapes), or a converted one that does not fit the config it is checked against."""


def _key_list(title: str, keys: Iterable[str]) -> str:
    keys = list(keys)
    return f'{title} ({len(keys)}):\n' + '\n'.join(f'  {k}' for k in keys)


#: what some unknown keys are, for the error message: (pattern, explanation)
_UNKNOWN_HINTS = [
    (re.compile(r'(.*\.)?backbone\.head\.'),
     'backbone.head is the ImageNet classifier of a MiT pre-training checkpoint, not part of '
     'a segmentor.'),
    (re.compile(r'.*\.context_layer\.'),
     'fuse_layer.context_layer is the reference ASPP\'s optional context layer (context_cfg), '
     'which mmuda\'s DAFormerHead does not have.'),
    (re.compile(r'.*embed_layers\.\d+\.(?!proj\.)'),
     'embed_layers other than MLPs (embed_cfg type != mlp) have no counterpart in mmuda\'s '
     'DAFormerHead.'),
    (re.compile(r'mic\.teacher\.'),
     'mic.teacher is MIC\'s separate EMA teacher (mask_alpha or mask_pseudo_threshold not '
     '\'same\'), which mmuda\'s MIC does not have.'),
]


def unknown_keys_error(keys: Sequence[str]) -> ReferenceCheckpointError:
    """One error naming every reference key the mapping does not know."""
    hints = [text for pattern, text in _UNKNOWN_HINTS if any(pattern.match(k) for k in keys)]
    return ReferenceCheckpointError(
        f'cannot convert the reference checkpoint: {len(keys)} key(s) have no mmuda '
        f'counterpart. This converter knows the reference UDA model (model, ema_model, '
        f'imnet_model) of a segmentor (backbone, decode_head) with the MiT backbone and the '
        f'DAFormer head (ASPP or 1x1-conv fusion) or the HRDA head (head, scale_attention); '
        f'is the checkpoint of another architecture?{"".join(" " + h for h in hints)}\n'
        + _key_list('unknown keys', keys))


class UnknownKeys:
    """Collects the unknown keys of a whole checkpoint, so that one error names them all.

    Each ``convert_*`` function takes one: given, it adds its unknown keys to it (the caller
    raises); None, it raises itself when it found any.
    """

    def __init__(self):
        self.keys: List[str] = []

    def add(self, keys: Iterable[str]) -> None:
        self.keys.extend(keys)

    def raise_if_any(self) -> None:
        if self.keys:
            raise unknown_keys_error(self.keys)


def _collector(unknown: Optional[UnknownKeys]) -> Tuple[UnknownKeys, bool]:
    """(the collector to use, whether the caller owns it and so must raise)."""
    return (UnknownKeys(), True) if unknown is None else (unknown, False)


# ---------------------------------------------------------------------------- MiT backbone
# reference: seg/mmseg/models/backbones/mix_transformer.py (MixVisionTransformer: patch_embed<s>,
# block<s>.<j>, norm<s>, s = 1..4); mmuda: mmseg 1.x mmseg/models/backbones/mit.py
# (layers.<s-1> = ModuleList([PatchEmbed, ModuleList(TransformerEncoderLayer), LayerNorm])),
# the same mapping as mmseg 1.x's tools/model_converters/mit2mmseg.py.
_MIT_PATCH_EMBED = re.compile(r'patch_embed(\d+)\.(proj|norm)\.' + _WB)
_MIT_STAGE_NORM = re.compile(r'norm(\d+)\.' + _WB)
_MIT_BLOCK = re.compile(r'block(\d+)\.(\d+)\.(.+)')
#: per-block renames; the values are relative to ``layers.<s-1>.1.<j>.``
_MIT_BLOCK_RENAMES = [
    (re.compile(r'(norm1|norm2)\.' + _WB), r'\1.\2'),
    (re.compile(r'attn\.proj\.' + _WB), r'attn.attn.out_proj.\1'),
    (re.compile(r'attn\.sr\.' + _WB), r'attn.sr.\1'),  # spatial-reduction conv, same shape
    (re.compile(r'attn\.norm\.' + _WB), r'attn.norm.\1'),
    (re.compile(r'mlp\.fc1\.' + _WB), r'ffn.layers.0.\1'),  # Linear -> 1x1 Conv2d
    (re.compile(r'mlp\.dwconv\.dwconv\.' + _WB), r'ffn.layers.1.\1'),  # depth-wise 3x3
    (re.compile(r'mlp\.fc2\.' + _WB), r'ffn.layers.4.\1'),  # Linear -> 1x1 Conv2d
]
_MIT_QKV = re.compile(r'attn\.(q|kv)\.' + _WB)


def convert_mit(state: StateDict, name_prefix: str = '',
                unknown: Optional[UnknownKeys] = None) -> StateDict:
    """The reference MiT's keys (relative to the backbone) -> mmseg 1.x MixVisionTransformer.

    - ``patch_embed<s>.proj.*`` -> ``layers.<s-1>.0.projection.*``, ``patch_embed<s>.norm.*``
      -> ``layers.<s-1>.0.norm.*`` (same shapes);
    - ``block<s>.<j>.attn.q.*`` and ``.attn.kv.*`` -> ``layers.<s-1>.1.<j>.attn.attn.
      in_proj_*`` = ``cat([q, kv])`` along dim 0: ``nn.MultiheadAttention`` takes query, key,
      value rows in that order and the reference's ``kv`` output is (k, v) (its forward
      reshapes it to (B, N, 2, heads, C/heads));
    - ``attn.proj`` -> ``attn.attn.out_proj``; ``attn.sr`` / ``attn.norm`` and ``norm1`` /
      ``norm2`` keep their names;
    - ``mlp.fc1`` / ``mlp.dwconv.dwconv`` / ``mlp.fc2`` -> ``ffn.layers.0`` / ``.1`` / ``.4``,
      the Linear weights (out, in) reshaped to 1x1 conv weights (out, in, 1, 1);
    - ``norm<s>.*`` -> ``layers.<s-1>.2.*``.

    ``name_prefix`` is put before the keys that errors name (``model.backbone.``);
    ``unknown`` collects the keys it does not know (see :class:`UnknownKeys`).
    """
    unknown, owner = _collector(unknown)
    out: StateDict = OrderedDict()
    # in_proj target -> {'q' | 'kv': (reference key, tensor)}
    pending: Dict[str, Dict[str, Tuple[str, torch.Tensor]]] = OrderedDict()
    for key, value in state.items():
        m = _MIT_PATCH_EMBED.fullmatch(key)
        if m and 1 <= int(m.group(1)) <= 4:
            name = 'projection' if m.group(2) == 'proj' else 'norm'
            out[f'layers.{int(m.group(1)) - 1}.0.{name}.{m.group(3)}'] = value
            continue
        m = _MIT_STAGE_NORM.fullmatch(key)
        if m and 1 <= int(m.group(1)) <= 4:
            out[f'layers.{int(m.group(1)) - 1}.2.{m.group(2)}'] = value
            continue
        m = _MIT_BLOCK.fullmatch(key)
        if not m or not 1 <= int(m.group(1)) <= 4:
            unknown.add([name_prefix + key])
            continue
        prefix = f'layers.{int(m.group(1)) - 1}.1.{int(m.group(2))}.'
        rest = m.group(3)
        qkv = _MIT_QKV.fullmatch(rest)
        if qkv:
            target = f'{prefix}attn.attn.in_proj_{qkv.group(2)}'
            out.setdefault(target, None)  # keeps the reference's order; filled below
            pending.setdefault(target, {})[qkv.group(1)] = (name_prefix + key, value)
            continue
        for pattern, replacement in _MIT_BLOCK_RENAMES:
            if pattern.fullmatch(rest):
                if rest in ('mlp.fc1.weight', 'mlp.fc2.weight'):
                    if value.dim() != 2:
                        raise ReferenceCheckpointError(
                            f'reference MiT key {name_prefix}{key}: expected a Linear weight '
                            f'(2 dims), got shape {tuple(value.shape)}')
                    value = value.reshape(*value.shape, 1, 1)
                out[prefix + pattern.sub(replacement, rest)] = value
                break
        else:
            unknown.add([name_prefix + key])
    if owner:
        unknown.raise_if_any()
    for target, parts in pending.items():
        if set(parts) != {'q', 'kv'}:
            have = next(iter(parts.values()))[0]
            lacking = have.replace('.q.', '.kv.') if 'q' in parts else \
                have.replace('.kv.', '.q.')
            raise ReferenceCheckpointError(
                f'cannot convert the reference checkpoint: key {lacking} is missing; it is '
                f'the partner of {have} (mmseg 1.x\'s {target} is cat([q, kv]))')
        (q_key, q_val), (kv_key, kv_val) = parts['q'], parts['kv']
        if kv_val.shape[0] != 2 * q_val.shape[0] or kv_val.shape[1:] != q_val.shape[1:]:
            raise ReferenceCheckpointError(
                f'reference MiT keys {q_key} {tuple(q_val.shape)} and {kv_key} '
                f'{tuple(kv_val.shape)}: kv must have twice the rows of q')
        out[target] = torch.cat([q_val, kv_val], dim=0)
    return out


# ---------------------------------------------------------------------------- DAFormer head
# reference: seg/mmseg/models/decode_heads/daformer_head.py (embed_layers: nn.ModuleDict keyed
# by str(in_index) of segformer_head.MLP (``proj``); fuse_layer: ASPPWrapper (image_pool,
# aspp_modules = (DepthwiseSeparable)ASPPModule, bottleneck) or build_layer('conv') = one
# ConvModule) + decode_head.py's conv_seg; mmuda: mmuda/models/decode_heads/daformer_head.py
# (embed_layers: nn.ModuleList of MLPEmbed (``proj``), fuse_layer: ASPPFusion with the same
# sub-module names, or one ConvModule for fusion='conv').
_HEAD_EMBED = re.compile(r'embed_layers\.(\d+)\.proj\.' + _WB)
_HEAD_SAME = [
    re.compile(r'conv_seg\.' + _WB),
    # ASPP fusion: 1x1 branch and plain dilated branches are ConvModules, the dilated branches
    # of the depthwise-separable ASPP DepthwiseSeparableConvModules (depthwise_conv +
    # pointwise_conv), then the 3x3 bottleneck; optional image-pooling branch
    re.compile(r'fuse_layer\.aspp_modules\.\d+\.' + _CONV_MODULE),
    re.compile(r'fuse_layer\.aspp_modules\.\d+\.(depthwise_conv|pointwise_conv)\.'
               + _CONV_MODULE),
    re.compile(r'fuse_layer\.bottleneck\.' + _CONV_MODULE),
    re.compile(r'fuse_layer\.image_pool\.1\.' + _CONV_MODULE),
    # 1x1-conv fusion (fusion_cfg type='conv': HRDA's scale-attention head): one ConvModule
    re.compile(r'fuse_layer\.' + _CONV_MODULE),
]


def convert_daformer_head(state: StateDict, name_prefix: str = '',
                          unknown: Optional[UnknownKeys] = None) -> StateDict:
    """The reference DAFormerHead's keys (relative to the head) -> mmuda's DAFormerHead.

    - ``embed_layers.<i>.proj.*`` (a ModuleDict keyed by the backbone level ``i`` of
      ``in_index``) -> ``embed_layers.<position>.proj.*`` (a ModuleList in ``in_index``
      order): the position of ``i`` among the levels in the order the checkpoint lists them,
      which is the ModuleDict's insertion order (``in_index`` order); with the reference's
      ``in_index=[0, 1, 2, 3]`` the numbers are unchanged;
    - ``fuse_layer.*`` (ASPP: ``aspp_modules.<k>[.depthwise_conv|.pointwise_conv].conv/bn``,
      ``bottleneck``, ``image_pool.1``; 1x1-conv fusion: ``conv`` / ``bn``) and ``conv_seg.*``
      keep their names and shapes.

    ``name_prefix`` is put before the keys that errors name (``model.decode_head.``);
    ``unknown`` collects the keys it does not know (see :class:`UnknownKeys`).
    """
    unknown, owner = _collector(unknown)
    out: StateDict = OrderedDict()
    levels: List[str] = []
    for key, value in state.items():
        m = _HEAD_EMBED.fullmatch(key)
        if m:
            if m.group(1) not in levels:
                levels.append(m.group(1))
            out[f'embed_layers.{levels.index(m.group(1))}.proj.{m.group(2)}'] = value
        elif any(p.fullmatch(key) for p in _HEAD_SAME):
            out[key] = value
        else:
            unknown.add([name_prefix + key])
    if owner:
        unknown.raise_if_any()
    return out


# ---------------------------------------------------------------------------- segmentors
#: reference seg/mmseg/models/decode_heads/hrda_head.py: HRDAHead deletes its own conv_seg
#: and dropout and holds ``head`` (the single-scale DAFormerHead) and ``scale_attention``
#: (a DAFormerHead at attention_embed_dim with its ASPP fusion replaced by a 1x1 ConvModule);
#: mmuda's HRDAHead uses the same two names.
HRDA_SUBHEADS = ('head.', 'scale_attention.')


def _split(state: StateDict, prefix: str) -> StateDict:
    return OrderedDict((k[len(prefix):], v) for k, v in state.items() if k.startswith(prefix))


def _with_prefix(state: StateDict, prefix: str) -> StateDict:
    return OrderedDict((prefix + k, v) for k, v in state.items())


def is_hrda_head(head_state: StateDict) -> bool:
    """Whether a decode head's keys are those of the reference HRDAHead."""
    return any(k.startswith(HRDA_SUBHEADS) for k in head_state)


def convert_decode_head(state: StateDict, name_prefix: str = '',
                        unknown: Optional[UnknownKeys] = None) -> StateDict:
    """A reference ``decode_head`` (relative keys): a DAFormerHead, or an HRDAHead whose
    ``head.*`` and ``scale_attention.*`` are DAFormerHeads, each converted on its own, that
    keep these prefixes (mmuda's HRDAHead has the same sub-module names)."""
    if not is_hrda_head(state):
        return convert_daformer_head(state, name_prefix, unknown)
    unknown, owner = _collector(unknown)
    # the reference HRDAHead deletes its own conv_seg and dropout: nothing else is known
    unknown.add(name_prefix + k for k in state if not k.startswith(HRDA_SUBHEADS))
    out: StateDict = OrderedDict()
    for sub in HRDA_SUBHEADS:
        part = _split(state, sub)
        if part:
            out.update(_with_prefix(
                convert_daformer_head(part, name_prefix + sub, unknown), sub))
    if owner:
        unknown.raise_if_any()
    return out


def convert_segmentor(state: StateDict, name_prefix: str = '',
                      unknown: Optional[UnknownKeys] = None) -> StateDict:
    """A reference segmentor's state dict (``backbone.*``, ``decode_head.*``: the reference
    EncoderDecoder and HRDAEncoderDecoder hold nothing else) -> mmseg 1.x / mmuda keys with
    the same two prefixes."""
    unknown, owner = _collector(unknown)
    unknown.add(name_prefix + k for k in state if not k.startswith(('backbone.', 'decode_head.')))
    backbone = convert_mit(_split(state, 'backbone.'), name_prefix + 'backbone.', unknown)
    head = convert_decode_head(_split(state, 'decode_head.'), name_prefix + 'decode_head.',
                               unknown)
    if owner:
        unknown.raise_if_any()
    return OrderedDict(list(_with_prefix(backbone, 'backbone.').items())
                       + list(_with_prefix(head, 'decode_head.').items()))


def is_uda_checkpoint(state: StateDict) -> bool:
    """Whether ``state`` is the reference UDA wrapper's (``model.*`` ...) rather than one
    segmentor's (``backbone.*``, ``decode_head.*``)."""
    return any(k.startswith(tuple(UDA_PREFIXES)) for k in state)


def strip_module_prefix(state: StateDict) -> StateDict:
    """Drop a leading ``module.`` (a state dict saved from a DataParallel wrapper; the
    reference's tools/test.py strips it too)."""
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                       for k, v in state.items())


def convert_reference_state_dict(state: StateDict, keep: Optional[Sequence[str]] = None,
                                 plain: bool = False) -> StateDict:
    """The whole conversion of a reference checkpoint's ``state_dict``.

    Args:
        state: the reference state dict: the UDA wrapper's (``model.*``, ``ema_model.*``,
            ``imnet_model.*``) or one segmentor's (``backbone.*``, ``decode_head.*``).
        keep: which optional copies of a UDA checkpoint to keep besides the student:
            names from ``'ema'`` (alias ``'teacher'``) and ``'imnet'``; None keeps every copy
            the checkpoint has, ``[]`` the student alone. A name whose copy is absent is an
            error.
        plain: write the student as a plain segmentor (``backbone.*``, ``decode_head.*``) for
            an mmseg EncoderDecoder config; mmuda's UDA models also load such a checkpoint
            (they copy it into their teacher and ImageNet model). Keeps nothing else.

    Returns:
        mmuda's keys: ``student.*`` [+ ``teacher.*``] [+ ``imnet.*``] + ``local_iter`` (0: the
        iteration counter of the mmuda run that loads it), or the plain segmentor's keys.
    """
    state = strip_module_prefix(state)
    if not state:
        raise ReferenceCheckpointError('the reference checkpoint\'s state_dict is empty')
    if not is_uda_checkpoint(state):
        segmentor = convert_segmentor(state)  # raises for unknown keys
        if keep:
            raise ReferenceCheckpointError(
                f'--keep {",".join(keep)}: the checkpoint is a plain segmentor '
                f'(backbone.*, decode_head.*), it has no EMA teacher or ImageNet model')
        if plain:
            return segmentor
        out = _with_prefix(segmentor, 'student.')
        out['local_iter'] = torch.zeros((), dtype=torch.long)
        return out
    # every copy is checked for unknown keys, also those --keep leaves out, so that a
    # checkpoint of another architecture is refused whatever is kept
    unknown = UnknownKeys()
    unknown.add(k for k in state if not k.startswith(tuple(UDA_PREFIXES)))
    converted = OrderedDict((ref_prefix, convert_segmentor(_split(state, ref_prefix),
                                                           ref_prefix, unknown))
                            for ref_prefix in UDA_PREFIXES)
    unknown.raise_if_any()
    present = [p for p in UDA_PREFIXES if any(k.startswith(p) for k in state)]
    if 'model.' not in present:
        raise ReferenceCheckpointError(
            'the reference checkpoint has no model.* keys (the trained network of the UDA '
            f'wrapper); it holds {", ".join(p + "*" for p in present)}')
    if plain:
        if keep:
            raise ReferenceCheckpointError(
                '--plain writes the student alone as a plain segmentor; do not combine it '
                'with --keep')
        return converted['model.']
    if keep is None:
        wanted = present
    else:
        bad = [name for name in keep if name not in KEEP_NAMES]
        if bad:
            raise ReferenceCheckpointError(
                f'--keep: unknown name(s) {bad}; expected a comma-separated subset of '
                f'ema (or teacher), imnet')
        wanted = ['model.'] + [KEEP_NAMES[name] for name in keep]
        absent = [name for name in keep if KEEP_NAMES[name] not in present]
        if absent:
            raise ReferenceCheckpointError(
                f'--keep {",".join(absent)}: the reference checkpoint has no '
                f'{", ".join(KEEP_NAMES[n] + "*" for n in absent)} keys')
    out: StateDict = OrderedDict()
    for ref_prefix, own_prefix in UDA_PREFIXES.items():
        if ref_prefix not in wanted:
            continue
        out.update(_with_prefix(converted[ref_prefix], own_prefix))
    out['local_iter'] = torch.zeros((), dtype=torch.long)
    return out


def parse_keep(text: Optional[str]) -> Optional[List[str]]:
    """``--keep`` as given: None (not given: keep every copy present), ``''`` or ``'none'``
    (the student alone), else comma-separated names."""
    if text is None:
        return None
    names = [n.strip() for n in text.split(',') if n.strip()]
    return [] if names in ([], ['none']) else names


# ---------------------------------------------------------------------------- checking
def check_against_model(state: StateDict, model: torch.nn.Module) -> None:
    """Load ``state`` strictly into ``model``; on a mismatch raise ONE error listing every
    missing key, unexpected key and shape mismatch.

    A plain segmentor state (no ``student.*`` key) checked against an mmuda UDA model is
    compared with its student, as :meth:`UDABase._load_from_state_dict` copies it into the
    student and its frozen copies.
    """
    expected = model.state_dict()
    if hasattr(model, 'student') and not any(k.startswith('student.') for k in state):
        expected = model.student.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    mismatched = [f'{k}: checkpoint {tuple(state[k].shape)}, model {tuple(expected[k].shape)}'
                  for k in state if k in expected and state[k].shape != expected[k].shape]
    if missing or unexpected or mismatched:
        parts = [f'the converted checkpoint does not fit the model of the config: '
                 f'{len(missing)} missing, {len(unexpected)} unexpected, {len(mismatched)} '
                 f'of another shape. Check that the config is the architecture of the '
                 f'reference checkpoint (MiT size, head widths, HRDA or not, an ImageNet '
                 f'model (imnet_feature_dist) or not; --keep chooses the copies to write).']
        if any(k.startswith(('teacher.', 'imnet.')) for k in missing) and \
                not any(k.startswith(('teacher.', 'imnet.')) for k in state):
            parts.append('To start the teacher and the ImageNet model from the student, as '
                         'mmuda does, write the student alone with --plain: a UDA model '
                         'copies a plain segmentor checkpoint into its frozen copies.')
        if not hasattr(model, 'student') and any(k.startswith('student.') for k in state):
            parts.append('The config\'s model is a plain segmentor: convert with --plain.')
        if missing:
            parts.append(_key_list('missing keys (in the model, not in the checkpoint)',
                                   missing))
        if unexpected:
            parts.append(_key_list('unexpected keys (in the checkpoint, not in the model)',
                                   unexpected))
        if mismatched:
            parts.append(_key_list('shape mismatches', mismatched))
        raise ReferenceCheckpointError('\n'.join(parts))
    model.load_state_dict(state, strict=True)
