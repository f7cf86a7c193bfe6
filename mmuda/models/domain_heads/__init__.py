# Copyright (c) mmuda contributors. All rights reserved.
from .cdan_discriminator import ConditionalDomainDiscriminator
from .da_faster_heads import (ImageDomainClassifier, InstanceDomainClassifier,
                              domain_consistency_loss, domain_loss)
from .fc_discriminator import FCDiscriminator

__all__ = ['ConditionalDomainDiscriminator', 'FCDiscriminator',
           'ImageDomainClassifier', 'InstanceDomainClassifier',
           'domain_consistency_loss', 'domain_loss']
