# Copyright (c) mmuda contributors. All rights reserved.
from .da_faster_heads import (ImageDomainClassifier, InstanceDomainClassifier,
                              domain_consistency_loss, domain_loss)

__all__ = ['ImageDomainClassifier', 'InstanceDomainClassifier', 'domain_consistency_loss',
           'domain_loss']
