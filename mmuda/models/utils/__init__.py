# Copyright (c) mmuda contributors. All rights reserved.
from .cosine_alignment import CosineSimilarityAlignment
from .grl import GradientReversal, GradientScale, scale_gradient
from .grouping import complete_linkage_groups, group_means
from .masking import BlockMaskGenerator
from .translators import (FourierAmplitudeSwap, HistogramTranslator, IdentityTranslator,
                          RandomStyle, ScriptedTranslator)

__all__ = ['BlockMaskGenerator', 'CosineSimilarityAlignment', 'GradientReversal',
           'GradientScale', 'scale_gradient', 'complete_linkage_groups', 'group_means',
           'FourierAmplitudeSwap', 'HistogramTranslator', 'IdentityTranslator', 'RandomStyle',
           'ScriptedTranslator']
