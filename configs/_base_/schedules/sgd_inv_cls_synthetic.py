# The classification schedule (sgd_inv_cls.py) for the CPU-sized classifier trained from
# scratch: the backbone learns at the full rate (no ImageNet weights to keep), lr 0.01,
# 1000 iterations.
_base_ = ['./sgd_inv_cls.py']
lr = 0.01
optimizer = dict(type='SGD', lr=lr, momentum=0.9, weight_decay=1e-3, nesterov=True)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, paramwise_cfg=None)
classifier_optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, paramwise_cfg=None)
sam_classifier_wrapper = dict(classifier_optim_wrapper, type='SAMOptimWrapper', rho=0.02)
discriminator_optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)
adversarial_optim_wrapper = dict(constructor='UDAOptimWrapperConstructor',
                                 classifier=classifier_optim_wrapper,
                                 discriminator=discriminator_optim_wrapper)
sam_adversarial_optim_wrapper = dict(adversarial_optim_wrapper, classifier=sam_classifier_wrapper)
train_cfg = dict(max_iters=1000, val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=1000, max_keep_ckpts=1))
