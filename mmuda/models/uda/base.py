# Copyright (c) mmuda contributors. All rights reserved.
"""The base class of every UDA method: a student, an optional EMA teacher, one optimizer step."""
import contextlib
import copy
import time
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.dist import get_rank
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.registry import DefaultScope
from torch.nn.parallel import DistributedDataParallel

from mmuda.registry import MODELS
from mmuda.utils.divergence import check_finite_step


def build_in_own_scope(cfg: dict) -> nn.Module:
    """Build an upstream model (``'mmdet.FasterRCNN'``, ``'mmseg.EncoderDecoder'``) with its
    own library as the default scope, exactly as that library's configs build it, so that the
    unscoped defaults inside it (``BboxOverlaps2D``, ``DeltaXYWHBBoxCoder``, ...) resolve
    there. mmuda modules inside such a model are named with their scope
    (``'mmuda.DAFormerHead'``)."""
    scope = cfg['type'].split('.')[0] if isinstance(cfg.get('type'), str) and \
        '.' in cfg['type'] else None
    with DefaultScope.overwrite_default_scope(None if scope == 'mmuda' else scope):
        return MODELS.build(cfg)


@MODELS.register_module()
class UDABase(BaseModel):
    """Wraps any mmseg/mmdet model config as the *student* of a UDA method.

    - ``teacher=True`` adds an EMA copy of the student (updated by
      :class:`mmuda.engine.EMATeacherHook`), ``imnet=True`` a frozen copy of the initial
      student (e.g. for ImageNet feature distance). Both are registered sub-modules, so they
      are checkpointed and restored on resume, but they take no gradient, are left out of the
      optimizer (:class:`UDAOptimWrapperConstructor`) and out of DDP (listed in
      ``_ddp_params_and_buffers_to_ignore``).
    - ``train_step`` pre-processes the source and target batches (mmdet's
      ``MultiBranchDataPreprocessor`` around the student's own pre-processor), lets the method
      run as many forward/backward passes as it needs (:meth:`forward_train`, each pass calls
      ``optim_wrapper.backward`` so its graph is freed), then makes ONE optimizer step through
      the ``OptimWrapper`` (so ``--amp`` works).
    - val/test run the student (the reference protocol) or, with
      ``test_cfg=dict(model='teacher')``, the teacher, through the task's own predict path, so
      upstream metrics and visualisers work unchanged.

    Subclasses implement :meth:`forward_train`. This class alone trains the student on the
    source batch only: the source-only baseline inside the UDA framework.

    Args:
        model (dict): config of the student (e.g. an ``mmseg.EncoderDecoder``).
        teacher (bool): keep an EMA teacher. Defaults to False.
        imnet (bool): keep a frozen copy of the initial student. Defaults to False.
        data_preprocessor (dict, optional): the task's pre-processor (default: the student's),
            wrapped in mmdet's ``MultiBranchDataPreprocessor`` to process each domain.
        train_cfg (dict, optional): method hyper-parameters.
        test_cfg (dict, optional): ``model`` = 'student' (default) or 'teacher'.
    """
    #: sub-modules that are never trained
    frozen_modules: Tuple[str, ...] = ('teacher', 'imnet')
    #: train_step takes ``grad_sync`` (see UDADistributedDataParallel)
    supports_grad_sync = True
    #: timed sections of a step that are not passes (see :meth:`timed`)
    step_sections: Tuple[str, ...] = ('preprocess', 'optimizer')

    def __init__(self,
                 model: dict,
                 teacher: bool = False,
                 imnet: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        model = copy.deepcopy(model)
        if data_preprocessor is None:
            if 'data_preprocessor' not in model:
                raise KeyError('the student config has no data_preprocessor; give one to the '
                               'UDA model (data_preprocessor=...) or to the student')
            data_preprocessor = model['data_preprocessor']
        if 'MultiBranch' not in str(data_preprocessor.get('type', '')):
            # the task's own pre-processor, applied to each domain (the Runner also passes a
            # config's top-level data_preprocessor here)
            data_preprocessor = dict(type='mmdet.MultiBranchDataPreprocessor',
                                     data_preprocessor=data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.student = build_in_own_scope(model)
        self.train_cfg = dict(train_cfg or {})
        self.test_cfg = dict(test_cfg or {})
        eval_model = self.test_cfg.get('model', 'student')
        if eval_model not in ('student', 'teacher'):
            raise ValueError(f"test_cfg.model must be 'student' or 'teacher', got {eval_model!r}")
        if eval_model == 'teacher' and not teacher:
            raise ValueError("test_cfg.model='teacher' needs teacher=True")
        self.teacher = self._frozen_copy() if teacher else None
        self.imnet = self._frozen_copy() if imnet else None
        ignored = [f'{name}.{key}' for name in self.frozen_modules
                   if getattr(self, name, None) is not None
                   for key in getattr(self, name).state_dict()]
        DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(self, ignored)
        #: set by MaskingHook each iteration for methods that mask
        self.mask_source: Optional[Callable] = None
        #: the hooks that ran before the coming step (see :meth:`required_hooks`)
        self.hooks_before_step: set = set()
        #: set by UDAVisualizationHook: keep the tensors and data samples of the last step in
        #: ``debug_state``
        self.keep_debug_state = False
        self.debug_state: Dict[str, Union[torch.Tensor, list]] = {}
        #: seconds per named pass of the last iterations, when a benchmark asks for them
        #: (tools/analysis_tools/benchmark_train.py); None: no timing, no overhead
        self.pass_times: Optional[Dict[str, List[float]]] = None
        #: iterations trained (a buffer: checkpointed, so random draws survive a resume)
        self.register_buffer('local_iter', torch.zeros((), dtype=torch.long))

    @classmethod
    def checked_train_cfg(cls, train_cfg: Optional[dict], defaults: dict) -> dict:
        """``train_cfg`` over the method's ``defaults``, refusing keys it does not know."""
        train_cfg = dict(train_cfg or {})
        unknown = set(train_cfg) - set(defaults)
        if unknown:
            raise KeyError(f'unknown {cls.__name__} train_cfg key(s) {sorted(unknown)}; '
                           f'expected {sorted(defaults)}')
        return dict(defaults, **train_cfg)

    @contextlib.contextmanager
    def timed(self, name: str):
        """Time a pass (forward and backward) into ``pass_times`` when enabled."""
        if self.pass_times is None:
            yield
            return
        sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
        sync()
        start = time.perf_counter()
        yield
        sync()
        self.pass_times.setdefault(name, []).append(time.perf_counter() - start)

    def register_pixel_stats(self) -> None:
        """Non-persistent ``mean``/``std`` buffers (0-255, shape (3,)) of the student's
        pre-processor, for augmentation in de-normalised space (DACS, MIC), and whether its
        batches are BGR (``bgr_inputs``: no ``bgr_to_rgb``, as the DeepLab-v2 configs), which
        the colour jitter must know."""
        pre = self.student.data_preprocessor
        # mmseg's SegDataPreProcessor names it ``channel_conversion``, mmengine's (and so
        # mmdet's) ``_channel_conversion``
        self.bgr_inputs = not getattr(pre, 'channel_conversion',
                                      getattr(pre, '_channel_conversion', True))
        self.register_buffer('mean', pre.mean.detach().clone().view(-1).float(),
                             persistent=False)
        self.register_buffer('std', pre.std.detach().clone().view(-1).float(), persistent=False)

    def _frozen_copy(self) -> nn.Module:
        module = copy.deepcopy(self.student)
        for param in module.parameters():
            param.requires_grad_(False)
        return module

    def init_weights(self):
        super().init_weights()
        # frozen copies start as the initialised (e.g. ImageNet-pretrained) student
        for name in self.frozen_modules:
            module = getattr(self, name, None)
            if module is not None:
                module.load_state_dict(self.student.state_dict())

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        """A plain student checkpoint (an mmseg/mmdet model, a converted authors' checkpoint:
        no key starts with ``student.``) initialises the student AND its frozen copies
        (teacher, ImageNet model), as mmdet's semi-supervised detectors map their keys;
        mmuda's own checkpoints load as they are."""
        own = [k for k in state_dict if k.startswith(prefix)]
        if own and not any(k.startswith(f'{prefix}student.') for k in own):
            copies = ['student'] + [name for name in self.frozen_modules
                                    if getattr(self, name, None) is not None]
            for key in own:
                value = state_dict.pop(key)
                for name in copies:
                    state_dict[f'{prefix}{name}.{key[len(prefix):]}'] = value
            state_dict[f'{prefix}local_iter'] = self.local_iter.clone()  # not trained yet
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    # ------------------------------------------------------------------ training
    def trainable_modules(self) -> nn.ModuleDict:
        """The sub-modules the optimizer sees: everything but the frozen copies."""
        return nn.ModuleDict({name: module for name, module in self.named_children()
                              if name not in self.frozen_modules
                              and name != 'data_preprocessor'})

    def required_hooks(self) -> Tuple[str, ...]:
        """The hooks the method needs before every step: :class:`EMATeacherHook` when it has
        an EMA teacher (subclasses add :class:`MaskingHook` when they mask)."""
        return ('EMATeacherHook', ) if self.teacher is not None else ()

    def hook_ran(self, name: str) -> None:
        """Called by a hook the method may need, each iteration before the step."""
        self.hooks_before_step.add(name)

    def check_hooks(self) -> None:
        """Refuse to train without the hooks the method needs (checked at the start of every
        step, so the first iteration trains nothing without them): a DACS config without
        EMATeacherHook would otherwise learn from its initial teacher forever."""
        missing = [h for h in self.required_hooks() if h not in self.hooks_before_step]
        if missing:
            listed = ', '.join(f'dict(type={h!r}, ...)' for h in missing)
            raise RuntimeError(
                f'{type(self).__name__} needs the hook(s) {missing} before every training '
                f'iteration (they update the EMA teacher / draw the masks), but they did not '
                f'run: add {listed} to custom_hooks in the config (see the method\'s configs '
                f'and docs/uda_framework.md)')
        self.hooks_before_step = set()

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper: OptimWrapper,
                   grad_sync: Optional[Callable] = None) -> Dict[str, torch.Tensor]:
        """One UDA iteration: several backward passes, then one optimizer step.

        Args:
            grad_sync: averages gradients over processes before the step; given by
                :class:`mmuda.models.UDADistributedDataParallel`.
        """
        self.check_hooks()
        groups = self.optim_groups()
        if len(groups) > 1 and (not isinstance(optim_wrapper, OptimWrapperDict) or
                                set(optim_wrapper.keys()) != set(groups)):
            raise TypeError(
                f'{type(self).__name__} trains {sorted(groups)} with their own optimizers: '
                f'optim_wrapper needs one entry for each '
                f'(constructor=\'UDAOptimWrapperConstructor\')')
        main = self.main_optim_wrapper(optim_wrapper)
        with self.timed('preprocess'), main.optim_context(self):
            data = self.data_preprocessor(data, True)
        log_vars = self.forward_train(data['inputs'], data['data_samples'], optim_wrapper)
        with self.timed('optimizer'):
            if grad_sync is not None:
                grad_sync()
            # a non-finite loss or gradient stops training before it reaches any weight
            check_finite_step(self, log_vars, main)
            self.before_optimizer_step(optim_wrapper)
            # several optimizers (e.g. segmentor and discriminators): each steps, in order
            wrappers = optim_wrapper.values() if isinstance(optim_wrapper, OptimWrapperDict) \
                else [optim_wrapper]
            for wrapper in wrappers:
                wrapper.step()
                wrapper.zero_grad()
        return log_vars

    def before_optimizer_step(self, optim_wrapper: OptimWrapper) -> None:
        """Called after every backward pass of a step, before the optimizers step (e.g. to
        clip gradients per module). Nothing by default."""

    def optim_groups(self) -> Dict[str, nn.Module]:
        """The modules each optimizer trains, by the names of the config's ``optim_wrapper``
        (:class:`mmuda.engine.UDAOptimWrapperConstructor`). One optimizer by default;
        methods with discriminators add theirs."""
        return {self.main_group: self.trainable_modules()}

    #: the ``optim_wrapper`` entry of the task model when there are several optimizers
    main_group: str = 'segmentor'

    def main_optim_wrapper(self, optim_wrapper: OptimWrapper) -> OptimWrapper:
        """The optimizer wrapper of the task model: the wrapper itself, or the ``segmentor``
        entry of an ``OptimWrapperDict`` (whose own ``optim_context`` and ``backward`` are
        not usable)."""
        return optim_wrapper[self.main_group] if isinstance(optim_wrapper, OptimWrapperDict) \
            else optim_wrapper

    def backward(self, losses: Dict[str, torch.Tensor], optim_wrapper: OptimWrapper,
                 prefix: str = '') -> Dict[str, torch.Tensor]:
        """Sum a loss dict, backpropagate it, return its log variables (with ``prefix``)."""
        loss, log_vars = self.parse_losses(losses)
        optim_wrapper.backward(loss)
        return {f'{prefix}{k}': v for k, v in log_vars.items()}

    #: passes whose results later passes need (run untimed before a pass timed alone)
    pass_dependencies: Tuple[str, ...] = ()

    def generator(self) -> torch.Generator:
        """Random generator of this iteration (``train_cfg.seed``, iteration, rank):
        reproducible, and identical after a resume."""
        seed = (self.train_cfg.get('seed', 0) * 1_000_003 + int(self.local_iter)) * 131 + \
            get_rank()
        return torch.Generator().manual_seed(seed)

    def make_state(self, inputs: Dict[str, torch.Tensor],
                   data_samples: Dict[str, List]) -> dict:
        """What the passes of one step share: images, data samples, the random generator."""
        return dict(src_img=inputs['source'], tgt_img=inputs.get('target'),
                    src_samples=data_samples['source'],
                    tgt_samples=data_samples.get('target'), generator=self.generator())

    def pass_source(self, state: dict, optim_wrapper: OptimWrapper) -> dict:
        """The student's own loss on the source batch, one backward."""
        with optim_wrapper.optim_context(self):
            losses = self.student.loss(state['src_img'], state['src_samples'])
        return self.backward(losses, optim_wrapper, prefix='src.')

    def passes(self) -> List[Tuple[str, Callable]]:
        """The (name, pass) of one step, in order. Base: the source pass only."""
        return [('source', self.pass_source)]

    def forward_train(self, inputs: Dict[str, torch.Tensor], data_samples: Dict[str, List],
                      optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """Run the passes in order (each ends in a backward), timed when asked."""
        state = self.make_state(inputs, data_samples)
        log_vars = {}
        for name, run in self.passes():
            with self.timed(name):
                log_vars.update(run(state, optim_wrapper))
        self.local_iter += 1
        if self.keep_debug_state:  # for UDAVisualizationHook, outside the step's passes
            # tensors (detached) and lists: data samples (source boxes, MIC's pseudo-boxes),
            # indices (the images MIC kept)
            self.debug_state = {k: v.detach() if isinstance(v, torch.Tensor) else v
                                for k, v in state.items() if isinstance(v, (torch.Tensor, list))}
        return self.total_loss(log_vars)

    def run_pass_alone(self, name: str, inputs, data_samples,
                       optim_wrapper: OptimWrapper) -> None:
        """Run the passes ``name`` depends on untimed, then ``name`` timed (for the training
        benchmark); gradients are left for the caller to clear."""
        times, self.pass_times = self.pass_times, None
        state = self.make_state(inputs, data_samples)
        self.local_iter += 1  # fresh random draws on each call
        for other, run in self.passes():
            if other == name:
                self.pass_times = times
                with self.timed(name):
                    run(state, optim_wrapper)
                return
            if other in self.pass_dependencies:
                run(state, optim_wrapper)
        self.pass_times = times
        raise KeyError(f'no pass {name!r}; passes: {[n for n, _ in self.passes()]}')

    @staticmethod
    def total_loss(log_vars: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Adds ``loss``, the sum of the passes' totals (``<prefix>loss``), for logging."""
        totals = [v for k, v in log_vars.items() if k.endswith('.loss')]
        log_vars['loss'] = sum(totals) if totals else torch.zeros(())
        return log_vars

    # ------------------------------------------------------------------ evaluation
    @property
    def eval_model(self) -> nn.Module:
        return self.teacher if self.test_cfg.get('model', 'student') == 'teacher' \
            else self.student

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        if mode == 'predict':
            return self.eval_model.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.eval_model._forward(inputs, data_samples)
        if mode == 'loss':
            return self.student.loss(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}"; expected loss, predict or tensor')

    def train(self, mode: bool = True):
        super().train(mode)
        # frozen copies: the ImageNet model always in eval mode; the teacher follows the
        # method (see subclasses), default eval
        for name in self.frozen_modules:
            module = getattr(self, name, None)
            if module is not None:
                module.eval()
        return self
