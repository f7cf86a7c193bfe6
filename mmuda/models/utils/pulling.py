# Copyright (c) mmuda contributors. All rights reserved.
"""T2S-DA's class-wise pulling of target-like features to source features: prototypes,
class-balanced query sampling, domain-equalised negatives, the InfoNCE-style loss and the
dynamic class re-weighting. Pure functions of tensors (the method is
:class:`mmuda.models.uda.T2SDA`); every choice the paper leaves open is an argument."""
from dataclasses import dataclass
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import nn


def flatten_pixels(feats: torch.Tensor, labels: torch.Tensor):
    """(B, D, h, w) features and (B, h, w) labels -> (N, D), (N,)."""
    return feats.permute(0, 2, 3, 1).reshape(-1, feats.shape[1]), labels.reshape(-1)


def class_prototypes(keys: torch.Tensor, labels: torch.Tensor, num_classes: int):
    """Per-class mean of the (L2-normalised) ``keys`` (N, D) with ``labels`` (N,) in
    [0, num_classes) or ignored (any other value), re-normalised: (C, D) and the (C,) mask of
    the classes present. Absent classes get a zero row. Computed in float32 (also under
    autocast: sums of many pixels overflow float16)."""
    keys = keys.float()
    valid = (labels >= 0) & (labels < num_classes)
    onehot = F.one_hot(labels[valid], num_classes).to(keys.dtype)  # (n, C)
    sums = onehot.t() @ keys[valid]  # (C, D)
    counts = onehot.sum(0)
    present = counts > 0
    protos = torch.zeros_like(sums)
    protos[present] = F.normalize(sums[present] / counts[present, None], dim=1)
    return protos, present


def _draw(pool: torch.Tensor, n: int, generator: Optional[torch.Generator]) -> torch.Tensor:
    """``n`` entries of the index tensor ``pool``: without replacement when it holds enough,
    with replacement otherwise."""
    if pool.numel() >= n:
        order = torch.randperm(pool.numel(), generator=generator)[:n]
    else:
        order = torch.randint(pool.numel(), (n, ), generator=generator)
    return pool[order.to(pool.device)]


def sample_queries(labels: torch.Tensor, classes: List[int], num_queries: int,
                   class_balanced: bool = True,
                   generator: Optional[torch.Generator] = None) -> Dict[int, torch.Tensor]:
    """Indices of the query pixels of each class in ``classes``.

    ``class_balanced``: ``num_queries`` per class (drawn with replacement for a class with
    fewer pixels). Otherwise ``num_queries * len(classes)`` pixels drawn uniformly from all
    pixels of those classes, so each class gets its pixel share (the frequent classes
    dominate, as plain pixel sampling)."""
    if class_balanced:
        return {c: _draw(torch.nonzero(labels == c)[:, 0], num_queries, generator)
                for c in classes}
    pool = torch.nonzero(torch.isin(labels, torch.as_tensor(classes, device=labels.device)))[:, 0]
    picked = _draw(pool, num_queries * len(classes), generator)
    return {c: picked[labels[picked] == c] for c in classes}


def sample_negatives(cls: int, n: int, src_labels: torch.Tensor,
                     tgt_labels: Optional[torch.Tensor], equalise_domains: bool = True,
                     generator: Optional[torch.Generator] = None):
    """Indices of ``n`` negatives for class ``cls`` (pixels of any other valid class): a pair
    (source indices, target indices). ``equalise_domains``: half from the source keys, half
    from the target keys (all from the source when the target has none, e.g. domain
    generalisation); otherwise drawn uniformly from the pooled keys of both domains. A negative
    label marks a pixel that is no key (ignored, or an unconfident target pixel)."""
    src_pool = torch.nonzero((src_labels != cls) & (src_labels >= 0))[:, 0]
    tgt_pool = torch.nonzero((tgt_labels != cls) & (tgt_labels >= 0))[:, 0] \
        if tgt_labels is not None else src_pool[:0]
    empty = src_pool[:0]
    if src_pool.numel() + tgt_pool.numel() == 0:
        return empty, empty
    if equalise_domains and src_pool.numel() and tgt_pool.numel():
        n_src = n // 2
        return _draw(src_pool, n_src, generator), _draw(tgt_pool, n - n_src, generator)
    if not src_pool.numel() or not tgt_pool.numel():
        pool, is_src = (src_pool, True) if src_pool.numel() else (tgt_pool, False)
        picked = _draw(pool, n, generator)
        return (picked, empty) if is_src else (empty, picked)
    pooled = torch.cat([src_pool, tgt_pool + src_labels.numel()])
    picked = _draw(pooled, n, generator)
    from_src = picked < src_labels.numel()
    return picked[from_src], picked[~from_src] - src_labels.numel()


def info_nce(queries: torch.Tensor, positive: torch.Tensor, negatives: torch.Tensor,
             temperature: float) -> torch.Tensor:
    """Mean over queries (Q, D) of ``-log(exp(q.p/t) / (exp(q.p/t) + sum_k exp(q.n_k/t)))``
    with one positive (D,) and negatives (K, D) shared by the queries (all L2-normalised)."""
    pos = queries @ positive / temperature  # (Q,)
    neg = queries @ negatives.t() / temperature  # (Q, K)
    logits = torch.cat([pos[:, None], neg], dim=1)
    return F.cross_entropy(logits, logits.new_zeros(logits.shape[0], dtype=torch.long))


@dataclass
class PullingTerms:
    """The class-wise losses of one batch: ``losses`` (C,) (0 where absent), ``present``
    (C,) bool, the number of queries and negatives used (and of target negatives)."""
    losses: torch.Tensor
    present: torch.Tensor
    num_queries: int
    num_negatives: int
    num_target_negatives: int = 0


def pulling_terms(queries: torch.Tensor, query_labels: torch.Tensor, src_keys: torch.Tensor,
                  src_labels: torch.Tensor, tgt_keys: Optional[torch.Tensor],
                  tgt_labels: Optional[torch.Tensor], num_classes: int, num_queries: int,
                  num_negatives: int, temperature: float, class_balanced: bool = True,
                  equalise_domains: bool = True,
                  generator: Optional[torch.Generator] = None) -> PullingTerms:
    """Each source class c present in both the queries and the source keys: its sampled
    queries (student projections of the pseudo-target pixels of class c) are pulled to the
    source prototype of c and pushed from ``num_negatives`` keys of the other classes.

    Inputs are flattened pixels: (N, D) features, L2-normalised, with (N,) labels (ignored:
    any value outside [0, num_classes)). Keys carry no gradient (teacher). The loss is computed
    in float32 (also under autocast). The negatives of a class are shared by its queries
    (U2PL draws ``num_negatives`` per query instead)."""

    def clean(labels):
        return None if labels is None else labels.masked_fill(
            (labels < 0) | (labels >= num_classes), -1)

    query_labels, src_labels, tgt_labels = clean(query_labels), clean(src_labels), \
        clean(tgt_labels)
    queries, src_keys = queries.float(), src_keys.float()
    tgt_keys = None if tgt_keys is None else tgt_keys.float()
    with torch.autocast(queries.device.type, enabled=False):
        return _pulling_terms(queries, query_labels, src_keys, src_labels, tgt_keys, tgt_labels,
                              num_classes, num_queries, num_negatives, temperature,
                              class_balanced, equalise_domains, generator)


def _pulling_terms(queries, query_labels, src_keys, src_labels, tgt_keys, tgt_labels,
                   num_classes, num_queries, num_negatives, temperature, class_balanced,
                   equalise_domains, generator) -> PullingTerms:
    protos, proto_present = class_prototypes(src_keys, src_labels, num_classes)
    proto_present = proto_present.tolist()
    classes = [c for c in torch.unique(query_labels[query_labels >= 0]).tolist()
               if proto_present[c]]
    losses = queries.new_zeros(num_classes)
    present = torch.zeros(num_classes, dtype=torch.bool, device=queries.device)
    picked = sample_queries(query_labels, classes, num_queries, class_balanced, generator)
    used_q = used_n = used_t = 0
    for c in classes:
        q_idx = picked[c]
        s_idx, t_idx = sample_negatives(c, num_negatives, src_labels, tgt_labels,
                                        equalise_domains, generator)
        if not q_idx.numel() or s_idx.numel() + t_idx.numel() == 0:
            continue  # a single class in the batch: nothing to push from
        negs = src_keys[s_idx]
        if t_idx.numel():
            negs = torch.cat([negs, tgt_keys[t_idx]])
        losses[c] = info_nce(queries[q_idx], protos[c], negs, temperature)
        present[c] = True
        used_q += q_idx.numel()
        used_n += negs.shape[0]
        used_t += t_idx.numel()
    return PullingTerms(losses, present, used_q, used_n, used_t)


class ClassReweighting(nn.Module):
    """Dynamic class weights that favour the classes the model currently does worse on.

    ``update(prob, label)`` takes a per-pixel score of how well class ``label`` is handled:
    T2S-DA's default (``signal='pseudo_target'``) is the student's probability of the true
    class on the labelled pseudo-target pixels; ``'target_confidence'`` the teacher's max
    probability on the target pixels it assigns to the class. Per class, an exponential moving
    average of the batch mean with bias correction (as Adam's), over the batches in which the
    class appears (``n_c`` of them)::

        avg_c <- m * avg_c + (1 - m) * mean score of c in the batch;  conf_c = avg_c / (1 - m^n_c)

    so a class is judged by its scores, not by how often it appeared. The weight of class c
    among the classes ``present`` in a batch is

        w_c = (1 - conf_c) ** power / mean_{c' present} (1 - conf_c') ** power

    (classes never seen count as conf 0), so the weights average 1 over the present classes.
    The state is in persistent buffers (checkpointed, restored on resume); in distributed
    training the batch statistics are summed over the processes, so every rank holds the same
    state.
    """

    def __init__(self, num_classes: int, momentum: float = 0.99, power: float = 1.0,
                 eps: float = 1e-6):
        super().__init__()
        if not 0 <= momentum < 1:
            raise ValueError(f'reweighting momentum must be in [0, 1), got {momentum}')
        self.momentum, self.power, self.eps = momentum, power, eps
        self.register_buffer('average', torch.zeros(num_classes))
        self.register_buffer('updates', torch.zeros(num_classes))

    @property
    def confidence(self) -> torch.Tensor:
        """The bias-corrected averages (0 for classes never seen)."""
        correction = 1 - self.momentum ** self.updates
        return torch.where(self.updates > 0, self.average / correction.clamp(min=1e-12),
                           torch.zeros_like(self.average))

    @torch.no_grad()
    def update(self, prob: torch.Tensor, label: torch.Tensor) -> None:
        """``prob``: a score in [0, 1] per pixel, ``label``: its class, any shape."""
        import torch.distributed as torch_dist
        num = self.average.numel()
        label = label.reshape(-1)
        keep = (label >= 0) & (label < num)
        onehot = F.one_hot(label[keep], num).float()  # (n, C)
        stats = torch.stack([onehot.sum(0), onehot.t() @ prob.reshape(-1)[keep].float()])
        if torch_dist.is_available() and torch_dist.is_initialized():
            torch_dist.all_reduce(stats)
        counts, sums = stats
        seen = counts > 0
        self.average[seen] = self.momentum * self.average[seen] + \
            (1 - self.momentum) * sums[seen] / counts[seen]
        self.updates[seen] += 1

    def weights(self, present: torch.Tensor) -> torch.Tensor:
        """(C,) weights, 0 for the classes not ``present``."""
        raw = (1 - self.confidence).clamp(min=self.eps) ** self.power
        raw = torch.where(present, raw, torch.zeros_like(raw))
        if not present.any():
            return raw
        return raw / raw[present].mean()
