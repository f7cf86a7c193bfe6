# MinEnt on the embedded synthetic domains: the AdvEnt synthetic config with the target
# entropy minimised directly (weights 1e-3 / 2e-4 as the reference), one optimizer.
_base_ = ['./advent_deeplabv2-r18_1k_synthetic-src2tgt.py']
model = dict(_delete_=True, model=_base_.model.model, **_base_.minent)
optim_wrapper = dict(_delete_=True, constructor='UDAOptimWrapperConstructor',
                     **_base_.segmentor_optim_wrapper)
