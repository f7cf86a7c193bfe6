# Copyright (c) mmuda contributors. All rights reserved.
"""Agglomerative grouping of embeddings (ViSGA's similarity-based instance grouping)."""
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F


def cosine_distances(x: torch.Tensor) -> torch.Tensor:
    """(N, C) -> (N, N) cosine distances ``1 - cos(x_i, x_j)`` in [0, 2]; an all-zero row
    (e.g. a dead ReLU feature) is at distance 1 from everything but itself."""
    unit = F.normalize(x.float(), dim=1, eps=1e-12)
    dist = (1 - unit @ unit.t()).clamp_(0, 2)
    dist.fill_diagonal_(0)
    return dist


def complete_linkage_groups(x: torch.Tensor, tau: Optional[float] = None,
                            num_groups: Optional[int] = None) -> torch.Tensor:
    """Group the rows of ``x`` by agglomerative clustering with cosine distance and COMPLETE
    linkage (the distance of two groups is the largest distance between their members).

    Exactly one of the two stopping rules:

    - ``tau`` (adaptive number of groups, ViSGA's default): merging stops before any group
      would hold two members further apart than ``tau``;
    - ``num_groups`` (the fixed-k ablation): merging stops at ``min(num_groups, N)`` groups.

    The distance matrix is one matrix product; the merging is scipy's O(N^2) linkage.

    Args:
        x: (N, C) embeddings (detached; no gradient flows through the grouping).

    Returns:
        (N,) long tensor of group indices 0..G-1 (on ``x``'s device), in order of each group's
        first member.
    """
    if (tau is None) == (num_groups is None):
        raise ValueError('give exactly one of tau (a cosine-distance radius) and num_groups')
    if tau is not None and not 0 <= tau <= 2:
        raise ValueError(f'tau is a cosine distance and must lie in [0, 2], got {tau}')
    if num_groups is not None and num_groups < 1:
        raise ValueError(f'num_groups must be >= 1, got {num_groups}')
    n = x.shape[0]
    if n <= 1:
        return torch.zeros(n, dtype=torch.long, device=x.device)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    dist = cosine_distances(x.detach()).cpu().double().numpy()
    tree = linkage(squareform(dist, checks=False), method='complete')
    if tau is not None:
        raw = fcluster(tree, t=tau, criterion='distance')
    else:
        raw = fcluster(tree, t=min(num_groups, n), criterion='maxclust')
    _, first, inverse = np.unique(raw, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))  # relabel by first appearance
    return torch.as_tensor(order[inverse], dtype=torch.long, device=x.device)


def group_means(x: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    """(G, C) mean of the rows of ``x`` in each group (differentiable w.r.t. ``x``)."""
    assign = F.one_hot(groups, int(groups.max()) + 1).to(x.dtype).t()  # (G, N)
    return assign @ x / assign.sum(dim=1, keepdim=True)
